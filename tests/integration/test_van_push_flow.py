"""The push to NGP VAN on the local moto stack, against our local VAN (tests/fake_van.py).

Each run uploads the Impactive sample (55 VAN records) with every VAN result ID configured and the
push enabled, and ends in one notification; the input stays in archive/ and every file in runs/.
The poll interval is 1 s and Retry waits up to 1 s: moto's interpreter really sleeps.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import requests
import yaml
from fake_van import RESULT_IDS, FakeVan, Scenario, presigned_lifetime

from phonebank.models.report import safe_cell
from phonebank_local.stack import LocalStack

from .moto_helpers import IMPACTIVE_SAMPLE
from .test_readme_notifications import README, _block, as_shown

APP = "phonebank-sync-test"
KEY = "vanKEY-7f3c9a1e-2b4d-4e6f-8a0b-c1d2e3f4a5b6"
SAMPLE_KEY = "incoming/impactive-sample.csv"
RECORDS = 55
REFUSED = {"100200302": "Invalid Result", "100200306": "Contact Type is not valid for this committee"}
LEFT_OUT = {"100200310"}
# The sample's spreadsheet rows of those VAN IDs (header = row 1).
ROWS_OF = {"100200302": 3, "100200306": 7, "100200310": 11}


@dataclass
class PushRun:
    stack: LocalStack
    van: FakeVan
    execution: dict[str, Any]
    notification: dict[str, Any]
    log: io.StringIO

    @property
    def message(self) -> str:
        return str(self.notification["message"])

    def run_prefix(self) -> str:
        (summary,) = [
            k for k in self.stack.object_keys("runs/impactive-sample/") if k.endswith("summary.json")
        ]
        return summary.removesuffix("summary.json")

    def summary(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.stack.read(self.run_prefix() + "summary.json"))
        return loaded

    def run_files(self) -> set[str]:
        prefix = self.run_prefix()
        return {key.removeprefix(prefix) for key in self.stack.object_keys(prefix)}

    def task_errors(self, state: str) -> list[str | None]:
        """Each attempt of `state`'s task: its error name, or None when it succeeded."""
        outcomes: list[str | None] = []
        current = ""
        for event in self.stack.history(self.execution["executionArn"]):
            current = event.get("stateEnteredEventDetails", {}).get("name", current)
            if current != state:
                continue
            if event["type"] == "TaskFailed":
                outcomes.append(event["taskFailedEventDetails"]["error"])
            elif event["type"] == "TaskSucceeded":
                outcomes.append(None)
        return outcomes


def _fetch(url: str) -> bytes:
    """VAN downloads the zip from the presigned link: moto serves it, in this process."""
    response = requests.get(url, timeout=30)
    response.raise_for_status()
    return response.content


def _config(tmp_path: Path, van: FakeVan, **push: Any) -> Path:
    settings = {
        "van": {"result_ids": RESULT_IDS, "canvassed_by": 4242},
        "van_push": {
            "enabled": True,
            "application_name": APP,
            "api_url": van.api_url,
            "poll_seconds": 1,
            "deadline_minutes": 2,
            "source_url_minutes": 15,
            **push,
        },
    }
    path = tmp_path / "phonebank.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def _push(
    tmp_path: Path,
    scenario: Scenario,
    result_ids: dict[str, int] | None = None,
    parameters: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    **push: Any,
) -> Iterator[PushRun]:
    log = io.StringIO()
    with FakeVan(APP, KEY, fetch=_fetch, scenario=scenario) as van:
        config = _config(tmp_path, van, **push)
        if result_ids is not None:
            text = yaml.safe_load(config.read_text())
            text["van"]["result_ids"] = result_ids
            config.write_text(yaml.safe_dump(text))
        secrets = {"VanApiKeySecretArn": KEY} if secrets is None else secrets
        with LocalStack(log=log, config=config, secrets=secrets, parameters=parameters) as stack:
            stack.upload(SAMPLE_KEY, IMPACTIVE_SAMPLE.read_bytes())
            (execution,) = stack.wait_for_executions(timeout=120)
            (notification,) = stack.notifications()
            yield PushRun(stack, van, execution, notification, log)


