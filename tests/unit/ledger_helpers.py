"""A call as the ledger keys it, for the ledger's tests."""

from __future__ import annotations

from datetime import UTC, datetime

from phonebank.models.interaction import Interaction

CALLED_AT = datetime(2024, 10, 11, 22, 7, tzinfo=UTC)


def a_call(
    row: int, profile_id: str | None = "OP-1", van_id: str | None = "100200301", **changes: object
) -> Interaction:
    """One GOTV call of 11 October 2024 on spreadsheet `row`, with `changes` to its fields."""
    fields: dict[str, object] = {
        "row": row,
        "profile_id": profile_id,
        "van_id": van_id,
        "phone": "+13015550101",
        "called_at": CALLED_AT,
        "outcome": "Completed",
        "effort": "GOTV Weekend 1",
        "service": "Impactive",
        "call_type": "Computer",
        "duration": 33,
    }
    return Interaction.model_validate({**fields, **changes})
