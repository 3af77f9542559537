"""`phonebank run`: what it writes, its exit codes, the safety gate, and the summary's counts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import EVENTS
from transform_helpers import dialer_csv, output_files, read_rows, run_pipeline

from phonebank.cli import main
from phonebank.config import PipelineConfig, build_config
from phonebank.notify import render
from phonebank.problems import NOT_UTF8

HEADER = ["Profile ID", "VAN ID", "Phone", "Date/Time", "Call Result", "Effort"]


def _file_with_rejects(total: int, rejected: int) -> bytes:
    """`total` calls of which the first `rejected` have an outcome nobody configured."""
    return dialer_csv(
        HEADER,
        [
            [
                f"OP-{n}",
                f"{1000 + n}",
                f"202555{n:04d}",
                "2024-10-01 14:03",
                "Hung Up" if n < rejected else "Completed",
                "E",
            ]
            for n in range(total)
        ],
    )


def _all_files(out: Path) -> list[str]:
    return sorted(str(path.relative_to(out)) for path in out.rglob("*") if path.is_file())


def test_run_on_the_impactive_sample_writes_every_output_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the Impactive sample
    # When `phonebank run` runs on it
    code = main(["run", str(EVENTS / "impactive-sample.csv"), "--out", str(tmp_path)])

    # Then it succeeds, writes the summary, the reports and the import files, and prints the summary
    out, err = capsys.readouterr()
    assert code == 0
    assert _all_files(tmp_path) == [
        "duplicates.csv",
        "errors.csv",
        "organizer/organizer-phone-interactions-01.csv",
        "summary.json",
        "van/van-canvass-results-by-name.csv",
    ]
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "SUCCEEDED"
    assert "Status: SUCCEEDED" in out
    assert err == ""


def test_run_over_the_reject_limit_exits_1_with_only_the_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a file where 2 rows of 10 have errors (20%, over the default 5%)
    source = tmp_path / "calls.csv"
    source.write_bytes(_file_with_rejects(10, 2))
    out = tmp_path / "out"

    # When `phonebank run` runs on it
    code = main(["run", str(source), "--out", str(out)])

    # Then it is REJECTED: errors.csv and summary.json, and no import file at all
    assert code == 1
    assert _all_files(out) == ["errors.csv", "summary.json"]
    assert len(read_rows(out / "errors.csv")) == 2
    assert json.loads((out / "summary.json").read_text())["status"] == "REJECTED"
    assert "Status: REJECTED" in capsys.readouterr().out


def test_rejects_found_after_imports_began_leave_no_import_file(tmp_path: Path) -> None:
    # Given 10,000 calls whose last 600 (6%, over the default 5%) have errors: `phonebank run` has
    # written thousands of import rows by the time it meets them
    rows = _file_with_rejects(10_000, 0).decode().splitlines()
    rows[-600:] = [row.replace("Completed", "Hung Up") for row in rows[-600:]]
    source = tmp_path / "calls.csv"
    source.write_text("\r\n".join(rows) + "\r\n")
    out = tmp_path / "out"

    # When it runs
    code = main(["run", str(source), "--out", str(out)])

    # Then it is REJECTED with only the reports: no import file, and no part of one
    assert code == 1
    assert _all_files(out) == ["errors.csv", "summary.json"]
    assert len(read_rows(out / "errors.csv")) == 600


def test_a_file_that_breaks_after_imports_began_leaves_no_import_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given 9,000 good calls, then a quote that never closes, swallowing the lines after it
    source = tmp_path / "calls.csv"
    unclosed = b'OP-x,1,"2025550100,2024-10-01 14:03,Completed,E\r\n' + b"OP-y,x\r\n" * 20_000
    source.write_bytes(_file_with_rejects(9_000, 0) + unclosed)
    out = tmp_path / "out"

    # When `phonebank run` runs on it
    code = main(["run", str(source), "--out", str(out)])

    # Then it FAILED naming the row, and left the summary and no import file, nor part of one
    assert code == 2
    assert _all_files(out) == ["summary.json"]
    assert "Row 9002" in capsys.readouterr().err


def test_run_with_a_config_file_uses_its_limit(tmp_path: Path) -> None:
    # Given the same file, and a campaign configuration allowing 25% rejected rows
    source = tmp_path / "calls.csv"
    source.write_bytes(_file_with_rejects(10, 2))
    settings = tmp_path / "campaign.yaml"
    settings.write_text("limits:\n  max_reject_rate: 0.25\n")

    # When `phonebank run --config` runs on it
    code = main(["run", str(source), "--out", str(tmp_path / "out"), "--config", str(settings)])

    # Then it succeeds and the 8 good rows are written
    assert code == 0
    assert len(read_rows(tmp_path / "out" / "organizer" / "organizer-phone-interactions-01.csv")) == 8


def test_run_with_an_effort_fills_rows_without_one(tmp_path: Path) -> None:
    # Given a file with Profile IDs and no effort column
    source = tmp_path / "calls.csv"
    source.write_bytes(
        dialer_csv(
            ["Profile ID", "Phone", "Date/Time", "Call Result"],
            [["OP-1", "2025550142", "2024-10-01 14:03", "Refused"]],
        )
    )

    # When `phonebank run --effort` runs on it, and when it runs without
    with_effort = main(["run", str(source), "--out", str(tmp_path / "a"), "--effort", "Door Follow-up"])
    without = main(["run", str(source), "--out", str(tmp_path / "b")])

    # Then the given effort is Organizer's Effort Name; without one, the row is an error
    assert with_effort == 0
    rows = read_rows(tmp_path / "a" / "organizer" / "organizer-phone-interactions-01.csv")
    assert [row["Effort Name"] for row in rows] == ["Door Follow-up"]
    assert without == 1
    assert "Effort" in read_rows(tmp_path / "b" / "errors.csv")[0]["errors"]


FILE_FAILURES = [
    pytest.param(b"", "EmptyFile", id="empty"),
    pytest.param(b"Profile ID,Phone,Date/Time,Call Result,Effort\r\n", "HeaderOnly", id="header only"),
    pytest.param(
        b"Profile ID,Phone,Date/Time,Effort\r\nOP-1,2025550142,2024-10-01,E\r\n",
        "MissingColumn",
        id="no outcome",
    ),
    pytest.param(b"PK\x03\x04 a workbook", "NotText", id="xlsx"),
    pytest.param(
        b'"Phone\nNumber",Phone,Date,Result,VAN ID\r\n1,2,3,4,5\r\n',
        "DuplicateColumn",
        id="line break in header",
    ),
]


@pytest.mark.parametrize(("content", "failure"), FILE_FAILURES)
def test_run_on_an_unreadable_file_exits_2_with_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, failure: str
) -> None:
    # Given a file that cannot be read as a dialer export
    source = tmp_path / "calls.csv"
    source.write_bytes(content)
    out = tmp_path / "out"

    # When `phonebank run` runs on it
    code = main(["run", str(source), "--out", str(out)])

    # Then it FAILED: one stderr line naming the problem in words (the error's name only in the summary),
    # no traceback, and only the summary written
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("phonebank: ")
    assert failure not in err
    assert "Traceback" not in err
    assert _all_files(out) == ["summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "FAILED"
    assert summary["failure"].startswith(f"{failure}: ")


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        pytest.param("missing input", "no such file", id="missing input"),
        pytest.param("bad yaml", "not valid YAML", id="config not YAML"),
        pytest.param("unknown key", "invalid configuration", id="config with an unknown key"),
        pytest.param("output is a file", "File exists", id="output folder is a file"),
    ],
)
def test_run_that_cannot_start_exits_2_with_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str, expected: str
) -> None:
    # Given a problem with the input path, the configuration, or the output folder
    source = EVENTS / "impactive-sample.csv"
    out = tmp_path / "out"
    args = ["run", str(source), "--out", str(out)]
    settings = tmp_path / "campaign.yaml"
    if setup == "missing input":
        args[1] = str(tmp_path / "nowhere.csv")
    elif setup == "bad yaml":
        settings.write_text("limits: [\n  max_reject_rate: 0.2\n")
        args += ["--config", str(settings)]
    elif setup == "unknown key":
        settings.write_text("limits:\n  max_rejected: 0.2\n")
        args += ["--config", str(settings)]
    else:
        out.write_text("not a folder")

    # When `phonebank run` runs
    code = main(args)

    # Then exit 2 and one stderr line, no traceback
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("phonebank: ")
    assert expected in err
    assert "Traceback" not in err


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
    summary = run_pipeline(_file_with_rejects(20, rejected), tmp_path, config)

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


@pytest.mark.parametrize(
    ("sample", "counts", "systems"),
    [
        # Checked by hand against the sample: rows 32 (phone 555-0100), 54 (10/32) and 65 (no ID,
        # duration abc) are rejected; 22 repeats 21; 12 was not dialed; 43 (Left Message, a Profile ID
        # only) is an answering machine. Failed and Dropped (2 each) have no instruction; 20 accepted
        # rows have no VAN ID, 2 with one are Failed or Dropped.
        ("impactive-sample.csv", (82, 77, 3, 1, 1), {"organizer": (73, 0, 4), "van": (55, 20, 2)}),
        # Rows 17 (Hung Up), 27 ((000) 123-4567) and 37 (a DWID, not a VAN ID) are rejected, row 7
        # was not dialed; no Profile IDs; the two Deliverability Error rows go to VAN as such.
        ("thrutalk-sample.csv", (71, 67, 3, 0, 1), {"organizer": (0, 67, 0), "van": (67, 0, 0)}),
    ],
)
def test_every_sample_row_is_counted_once(
    tmp_path: Path,
    config: PipelineConfig,
    sample: str,
    counts: tuple[int, ...],
    systems: dict[str, tuple[int, ...]],
) -> None:
    # Given a sample export
    # When it runs
    summary = run_pipeline((EVENTS / sample).read_bytes(), tmp_path, config)

    # Then read = accepted + rejected + duplicates + not dialed, and per system written + not sent
    # (no ID, no instruction) = accepted, with the numbers counted by hand
    c = summary.counts
    assert (c.rows_read, c.accepted, c.rejected, c.duplicates, c.not_dialed) == counts
    written = {
        name: (s.written, s.not_sent_no_id, s.not_sent_no_instruction) for name, s in summary.systems.items()
    }
    assert written == systems
    # and each output file's record count matches its rows
    for file in summary.files:
        assert len(read_rows(Path(file.location))) == file.records


def test_the_summary_lists_results_that_cannot_be_undone(tmp_path: Path, config: PipelineConfig) -> None:
    # Given one call for each consent-changing outcome, and a plain completed call
    outcomes = ["Fax", "Disconnected", "Do Not Call", "Deceased", "Moved", "Completed"]
    data = dialer_csv(
        HEADER,
        [
            [f"OP-{n}", f"{1000 + n}", f"202555{n:04d}", "2024-10-01 14:03", o, "E"]
            for n, o in enumerate(outcomes)
        ],
    )

    # When they run
    summary = run_pipeline(data, tmp_path, config)

    # Then the summary counts each system's consent- or record-changing results, and says so
    assert summary.consent_changing == {
        "organizer": {"Wrong Number": 1, "Number Disconnected": 1, "Opt Out": 1},
        "van": {"Wrong Number": 1, "Deceased": 1, "Moved": 1},
    }
    text = render(summary, config)
    assert "cannot be undone" in text
    assert "organizer: Opt Out 1" in text


def test_a_rejected_run_into_the_folder_of_an_earlier_run_leaves_no_stale_import_file(tmp_path: Path) -> None:
    # Given a folder holding a SUCCEEDED run's files, and a file of the user's own
    out = tmp_path / "out"
    assert main(["run", str(EVENTS / "impactive-sample.csv"), "--out", str(out)]) == 0
    (out / "notes.txt").write_text("mine")
    rejected = tmp_path / "calls.csv"
    rejected.write_bytes(_file_with_rejects(10, 2))

    # When a REJECTED file is run into the same folder
    code = main(["run", str(rejected), "--out", str(out)])

    # Then only the new run's reports remain beside the user's file: nothing that could be imported
    assert code == 1
    assert _all_files(out) == ["errors.csv", "notes.txt", "summary.json"]


def test_outputs_are_readable_by_the_group_like_any_file_the_user_creates(tmp_path: Path) -> None:
    # Given the usual umask of 022
    previous = os.umask(0o022)
    try:
        # When a run writes its files
        main(["run", str(EVENTS / "impactive-sample.csv"), "--out", str(tmp_path)])
    finally:
        os.umask(previous)

    # Then they are not owner-only (a temporary file's 0600 would surprise whoever shares the folder)
    assert (tmp_path / "summary.json").stat().st_mode & 0o044 == 0o044


def test_the_summary_says_which_settings_were_in_force_and_where_each_came_from(tmp_path: Path) -> None:
    # Given a configuration file that sets the reject limit only
    config = tmp_path / "campaign.yaml"
    config.write_text("limits:\n  max_reject_rate: 0.5\n", encoding="utf-8")

    # When `phonebank run` uses it
    main(
        ["run", str(EVENTS / "impactive-sample.csv"), "--out", str(tmp_path / "out"), "--config", str(config)]
    )

    # Then summary.json names the file for the limit and the bundled defaults for the rest
    in_force = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))["in_force"]
    assert in_force["limits.max_reject_rate"] == {"value": "0.5", "source": f"--config {config}"}
    assert in_force["campaign_timezone"] == {"value": "America/New_York", "source": "bundled defaults"}
    assert in_force["date_order"] == {"value": "MDY", "source": "bundled defaults"}


@pytest.mark.parametrize("progress_bar", [False, True], ids=["no-terminal", "terminal"])
def test_run_reads_a_utf8_file_with_a_stray_byte_as_utf8_and_rejects_that_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, progress_bar: bool
) -> None:
    # Given a UTF-8 export whose first non-ASCII byte is a stray Windows-1252 one (row 2's effort), met
    # in an earlier chunk than the file's only UTF-8 accent (row 31's); with and without the progress bar
    monkeypatch.setattr("phonebank.reader.CHUNK_BYTES", 256)
    monkeypatch.setattr("sys.stderr.isatty", lambda: progress_bar)
    rows = [
        [f"OP-{n}", f"{1000 + n}", f"202555{n:04d}", "2024-10-01 14:03", "Completed", "E"] for n in range(30)
    ]
    rows[29][5] = "Équipe"
    data = dialer_csv(HEADER, rows).replace(b"Completed,E\r\n", b"Completed,E\xa0\r\n", 1)
    source = tmp_path / "stray.csv"
    source.write_bytes(data)

    # When `phonebank run` runs on it
    code = main(["run", str(source), "--out", str(tmp_path / "out")])

    # Then it succeeds: row 2 rejected as not UTF-8, the accented effort read as the file wrote it
    assert code == 0
    errors = read_rows(tmp_path / "out" / "errors.csv")
    assert [(row["row"], row["errors"]) for row in errors] == [("2", f"Effort: {NOT_UTF8}")]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["counts"]["rejected"] == 1
    assert summary["by_effort"] == {"E": 28, "Équipe": 1}