@pytest.fixture
def push_run(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[PushRun]:
    scenario, extra = request.param
    yield from _push(tmp_path, scenario, **extra)


def _assert_everything_kept(run: PushRun, bulk: bool = True) -> None:
    """The input is in archive/ as uploaded, and the run's import files are all there (without the
    bulk-import file when no result ID is configured)."""
    assert set(run.stack.object_keys("incoming/")) == set()
    (archived,) = run.stack.object_keys("archive/impactive-sample/")
    assert run.stack.read(archived) == IMPACTIVE_SAMPLE.read_bytes()
    files = run.run_files()
    expected = {
        "errors.csv",
        "duplicates.csv",
        "summary.json",
        "organizer/organizer-phone-interactions-01.csv",
        "van/van-canvass-results-by-name.csv",
    }
    if bulk:
        expected.add("van/van-canvass-results-bulk-import.csv")
    assert expected <= files
    # And the bulk-import file's row map is a working file, under work/, not beside the import files
    assert not [name for name in files if "rows" in name]
    assert (
        bool([k for k in run.stack.object_keys("work/") if k.endswith("/van-bulk-import-rows.csv")]) == bulk
    )


WIZARD = "In NGP VAN's Bulk Upload wizard, upload van/van-canvass-results-by-name.csv"


def _steps(message: str) -> str:
    return message.split("\n\nRows\n", maxsplit=1)[0]


def _counts(message: str) -> dict[str, str]:
    """The email's VAN push section: each count by its label."""
    section = message.split("\nNGP VAN push")[1].split("\n\n", maxsplit=1)[0]
    return dict(re.findall(r"^  ([a-z ]+?) +([\d,]+)", section, re.MULTILINE))


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


WITH_ERRORS = (
    Scenario(
        statuses=["InProgress", "CompletedWithErrors"], refuse=REFUSED, leave_out=LEFT_OUT, results_files=2
    ),
    {},
)


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


RATE_LIMITED = (
    Scenario(
        statuses=["Completed"],
        unknown_job_polls=1,
        rate_limited={
            "GET /v4/canvassResponses/resultCodes": 2,
            "POST /v4/bulkImportJobs": 1,
            "GET /v4/bulkImportJobs/": 1,
        },
    ),
    {},
)


@pytest.mark.parametrize("push_run", [RATE_LIMITED], indirect=True, ids=["rate limited"])
def test_429s_are_retried_with_backoff_and_the_job_is_created_once(push_run: PushRun) -> None:
    run = push_run
    # Then each step that met a 429 was retried by the state machine, and went on
    assert run.task_errors("Prepare VAN Push") == ["VanRateLimited", "VanRateLimited", None]
    assert run.task_errors("Create VAN Import Job") == ["VanRateLimited", None]
    assert run.task_errors("Check VAN Import Job")[0] == "VanRateLimited"
    # And one job was created, followed past VAN's first "no such job", to Completed
    assert len(run.van.jobs) == 1
    assert run.execution["status"] == "SUCCEEDED"
    assert _counts(run.message)["processed"] == "55"
    _assert_everything_kept(run)


AUTH = (Scenario(refuse_auth=401), {})


@pytest.mark.parametrize("push_run", [AUTH], indirect=True, ids=["refused by auth"])
def test_a_refused_key_is_not_retried_and_the_email_says_what_to_check(push_run: PushRun) -> None:
    run = push_run
    # Then VAN was asked once: a 401 is not retried, and no job was created
    assert run.task_errors("Prepare VAN Push") == ["VanAuthRefused"]
    assert list(run.van.api_requests()) == [("GET", "/v4/canvassResponses/resultCodes")]
    assert run.van.jobs == {}
    assert run.execution["status"] == "FAILED" and run.execution["error"] == "VanPushFailed"
    # And the email says nothing was sent, why, what to check, and how to record the calls instead
    steps = _steps(run.message)
    assert (
        "Nothing was sent to NGP VAN: VanAuthRefused: VAN answered 401 (unauthorized) to GET "
        "/canvassResponses/resultCodes." in steps
    )
    assert "van_push.application_name" in steps and "van_push.database" in steps
    assert "In NGP VAN's Bulk Upload wizard, upload van/van-canvass-results-by-name.csv" in steps
    assert run.summary()["van_push"]["outcome"] == "not_sent"
    assert run.notification["subject"].endswith("VAN push not sent: impactive-sample.csv")
    _assert_everything_kept(run)


MISMATCHED = (Scenario(), {"result_ids": {**RESULT_IDS, "Canvassed": 2, "Moved": 77}})


@pytest.mark.parametrize("push_run", [MISMATCHED], indirect=True, ids=["mismatched result IDs"])
def test_result_ids_another_van_would_read_otherwise_stop_the_push_before_anything_is_sent(
    push_run: PushRun,
) -> None:
    run = push_run
    # Then only the two lists were asked for: no job
    assert list(run.van.api_requests()) == [
        ("GET", "/v4/canvassResponses/resultCodes"),
        ("GET", "/v4/canvassResponses/contactTypes"),
    ]
    assert run.execution["status"] == "FAILED" and run.execution["error"] == "VanPushFailed"
    # And the email names each mismatch and the configuration keys to correct
    steps = _steps(run.message)
    assert (
        "Nothing was sent to NGP VAN: the configured IDs do not match this VAN: result ID 2 "
        "(van.result_ids.Canvassed) is 'Refused' in this VAN, not 'Canvassed'; result ID 77 "
        "(van.result_ids.Moved) is not one of this VAN's." in steps
    )
    assert "Correct van.result_ids and van.contact_type_id in the configuration file" in steps
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


def _every_text(run: PushRun) -> Iterator[tuple[str, str]]:
    """Everything the run left to read: logs, each execution's history and output, the email, objects."""
    yield "logs", run.log.getvalue()
    for execution in run.stack.executions():
        arn = execution["executionArn"]
        yield "history", json.dumps(run.stack.history(arn), default=str)
        yield "execution", json.dumps(run.stack.sfn.describe_execution(executionArn=arn), default=str)
    yield "notification", json.dumps(run.notification)
    for key in run.stack.object_keys():
        yield key, run.stack.read(key).decode("utf-8", "replace")


@pytest.mark.parametrize(
    "push_run", [WITH_ERRORS, RATE_LIMITED, AUTH], indirect=True, ids=["errors", "429", "401"]
)
def test_the_api_key_appears_in_no_log_history_output_notification_or_file(push_run: PushRun) -> None:
    # Given a run whose requests carried the key to VAN
    authorization = base64.b64encode(f"{APP}:{KEY}|1".encode()).decode()
    assert push_run.van.authorized_requests > 0

    # Then neither the key nor the header made of it is anywhere to read
    texts = list(_every_text(push_run))
    assert len(texts) > 10
    for where, text in texts:
        assert KEY not in text, where
        assert authorization not in text, where


UNCLEAR_CREATION = (Scenario(create_status=500), {})


@pytest.mark.parametrize("push_run", [UNCLEAR_CREATION], indirect=True, ids=["500 to the job's creation"])
def test_a_job_whose_creation_got_no_clear_answer_is_never_sent_twice(push_run: PushRun) -> None:
    run = push_run
    # Then the creation was not retried (VAN had in fact created the job), nor followed
    assert run.task_errors("Create VAN Import Job") == ["VanOutcomeUnknown"]
    assert len(run.van.jobs) == 1
    assert [r for r in run.van.api_requests() if r[1].startswith("/v4/bulkImportJobs/")] == []
    # And the email says to look for the job in VAN before recording anything by hand
    run_id = run.run_prefix().rstrip("/").rsplit("/", 1)[1]
    steps = _steps(run.message)
    assert "could not tell whether VAN created the job (VanOutcomeUnknown: VAN answered 500" in steps
    assert f"Look in VAN for a bulk-import job described as 'phonebank-sync run {run_id}'" in steps
    assert "Bulk Upload wizard" not in steps
    assert run.van.jobs[min(run.van.jobs)].body["description"] == f"phonebank-sync run {run_id}"
    assert run.execution["status"] == "FAILED" and run.execution["error"] == "VanPushFailed"
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


ELSEWHERE = "arn:aws:secretsmanager:us-east-1:123456789012:secret:phonebank/another-key-AbCdEf"


CANNOT_START = {
    "no secret in the stack": (
        (Scenario(), {"secrets": {}}),
        "van_push is enabled in the configuration, but the stack has no VanApiKeySecretArn",
        "Deploy the stack again with the VanApiKeySecretArn parameter",
    ),
    "a secret that is not there": (
        (Scenario(), {"secrets": {}, "parameters": {"VanApiKeySecretArn": ELSEWHERE}}),
        "the function could not read the API key's secret (ResourceNotFoundException)",
        "VanApiKeySecretArn must be the secret's full ARN",
    ),
    "result IDs missing": (
        (Scenario(), {"result_ids": {"Canvassed": 14}}),
        "the bulk-import file was not written: no VAN result ID is configured for Deceased, Deliverability "
        "Error, Moved, Not Home, Other Language, Refused, Wrong Number (van.result_ids)",
        "Correct van.result_ids and van.contact_type_id in the configuration file",
    ),
}


@pytest.mark.parametrize(
    ("push_run", "reason", "check"),
    [(push_run, reason, check) for push_run, reason, check in CANNOT_START.values()],
    indirect=["push_run"],
    ids=list(CANNOT_START),
)
def test_a_push_that_cannot_start_asks_van_nothing_and_says_what_to_set(
    push_run: PushRun, reason: str, check: str
) -> None:
    run = push_run
    # Then VAN was never called, and the push stopped in Prepare, before any job
    assert list(run.van.api_requests()) == []
    assert run.task_errors("Prepare VAN Push") == [None]
    push = run.summary()["van_push"]
    assert (push["outcome"], push["reason"]) == ("not_sent", reason)
    # And the email says why and what to set, then how to record the calls by hand meanwhile
    steps = _steps(run.message)
    assert steps.index(f"Nothing was sent to NGP VAN: {reason}. {check}") < steps.index(WIZARD)
    assert run.execution["status"] == "FAILED" and run.execution["error"] == "VanPushFailed"
    _assert_everything_kept(run, bulk="result ID" not in reason)


@pytest.mark.parametrize("push_run", [WITH_ERRORS], indirect=True, ids=["completed with errors"])
def test_the_readme_shows_the_email_after_a_push_as_it_is_sent(push_run: PushRun) -> None:
    # Given the email of a push VAN answered with errors
    email = as_shown(f"Subject: {push_run.notification['subject']}\n\n{push_run.message}")

    # Then the README shows it word for word (PHONEBANK_UPDATE_README=1 rewrites it)
    block = _block("van push with errors")
    if os.environ.get("PHONEBANK_UPDATE_README"):
        README.write_text(
            block.sub(lambda m: m.group(1) + email + m.group(3), README.read_text(encoding="utf-8")),
            encoding="utf-8",
        )
    shown = block.search(README.read_text(encoding="utf-8"))
    assert shown is not None and shown.group(2) == email
