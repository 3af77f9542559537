"""The VAN push on the local stack, by the end of VAN's job: completed, with errors, failed, or unfinished."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import polars as pl
import pytest
from fake_van import FakeVan, Scenario, presigned_lifetime

from phonebank.models.report import safe_cell
from phonebank_local.stack import LocalStack

from .moto_helpers import IMPACTIVE_SAMPLE
from .test_readme_notifications import README, as_shown, email_block
from .van_push_helpers import (
    APP,
    KEY,
    RECORDS,
    ROWS_OF,
    SAMPLE_KEY,
    WITH_ERRORS,
    PushRun,
    _assert_everything_kept,
    _config,
    _counts,
    _fetch,
    _steps,
)

COMPLETED = (Scenario(statuses=["Pending", "InProgress", "Completed"]), {})


@pytest.mark.parametrize("push_run", [COMPLETED], indirect=True, ids=["completed"])
def test_a_completed_job_is_notified_with_vans_counts_and_nothing_left_to_upload(push_run: PushRun) -> None:
    run = push_run
    # Then the execution succeeded after following the job to Completed
    assert run.execution["status"] == "SUCCEEDED"
    assert run.task_errors("Check VAN Import Job") == [None, None, None]
    (job,) = run.van.jobs.values()
    assert len(job.records) == RECORDS
    # And VAN got a short-lived link to the zip (15 minutes, as configured)
    (source,) = run.van.source_urls
    assert presigned_lifetime(source) == 15 * 60
    # And the email says VAN recorded everything, and not to upload the VAN files by hand too
    assert run.notification["subject"] == (
        "phonebank-sync SUCCEEDED, 3 rows to fix, recorded in VAN: impactive-sample.csv"
    )
    steps = _steps(run.message)
    assert f"bulk-import job {job.id} recorded 55 of the 55 records" in steps
    assert "Do not upload this run's VAN files by hand" in steps
    assert "Bulk Upload wizard" not in steps
    assert _counts(run.message) == {
        "records sent": "55",
        "processed": "55",
        "with errors": "0",
        "missing": "0",
    }
    # And summary.json holds the same, with VAN's results file kept beside the others
    assert run.summary()["van_push"] | {"check": None} == {
        "outcome": "completed",
        "job_id": job.id,
        "job_status": "Completed",
        "records_sent": 55,
        "processed": 55,
        "with_errors": 0,
        "missing": 0,
        "unread": 0,
        "rows_not_recorded": 0,
        "rows_given_back": 0,
        "reason": None,
        "check": None,
    }
    assert "van/van-import-results-01.csv" in run.run_files()
    assert "van-errors.csv" not in run.run_files()
    _assert_everything_kept(run)


@pytest.mark.parametrize("push_run", [WITH_ERRORS], indirect=True, ids=["completed with errors"])
def test_rows_van_refused_or_left_out_are_listed_with_the_inputs_own_cells(push_run: PushRun) -> None:
    run = push_run
    prefix = run.run_prefix()
    # Then van-errors.csv lists exactly the three rows, by spreadsheet row, with VAN's message
    # (or that VAN's results left it out), then the input's own cells
    text = run.stack.read(prefix + "van-errors.csv").decode("utf-8-sig")
    written = list(csv.reader(io.StringIO(text)))
    # (as errors.csv does, a cell a spreadsheet would run as a formula is written behind an apostrophe)
    source = [
        [safe_cell(cell) for cell in row]
        for row in csv.reader(io.StringIO(IMPACTIVE_SAMPLE.read_text("utf-8")))
    ]
    assert written[1][6] == "'+1 410 555 0102"
    assert written[0] == ["row", "errors", *source[0]]
    assert written[1:] == [
        ["3", "Invalid Result", *source[2]],
        ["7", "Contact Type is not valid for this committee", *source[6]],
        ["11", "VAN's results do not list this call: VAN did not say it recorded it", *source[10]],
    ]
    # And the counts are VAN's, per record, read from both results files
    assert _counts(run.message) == {
        "records sent": "55",
        "processed": "52",
        "with errors": "2",
        "missing": "1",
    }
    assert {"van/van-import-results-01.csv", "van/van-import-results-02.csv"} <= run.run_files()
    assert run.notification["subject"] == (
        "phonebank-sync SUCCEEDED, 3 rows to fix, VAN did not record 3 rows: impactive-sample.csv"
    )
    assert "Open van-errors.csv: it lists the 3 rows whose calls VAN did not record" in run.message
    # And the rows VAN did not record are handed on as data, for the export ledger to release
    (key,) = [k for k in run.stack.object_keys("work/") if k.endswith("van-push/not-recorded-rows.parquet")]
    rows = pl.read_parquet(io.BytesIO(run.stack.read(key)))
    assert rows.select("row", "kind").rows() == [(3, "refused"), (7, "refused"), (11, "missing")]
    # And row-level refusals are data: the execution succeeded
    assert run.execution["status"] == "SUCCEEDED"
    _assert_everything_kept(run)


def test_the_calls_van_did_not_record_go_to_van_again_with_the_next_upload_and_only_they(
    tmp_path: Path,
) -> None:
    # Given a push that VAN completed with errors: two calls refused, one left out of its results
    with FakeVan(APP, KEY, fetch=_fetch, scenario=WITH_ERRORS[0]) as van:
        config = _config(tmp_path, van)
        with LocalStack(config=config, secrets={"VanApiKeySecretArn": KEY}) as stack:
            stack.upload(SAMPLE_KEY, IMPACTIVE_SAMPLE.read_bytes())
            stack.wait_for_executions(timeout=120)
            (first,) = stack.notifications()

            # When the same file is uploaded again under another name
            stack.upload("incoming/impactive-sample-again.csv", IMPACTIVE_SAMPLE.read_bytes())
            stack.wait_for_executions(2, timeout=120)
            (second,) = stack.notifications()
            (summary_key,) = [
                k for k in stack.object_keys("runs/impactive-sample-again/") if k.endswith("summary.json")
            ]
            summary = json.loads(stack.read(summary_key))

    # Then the first email said those rows' calls were given back, to be uploaded again
    assert "The export ledger no longer counts their calls as exported to NGP VAN" in first["message"]
    assert "the calls of the 3 rows VAN refused or left out are given back" in first["message"]
    # And the second run sent VAN exactly the records of those three rows, and Organizer nothing
    first_job, second_job = (van.jobs[job_id] for job_id in sorted(van.jobs))
    assert len(first_job.records) == RECORDS
    assert sorted(record["vanid"] for record in second_job.records) == sorted(ROWS_OF)
    assert summary["systems"]["van"]["written"] == 3
    assert summary["systems"]["van"]["already_exported"] == RECORDS - 3
    assert summary["systems"]["organizer"]["written"] == 0
    assert not [f for f in summary["files"] if f["system"] == "organizer"]
    assert "73 not sent: already exported by an earlier run" in second["message"]


FAILED = (
    Scenario(
        statuses=["InProgress", "Failed"],
        job_errors=[
            {"referenceCode": "8A1F", "text": "The file could not be downloaded", "code": "FILE_DOWNLOAD"}
        ],
    ),
    {},
)


@pytest.mark.parametrize("push_run", [FAILED], indirect=True, ids=["failed"])
def test_a_failed_job_is_notified_with_vans_reason_and_the_files_to_use_instead(push_run: PushRun) -> None:
    run = push_run
    (job,) = run.van.jobs.values()
    # Then the execution fails after the email, so that the operator hears of it too
    assert run.execution["status"] == "FAILED"
    assert run.execution["error"] == "VanPushFailed"
    assert run.notification["attributes"] == {"status": "SUCCEEDED"}
    assert run.notification["subject"].startswith("phonebank-sync SUCCEEDED, 3 rows to fix, VAN push failed:")
    # And the email says what VAN said, to check in VAN, and then to record the calls by hand
    steps = _steps(run.message)
    assert f"NGP VAN's bulk-import job {job.id} failed: VAN said: The file could not be downloaded." in steps
    assert "Check in VAN that the job recorded nothing" in steps
    assert "In NGP VAN's Bulk Upload wizard, upload van/van-canvass-results-by-name.csv" in steps
    assert run.summary()["van_push"]["outcome"] == "failed"
    _assert_everything_kept(run)


TIMED_OUT = (Scenario(statuses=["Pending", "InProgress"]), {"deadline_minutes": 0.04})


@pytest.mark.parametrize("push_run", [TIMED_OUT], indirect=True, ids=["timed out"])
def test_a_job_not_finished_by_the_deadline_is_notified_without_the_by_hand_steps(push_run: PushRun) -> None:
    run = push_run
    (job,) = run.van.jobs.values()
    # Then the job was asked about until the deadline (2.4 s, polled each second), then left
    polls = [p for p in run.van.requests if p == ("GET", f"/v4/bulkImportJobs/{job.id}")]
    assert 2 <= len(polls) <= 5
    assert run.execution["status"] == "FAILED" and run.execution["error"] == "VanPushFailed"
    # And the email says VAN may still finish it: look in VAN before recording anything by hand
    steps = _steps(run.message)
    assert f"NGP VAN's bulk-import job {job.id}: VAN had not finished the job 0.04 minutes after it" in steps
    assert "Check the job in VAN before recording any of these calls by hand" in steps
    assert "Bulk Upload wizard" not in steps
    assert run.notification["subject"].endswith("VAN push unfinished: impactive-sample.csv")
    _assert_everything_kept(run)


EXPIRED = (Scenario(statuses=["Completed"], expired_links=True), {})


@pytest.mark.parametrize("push_run", [EXPIRED], indirect=True, ids=["expired results link"])
def test_results_that_expired_before_they_were_read_are_listed_to_check_in_van(push_run: PushRun) -> None:
    run = push_run
    # Then the link was tried, asked for anew once, and the records counted as unread, not as refused
    assert len([p for p in run.van.requests if p[1].startswith("/results/")]) == 2
    push = run.summary()["van_push"]
    assert (push["outcome"], push["unread"], push["processed"], push["rows_not_recorded"]) == (
        "completed_with_errors",
        55,
        0,
        55,
    )
    errors = run.stack.read(run.run_prefix() + "van-errors.csv").decode("utf-8-sig").splitlines()
    assert len(errors) == 56
    assert "VAN's results file expired before it was read" in errors[1]
    _assert_everything_kept(run)


UNMAPPABLE = (Scenario(statuses=["Completed"], place_offset=1), {})


@pytest.mark.parametrize("push_run", [UNMAPPABLE], indirect=True, ids=["results out of place"])
def test_results_that_do_not_line_up_with_the_file_sent_are_not_guessed(push_run: PushRun) -> None:
    run = push_run
    # Given VAN's BulkUploadDataID one past each record's place (as if it counted the header)
    # Then Finish refused to map them, and the report step said so, asking VAN nothing more
    assert run.task_errors("Finish VAN Push") == ["VanResultsUnmappable"]
    assert run.task_errors("Report VAN Push Error") == [None]
    assert "van-errors.csv" not in run.run_files()
    push = run.summary()["van_push"]
    assert push["outcome"] == "unknown"
    assert "VanResultsUnmappable: VAN's results name a BulkUploadDataID that is no data row" in push["reason"]
    assert "Check the job in VAN before recording any of these calls by hand" in _steps(run.message)
    assert run.execution["status"] == "FAILED" and run.execution["error"] == "VanPushFailed"
    _assert_everything_kept(run)


@pytest.mark.parametrize("push_run", [WITH_ERRORS], indirect=True, ids=["completed with errors"])
def test_the_readme_shows_the_email_after_a_push_as_it_is_sent(push_run: PushRun) -> None:
    # Given the email of a push VAN answered with errors
    email = as_shown(f"Subject: {push_run.notification['subject']}\n\n{push_run.message}")

    # Then the README shows it word for word (PHONEBANK_UPDATE_README=1 rewrites it)
    block = email_block("van push with errors")
    if os.environ.get("PHONEBANK_UPDATE_README"):
        README.write_text(
            block.sub(lambda m: m.group(1) + email + m.group(3), README.read_text(encoding="utf-8")),
            encoding="utf-8",
        )
    shown = block.search(README.read_text(encoding="utf-8"))
    assert shown is not None and shown.group(2) == email
