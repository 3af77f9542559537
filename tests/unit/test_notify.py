"""The email: a subject SNS accepts, a body that says what to do, in order, with links that open each file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from phonebank.config import PipelineConfig, build_config
from phonebank.models.summary import RowCounts, Summary, SystemCounts
from phonebank.notify import console_link, render, subject_for

RUN = "s3://uploads/runs/calls/0123456789abcdef/"
ERRORS = {"system": "report", "name": "errors.csv", "location": RUN + "errors.csv", "records": 4}
ORGANIZER = {
    "system": "organizer",
    "name": "organizer/organizer-phone-interactions-01.csv",
    "location": RUN + "organizer/organizer-phone-interactions-01.csv",
    "records": 90,
}
BY_NAME = {
    "system": "van",
    "name": "van/van-canvass-results-by-name.csv",
    "location": RUN + "van/van-canvass-results-by-name.csv",
    "records": 240,
}
BULK = {**BY_NAME, "name": "van/van-canvass-results-bulk-import.csv", "location": RUN + "van/bulk.csv"}


def _summary(input_name: str, status: str = "SUCCEEDED", **fields: Any) -> Summary:
    return Summary.model_validate(
        {
            "status": status,
            "input": input_name,
            "max_reject_rate": 0.05,
            "counts": RowCounts(rows_read=1),
            **fields,
        }
    )


def _imported(rejected: int, **fields: Any) -> Summary:
    """A run of 130 rows that wrote its import files: 120 accepted calls, some rejected."""
    return _summary(
        "s3://uploads/incoming/GOTV Weekend/calls.csv",
        counts=RowCounts(rows_read=120 + rejected, accepted=120, rejected=rejected),
        by_outcome={"Completed": 100, "Failed": 12, "Dropped": 8},
        systems={
            "organizer": {"written": 90, "not_sent_no_id": 10, "not_sent_no_instruction": 20},
            "van": {"written": 120, "not_sent_no_id": 0, "not_sent_no_instruction": 0},
        },
        files=[ERRORS, ORGANIZER, BY_NAME, BULK] if rejected else [ORGANIZER, BY_NAME],
        **fields,
    )


def _steps(body: str) -> list[str]:
    section = body.split("What to do\n", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^  \d+\. (.*)$", section, re.MULTILINE)


@pytest.fixture
def last_called_at() -> PipelineConfig:
    return build_config({"van": {"last_called_at": {"enabled": True, "result": "Canvassed"}}})


@pytest.mark.parametrize(
    "name",
    ["s3://b/incoming/Résultats d’appels — José.csv", "s3://b/incoming/" + "x" * 200 + ".csv", "a\tb\nc.csv"],
)
def test_the_subject_is_printable_ascii_under_100_characters(name: str) -> None:
    # Given a file whose name has accents, typographic quotes, control characters or great length
    # When the subject is built
    subject = subject_for(_summary(name))
    # Then SNS accepts it: printable ASCII, fewer than 100 characters, still naming the status
    assert subject.isascii() and subject.isprintable()
    assert len(subject) < 100
    assert subject.startswith("phonebank-sync SUCCEEDED: ")


def test_an_accented_name_keeps_its_letters() -> None:
    assert subject_for(_summary("s3://b/incoming/José.csv")) == "phonebank-sync SUCCEEDED: Jose.csv"


@pytest.mark.parametrize(
    ("rejected", "says"),
    [(0, "SUCCEEDED:"), (1, "SUCCEEDED, 1 row to fix:"), (4, "SUCCEEDED, 4 rows to fix:")],
)
def test_the_subject_says_when_rows_need_fixing(rejected: int, says: str) -> None:
    # Given an imported run with some rows rejected
    # When its subject is built
    # Then it says how many rows are left to fix
    assert subject_for(_imported(rejected)) == f"phonebank-sync {says} calls.csv"


def test_after_success_with_rejected_rows_only_errors_csv_goes_back(last_called_at: PipelineConfig) -> None:
    # Given an imported run with 4 rejected rows, uploaded to an effort's folder
    # When the email is written
    steps = _steps(render(_imported(4), last_called_at, "eu-west-1"))

    # Then the steps say, in order: review, Organizer's import, VAN's wizard, the API file, fix errors.csv
    assert [step.split(" ", 3)[:3] for step in steps] == [
        ["Review", "the", "counts"],
        ["In", "Organizer's", "phone-interaction"],
        ["In", "NGP", "VAN's"],
        ["Or,", "instead", "of"],
        ["Fix", "the", "4"],
    ]
    assert "organizer-phone-interactions-01.csv" in steps[1]
    assert "by-name" in steps[2] and "Bulk Upload wizard" in steps[2]
    assert "bulk-import API" in steps[3]
    # And the last one sends errors.csv alone back to the upload's own folder, not the whole export
    assert "upload errors.csv to incoming/GOTV Weekend/: those rows only" in steps[4]


def test_after_a_rejected_run_the_whole_corrected_file_goes_back(last_called_at: PipelineConfig) -> None:
    # Given a run REJECTED for too many bad rows: nothing was exported
    summary = _summary(
        "s3://uploads/incoming/calls.csv",
        "REJECTED",
        counts=RowCounts(rows_read=10, accepted=6, rejected=4),
        files=[ERRORS],
    )

    # When the email is written
    body = render(summary, last_called_at, "us-east-1")

    # Then it says nothing was imported, where errors.csv is, and to fix the original and upload all of it
    steps = _steps(body)
    assert steps[0].startswith("Nothing was imported: 40.0% of the rows have errors")
    assert "errors.csv" in steps[1]
    assert "calls.csv itself, not in errors.csv" in steps[2]
    assert "upload the whole corrected file to incoming/" in steps[2]
    # And it never invites an import
    assert not any(word in body for word in ("Review", "Organizer's phone-interaction", "Bulk Upload"))


def test_a_failed_file_says_what_to_fix_without_the_error_name(last_called_at: PipelineConfig) -> None:
    # Given a file that could not be read, as the validator reports it
    summary = _summary("s3://uploads/incoming/calls.csv", "FAILED", failure="EmptyFile: The file is empty.")

    # When the email is written
    body = render(summary, last_called_at, "us-east-1")

    # Then the reason reads as a sentence; summary.json keeps the error's name for scripts
    assert (summary.failure_type, summary.failure_reason) == ("EmptyFile", "The file is empty.")
    assert "EmptyFile" not in body
    assert "What went wrong:\n  The file is empty.\n" in body
    # And the steps say to fix the file and upload the whole of it again
    assert "upload the whole file to incoming/ again" in _steps(body)[1]


def test_a_check_with_rejected_rows_sends_the_whole_file_back_and_invites_no_import(
    last_called_at: PipelineConfig,
) -> None:
    # Given `phonebank check` on a file with a rejected row: no system was written
    summary = _summary(
        "calls.csv",
        counts=RowCounts(rows_read=10, accepted=9, rejected=1),
        files=[{**ERRORS, "location": "out/errors.csv"}],
        notes=["Checked only: no import file was built."],
    )

    # When its text is written
    steps = _steps(render(summary, last_called_at))

    # Then nothing is to be imported, and the whole corrected file is to be run again
    assert steps[0] == "Nothing was imported: the file was checked only."
    assert "run phonebank on the whole corrected file" in steps[2]
    assert not any("Review" in step or "Organizer" in step for step in steps)


def test_each_file_on_s3_is_a_console_link_in_the_bucket_region(last_called_at: PipelineConfig) -> None:
    # Given an imported run's files on S3, one of them under a folder with a space and a slash
    body = render(_imported(4), last_called_at, "eu-west-1")

    # Then each file is linked to its S3 console page in the bucket's region: no s3:// URI, nothing presigned
    assert "s3://uploads/runs" not in body
    assert "X-Amz-" not in body
    assert console_link(ERRORS["location"], "eu-west-1") in body
    assert console_link(ORGANIZER["location"], "eu-west-1") == (
        "https://eu-west-1.console.aws.amazon.com/s3/object/uploads?region=eu-west-1"
        "&prefix=runs%2Fcalls%2F0123456789abcdef%2Forganizer%2Forganizer-phone-interactions-01.csv"
    )


def test_without_a_region_a_location_is_shown_as_it_is(tmp_path: Path) -> None:
    assert console_link(str(tmp_path / "errors.csv"), None) == str(tmp_path / "errors.csv")
    assert console_link(str(tmp_path / "errors.csv"), "us-east-1") == str(tmp_path / "errors.csv")


def test_the_van_line_counts_calls_and_the_records_of_the_file(last_called_at: PipelineConfig) -> None:
    # Given 120 VAN calls written as 240 records (the Last Called At instruction adds one to each call)
    # When the email is written
    body = render(_imported(0), last_called_at, "us-east-1")

    # Then the VAN line says both
    assert "NGP VAN: 120 calls written, as 240 records in the by-name file" in body


def test_outcomes_without_an_instruction_are_named_with_their_counts() -> None:
    # Given the default outcomes (no instruction for Failed and Dropped) and an Organizer line where
    # 20 calls had none: exactly the file's 12 Failed and 8 Dropped
    body = render(_imported(0), build_config(), "us-east-1")

    # Then the line names each outcome with its count
    assert "  20 not sent: no Organizer instruction for Failed (12), Dropped (8)" in body
    assert "  10 not sent: no Profile ID" in body


def test_outcomes_without_an_instruction_counted_beside_calls_without_an_id() -> None:
    # Given 20 Failed or Dropped calls of which only 15 had a Profile ID to send
    systems = {"organizer": SystemCounts(written=90, not_sent_no_id=15, not_sent_no_instruction=15)}
    summary = _imported(0).model_copy(update={"systems": systems})

    # When the email is written
    body = render(summary, build_config(), "us-east-1")

    # Then the outcomes are named, with their total, and the rest is said to have had no ID
    assert "15 not sent: no Organizer instruction for Failed or Dropped (20 calls of these outcomes" in body
    assert "the rest had no Profile ID" in body


def test_a_failure_without_an_error_name_in_front_is_shown_whole(last_called_at: PipelineConfig) -> None:
    # Given a failure whose first word before a colon is no error name
    summary = _summary("calls.csv", "FAILED", failure="Row 42: opens a quoted value that never closes.")

    # Then nothing is cut from it
    assert summary.failure_type is None
    assert "  Row 42: opens a quoted value that never closes.\n" in render(summary, last_called_at)
