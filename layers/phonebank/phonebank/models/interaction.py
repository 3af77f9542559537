"""The validated-rows file: what the validator hands the transformer, one accepted interaction a row."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from phonebank.config import CallType

SpreadsheetRow = Annotated[int, Field(ge=2)]
"""A row number as a spreadsheet shows it: the header is row 1."""


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


OptionalText = Annotated[str | None, BeforeValidator(_empty_is_none)]
"""An optional value; the CSV writes None as an empty cell."""

OptionalSeconds = Annotated[int | None, Field(ge=0), BeforeValidator(_empty_is_none)]
"""Whole seconds, or None for an empty cell."""


class Interaction(BaseModel):
    """One accepted call attempt, normalised: E.164 phone, aware instant, canonical outcome."""

    model_config = ConfigDict(frozen=True)
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "row",
        "profile_id",
        "van_id",
        "phone",
        "called_at",
        "outcome",
        "effort",
        "service",
        "call_type",
        "duration",
    )

    row: SpreadsheetRow
    profile_id: OptionalText
    van_id: OptionalText
    phone: str
    called_at: AwareDatetime
    outcome: str
    effort: OptionalText
    service: str
    call_type: CallType
    duration: OptionalSeconds

    def identity(self) -> tuple[object, ...]:
        """What makes two rows the same interaction: everything but the row number and free text."""
        return (self.profile_id, self.van_id, self.phone, self.called_at, self.outcome, self.effort)

    def to_cells(self) -> list[str]:
        return [
            str(self.row),
            self.profile_id or "",
            self.van_id or "",
            self.phone,
            self.called_at.isoformat(),
            self.outcome,
            self.effort or "",
            self.service,
            self.call_type,
            "" if self.duration is None else str(self.duration),
        ]

    @classmethod
    def from_cells(cls, cells: list[str]) -> Interaction:
        return cls.model_validate(dict(zip(cls.COLUMNS, cells, strict=True)))
