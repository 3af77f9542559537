"""`phonebank check FILE`: exit codes, the files it writes, what it prints, and the two samples."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import EVENTS
from validation_helpers import BOM, IMPACTIVE_HEADER, csv_bytes, impactive_row

from phonebank.cli import main

EXIT_OK, EXIT_REJECTED, EXIT_FAILED = 0, 1, 2


def check(tmp_path: Path, upload: bytes | Path, *options: str) -> tuple[int, Path]:
    """Run `phonebank check` in this process on `upload` (bytes are written to a file first)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    if isinstance(upload, bytes):
        path = tmp_path / "upload.csv"
        path.write_bytes(upload)
    else:
        path = upload
    out = tmp_path / "out"
    return main(["check", str(path), "--out", str(out), *options]), out


def summary_of(out: Path) -> dict[str, Any]:
    loaded = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def error_rows(out: Path) -> list[list[str]]:
    """errors.csv's data rows (the header checked and dropped)."""
    data = (out / "errors.csv").read_bytes()
    header, *rows = csv.reader(io.StringIO(data.removeprefix(BOM).decode("utf-8"), newline=""))
    assert header[:2] == ["row", "errors"]
    return rows


def rows(count: int, **bad: str) -> list[list[str]]:
    """`count` distinct valid Impactive rows, the last one changed by `bad`."""
    made = [impactive_row(profile_id=f"OP-{n}", van_id=f"{100 + n}") for n in range(count)]
    if bad:
        made[-1] = impactive_row(profile_id=f"OP-{count}", **bad)
    return made


def test_clean_file_exits_0_and_writes_an_empty_error_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a file with no bad row
    data = csv_bytes(IMPACTIVE_HEADER, rows(3))

    # When it is checked
    code, out = check(tmp_path, data)

    # Then it exits 0, errors.csv is the header only, summary.json counts every row as accepted
    assert code == EXIT_OK
    assert error_rows(out) == []
    summary = summary_of(out)
    assert summary["status"] == "SUCCEEDED"
    assert summary["counts"] == {
        "rows_read": 3,
        "accepted": 3,
        "rejected": 0,
        "duplicates": 0,
        "not_dialed": 0,
    }
    assert capsys.readouterr().err == ""


def test_some_rejected_rows_exit_1_and_are_listed_in_the_error_report(tmp_path: Path) -> None:
    # Given 20 rows, the last with a bad phone: 5%, which is within the default limit
    data = csv_bytes(IMPACTIVE_HEADER, rows(20, phone_number="555-0100"))

    # When it is checked
    code, out = check(tmp_path, data)

    # Then it exits 1, the bad row is in errors.csv under its spreadsheet row, and the summary says so
    assert code == EXIT_REJECTED
    reported = error_rows(out)
    assert [(row[0], row[1].split(":")[0]) for row in reported] == [("21", "Phone Number")]
    assert reported[0][2:] == rows(20, phone_number="555-0100")[-1]
    summary = summary_of(out)
    assert summary["status"] == "SUCCEEDED"
    assert (summary["counts"]["rows_read"], summary["counts"]["rejected"]) == (20, 1)
    assert summary["top_errors"][0]["count"] == 1


def test_too_many_rejected_rows_exit_1_with_status_rejected(tmp_path: Path) -> None:
    # Given two rows, one bad: 50%, over the default limit of 5%
    data = csv_bytes(IMPACTIVE_HEADER, rows(2, call_outcome="Hung Up"))

    # When it is checked
    code, out = check(tmp_path, data)

    # Then it exits 1 and the summary says the file is rejected
    assert code == EXIT_REJECTED
    assert summary_of(out)["status"] == "REJECTED"
    assert len(error_rows(out)) == 1


FILE_FAILURES = {
    "empty": (b"", "EmptyFile"),
    "header only": (csv_bytes(IMPACTIVE_HEADER, []), "HeaderOnly"),
    "missing column": (
        csv_bytes(["Profile ID", "Phone", "Result"], [["OP-1", "2022013344", "Busy"]]),
        "MissingColumn",
    ),
    "duplicate columns": (
        csv_bytes([*IMPACTIVE_HEADER, "phone_number"], [impactive_row()]),
        "DuplicateColumn",
    ),
    "xlsx": (b"PK\x03\x04" + b"\x00" * 64, "NotText"),
    "undecodable": (csv_bytes(IMPACTIVE_HEADER, [impactive_row()]) + b"\x81\x8d,\r\n", "UndecodableFile"),
    "line break in a header": (b'"Profile\nID",ProfileID,Phone\r\n', "DuplicateColumn"),
}


