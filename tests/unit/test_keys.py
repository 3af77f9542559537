"""What an uploaded object's key tells the run: the effort a folder names, and the run's own name."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel

from phonebank.lambdas import effort_from_key, run_for


def _event(key: str) -> S3EventNotificationEventBridgeModel:
    return S3EventNotificationEventBridgeModel.model_validate(
        {
            "version": "0",
            "id": "1",
            "detail-type": "Object Created",
            "source": "aws.s3",
            "account": "123456789012",
            "time": "2024-10-13T02:15:07Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {
                "version": "0",
                "bucket": {"name": "uploads"},
                "object": {"key": key, "size": 0, "etag": "e", "version-id": "v", "sequencer": "1"},
                "request-id": "r",
                "requester": "123456789012",
                "source-ip-address": "203.0.113.10",
                "reason": "PutObject",
            },
        }
    )


@pytest.mark.parametrize(
    ("key", "effort"),
    [
        ("incoming/GOTV Weekend 1/calls.csv", "GOTV Weekend 1"),
        ("incoming/GOTV/nested/calls.csv", "GOTV"),
        ("incoming/calls.csv", None),
        ("incoming/", None),
        ("incoming//x.csv", None),
        ("incoming/./x.csv", None),
        ("incoming/../config/x.csv", None),
        ('incoming/=HYPERLINK("http://evil.example","x")/calls.csv', None),
        ("incoming/+cmd/calls.csv", None),
        ("incoming/-2+3/calls.csv", None),
        ("incoming/@SUM(1+1)/calls.csv", None),
        ("incoming/\tTab/calls.csv", None),
        ("incoming/\rReturn/calls.csv", None),
        ("incoming/Weekend = GOTV/calls.csv", "Weekend = GOTV"),
    ],
)
def test_only_a_real_folder_name_that_is_no_formula_names_an_effort(key: str, effort: str | None) -> None:
    # When the effort is read from the key, then a folder gives it unless it is no name or a formula
    assert effort_from_key(key) == effort


@pytest.mark.parametrize(
    ("key", "prefix"),
    [
        ("incoming/calls.csv", "runs/calls/"),
        ("incoming/GOTV/calls.csv", "runs/GOTV/calls/"),
        ("incoming//calls.csv", "runs/calls/"),
        ("incoming/../config/calls.csv", "runs/config/calls/"),
        ("incoming/", "runs/unnamed/"),
        ("incoming/effort1/", "runs/effort1/"),
    ],
)
def test_a_runs_name_has_no_empty_or_dot_parts_and_any_key_has_one(key: str, prefix: str) -> None:
    # When a run is named after an odd key, the folder marker and incoming/ itself included
    run = run_for(_event(key))
    # Then its folders are the key's real names, and nothing raises
    assert run.prefix.startswith(prefix)
    assert run.prefix == f"{prefix}{run.run_id}/"
    assert run.work_prefix == f"work/{prefix.removeprefix('runs/')}{run.run_id}/"
