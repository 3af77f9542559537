"""The whole flow on the local moto stack: an S3 drop starts the state machine, which ends in a notification.

Retries really wait (IntervalSeconds 1, full jitter), so one execution covers the transient failure of all
three Lambdas.
"""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from moto.sns.exceptions import InvalidParameterValue
from moto.sns.models import SNSBackend

from phonebank.errors import StorageUnavailable
from phonebank.notify import console_link
from phonebank_local.stack import REGION, LocalStack

from .moto_helpers import BUCKET, IMPACTIVE_SAMPLE, impactive_csv, object_versions

SAMPLE_KEY = "incoming/impactive-sample.csv"
LAMBDA_STATES = {
    "ValidateFunction": "Validate Upload",
    "TransformFunction": "Build Import Files",
    "ArchiveFunction": "Move Input",
}
# Written for the pipeline itself, not for a person to open: the email need not list them.
INTERNAL_FILES = ("_claim", "summary.json")


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with LocalStack(log=io.StringIO()) as running:
        yield running


def _drop(stack: LocalStack, key: str, body: bytes) -> dict[str, Any]:
    """Upload `body` to `key`, as a user would, and return the execution it started, once it ended."""
    stack.upload(key, body)
    (execution,) = stack.wait_for_executions()
    return execution


def _run_keys(stack: LocalStack, name: str) -> set[str]:
    return set(stack.object_keys(f"runs/{name}/"))


def _only_key(stack: LocalStack, prefix: str) -> str:
    (key,) = stack.object_keys(prefix)
    return key


def _task_outcomes(stack: LocalStack, execution: dict[str, Any]) -> dict[str, list[tuple[str, str | None]]]:
    """Each state's task attempts, in order: ("failed", error) or ("succeeded", None)."""
    outcomes: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    state = ""
    for event in stack.history(execution["executionArn"]):
        state = event.get("stateEnteredEventDetails", {}).get("name", state)
        if event["type"] == "TaskFailed":
            outcomes[state].append(("failed", event["taskFailedEventDetails"]["error"]))
        elif event["type"] == "TaskSucceeded":
            outcomes[state].append(("succeeded", None))
    return outcomes


def _assert_imported(stack: LocalStack, execution: dict[str, Any]) -> None:
    """The sample's run succeeded: its import files, its summary and exactly one SUCCEEDED notification."""
    assert execution["status"] == "SUCCEEDED"
    keys = _run_keys(stack, "impactive-sample")
    (prefix,) = {key.rsplit("/", 1)[0] + "/" for key in keys if key.endswith("/summary.json")}
    files = {key.removeprefix(prefix) for key in keys}
    assert any(name.startswith("organizer/") for name in files)
    assert any(name.startswith("van/") for name in files)
    assert json.loads(stack.read(prefix + "summary.json"))["status"] == "SUCCEEDED"
    # And the input moved from incoming/ to archive/
    assert set(stack.object_keys("incoming/")) == set()
    assert stack.read(prefix.replace("runs/", "archive/", 1) + "impactive-sample.csv") == (
        IMPACTIVE_SAMPLE.read_bytes()
    )
    # And one email says so, with the counts and where every file it wrote is
    (notification,) = stack.notifications()
    assert notification["attributes"] == {"status": "SUCCEEDED"}
    assert "SUCCEEDED" in notification["subject"]
    assert "impactive-sample.csv" in notification["subject"]
    message = notification["message"]
    counts = dict(
        re.findall(r"^ +(read|accepted|rejected|duplicates|not dialed) +([\d,]+)", message, re.MULTILINE)
    )
    assert counts == {"read": "82", "accepted": "77", "rejected": "3", "duplicates": "1", "not dialed": "1"}
    # And a link to each file it wrote, which opens the file's page in the S3 console
    listed = {
        console_link(f"s3://{BUCKET}/{prefix}{name}", REGION) for name in files if name not in INTERNAL_FILES
    }
    assert {link for link in listed if link in message} == listed


