"""The encoding rule on the Lambdas' path: the file is decided whole, reading ahead on S3 when needed."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest

from phonebank.problems import NOT_UTF8

from .moto_helpers import Function, impactive_csv, load_event, read, upload

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:PipelineStateMachine:encodings"


def test_a_utf8_file_whose_first_accent_is_a_stray_byte_is_read_as_utf8_rejecting_that_row_only(
    s3: Any, functions: Callable[[str], Function], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a UTF-8 export whose row 2 holds one Windows-1252 byte (0xF1) in its first name, and whose
    # only UTF-8 accent (Zoë, row 41) lies in a later chunk than the one where the stray byte is met
    monkeypatch.setattr("phonebank.reader.CHUNK_BYTES", 512)
    rows = [line.split(b",") for line in impactive_csv(40, 0).split(b"\r\n")]
    first_name = rows[0].index(b"First Name")
    rows[1][first_name] += b"\xf1"
    rows[40][first_name] = "Zoë".encode()
    event = upload(s3, "incoming/stray.csv", b"\r\n".join(b",".join(cells) for cells in rows))

    # When Validate Upload and Build Import Files run on it
    validated = functions("ValidateFunction")(
        {**load_event("validate-upload.json"), "event": event, "execution_id": EXECUTION}
    )
    result = functions("TransformFunction")(
        {key: validated[key] for key in load_event("build-import-files.json")}
    )

    # Then the file SUCCEEDED as UTF-8: row 2 alone rejected for its first name, the other 39 accepted
    assert result["status"] == "SUCCEEDED"
    assert validated["report"]["counts"]["rejected"] == 1
    assert validated["report"]["counts"]["accepted"] == 39
    errors = list(
        csv.reader(io.StringIO(read(s3, result["run"]["prefix"] + "errors.csv").decode("utf-8-sig")))
    )
    assert [row[:2] for row in errors[1:]] == [["2", f"First Name: {NOT_UTF8}"]]
    assert errors[1][errors[0].index("First Name")].endswith("\ufffd")
    # And the notification names the reason, not the row's cells
    assert "not valid UTF-8 text" in result["notification"]["message"]
