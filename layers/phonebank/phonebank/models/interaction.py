"""The validated-rows file: what the validator hands the transformer, one accepted interaction a row."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, NamedTuple, cast

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


class Call(NamedTuple):
    """An accepted interaction inside one process: Interaction's fields, without a model's cost a row.

    The validator builds one per accepted row from fields its rules have already checked; the
    transformer reads Call and Interaction alike, by attribute."""

    row: int
    profile_id: str | None
    van_id: str | None
    phone: str
    called_at: datetime
    outcome: str
    effort: str | None
    service: str
    call_type: CallType
    duration: int | None

    def identity(self) -> tuple[str, str, str, datetime, str, str]:
        """What makes two rows the same interaction: everything but the row number and free text.
        An aware datetime equals, and hashes as, the same instant written with another offset:
        19:42-04:00 and 23:42Z are one call."""
        # None as "": None hashes by its address, which only a fork shares.
        profile_id, van_id, effort = self.profile_id or "", self.van_id or "", self.effort or ""
        return (profile_id, van_id, self.phone, self.called_at, self.outcome, effort)

    def to_cells(self) -> list[str]:
        """The row of the validated-rows file (Interaction.COLUMNS)."""
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
    def from_own_cells(cls, cells: list[str]) -> Call:
        """A row this pipeline wrote moments ago (`to_cells`): converted, not checked again, which
        would cost more than building every import row from it."""
        if len(cells) != len(Interaction.COLUMNS):
            raise ValueError(
                f"a validated row has {len(cells)} cells, not {len(Interaction.COLUMNS)}: the file is damaged"
            )
        row, profile_id, van_id, phone, called_at, outcome, effort, service, call_type, duration = cells
        return cls(
            int(row), profile_id or None, van_id or None, phone, datetime.fromisoformat(called_at), outcome,
            effort or None, service, cast(CallType, call_type), int(duration) if duration else None,
        )  # fmt: skip


class Interaction(BaseModel):
    """One accepted call attempt, normalised: E.164 phone, aware instant, canonical outcome."""

    model_config = ConfigDict(frozen=True)
    COLUMNS: ClassVar[tuple[str, ...]] = Call._fields

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

    def to_call(self) -> Call:
        return Call(**dict(self))

    def to_cells(self) -> list[str]:
        return self.to_call().to_cells()

    @classmethod
    def from_cells(cls, cells: list[str]) -> Interaction:
        """A validated row read back and checked: for tests and tools, not the pipeline's own path."""
        return cls.model_validate(dict(zip(cls.COLUMNS, cells, strict=True)))
