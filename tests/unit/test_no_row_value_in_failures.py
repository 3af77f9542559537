"""A file that fails as a whole is described by its shape: no cell of it reaches a person or a log."""

from __future__ import annotations

from pathlib import Path

import pytest
from validation_helpers import csv_bytes

from phonebank.cli import main

# Headerless exports: their first line is a call, which the reader takes for column names.
HEADERLESS = {
    "a phone twice": (
        ["OP-7001", "(240) 555-0001", "Quentin", "(240) 555-0001", "10/11/2024 6:07 PM", "Completed"],
        ["(240) 555-0001", "2405550001", "Quentin", "OP-7001"],
    ),
    "a name twice, in other case": (
        ["OP-7002", "Featherstonehaugh", "FEATHERSTONEHAUGH", "(301) 555-0123", "Busy"],
        ["Featherstonehaugh", "FEATHERSTONEHAUGH", "3015550123", "555-0123", "OP-7002"],
    ),
    "no cell repeated": (
        ["OP-7003", "Ysolde", "Marchetti", "(202) 555-0199", "10/12/2024", "Not Home"],
        ["Ysolde", "Marchetti", "555-0199", "OP-7003"],
    ),
}


@pytest.mark.parametrize("command", ["check", "run"])
@pytest.mark.parametrize(("first_row", "values"), HEADERLESS.values(), ids=HEADERLESS.keys())
def test_a_headerless_file_fails_without_quoting_its_cells(
    command: str,
    first_row: list[str],
    values: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given an export without its header row: the first call's cells stand where column names should be
    source = tmp_path / "calls.csv"
    source.write_bytes(csv_bytes(first_row, [first_row]))
    out = tmp_path / "out"

    # When it is checked or run
    code = main([command, str(source), "--out", str(out)])

    # Then it fails as a whole
    printed = capsys.readouterr()
    summary = (out / "summary.json").read_text(encoding="utf-8")
    assert code == 2
    assert '"status": "FAILED"' in summary
    # And neither the stderr line, nor summary.json, nor the notification text holds any cell of that row
    for text in (printed.err, printed.out, summary):
        for value in values:
            assert value.casefold() not in text.casefold(), (value, text)
