"""The rows a user gets back: rejected rows with their reasons, and duplicates with their original."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from phonebank.models.interaction import SpreadsheetRow

ErrorText = Annotated[str, Field(min_length=1)]
"""'Column: what is wrong and what is accepted', joined by '; '."""


class ErrorRow(BaseModel):
    """A row of errors.csv: `row`, `errors`, then the input's own cells unchanged.

    The two leading columns are unknown to the reader, so the fixed file reads back as a normal input.
    """

    model_config = ConfigDict(frozen=True)
    row: SpreadsheetRow
    errors: ErrorText
    cells: list[str]

    @staticmethod
    def header(input_header: list[str]) -> list[str]:
        return ["row", "errors", *input_header]

    def to_cells(self) -> list[str]:
        return [str(self.row), self.errors, *self.cells]


class DuplicateRow(BaseModel):
    """A row of duplicates.csv: `row`, `duplicate_of` (the row it repeats), then the input's cells."""

    model_config = ConfigDict(frozen=True)
    row: SpreadsheetRow
    duplicate_of: SpreadsheetRow
    cells: list[str]

    @staticmethod
    def header(input_header: list[str]) -> list[str]:
        return ["row", "duplicate_of", *input_header]

    def to_cells(self) -> list[str]:
        return [str(self.row), str(self.duplicate_of), *self.cells]
