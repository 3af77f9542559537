"""No log line of any function carries a phone number or a name from the input it processed."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from phonebank.observability import UnexpectedError

from .moto_helpers import IMPACTIVE_SAMPLE, THRUTALK_SAMPLE, Function, impactive_csv, upload

Logs = Callable[[], list[str]]
Functions = Callable[[str], Function]
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:PipelineStateMachine:logs"
# A phone number however it is spelled: digits with spaces, dots, dashes, parentheses, a leading +.
PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


@dataclass(frozen=True)
class PersonalData:
    """The phone numbers (as written and as 10 digits) and the names of one input file."""

    phones: frozenset[str]
    phone_digits: frozenset[str]
    names: frozenset[str]

    @classmethod
    def of(cls, body: bytes) -> PersonalData:
        text = body.decode("utf-8") if _is_utf8(body) else body.decode("cp1252")
        rows = list(csv.DictReader(io.StringIO(text)))
        columns = list(rows[0])
        phone_columns = [c for c in columns if "phone" in c.lower()]
        name_columns = [c for c in columns if re.search(r"(first|last) name", c, re.IGNORECASE)]
        assert phone_columns and len(name_columns) == 2, f"no phone or name columns in {columns}"
        phones = {row[c].strip() for row in rows for c in phone_columns if row[c].strip()}
        names = {row[c].strip() for row in rows for c in name_columns if len(row[c].strip()) > 1}
        return cls(frozenset(phones), frozenset(filter(None, map(_ten_digits, phones))), frozenset(names))

    def leaks(self, line: str) -> list[str]:
        """What of this input the log line shows, read raw and JSON-decoded (so \\u00e9 is é)."""
        texts = [line, *_decoded(line)]
        found = [phone for phone in self.phones for text in texts if phone in text]
        found += [digits for digits in self.phone_digits for text in texts if digits in text]
        found += [
            digits
            for text in texts
            for token in PHONE_LIKE.findall(text)
            if (digits := _ten_digits(token)) in self.phone_digits
        ]
        found += [
            name
            for name in self.names
            for text in texts
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE)
        ]
        return found


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _ten_digits(written: str) -> str | None:
    digits = re.sub(r"\D", "", written)
    digits = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    return digits if len(digits) == 10 else None


def _decoded(line: str) -> list[str]:
    try:
        return [json.dumps(json.loads(line), ensure_ascii=False)]
    except ValueError:
        return []


def _pipeline(functions: Functions, s3: Any, key: str, body: bytes) -> list[str]:
    """Validate, then transform when the file is VALID, then archive; return the statuses."""
    event = upload(s3, key, body)
    validated = functions("ValidateFunction")({"event": event, "execution_id": EXECUTION})
    statuses = [validated["status"]]
    if validated["status"] == "VALID":
        transformed = functions("TransformFunction")({"run": validated["run"], "report": validated["report"]})
        statuses.append(transformed["status"])
    functions("ArchiveFunction")({"event": event, "status": statuses[-1]})
    return statuses


def _bad_rows_file() -> bytes:
    """Rows wrong in every way a row can be, each still carrying a name and a phone number."""
    good = impactive_csv(6, 0).decode("utf-8").splitlines()
    bad = [
        "OP-1,100,Philippa,Quarrington,240.555.0199,10/11/2024 6:07 PM,Hung Up Angrily,GOTV,v@x.org,61",
        "OP-2,101,Evander,Holloway-Brandt,555-0198,10/11/2024 6:07 PM,Completed,GOTV,v@x.org,61",
        "OP-3,102,Marisol,Quarrington,(240) 555-0197,13/45/2024 6:07 PM,Completed,GOTV,v@x.org,61",
        "OP-4,103,Ignatius,Oyelaran,+1 240 555 0196,10/11/2024 6:07 PM,Completed,GOTV,v@x.org,forever",
        ",,Cordelia,Vantongeren,2405550195,10/11/2024 6:07 PM,Completed,GOTV,v@x.org,61",
        'OP-6,105,"Rafferty, Jr.",Oyelaran,240555019,10/11/2024 6:07 PM,Completed,GOTV,v@x.org,61',
    ]
    return "\n".join([*good, *bad, *good[1:]]).encode("utf-8") + b"\n"


def test_the_detector_finds_a_planted_phone_number_or_name() -> None:
    # Given the personal data of the Impactive sample
    data = PersonalData.of(IMPACTIVE_SAMPLE.read_bytes())
    logged = (
        '{"level":"INFO","message":"validate finished","counts":{"rows_read":82},"run_id":"88b6d953626fc837"}'
    )

    # Then a real log line shows none of it
    assert data.leaks(logged) == []
    # And a phone number, as written, as 10 digits or spelled another way, is found, as is a name
    assert {"301.555.0101", "3015550101"} <= set(data.leaks('{"message":"bad phone 301.555.0101"}'))
    assert "3015550101" in data.leaks('{"phone":"+13015550101"}')
    assert "3015550101" in data.leaks('{"message":"call (301) 555-0101 back"}')
    assert "Okafor" in data.leaks('{"message":"row of okafor"}')
    assert "Grace" in data.leaks('{"first_name":"Grace"}')
    # And a name JSON escapes (as Powertools may) is found too
    thrutalk = PersonalData.of(THRUTALK_SAMPLE.read_bytes())
    assert "André" in thrutalk.leaks('{"message":"Andr\\u00e9"}')


@pytest.mark.parametrize(
    "case",
    [
        ("impactive-sample.csv", IMPACTIVE_SAMPLE.read_bytes(), ["VALID", "SUCCEEDED"]),
        ("thrutalk-sample.csv", THRUTALK_SAMPLE.read_bytes(), ["VALID", "SUCCEEDED"]),
        ("bad-rows.csv", _bad_rows_file(), ["REJECTED"]),
    ],
    ids=["impactive", "thrutalk", "bad-rows"],
)
def test_no_log_line_carries_a_phone_number_or_a_name(
    s3: Any, functions: Functions, function_logs: Logs, case: tuple[str, bytes, list[str]]
) -> None:
    name, body, statuses = case
    # Given an input file and every phone number and name in it
    data = PersonalData.of(body)

    # When the functions process it
    assert _pipeline(functions, s3, f"incoming/{name}", body) == statuses

    # Then they logged (the capture works), and no line shows any of the input's people
    lines = function_logs()
    messages = {json.loads(line).get("message") for line in lines if line.startswith("{")}
    assert {"validate finished", "input moved"} <= messages
    assert ("transform finished" in messages) == ("SUCCEEDED" in statuses)
    assert [(line, data.leaks(line)) for line in lines if data.leaks(line)] == []


def test_an_unexpected_error_quoting_a_row_reaches_neither_the_log_nor_the_error(
    s3: Any, functions: Functions, function_logs: Logs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a bug that fails on a row with an error quoting its values
    body = IMPACTIVE_SAMPLE.read_bytes()
    data = PersonalData.of(body)
    event = upload(s3, "incoming/impactive-sample.csv", body)
    validate = functions("ValidateFunction")

    first_row = body.decode("utf-8").splitlines()[1]

    def choke(*_: Any, **__: Any) -> None:
        raise ValueError(f"cannot read row: {first_row}")

    monkeypatch.setattr(validate.module, "validate", choke)

    # When the function runs into it
    with pytest.raises(UnexpectedError) as raised:
        validate({"event": event, "execution_id": EXECUTION})

    # Then the error says only its type, and the log says where it came from, not what the row held
    assert data.leaks(str(raised.value)) == []
    lines = function_logs()
    assert any('"error_type":"ValueError"' in line for line in lines)
    assert [(line, data.leaks(line)) for line in lines if data.leaks(line)] == []
