"""`phonebank run --ledger PATH` and `phonebank void`: what a second upload of the same calls writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import EVENTS
from transform_helpers import CALLS_HEADER, dialer_csv, read_rows

from phonebank.cli import main

SAMPLE = EVENTS / "impactive-sample.csv"


def _calls(people: range, day: str) -> list[list[str]]:
    return [[f"OP-{n}", f"{1000 + n}", f"301555{n:04d}", f"{day} 14:03", "Completed", "E"] for n in people]


def _write(path: Path, rows: list[list[str]]) -> Path:
    path.write_bytes(dialer_csv(CALLS_HEADER, rows))
    return path


def _summary(out: Path) -> dict:
    loaded: dict = json.loads((out / "summary.json").read_text())
    return loaded


def _import_files(out: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(out)): path.read_bytes()
        for folder in ("organizer", "van")
        for path in sorted((out / folder).glob("*.csv"))
    }


def _run(source: Path, out: Path, ledger: Path | None, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["run", str(source), "--out", str(out), *(["--ledger", str(ledger)] if ledger else [])])
    return code, capsys.readouterr().out


def test_without_a_ledger_the_same_file_twice_gives_the_same_files_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the Impactive sample, run twice without --ledger
    _run(SAMPLE, tmp_path / "first", None, capsys)
    _, text = _run(SAMPLE, tmp_path / "second", None, capsys)

    # Then both runs wrote the same import files, and neither summary nor email speaks of a ledger
    assert _import_files(tmp_path / "first") == _import_files(tmp_path / "second")
    assert _import_files(tmp_path / "second")
    summary = _summary(tmp_path / "second")
    assert "ledger" not in summary
    assert all("already_exported" not in counts for counts in summary["systems"].values())
    assert "Export ledger" not in text and "already exported" not in text


def test_the_same_file_twice_with_a_ledger_is_exported_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the Impactive sample, run once into a ledger
    ledger = tmp_path / "ledger"
    code, first_text = _run(SAMPLE, tmp_path / "first", ledger, capsys)
    first = _summary(tmp_path / "first")
    run_id = first["ledger"]["run_id"]
    assert code == 0 and first["systems"]["organizer"]["already_exported"] == 0
    assert f"exported by run {run_id}" in first_text

    # When the same file runs again under another name, with the same ledger
    again = _write(tmp_path / "copy of sample.csv", [])
    again.write_bytes(SAMPLE.read_bytes())
    code, text = _run(again, tmp_path / "second", ledger, capsys)

    # Then it writes no import file: each call counts as already exported, by the first run
    second = tmp_path / "second"
    summary = _summary(second)
    assert code == 0
    assert _import_files(second) == {}
    for system in ("organizer", "van"):
        counts, before = summary["systems"][system], first["systems"][system]
        assert counts["written"] == 0
        assert counts["already_exported"] == before["written"]
        assert counts["not_sent_no_id"] == before["not_sent_no_id"]
    assert {(e["system"], e["run_id"], e["calls"]) for e in summary["ledger"]["already_exported"]} == {
        ("organizer", run_id, first["systems"]["organizer"]["written"]),
        ("van", run_id, first["systems"]["van"]["written"]),
    }
    # And already-exported.csv lists each row once, with its systems, that run and the input's own cells
    listed = read_rows(second / "already-exported.csv")
    assert len({row["row"] for row in listed}) == len(listed)
    assert sum("Organizer" in row["system"] for row in listed) == first["systems"]["organizer"]["written"]
    assert sum("NGP VAN" in row["system"] for row in listed) == first["systems"]["van"]["written"]
    assert {row["system"] for row in listed} == {"Organizer", "Organizer and NGP VAN"}
    assert {row["exported_by_run"] for row in listed} == {run_id}
    assert {row["exported_from"] for row in listed} == {str(SAMPLE)}
    assert listed[0]["Profile ID"] == "OP-48001" and listed[0]["row"] == "2"
    # And the email says so, and that nothing is to be imported
    assert "already exported by an earlier run" in text
    assert re.search(rf"run {run_id} \(impactive-sample\.csv\): Organizer \d+, NGP VAN \d+", text)
    assert "Nothing to import" in text


def test_a_cumulative_export_writes_only_the_new_days_calls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given yesterday's export, run into a ledger
    ledger = tmp_path / "ledger"
    yesterday = _calls(range(10), "2024-10-01")
    _run(_write(tmp_path / "day1.csv", yesterday), tmp_path / "day1", ledger, capsys)

    # When today's cumulative export (yesterday's rows, then today's) runs
    today = _calls(range(10), "2024-10-02")
    code, text = _run(_write(tmp_path / "all.csv", yesterday + today), tmp_path / "day2", ledger, capsys)

    # Then only today's calls are in the import files, yesterday's are counted and listed
    out = tmp_path / "day2"
    (organizer,) = (out / "organizer").glob("*.csv")
    assert code == 0
    assert {row["Date/Time"][:10] for row in read_rows(organizer)} == {"2024-10-02"}
    assert len(read_rows(organizer)) == 10
    counts = _summary(out)["systems"]["organizer"]
    assert (counts["written"], counts["already_exported"]) == (10, 10)
    assert sorted({int(row["row"]) for row in read_rows(out / "already-exported.csv")}) == list(range(2, 12))
    assert "Fix the" not in text


def test_a_void_run_is_exported_again_by_the_next_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a file run into a ledger, whose files were never imported
    ledger = tmp_path / "ledger"
    source = _write(tmp_path / "calls.csv", _calls(range(5), "2024-10-01"))
    _run(source, tmp_path / "first", ledger, capsys)
    run_id = _summary(tmp_path / "first")["ledger"]["run_id"]

    # When that run is voided, and the file runs again
    assert main(["void", run_id, "--ledger", str(ledger)]) == 0
    assert f"Run {run_id} is void" in capsys.readouterr().out
    _run(source, tmp_path / "again", ledger, capsys)

    # Then the second run writes every call again
    assert _import_files(tmp_path / "again") == _import_files(tmp_path / "first")
    assert _summary(tmp_path / "again")["systems"]["organizer"]["already_exported"] == 0


def test_voiding_a_run_the_ledger_never_saw_fails_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an empty ledger folder
    # When a run id it does not know, or no run id at all, is voided
    codes = [
        main(["void", "0123456789abcdef", "--ledger", str(tmp_path)]),
        main(["void", "x", "--ledger", "."]),
    ]

    # Then each fails, saying which run it does not know, and nothing is written
    assert codes == [2, 2]
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("phonebank: no run 0123456789abcdef in the ledger")
    assert not (tmp_path / "void").exists()


def test_with_a_ledger_the_email_says_the_whole_corrected_file_is_safe_to_upload(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the sample, which has rows to fix, run with a ledger
    _, text = _run(SAMPLE, tmp_path / "out", tmp_path / "ledger", capsys)

    # Then the fix step offers the whole corrected file, and says why that is safe
    assert "Uploading the whole corrected file again is always safe" in text
    assert "Not the whole export" not in text
    # And it says how to void this run, with the command and the ledger's folder
    run_id = _summary(tmp_path / "out")["ledger"]["run_id"]
    assert f"run phonebank void <run id> --ledger {tmp_path / 'ledger'}" in text
    assert f"(this run: {run_id})" in text


def test_each_system_keeps_its_own_record_of_what_was_exported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given calls answered, which VAN has no instruction for by default, run into a ledger
    ledger = tmp_path / "ledger"
    answered = [[*row[:4], "Answered", row[5]] for row in _calls(range(4), "2024-10-01")]
    source = _write(tmp_path / "calls.csv", answered)
    _run(source, tmp_path / "first", ledger, capsys)
    assert _summary(tmp_path / "first")["systems"]["van"]["not_sent_no_instruction"] == 4

    # When the campaign gives Answered a VAN result, and the same file runs again
    config = tmp_path / "config.yaml"
    config.write_text("outcomes:\n  Answered:\n    van: Canvassed\n")
    code = main(
        [
            "run",
            str(source),
            "--out",
            str(tmp_path / "again"),
            "--ledger",
            str(ledger),
            "--config",
            str(config),
        ]
    )

    # Then VAN gets the calls now, and Organizer, which had them, does not get them again
    systems = _summary(tmp_path / "again")["systems"]
    assert code == 0
    assert (systems["van"]["written"], systems["van"]["already_exported"]) == (4, 0)
    assert (systems["organizer"]["written"], systems["organizer"]["already_exported"]) == (0, 4)
    assert list(_import_files(tmp_path / "again")) == ["van/van-canvass-results-by-name.csv"]
