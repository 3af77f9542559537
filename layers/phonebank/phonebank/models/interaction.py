"""The validated rows: what the validator hands the transformer, one accepted interaction a row."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any, ClassVar

import polars as pl
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from phonebank.config import CallType

SpreadsheetRow = Annotated[int, Field(ge=2)]
"""A row number as a spreadsheet shows it: the header is row 1."""

INSTANT = pl.Datetime("us", "UTC")


class Interaction(BaseModel):
    """One accepted call attempt, normalised: E.164 phone, instant, canonical outcome.

    The validated rows are Parquet parts of these, in `SCHEMA`'s columns; the instant is kept in UTC,
    where two rows that write the same moment with two offsets are the same call."""

    model_config = ConfigDict(frozen=True)
    SCHEMA: ClassVar[dict[str, pl.DataType]] = {
        "row": pl.Int64(), "profile_id": pl.String(), "van_id": pl.String(), "phone": pl.String(),
        "called_at": INSTANT, "outcome": pl.String(), "effort": pl.String(), "service": pl.String(),
        "call_type": pl.String(), "duration": pl.Int64(),
    }  # fmt: skip

    row: SpreadsheetRow
    profile_id: str | None
    van_id: str | None
    phone: str
    called_at: AwareDatetime
    outcome: str
    effort: str | None
    service: str
    call_type: CallType
    duration: Annotated[int | None, Field(ge=0)]

    @classmethod
    def frame(cls, interactions: list[Interaction]) -> pl.DataFrame:
        """Interactions as the validated rows hold them: for tests and tools, not the pipeline's path."""
        # polars refuses an aware datetime in another zone than the column's: the instant is kept in UTC.
        rows: list[dict[str, Any]] = [
            {**interaction.model_dump(), "called_at": interaction.called_at.astimezone(UTC)}
            for interaction in interactions
        ]
        return pl.DataFrame(rows, schema=cls.SCHEMA)

    @classmethod
    def from_frame(cls, frame: pl.DataFrame) -> list[Interaction]:
        """Validated rows read back and checked: for tests and tools, not the pipeline's own path."""
        return [cls.model_validate(row) for row in frame.iter_rows(named=True)]
