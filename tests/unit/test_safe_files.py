"""What we write is opened in spreadsheets: no cell of any file we write may run as a formula, and a
report dropped back in reads as the cells the user gave."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from transform_helpers import dialer_csv, run_pipeline

from phonebank.config import FORMULA_LEADS, build_config
from phonebank.models.report import as_typed, safe_cell, safe_column, typed_column

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\t=1+1"]
HEADER = ["Profile ID", "VAN ID", "Phone", "Date/Time", "Call Result", "Effort Name", "Service", "Notes"]


def _row(row: int, **cells: str) -> list[str]:
    values = {
        "Profile ID": f"OP-{row}", "VAN ID": str(100 + row), "Phone": f"(202) 555-01{row:02d}",
        "Date/Time": "10/01/2024 6:00 PM", "Call Result": "Completed", "Effort Name": "GOTV",
        "Service": "Impactive", "Notes": "",
    }  # fmt: skip
    return [cells.get(name, value) for name, value in values.items()]


def _cells_of_every_csv(out: Path) -> list[str]:
    cells = []
    for path in out.rglob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as text:
            cells += [cell for row in csv.reader(text) for cell in row]
    return cells


def test_no_file_we_write_holds_a_cell_a_spreadsheet_would_run(tmp_path: Path) -> None:
    # Given an export whose free-text cells, a header and a repeated row begin like formulas: some rows
    # are rejected for it, the others carry them in columns no system takes
    rows = [_row(10 + n, **{"Profile ID": formula}) for n, formula in enumerate(FORMULAS)]
    rows += [_row(20, Service="=1+1"), _row(21, Notes="@SUM(A1)"), _row(22, Phone="+1 202 555 0122")]
    rows += [_row(23, Notes="-5"), _row(23, Notes="-5"), *(_row(30 + n) for n in range(60))]
    data = dialer_csv([*HEADER[:-1], "=Notes"], rows)

    # When the file runs through both steps
    summary = run_pipeline(data, tmp_path, build_config({"limits": {"max_reject_rate": 0.5}}))

    # Then import files were written, and no cell of any CSV written begins like a formula
    assert summary.status == "SUCCEEDED"
    assert {file.name for file in summary.files} >= {"errors.csv", "duplicates.csv"}
    cells = _cells_of_every_csv(tmp_path)
    assert [cell for cell in cells if cell.startswith(FORMULA_LEADS)] == []
    # And the formulas are there in the reports, behind an apostrophe
    assert "'" + FORMULAS[0] in cells and "'=Notes" in cells


def test_the_error_report_dropped_back_in_reads_as_the_cells_given(tmp_path: Path) -> None:
    # Given a rejected row whose cells begin like formulas, and its error report
    rows = [_row(2, **{"Profile ID": "=1+1", "Notes": "+44 20 7946 0958", "Service": "@x"})]
    rows += [_row(n) for n in range(3, 5)]
    data = dialer_csv([*HEADER[:-1], "-Notes"], rows)
    run_pipeline(data, tmp_path / "first", build_config({"limits": {"max_reject_rate": 0.5}}))
    report = (tmp_path / "first" / "errors.csv").read_bytes()

    # When the report is uploaded again as it is
    run_pipeline(report, tmp_path / "again", build_config({"limits": {"max_reject_rate": 1.0}}))

    # Then its row reads as the cells first given (the same problem, the same cells written back)
    assert (tmp_path / "again" / "errors.csv").read_bytes().split(b"\r\n")[1].split(b",", 1)[1] == (
        report.split(b"\r\n")[1].split(b",", 1)[1]
    )
    first = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    assert first[0][-1] == "'-Notes" and first[1][2] == "'=1+1"


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(st.text(alphabet=st.sampled_from([*FORMULA_LEADS, "'", "a", " ", "1"]), max_size=4)))
def test_the_column_forms_keep_to_the_cell_forms(cells: list[str]) -> None:
    # Given any cells made of formula leads, apostrophes and text
    column = pl.DataFrame({"cell": cells}, schema={"cell": pl.String})

    # When the reports' and the reader's column forms read them
    safe = column.select(safe_column(pl.col("cell")).alias("cell"))["cell"].to_list()
    typed = column.select(typed_column(pl.col("cell")).alias("cell"))["cell"].to_list()

    # Then they answer as the cell forms do, and reading back what a report wrote gives the cell
    assert safe == [safe_cell(cell) for cell in cells]
    assert typed == [as_typed(cell) for cell in cells]
    assert [as_typed(safe_cell(cell)) for cell in cells] == [as_typed(cell) for cell in cells]
