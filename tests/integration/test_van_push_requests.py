"""The VAN push's requests on the local stack: throttled, refused, unclear or never made; the key in none."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from fake_van import RESULT_IDS, Scenario

from .van_push_helpers import (
    APP,
    KEY,
    WITH_ERRORS,
    PushRun,
    _assert_everything_kept,
    _counts,
    _steps,
)

WIZARD = "In NGP VAN's Bulk Upload wizard, upload van/van-canvass-results-by-name.csv"


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
