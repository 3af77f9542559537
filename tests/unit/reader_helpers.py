"""What the reader tests share: an export read whole into numbered rows, and a small valid file."""

from __future__ import annotations

import io
from typing import NamedTuple

from validation_helpers import IMPACTIVE_HEADER, csv_bytes, impactive_row

from phonebank.reader import ExportReader

LIMIT = 10_000_000


class DataRow(NamedTuple):
    """One row of the file as the reader hands it on: its spreadsheet row number and its cells."""

    number: int
    cells: list[str]


def rows_of(reader: ExportReader) -> list[DataRow]:
    return [
        DataRow(chunk.first_row + offset, list(cells))
        for chunk in reader.chunks()
        for offset, cells in enumerate(chunk.cells.rows())
    ]


def read(data: bytes, max_bytes: int = LIMIT) -> tuple[list[str], list[DataRow]]:
    reader = ExportReader(io.BytesIO(data), max_bytes, len(data))
    return reader.header, rows_of(reader)


def read_all_rows(data: bytes, max_bytes: int = LIMIT, *, size_hint: bool = True) -> None:
    """Every row of `data` read, for what reading it raises (`size_hint`: the reader told its size)."""
    rows_of(ExportReader(io.BytesIO(data), max_bytes, len(data) if size_hint else None))


GOOD = csv_bytes(IMPACTIVE_HEADER, [impactive_row()])
