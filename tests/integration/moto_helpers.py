"""Helpers for tests on moto: AWS-shaped events, the functions loaded as Lambda loads them, S3 checks."""

from __future__ import annotations

import copy
import csv
import importlib.util
import io
import json
import sys
from typing import Any

from botocore.awsrequest import AWSResponse

from phonebank_local.shims import LambdaContext
from phonebank_local.stack import BUCKET
from phonebank_local.template import ROOT, Template

EVENTS = ROOT / "events"
IMPACTIVE_SAMPLE = EVENTS / "impactive-sample.csv"
THRUTALK_SAMPLE = EVENTS / "thrutalk-sample.csv"
IMPACTIVE_HEADER = [
    "Profile ID",
    "VAN ID",
    "First Name",
    "Last Name",
    "Phone Number",
    "Last Called At",
    "Call Outcome",
    "Effort Name",
    "Caller",
    "Call Duration",
]


def load_event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return loaded


FIRST_NAMES = ["Quentin", "Imogen", "Bartholomew", "Xiomara", "Leopold", "Ysolde", "Thaddeus", "Wilhelmina"]
LAST_NAMES = ["Zabriskie", "Featherstonehaugh", "Okonkwo", "Vasquez-Delgado", "Thornbury", "Marchetti"]


def impactive_csv(rows: int, bad: int) -> bytes:
    """An Impactive export of `rows` completed calls, the first `bad` with an outcome nobody configured."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(IMPACTIVE_HEADER)
    for n in range(rows):
        writer.writerow(
            [
                f"OP-{70000 + n}",
                f"{300400500 + n}",
                FIRST_NAMES[n % len(FIRST_NAMES)],
                LAST_NAMES[n % len(LAST_NAMES)],
                f"(240) 555-{n % 100:04d}",
                "10/11/2024 6:07 PM",
                "Hung Up Angrily" if n < bad else "Completed",
                "GOTV Weekend 1",
                "vol@example.org",
                "61",
            ]
        )
    return buffer.getvalue().encode("utf-8")


class Function:
    """One function's app.py, imported fresh (a cold start) inside the mock, as Lambda would run it."""

    def __init__(self, logical_id: str) -> None:
        (spec,) = [spec for spec in Template().functions() if spec.logical_id == logical_id]
        module_name, self._handler_name = spec.handler.rsplit(".", 1)
        loader = importlib.util.spec_from_file_location(
            f"tests_{logical_id}_{id(self)}", spec.code_dir / f"{module_name}.py"
        )
        assert loader is not None and loader.loader is not None
        self.module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(self.module)
        self.context = LambdaContext(logical_id)

    @property
    def s3_client(self) -> Any:
        return self.module.runtime.storage.client

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = getattr(self.module, self._handler_name)(copy.deepcopy(event), self.context)
        return result


def upload(s3: Any, key: str, body: bytes) -> dict[str, Any]:
    """Put `body` at `key` and return the S3 Object Created event for that version, AWS-shaped."""
    version_id = s3.put_object(Bucket=BUCKET, Key=key, Body=body)["VersionId"]
    head = s3.head_object(Bucket=BUCKET, Key=key, VersionId=version_id)
    event = load_event("s3-object-created.json")
    event["detail"]["bucket"]["name"] = BUCKET
    event["detail"]["object"].update(
        {"key": key, "size": len(body), "etag": head["ETag"].strip('"'), "version-id": version_id}
    )
    return event


def object_versions(s3: Any, prefix: str = "") -> set[tuple[str, str, bool]]:
    """Every version and delete marker under `prefix`: (key, version id, is a delete marker)."""
    listed = s3.list_object_versions(Bucket=BUCKET, Prefix=prefix)
    return {(v["Key"], v["VersionId"], False) for v in listed.get("Versions", [])} | {
        (m["Key"], m["VersionId"], True) for m in listed.get("DeleteMarkers", [])
    }


def current_keys(s3: Any, prefix: str = "") -> set[str]:
    return {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])}


def read(s3: Any, key: str) -> bytes:
    body: bytes = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return body


def throttle(client: Any, operation: str) -> None:
    """Make every `operation` call of `client` fail as S3 does when throttled: 503 SlowDown.

    botocore's before-call event short-circuits the request, so the error takes botocore's own path
    into a ClientError, whichever library (boto3's transfer manager, smart_open, Powertools) made it.
    """
    parsed = {
        "Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."},
        "ResponseMetadata": {"HTTPStatusCode": 503},
    }

    def respond(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("https://s3.amazonaws.com", 503, {}, None), parsed

    client.meta.events.register(f"before-call.s3.{operation}", respond, unique_id=f"throttle-{operation}")


def read_json(s3: Any, key: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(read(s3, key))
    return loaded


class CurrentStdout:
    """Whatever sys.stdout is at each write, as for print(): pytest swaps it between a test's phases."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()