@pytest.mark.parametrize(("data", "error"), FILE_FAILURES.values(), ids=FILE_FAILURES.keys())
def test_file_level_failure_exits_2_with_one_line_on_stderr(
    data: bytes, error: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a file that cannot be read as a dialer export
    # When it is checked
    code, out = check(tmp_path, data)

    # Then it exits 2, prints one line on stderr naming the problem in words (no traceback, no error
    # name in front), and writes only summary.json, with status FAILED and the error's name for scripts
    assert code == EXIT_FAILED
    err = capsys.readouterr().err
    assert err.endswith("\n")
    assert len(err.splitlines()) == 1
    summary = summary_of(out)
    assert summary["status"] == "FAILED"
    assert summary["failure"].startswith(f"{error}: ")
    assert err == f"phonebank: {' '.join(summary['failure'].removeprefix(f'{error}: ').split())}\n"
    assert error not in err
    assert "Traceback" not in err
    assert sorted(path.name for path in out.iterdir()) == ["summary.json"]


def test_missing_input_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a path where there is no file
    # When it is checked
    code, _ = check(tmp_path, tmp_path / "nowhere.csv")

    # Then it exits 2 with one line naming the path
    assert code == EXIT_FAILED
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "nowhere.csv" in err


def test_bad_configuration_exits_2_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a configuration with a misspelt key
    settings = tmp_path / "campaign.yaml"
    settings.write_text("limits:\n  max_reject_rat: 0.5\n", encoding="utf-8")

    # When a good file is checked with it
    code, _ = check(tmp_path, csv_bytes(IMPACTIVE_HEADER, rows(1)), "--config", str(settings))

    # Then it exits 2 with one line naming the key, and no traceback
    assert code == EXIT_FAILED
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "limits.max_reject_rat" in err
    assert "Traceback" not in err


def _without_effort_column() -> bytes:
    header = ["Profile ID", "Date/Time", "Phone Number Called", "Call Result"]
    return csv_bytes(header, [[f"OP-{n}", "10/11/2024 18:07", "2022013344", "Answered"] for n in range(3)])


def test_effort_option_gives_rows_their_effort(tmp_path: Path) -> None:
    # Given Organizer rows with no effort column
    data = _without_effort_column()

    # When the file is checked without and with --effort
    code_without, _ = check(tmp_path / "a", data)
    code_with, out = check(tmp_path / "b", data, "--effort", "Phone Bank 3")

    # Then without it every row lacks an effort; with it they all have that one
    assert code_without == EXIT_REJECTED
    assert code_with == EXIT_OK
    assert summary_of(out)["by_effort"] == {"Phone Bank 3": 3}


def test_config_option_is_used(tmp_path: Path) -> None:
    # Given a JSON configuration naming a default effort
    settings = tmp_path / "campaign.json"
    settings.write_text(json.dumps({"default_effort": "Configured"}), encoding="utf-8")

    # When a file without efforts is checked with it
    code, out = check(tmp_path, _without_effort_column(), "--config", str(settings))

    # Then its effort is used
    assert code == EXIT_OK
    assert summary_of(out)["by_effort"] == {"Configured": 3}


# The two sample exports: counts worked out by reading the files (see each row named below)

IMPACTIVE_COUNTS = {"rows_read": 82, "accepted": 77, "rejected": 3, "duplicates": 1, "not_dialed": 1}
THRUTALK_COUNTS = {"rows_read": 71, "accepted": 67, "rejected": 3, "duplicates": 0, "not_dialed": 1}
SAMPLES = [
    # Rejected: 32 (7-digit phone), 54 (10/32/2024), 65 (no ID, duration "abc"); 43's "Left Message" is
    # an answering machine.
    ("impactive-sample.csv", "Impactive", IMPACTIVE_COUNTS, ["32", "54", "65"]),
    # Rejected: 17 ("Hung Up"), 27 (area code 000), 37 (Voter ID Type DWID and no other ID).
    ("thrutalk-sample.csv", "ThruTalk", THRUTALK_COUNTS, ["17", "27", "37"]),
]


@pytest.mark.parametrize("sample", SAMPLES, ids=[sample[0] for sample in SAMPLES])
def test_each_sample_gives_exactly_its_counts(
    sample: tuple[str, str, dict[str, int], list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, dialer, counts, rejected_rows = sample
    # Given one of the sample exports in events/
    # When it is checked
    code, out = check(tmp_path, EVENTS / name)

    # Then it exits 1 (some rows are rejected), and the summary, errors.csv and the printed summary
    # all give the sample's counts
    assert code == EXIT_REJECTED
    summary = summary_of(out)
    assert summary["counts"] == counts
    assert summary["dialer"] == dialer
    assert [row[0] for row in error_rows(out)] == rejected_rows
    printed = capsys.readouterr().out
    for label, key in [("read", "rows_read"), ("accepted", "accepted"), ("rejected", "rejected")]:
        shown = re.search(rf"\b{label}\b\D*(\d+)", printed)
        assert shown is not None, f"{label!r} not printed"
        assert int(shown[1]) == counts[key], label


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_is_drawn_on_stderr_only_when_it_is_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given stderr is a terminal
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)

    # When a file is checked
    main(["check", str(EVENTS / "impactive-sample.csv"), "--out", str(tmp_path / "a")])

    # Then a bar reaching 100% was drawn there, and the summary still went to stdout
    assert "] 100%" in terminal.getvalue()
    assert "Status: SUCCEEDED" in capsys.readouterr().out

    # And when stderr is not a terminal, nothing is drawn
    plain = io.StringIO()
    monkeypatch.setattr("sys.stderr", plain)
    main(["check", str(EVENTS / "impactive-sample.csv"), "--out", str(tmp_path / "b")])
    assert "%" not in plain.getvalue()
