"""The rows a user gets back: rejected rows with their reasons, and duplicates with their original.

Both are opened in spreadsheets and dropped back in: a cell that would run as a formula is written
behind an apostrophe, which the reader drops again."""

from __future__ import annotations

from typing import Annotated

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from phonebank.config import FORMULA_LEADS, begins_like_a_formula
from phonebank.models.interaction import SpreadsheetRow

_APOSTROPHE = "'"
_LEADS_CLASS = "[" + "".join("\\" + lead if lead in "-" else lead for lead in FORMULA_LEADS) + "]"


def safe_cell(cell: str) -> str:
    """A cell as the reports write it: behind an apostrophe where a spreadsheet would run it as a
    formula (OWASP's rule for CSV injection); the reader drops it again (`as_typed`)."""
    return _APOSTROPHE + cell if begins_like_a_formula(cell) else cell


def as_typed(cell: str) -> str:
    """A cell as read back: without the apostrophe a report, or a person in Excel, put before a
    formula's first character."""
    return cell[1:] if cell.startswith(_APOSTROPHE) and begins_like_a_formula(cell[1:]) else cell


def safe_column(cells: pl.Expr) -> pl.Expr:
    """`safe_cell` for a column."""
    return (
        pl.when(cells.str.contains("^" + _LEADS_CLASS))
        .then(pl.concat_str(pl.lit(_APOSTROPHE), cells))
        .otherwise(cells)
    )


def typed_column(cells: pl.Expr) -> pl.Expr:
    """`as_typed` for a column."""
    return (
        pl.when(cells.str.contains("^" + _APOSTROPHE + _LEADS_CLASS))
        .then(cells.str.slice(1))
        .otherwise(cells)
    )


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
        return ["row", "errors", *map(safe_cell, input_header)]

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
        return ["row", "duplicate_of", *map(safe_cell, input_header)]

    def to_cells(self) -> list[str]:
        return [str(self.row), str(self.duplicate_of), *self.cells]
