"""Reports written after validation (rows already exported, rows VAN refused) list the input's own
cells, like errors.csv: the validated rows hand over only the normalised fields, so the input is read
again, a chunk at a time, for the rows a report names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

import polars as pl

from phonebank.columns import normalise_header
from phonebank.models.report import safe_cell, safe_column
from phonebank.models.summary import OutputFile
from phonebank.reader import ExportReader, column_names
from phonebank.sinks import OpenFiles, OutputSink

ROW = "row"

__all__ = ["ROW", "own_columns", "write_row_report"]


def own_columns(header: Sequence[str]) -> int:
    """How many leading columns are ours, not the input's: an errors.csv dropped back in starts with
    our `row` and `errors`, which a report replaces rather than stacks."""
    return 2 if [normalise_header(name) for name in header[:2]] == ["row", "errors"] else 0


def write_row_report(
    sink: OutputSink, name: str, source: BinaryIO, max_bytes: int, wanted: pl.DataFrame
) -> OutputFile:
    """Write `name` to `sink`: one row per row of `wanted` (an Int64 `row`, the spreadsheet row of the
    input, then text columns, whose names head the file), followed by that input row's own cells.

    `source` is the input file from its start. Every cell, header included, is safe to open in a
    spreadsheet. A row of `wanted` that the input does not hold is an error of the caller's."""
    reader = ExportReader(source, max_bytes)
    skipped = own_columns(reader.header)
    cells = column_names(len(reader.header))[skipped:]
    leading = [column for column in wanted.columns if column != ROW]
    wanted = wanted.sort(ROW)
    header = [ROW, *leading, *reader.header[skipped:]]
    found = 0
    with OpenFiles() as files:
        report = files.open_csv(sink, name, [safe_cell(column) for column in header], bom=True)
        for chunk in reader.chunks():
            if found == wanted.height:
                break
            last_row = chunk.first_row + chunk.cells.height
            numbered = chunk.cells.with_columns(
                pl.int_range(chunk.first_row, last_row, dtype=pl.Int64).alias(ROW)
            )
            # Only this chunk's rows of `wanted`, which may be a million rows long.
            in_chunk = wanted.filter(pl.col(ROW).is_between(chunk.first_row, last_row - 1))
            rows = in_chunk.join(numbered.select(ROW, *cells), on=ROW, how="inner", maintain_order="left")
            found += rows.height
            report.write_frame(
                rows.select(
                    pl.col(ROW).cast(pl.String),
                    *(safe_column(pl.col(name).cast(pl.String)).alias(name) for name in [*leading, *cells]),
                )
            )
        if found != wanted.height:
            raise LookupError(f"{wanted.height - found} of the rows to report are not in the input")
    return OutputFile(system="report", name=name, location=sink.location(name), records=report.records)
