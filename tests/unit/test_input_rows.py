"""Reports made after validation list the input's own cells of the rows they name."""

import csv
import io
from pathlib import Path

import polars as pl
import pytest

from phonebank.input_rows import write_row_report
from phonebank.sinks import LocalDirectory

INPUT = (
    "Profile ID,Phone Number,Notes\r\n"
    "P1,2025550101,first\r\n"
    "\r\n"
    'P2,2025550102,"a line\r\nbreak"\r\n'
    "P3,2025550103,=SUM(A1)\r\n"
)


def _read(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_given_chosen_rows_when_reported_then_each_has_its_leading_cells_and_its_own_cells_safe(tmp_path):
    # Given rows 5 and 2 of an input with a blank row and a quoted line break before row 5
    wanted = pl.DataFrame({"row": [5, 2], "system": ["organizer", "van"], "message": ["-bad", "ok"]})
    # When the report is written
    written = write_row_report(
        LocalDirectory(tmp_path), "report.csv", io.BytesIO(INPUT.encode()), 10_000, wanted
    )
    # Then the rows come in input order, numbered as a spreadsheet numbers them, formulas behind an apostrophe
    assert _read(tmp_path / "report.csv") == [
        ["row", "system", "message", "Profile ID", "Phone Number", "Notes"],
        ["2", "van", "ok", "P1", "2025550101", "first"],
        ["5", "organizer", "'-bad", "P3", "2025550103", "'=SUM(A1)"],
    ]
    assert written.records == 2


def test_given_an_errors_report_dropped_back_in_when_reported_then_our_two_columns_are_replaced(tmp_path):
    # Given an input that is itself an errors.csv
    source = "row,errors,Profile ID\r\n4,Phone: missing,P9\r\n"
    # When row 2 is reported
    wanted = pl.DataFrame({"row": [2], "why": ["x"]})
    write_row_report(LocalDirectory(tmp_path), "r.csv", io.BytesIO(source.encode()), 10_000, wanted)
    # Then the report holds the input's own column only, after its own leading columns
    assert _read(tmp_path / "r.csv") == [["row", "why", "Profile ID"], ["2", "x", "P9"]]


def test_given_a_row_the_input_does_not_hold_when_reported_then_nothing_is_written(tmp_path):
    # Given a row number past the input's end
    wanted = pl.DataFrame({"row": [2, 99], "why": ["x", "y"]})
    # When the report is written, then it fails and leaves no file
    with pytest.raises(LookupError):
        write_row_report(LocalDirectory(tmp_path), "r.csv", io.BytesIO(INPUT.encode()), 10_000, wanted)
    assert not (tmp_path / "r.csv").exists()
