"""Each Lambda handler on moto S3 with the events/ fixtures: what it writes, what it returns, how it fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel

from phonebank.errors import StorageUnavailable
from phonebank.lambdas import run_for
from phonebank.models.payloads import ArchiveRequest, StepResult, TransformRequest, ValidateRequest
from phonebank.notify import console_link
from phonebank.sinks import OpenFiles
from phonebank.storage import S3Storage, StorageError
from phonebank.validate import VALIDATED_PART
from phonebank_local.stack import REGION

from .moto_helpers import (
    BUCKET,
    IMPACTIVE_SAMPLE,
    Function,
    current_keys,
    impactive_csv,
    load_event,
    object_versions,
    read,
    read_json,
    throttle,
    upload,
)

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:PipelineStateMachine:"
SAMPLE_KEY = "incoming/impactive-sample.csv"
Functions = Callable[[str], Function]


def _validate_request(event: dict[str, Any], execution: str = "first") -> dict[str, Any]:
    request = load_event("validate-upload.json")
    return {**request, "event": event, "execution_id": EXECUTION + execution}


def _archive_request(event: dict[str, Any], status: str) -> dict[str, Any]:
    return {**load_event("move-input.json"), "event": event, "status": status}


def _run_files(s3: Any, result: dict[str, Any]) -> set[str]:
    prefix = result["run"]["prefix"]
    return {key.removeprefix(prefix) for key in current_keys(s3, prefix)}


@pytest.mark.parametrize(
    ("fixture", "model"),
    [
        ("validate-upload.json", ValidateRequest),
        ("build-import-files.json", TransformRequest),
        ("move-input.json", ArchiveRequest),
    ],
)
def test_each_state_input_fixture_is_a_valid_request(fixture: str, model: type[Any]) -> None:
    # Given the input of one state, as events/ holds it
    # When it is read as the handler reads it
    request = model.model_validate(load_event(fixture))

    # Then it parses, the upload event AWS-shaped (etag and version id present)
    event = getattr(request, "event", None)
    if event is not None:
        assert event.detail.object.etag
        assert event.detail.object.version_id


def test_validate_writes_the_reports_and_the_validated_rows_and_returns_the_counts(
    s3: Any, functions: Functions
) -> None:
    # Given the Impactive sample uploaded to incoming/
    event = upload(s3, SAMPLE_KEY, IMPACTIVE_SAMPLE.read_bytes())

    # When Validate Upload runs on its event
    result = functions("ValidateFunction")(_validate_request(event))

    # Then the file is VALID with the sample's counts, under a prefix of its own
    assert result["status"] == "VALID"
    assert result["report"]["counts"] == {
        "rows_read": 82,
        "accepted": 77,
        "rejected": 3,
        "duplicates": 1,
        "not_dialed": 1,
    }
    assert result["run"]["prefix"] == f"runs/impactive-sample/{result['run']['run_id']}/"
    assert result["run"]["work_prefix"] == f"work/impactive-sample/{result['run']['run_id']}/"
    assert result["run"]["version_id"] == event["detail"]["object"]["version-id"]
    assert result["notification"] is None
    # And it wrote errors.csv (3 rows) and the duplicates for people, no import file yet, and the 77
    # validated rows under work/, which the bucket expires
    assert _run_files(s3, result) == {"_claim", "errors.csv", "duplicates.csv"}
    prefix = result["run"]["prefix"]
    assert len(read(s3, prefix + "errors.csv").decode("utf-8").splitlines()) == 1 + 3
    assert result["report"]["validated_parts"] == 1
    validated = read(s3, result["run"]["work_prefix"] + VALIDATED_PART.format(1))
    assert pl.read_parquet(validated).height == 77
    assert {file["name"] for file in result["report"]["files"]} == {"errors.csv", "duplicates.csv"}
    # And the result is what the state machine's next step accepts
    StepResult.model_validate(result)


@pytest.mark.parametrize(
    ("body", "status", "why"),
    [
        (impactive_csv(20, 10), "REJECTED", "of the rows have errors, over the limit"),
        (b"PK\x03\x04\x14\x00\x06\x00 binary workbook", "FAILED", "not a CSV"),
        (b"", "FAILED", "empty"),
    ],
    ids=["half-rejected", "binary", "empty"],
)
def test_validate_ends_a_rejected_or_unreadable_file_with_its_summary_and_notification(
    s3: Any, functions: Functions, body: bytes, status: str, why: str
) -> None:
    # Given a file with too many bad rows, or one that cannot be read at all
    event = upload(s3, "incoming/calls.csv", body)

    # When Validate Upload runs on it
    result = functions("ValidateFunction")(_validate_request(event))

    # Then the run ends here: the summary is written and the notification says what happened and why
    assert result["status"] == status
    assert read_json(s3, result["run"]["prefix"] + "summary.json")["status"] == status
    notification = result["notification"]
    assert notification["status"] == status
    assert notification["subject"] == f"phonebank-sync {status}: calls.csv"
    assert why in notification["message"]
    # And no import file is written
    assert not any(name.startswith(("organizer/", "van/")) for name in _run_files(s3, result))


def test_transform_writes_the_import_files_and_the_summary(s3: Any, functions: Functions) -> None:
    # Given the sample validated, and Build Import Files' input as the state machine passes it
    event = upload(s3, SAMPLE_KEY, IMPACTIVE_SAMPLE.read_bytes())
    validated = functions("ValidateFunction")(_validate_request(event))
    request = {key: validated[key] for key in load_event("build-import-files.json")}

    # When Build Import Files runs
    result = functions("TransformFunction")(request)

    # Then it SUCCEEDED and wrote the Organizer and VAN files and the summary, in the same run's folder
    assert result["status"] == "SUCCEEDED"
    files = _run_files(s3, result)
    assert any(name.startswith("organizer/") for name in files)
    assert any(name.startswith("van/") for name in files)
    summary = read_json(s3, result["run"]["prefix"] + "summary.json")
    assert summary["status"] == "SUCCEEDED"
    assert summary["counts"]["accepted"] == 77
    # And every file the summary lists is there, and the notification links it in the functions' region
    for listed in summary["files"]:
        assert listed["location"].removeprefix(f"s3://{BUCKET}/" + result["run"]["prefix"]) in files
        assert console_link(listed["location"], REGION) in result["notification"]["message"]
    subject = result["notification"]["subject"]
    assert subject == "phonebank-sync SUCCEEDED, 3 rows to fix: impactive-sample.csv"


@pytest.mark.parametrize(
    ("status", "folder"), [("SUCCEEDED", "archive/"), ("REJECTED", "failed/"), ("FAILED", "failed/")]
)
def test_archive_moves_the_uploaded_version_under_its_run(
    s3: Any, functions: Functions, status: str, folder: str
) -> None:
    # Given the sample uploaded to a versioned bucket
    event = upload(s3, SAMPLE_KEY, IMPACTIVE_SAMPLE.read_bytes())
    run_id = run_for(S3EventNotificationEventBridgeModel.model_validate(event)).run_id

    # When Move Input runs for a run that ended with `status`
    result = functions("ArchiveFunction")(_archive_request(event, status))

    # Then the input is in archive/ or failed/ under the run's name, with the same bytes
    moved = f"{folder}impactive-sample/{run_id}/impactive-sample.csv"
    assert result == {"archived_to": f"s3://{BUCKET}/{moved}"}
    assert read(s3, moved) == IMPACTIVE_SAMPLE.read_bytes()
    # And incoming/ holds neither the version nor a delete marker: that version was moved, nothing hidden
    assert object_versions(s3, "incoming/") == set()


@pytest.mark.parametrize(
    "event_key", ["incoming/GOTV Weekend 1/calls today.csv", "incoming/GOTV+Weekend+1/calls+today.csv"]
)
def test_archive_keeps_an_effort_folder_under_incoming(s3: Any, functions: Functions, event_key: str) -> None:
    # Given a file uploaded into an effort's folder, with spaces in its name, and an event that names
    # it as stored or URL-encoded (as S3 notifications do)
    event = upload(s3, "incoming/GOTV Weekend 1/calls today.csv", impactive_csv(5, 0))
    event["detail"]["object"]["key"] = event_key
    run_id = run_for(S3EventNotificationEventBridgeModel.model_validate(event)).run_id

    # When Move Input archives it
    result = functions("ArchiveFunction")(_archive_request(event, "SUCCEEDED"))

    # Then it lands in the same folder under archive/, in its run's folder
    moved = f"archive/GOTV Weekend 1/calls today/{run_id}/calls today.csv"
    assert result["archived_to"] == f"s3://{BUCKET}/{moved}"
    assert current_keys(s3) == {moved}


def test_the_same_event_twice_runs_once(s3: Any, functions: Functions) -> None:
    # Given the sample validated by a first execution
    event = upload(s3, SAMPLE_KEY, IMPACTIVE_SAMPLE.read_bytes())
    validate = functions("ValidateFunction")
    first = validate(_validate_request(event, "first"))
    written = object_versions(s3)

    # When a second execution delivers the same event
    second = validate(_validate_request(event, "second"))

    # Then it is a DUPLICATE of the first run, and nothing new is written, not even a new version
    assert first["status"] == "VALID"
    assert second["status"] == "DUPLICATE"
    assert second["run"] == first["run"]
    assert second["notification"] is None
    assert object_versions(s3) == written
    assert read(s3, first["run"]["prefix"] + "_claim").decode() == EXECUTION + "first"


def test_a_retry_of_the_same_execution_runs_again(s3: Any, functions: Functions) -> None:
    # Given a validation that wrote its files and then failed (say its response was lost)
    event = upload(s3, SAMPLE_KEY, IMPACTIVE_SAMPLE.read_bytes())
    validate = functions("ValidateFunction")
    first = validate(_validate_request(event, "first"))

    # When Step Functions retries it within the same execution
    retried = validate(_validate_request(event, "first"))

    # Then it is not taken for a duplicate: the step runs again and gives the same result
    assert retried["status"] == "VALID"
    assert retried["report"]["counts"] == first["report"]["counts"]


def test_a_new_upload_of_the_same_file_is_a_new_run(s3: Any, functions: Functions) -> None:
    # Given the sample validated once
    validate = functions("ValidateFunction")
    first = validate(_validate_request(upload(s3, SAMPLE_KEY, IMPACTIVE_SAMPLE.read_bytes()), "first"))

    # When the same bytes are uploaded again (a new object version) and delivered
    again = validate(_validate_request(upload(s3, SAMPLE_KEY, IMPACTIVE_SAMPLE.read_bytes()), "second"))

    # Then the second upload is processed, in a run of its own
    assert again["status"] == "VALID"
    assert again["run"]["run_id"] != first["run"]["run_id"]


@pytest.mark.parametrize(
    ("function", "operation"),
    [
        ("ValidateFunction", "PutObject"),
        ("ValidateFunction", "HeadObject"),
        ("ValidateFunction", "GetObject"),
        ("ValidateFunction", "CreateMultipartUpload"),
        ("TransformFunction", "GetObject"),
        ("TransformFunction", "CreateMultipartUpload"),
        ("ArchiveFunction", "HeadObject"),
        ("ArchiveFunction", "CopyObject"),
        ("ArchiveFunction", "DeleteObject"),
    ],
)
def test_a_throttled_s3_is_a_storage_unavailable_error(
    s3: Any, functions: Functions, function: str, operation: str
) -> None:
    # Given the sample uploaded, and validated when the function under test needs it
    event = upload(s3, SAMPLE_KEY, IMPACTIVE_SAMPLE.read_bytes())
    requests = {
        "ValidateFunction": lambda: _validate_request(event),
        "TransformFunction": lambda: {
            key: value
            for key, value in functions("ValidateFunction")(_validate_request(event)).items()
            if key in ("run", "report")
        },
        "ArchiveFunction": lambda: _archive_request(event, "SUCCEEDED"),
    }
    request = requests[function]()
    handler = functions(function)

    # When S3 answers `operation` with 503 SlowDown
    throttle(handler.s3_client, operation)

    # Then the handler raises StorageUnavailable, the error the state machine retries
    with pytest.raises(StorageUnavailable, match="SlowDown"):
        handler(request)


def test_a_refused_s3_request_is_not_retried(s3: Any, functions: Functions) -> None:
    # Given an event for an object that was never uploaded
    event = load_event("s3-object-created.json")

    # When Validate Upload runs on it
    # Then it fails with StorageError, which the state machine does not retry
    with pytest.raises(StorageError, match="no longer there"):
        functions("ValidateFunction")(_validate_request(event))


def test_a_part_upload_throttled_mid_file_is_a_storage_unavailable_error(s3: Any) -> None:
    # Given a CSV output on S3 larger than one multipart part, opened as the steps open theirs
    folder = S3Storage(s3).folder(BUCKET, "runs/big/")
    throttle(s3, "UploadPart")
    rows = pl.DataFrame({f"column {n}": ["x" * 1000] * 1000 for n in range(10)})

    # When S3 throttles the part upload that a write sets off mid-file
    # Then that write fails with StorageUnavailable, and the file is not created
    with pytest.raises(StorageUnavailable, match="SlowDown"), OpenFiles() as files:
        output = files.open_csv(folder, "big.csv", ["column"] * 10)
        output.write_frame(rows)
    assert current_keys(s3, "runs/") == set()
    # And its upload is aborted, so no part is left to pay for
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_an_output_whose_completion_is_throttled_is_aborted(s3: Any) -> None:
    # Given an output file on S3, and S3 throttling the call that completes an upload
    folder = S3Storage(s3).folder(BUCKET, "runs/small/")
    throttle(s3, "CompleteMultipartUpload")

    # When the file is written and closed
    # Then closing it fails with StorageUnavailable, the file is not created and its upload is aborted
    with pytest.raises(StorageUnavailable, match="SlowDown"), folder.create("summary.json") as out:
        out.write(b"{}")
    assert current_keys(s3, "runs/") == set()
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
