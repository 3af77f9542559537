"""The validated-rows file: what the validator hands the transformer, one accepted interaction a row."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, ClassVar, cast

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

    # The validator has the fields as a dict (DialerRow.fields_of) and needs only these two things of
    # them: building a model first would cost more than the rest of the row's checks.

    @staticmethod
    def identity_of(fields: Mapping[str, Any]) -> tuple[object, ...]:
        """What makes two rows the same interaction: everything but the row number and free text."""
        # The instant, not its spelling: 19:42-04:00 and 23:42Z are one call.
        instant = fields["called_at"].timestamp()
        return (
            fields["profile_id"],
            fields["van_id"],
            fields["phone"],
            instant,
            fields["outcome"],
            fields["effort"],
        )

    @staticmethod
    def cells_of(row: int, fields: Mapping[str, Any]) -> list[str]:
        duration = fields["duration"]
        return [
            str(row),
            fields["profile_id"] or "",
            fields["van_id"] or "",
            fields["phone"],
            fields["called_at"].isoformat(),
            fields["outcome"],
            fields["effort"] or "",
            fields["service"],
            fields["call_type"],
            "" if duration is None else str(duration),
        ]

    def identity(self) -> tuple[object, ...]:
        return self.identity_of(self.__dict__)

    def to_cells(self) -> list[str]:
        return self.cells_of(self.row, self.__dict__)

    @classmethod
    def from_cells(cls, cells: list[str]) -> Interaction:
        return cls.model_validate(dict(zip(cls.COLUMNS, cells, strict=True)))

    @classmethod
    def from_own_cells(cls, cells: list[str]) -> Interaction:
        """A row this pipeline wrote moments ago (`cells_of`): converted, not checked again, which
        would cost more than building every import row from it."""
        if len(cells) != len(cls.COLUMNS):
            raise ValueError(
                f"a validated row has {len(cells)} cells, not {len(cls.COLUMNS)}: the file is damaged"
            )
        row, profile_id, van_id, phone, called_at, outcome, effort, service, call_type, duration = cells
        return cls.model_construct(
            row=int(row), profile_id=profile_id or None, van_id=van_id or None, phone=phone,
            called_at=datetime.fromisoformat(called_at), outcome=outcome, effort=effort or None,
            service=service, call_type=cast(CallType, call_type),
            duration=int(duration) if duration else None,
        )  # fmt: skip