def test_a_dialer_export_dropped_into_incoming_is_imported_and_notified(stack: LocalStack) -> None:
    # Given the local stack
    # When the Impactive sample is dropped into incoming/
    execution = _drop(stack, SAMPLE_KEY, IMPACTIVE_SAMPLE.read_bytes())

    # Then the run wrote the import files and the summary, archived the input and sent one email
    _assert_imported(stack, execution)


def test_a_file_with_too_many_bad_rows_is_rejected_without_import_files(stack: LocalStack) -> None:
    # Given a file where half the rows have an outcome nobody configured
    body = impactive_csv(20, 10)

    # When it is dropped into incoming/
    execution = _drop(stack, "incoming/half-bad.csv", body)

    # Then the execution ends as rejected, with errors.csv and no Organizer or VAN file at all
    assert execution["status"] == "FAILED"
    assert execution["error"] == "FileRejected"
    files = {key.split("/", 3)[3] for key in _run_keys(stack, "half-bad")}
    assert "errors.csv" in files
    assert not any(name.startswith(("organizer/", "van/")) for name in files)
    # And the input is in failed/
    assert set(stack.object_keys("incoming/")) == set()
    assert stack.read(_only_key(stack, "failed/half-bad/")) == body
    # And one REJECTED email says why and what to do
    (notification,) = stack.notifications()
    assert notification["attributes"] == {"status": "REJECTED"}
    assert notification["subject"] == "phonebank-sync REJECTED: half-bad.csv"
    assert "Call Outcome: is not an outcome we know" in notification["message"]
    assert "50.0%" in notification["message"]
    assert "Nothing was imported: 50.0% of the rows have errors" in notification["message"]


@pytest.mark.parametrize(
    ("name", "body", "why"),
    [
        ("calls.xlsx", b"PK\x03\x04\x14\x00\x06\x00 a workbook", "not a CSV"),
        ("calls.csv", b"\n\n", "no data"),
    ],
    ids=["binary", "blank"],
)
def test_an_unreadable_file_fails_with_a_notification_and_is_kept_in_failed(
    stack: LocalStack, name: str, body: bytes, why: str
) -> None:
    # Given a file that is not a dialer export at all
    # When it is dropped into incoming/
    execution = _drop(stack, f"incoming/{name}", body)

    # Then the execution fails as an unreadable input, and the input is in failed/
    assert execution["status"] == "FAILED"
    assert execution["error"] == "InputFileError"
    assert set(stack.object_keys("incoming/")) == set()
    assert stack.read(_only_key(stack, "failed/")) == body
    # And one FAILED email says why
    (notification,) = stack.notifications()
    assert notification["attributes"] == {"status": "FAILED"}
    assert notification["subject"] == f"phonebank-sync FAILED: {name}"
    assert why in notification["message"]


def test_a_transient_failure_in_each_lambda_is_retried_to_success(stack: LocalStack) -> None:
    # Given each function fails with StorageUnavailable on its first call, after doing its work
    calls: dict[str, int] = defaultdict(int)
    for function, real in dict(stack.handlers).items():

        def flaky(event: dict[str, Any], context: Any, function: str = function, real: Any = real) -> Any:
            calls[function] += 1
            result = real(event, context)
            if calls[function] == 1:
                raise StorageUnavailable("S3 was unavailable (SlowDown); retrying helps")
            return result

        stack.handlers[function] = flaky

    # When the sample is dropped into incoming/
    execution = _drop(stack, SAMPLE_KEY, IMPACTIVE_SAMPLE.read_bytes())

    # Then the history shows, for each Lambda task, a failed attempt and then a succeeded one
    outcomes = _task_outcomes(stack, execution)
    for function, state in LAMBDA_STATES.items():
        assert outcomes[state] == [("failed", "StorageUnavailable"), ("succeeded", None)], function
        assert calls[function] == 2, function
    # And the run ends as if nothing had happened: one set of outputs, one SUCCEEDED email
    _assert_imported(stack, execution)


