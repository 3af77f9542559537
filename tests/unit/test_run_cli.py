"""`phonebank run`: what it writes, its exit codes, and the summary's counts (the safety gate has its own)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import EVENTS
from transform_helpers import CALLS_HEADER, all_files, dialer_csv, read_rows, run_pipeline

from phonebank.cli import main
from phonebank.config import PipelineConfig
from phonebank.notify import render
from phonebank.problems import NOT_UTF8


def test_run_on_the_impactive_sample_writes_every_output_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the Impactive sample
    # When `phonebank run` runs on it
    code = main(["run", str(EVENTS / "impactive-sample.csv"), "--out", str(tmp_path)])

    # Then it succeeds, writes the summary, the reports and the import files, and prints the summary
    out, err = capsys.readouterr()
    assert code == 0
    assert all_files(tmp_path) == [
        "duplicates.csv",
        "errors.csv",
        "organizer/organizer-phone-interactions-01.csv",
        "summary.json",
        "van/van-canvass-results-by-name.csv",
    ]
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "SUCCEEDED"
    assert "Status: SUCCEEDED" in out
    assert err == ""


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
    assert all_files(out) == ["summary.json"]
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
        CALLS_HEADER,
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
    data = dialer_csv(CALLS_HEADER, rows).replace(b"Completed,E\r\n", b"Completed,E\xa0\r\n", 1)
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
