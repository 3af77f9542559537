"""What the dialer-row tests share: one row's cells handed to the model with a fixed clock, and
ThruTalk's header and rows."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from validation_helpers import NOW

from phonebank.config import PipelineConfig
from phonebank.models.dialer import DialerRow, RowContext

NEW_YORK = ZoneInfo("America/New_York")

THRUTALK_HEADER = [
    "Voter ID", "Voter ID Type", "Voter First Name", "Voter Phone", "Date Called", "Time Called (EST)",
    "Caller Login", "Result",
]  # fmt: skip


def thrutalk_row(
    *,
    voter_id: str = "200300401",
    id_type: str = "VANID",
    phone: str = "+1 202 201 3344",
    date: str = "10/13/2024",
    time: str = "19:11:17",
    result: str = "Talking to Correct Person",
) -> list[str]:
    return [voter_id, id_type, "André", phone, date, time, "caller1", result]


def cells(**overrides: str) -> dict[str, str]:
    """A row as validate hands it to the model: every field a string, valid unless overridden."""
    values = {
        "profile_id": "OP-1",
        "van_id": "101234567",
        "phone": "(202) 201-3344",
        "called_at": "10/11/2024 6:07 PM",
        "outcome": "Completed",
        "effort": "GOTV Weekend 1",
        "service": "",
        "call_type": "",
        "duration": "75",
    }
    assert set(overrides) <= set(values), overrides
    return {**values, **overrides}


def context(
    config: PipelineConfig,
    *,
    zone: ZoneInfo = NEW_YORK,
    fallback_effort: str | None = None,
    service: str = "Impactive",
) -> RowContext:
    return RowContext(
        config=config, source_zone=zone, now=NOW, fallback_effort=fallback_effort, service=service
    )


def parse(config: PipelineConfig, *, zone: ZoneInfo = NEW_YORK, **overrides: str) -> DialerRow:
    return DialerRow.model_validate(cells(**overrides), context=context(config, zone=zone))


def problems(config: PipelineConfig, **overrides: str) -> dict[str, str]:
    """Each field the model refuses, with its message."""
    with pytest.raises(ValidationError) as raised:
        parse(config, **overrides)
    return {str(error["loc"][0]): error["msg"] for error in raised.value.errors()}