@pytest.mark.parametrize(
    ("function", "kept_in"),
    [("TransformFunction", "failed/"), ("ArchiveFunction", "incoming/")],
    ids=["transform", "archive"],
)
def test_a_permanent_failure_notifies_and_keeps_the_input(
    stack: LocalStack, function: str, kept_in: str
) -> None:
    # Given a function that fails every time with an error the state machine does not retry
    def broken(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError("the disk is on fire")

    stack.handlers[function] = broken

    # When the sample is dropped into incoming/
    execution = _drop(stack, SAMPLE_KEY, IMPACTIVE_SAMPLE.read_bytes())

    # Then the execution fails after one attempt of the broken task, through "Notify Pipeline Error"
    assert execution["status"] == "FAILED"
    assert execution["error"] == "PipelineError"
    assert _task_outcomes(stack, execution)[LAMBDA_STATES[function]] == [("failed", "RuntimeError")]
    assert _task_outcomes(stack, execution)["Notify Pipeline Error"] == [("succeeded", None)]
    # And one FAILED email names the file and what failed
    (notification,) = stack.notifications()
    assert notification["attributes"] == {"status": "FAILED"}
    assert "FAILED" in notification["subject"]
    assert f"s3://{BUCKET}/{SAMPLE_KEY}" in notification["message"]
    assert "RuntimeError" in notification["message"]
    # And the input is kept, in failed/ when it could be moved, else still in incoming/
    assert stack.read(_only_key(stack, kept_in)) == IMPACTIVE_SAMPLE.read_bytes()


def test_a_result_sns_refuses_to_publish_still_ends_in_a_failure_email(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given SNS refusing the result email (AWS refuses, say, a subject it finds invalid; moto never does)
    publish = SNSBackend.publish

    def refuse_results(backend: SNSBackend, message: str, *args: Any, **kwargs: Any) -> str:
        if "SUCCEEDED" in (kwargs.get("subject") or ""):
            raise InvalidParameterValue("Invalid parameter: Subject")
        return publish(backend, message, *args, **kwargs)

    monkeypatch.setattr(SNSBackend, "publish", refuse_results)

    # When a file whose name is not ASCII is imported
    execution = _drop(stack, "incoming/llamadas-año-nuevo.csv", impactive_csv(5, 0))

    # Then the result could not be sent, and the failure email, with its fixed subject, went out instead
    assert execution["status"] == "FAILED"
    assert _task_outcomes(stack, execution)["Notify Pipeline Error"] == [("succeeded", None)]
    (notification,) = stack.notifications()
    assert notification["attributes"] == {"status": "FAILED"}
    assert "llamadas-año-nuevo.csv" in notification["message"]
    assert "archive/" in notification["message"]


def test_the_same_upload_delivered_twice_runs_once(stack: LocalStack) -> None:
    # Given the sample imported once
    first = _drop(stack, SAMPLE_KEY, IMPACTIVE_SAMPLE.read_bytes())
    _assert_imported(stack, first)
    versions = object_versions(stack.s3)

    # When EventBridge delivers the same event again
    stack.sfn.start_execution(
        stateMachineArn=stack.state_machine_arn, name="redelivered", input=first["input"]
    )
    executions = stack.wait_for_executions(count=2)

    # Then the second execution stops as already processed
    second = next(e for e in executions if e["executionArn"] != first["executionArn"])
    assert second["status"] == "SUCCEEDED"
    states = {
        e.get("stateEnteredEventDetails", {}).get("name") for e in stack.history(second["executionArn"])
    }
    assert "Already Processed" in states
    assert not states & {"Build Import Files", "Move Input", "Notify Result"}
    # And nothing was written again, not even a new version, and no second email was sent
    assert object_versions(stack.s3) == versions
    assert stack.notifications() == []
