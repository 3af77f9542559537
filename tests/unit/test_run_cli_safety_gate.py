"""`phonebank run`'s safety gate: a reject rate over the limit, or a file that breaks partway, leaves the
reports and no import file, nor part of one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import EVENTS
from transform_helpers import all_files, file_with_rejects, output_files, read_rows, run_pipeline

from phonebank.cli import main
from phonebank.config import build_config
from phonebank.notify import render


def test_run_over_the_reject_limit_exits_1_with_only_the_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a file where 2 rows of 10 have errors (20%, over the default 5%)
    source = tmp_path / "calls.csv"
    source.write_bytes(file_with_rejects(10, 2))
    out = tmp_path / "out"

    # When `phonebank run` runs on it
    code = main(["run", str(source), "--out", str(out)])

    # Then it is REJECTED: errors.csv and summary.json, and no import file at all
    assert code == 1
    assert all_files(out) == ["errors.csv", "summary.json"]
    assert len(read_rows(out / "errors.csv")) == 2
    assert json.loads((out / "summary.json").read_text())["status"] == "REJECTED"
    assert "Status: REJECTED" in capsys.readouterr().out


def test_rejects_found_after_imports_began_leave_no_import_file(tmp_path: Path) -> None:
    # Given 10,000 calls whose last 600 (6%, over the default 5%) have errors: `phonebank run` has
    # written thousands of import rows by the time it meets them
    rows = file_with_rejects(10_000, 0).decode().splitlines()
    rows[-600:] = [row.replace("Completed", "Hung Up") for row in rows[-600:]]
    source = tmp_path / "calls.csv"
    source.write_text("\r\n".join(rows) + "\r\n")
    out = tmp_path / "out"

    # When it runs
    code = main(["run", str(source), "--out", str(out)])

    # Then it is REJECTED with only the reports: no import file, and no part of one
    assert code == 1
    assert all_files(out) == ["errors.csv", "summary.json"]
    assert len(read_rows(out / "errors.csv")) == 600


def test_a_file_that_breaks_after_imports_began_leaves_no_import_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given 9,000 good calls, then a quote that never closes, swallowing the lines after it
    source = tmp_path / "calls.csv"
    unclosed = b'OP-x,1,"2025550100,2024-10-01 14:03,Completed,E\r\n' + b"OP-y,x\r\n" * 20_000
    source.write_bytes(file_with_rejects(9_000, 0) + unclosed)
    out = tmp_path / "out"

    # When `phonebank run` runs on it
    code = main(["run", str(source), "--out", str(out)])

    # Then it FAILED naming the row, and left the summary and no import file, nor part of one
    assert code == 2
    assert all_files(out) == ["summary.json"]
    assert "Row 9002" in capsys.readouterr().err


def test_run_with_a_config_file_uses_its_limit(tmp_path: Path) -> None:
    # Given the same file, and a campaign configuration allowing 25% rejected rows
    source = tmp_path / "calls.csv"
    source.write_bytes(file_with_rejects(10, 2))
    settings = tmp_path / "campaign.yaml"
    settings.write_text("limits:\n  max_reject_rate: 0.25\n")

    # When `phonebank run --config` runs on it
    code = main(["run", str(source), "--out", str(tmp_path / "out"), "--config", str(settings)])

    # Then it succeeds and the 8 good rows are written
    assert code == 0
    assert len(read_rows(tmp_path / "out" / "organizer" / "organizer-phone-interactions-01.csv")) == 8


@pytest.mark.parametrize(
    ("rejected", "limit", "status"),
    [
        pytest.param(1, 0.05, "SUCCEEDED", id="5% at a 5% limit"),
        pytest.param(2, 0.05, "REJECTED", id="10% over a 5% limit"),
        pytest.param(2, 0.10, "SUCCEEDED", id="10% at a 10% limit"),
        pytest.param(1, 0.0, "REJECTED", id="any error at a 0% limit"),
        pytest.param(20, 1.0, "SUCCEEDED", id="every row at a 100% limit"),
    ],
)
def test_the_safety_gate_rejects_over_the_configured_rate(
    tmp_path: Path, rejected: int, limit: float, status: str
) -> None:
    # Given 20 calls, some rejected, and a reject limit
    config = build_config({"limits": {"max_reject_rate": limit}})

    # When they run
    summary = run_pipeline(file_with_rejects(20, rejected), tmp_path, config)

    # Then only a rate over the limit stops the run; the error report and the summary are always
    # written, and a stopped run writes no import file at all
    assert summary.status == status
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == status
    assert len(read_rows(tmp_path / "errors.csv")) == rejected
    import_files = output_files(tmp_path, "organizer") + output_files(tmp_path, "van")
    assert (import_files == []) == (status == "REJECTED" or rejected == 20)
    if status == "REJECTED":
        assert not (tmp_path / "organizer").exists()
        assert not (tmp_path / "van").exists()
        assert summary.systems == {}
        assert "no import file was built" in render(summary, config)


def test_a_rejected_run_into_the_folder_of_an_earlier_run_leaves_no_stale_import_file(tmp_path: Path) -> None:
    # Given a folder holding a SUCCEEDED run's files, and a file of the user's own
    out = tmp_path / "out"
    assert main(["run", str(EVENTS / "impactive-sample.csv"), "--out", str(out)]) == 0
    (out / "notes.txt").write_text("mine")
    rejected = tmp_path / "calls.csv"
    rejected.write_bytes(file_with_rejects(10, 2))

    # When a REJECTED file is run into the same folder
    code = main(["run", str(rejected), "--out", str(out)])

    # Then only the new run's reports remain beside the user's file: nothing that could be imported
    assert code == 1
    assert all_files(out) == ["errors.csv", "notes.txt", "summary.json"]
