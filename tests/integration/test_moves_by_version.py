"""Move Input moves the version its run processed, and only that one: a newer upload of the same key is
never hidden behind a delete marker, deleted, or overwritten in archive/ by an older one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel

from phonebank.lambdas import run_for
from phonebank.storage import ObjectRef, S3Storage, StorageError

from .moto_helpers import (
    BUCKET,
    Function,
    current_keys,
    impactive_csv,
    load_event,
    object_versions,
    read,
    upload,
)

KEY = "incoming/calls.csv"
Functions = Callable[[str], Function]


def _archive(functions: Functions, event: dict[str, Any], status: str = "SUCCEEDED") -> str:
    request = {**load_event("move-input.json"), "event": event, "status": status}
    archived_to: str = functions("ArchiveFunction")(request)["archived_to"]
    return archived_to.removeprefix(f"s3://{BUCKET}/")


def _run_id(event: dict[str, Any]) -> str:
    return run_for(S3EventNotificationEventBridgeModel.model_validate(event)).run_id


def test_a_newer_upload_during_a_run_stays_current_when_the_older_one_is_archived(
    s3: Any, functions: Functions
) -> None:
    # Given v1 of calls.csv uploaded, and its run started (Validate Upload reads v1)
    first, second = impactive_csv(5, 0), impactive_csv(7, 0)
    v1 = upload(s3, KEY, first)
    validated = functions("ValidateFunction")(
        {**load_event("validate-upload.json"), "event": v1, "execution_id": "execution-1"}
    )
    assert validated["status"] == "VALID"
    # And v2 uploaded to the same key while that run goes on
    v2 = upload(s3, KEY, second)

    # When the first run moves its input
    moved = _archive(functions, v1)

    # Then v2 is still the current object in incoming/, with no delete marker over it
    assert read(s3, KEY) == second
    v2_version = v2["detail"]["object"]["version-id"]
    assert object_versions(s3, "incoming/") == {(KEY, v2_version, False)}
    # And v1 is in archive/, under its own run's name
    assert moved == f"archive/calls/{_run_id(v1)}/calls.csv"
    assert read(s3, moved) == first


def test_archiving_the_newer_upload_first_leaves_both_in_archive(s3: Any, functions: Functions) -> None:
    # Given two uploads of the same key whose runs end in the opposite order
    first, second = impactive_csv(5, 0), impactive_csv(7, 0)
    v1 = upload(s3, KEY, first)
    v2 = upload(s3, KEY, second)

    # When v2's run moves its input before v1's does
    moved_second = _archive(functions, v2)
    moved_first = _archive(functions, v1, status="REJECTED")

    # Then each is where its own run put it: the older never replaced the newer
    assert read(s3, moved_second) == second
    assert read(s3, moved_first) == first
    assert moved_second != moved_first.replace("failed/", "archive/")
    # And nothing is left under incoming/
    assert current_keys(s3, "incoming/") == set()
    assert object_versions(s3, "incoming/") == set()


def test_a_move_without_a_version_is_refused(s3: Any) -> None:
    # Given an object reference without a version (a bucket whose versioning was suspended, say)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"x")

    # When it is moved, then storage refuses rather than delete whatever version is current
    with pytest.raises(StorageError, match="no version id"):
        S3Storage(s3).move(ObjectRef(BUCKET, KEY), "archive/calls.csv")
    assert current_keys(s3) == {KEY}


def test_a_retried_move_finds_the_copy_its_first_attempt_made(s3: Any, functions: Functions) -> None:
    # Given an upload whose run moved it, with a name the event spells URL-encoded
    upload(s3, "incoming/GOTV Weekend/calls today.csv", impactive_csv(5, 0))
    event = upload(s3, "incoming/GOTV Weekend/calls today.csv", impactive_csv(6, 0))
    event["detail"]["object"]["key"] = "incoming/GOTV+Weekend/calls+today.csv"
    first = _archive(functions, event)

    # When Step Functions retries the step (its first attempt timed out after the move, say)
    again = _archive(functions, event)

    # Then the retry reports the same copy, and the other upload was left alone
    assert again == first
    assert current_keys(s3, "incoming/") == {"incoming/GOTV Weekend/calls today.csv"}
    assert read(s3, first) == impactive_csv(6, 0)
