"""The export ledger on the local stack: uploads that overlap are exported once, across files and at once.

The ledger is the stack's own (ledger/ in the upload bucket, named by the transform function's
PHONEBANK_LEDGER_URI in template.yaml), as on AWS.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from phonebank.ledger import Ledger
from phonebank_local.stack import LocalStack

from .moto_helpers import IMPACTIVE_HEADER


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with LocalStack(log=io.StringIO()) as running:
        yield running


def _export(people: range, day: str) -> list[list[str]]:
    """Impactive rows: person n called on `day`, completed; each person has both IDs."""
    return [
        [
            f"OP-{70000 + n}",
            f"{300400500 + n}",
            "Quentin",
            "Zabriskie",
            f"(240) 231-{n:04d}",
            f"{day} 6:07 PM",
            "Completed",
            "GOTV Weekend 1",
            "vol@example.org",
            "61",
        ]
        for n in people
    ]


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(IMPACTIVE_HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _run_folder(stack: LocalStack, name: str) -> str:
    """`runs/<name>/<run id>/` of the one run of input `name`."""
    (summary,) = [key for key in stack.object_keys(f"runs/{name}/") if key.endswith("/summary.json")]
    return summary.removesuffix("summary.json")


def _summary(stack: LocalStack, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(stack.read(_run_folder(stack, name) + "summary.json"))
    return loaded


def _rows(stack: LocalStack, key: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(stack.read(key).decode("utf-8-sig"))))


def _organizer_calls(stack: LocalStack, name: str) -> list[tuple[str, str]]:
    """(Profile ID, Date/Time) of every row of the run's Organizer files."""
    folder = _run_folder(stack, name) + "organizer/"
    return [
        (row["Profile ID"], row["Date/Time"])
        for key in stack.object_keys(folder)
        for row in _rows(stack, key)
    ]


def _van_calls(stack: LocalStack, name: str) -> list[tuple[str, str]]:
    key = _run_folder(stack, name) + "van/van-canvass-results-by-name.csv"
    if key not in set(stack.object_keys(key)):
        return []
    return [(row["VanID"], row["Date Canvassed"]) for row in _rows(stack, key)]


def _upload_and_wait(stack: LocalStack, key: str, body: bytes, count: int) -> list[dict[str, Any]]:
    stack.upload(key, body)
    return stack.wait_for_executions(count)


def test_the_same_file_uploaded_twice_under_two_names_is_exported_once(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an export, uploaded once and imported
    body = _csv(_export(range(6), "10/11/2024"))
    _upload_and_wait(stack, "incoming/calls.csv", body, 1)
    first = _summary(stack, "calls")
    stack.notifications()

    # When the same file is uploaded again under another name
    executions = _upload_and_wait(stack, "incoming/calls (1).csv", body, 2)

    # Then the second run succeeds and writes no import file: every call counts as already exported
    assert executions[-1]["status"] == "SUCCEEDED"
    second = _summary(stack, "calls (1)")
    for system in ("organizer", "van"):
        assert second["systems"][system]["written"] == 0
        assert second["systems"][system]["already_exported"] == first["systems"][system]["written"] == 6
    assert _organizer_calls(stack, "calls (1)") == [] and _van_calls(stack, "calls (1)") == []
    # And already-exported.csv lists each call with the first run, and the email says so
    listed = _rows(stack, _run_folder(stack, "calls (1)") + "already-exported.csv")
    assert {row["exported_by_run"] for row in listed} == {first["ledger"]["run_id"]}
    assert {row["exported_from"] for row in listed} == {"s3://phonebank-local-uploads/incoming/calls.csv"}
    (email,) = stack.notifications()
    assert "already exported by an earlier run" in email["message"]
    assert f"run {first['ledger']['run_id']} (calls.csv): Organizer 6, NGP VAN 6" in email["message"]
    # And the transform function's metrics (EMF lines on its stdout) count them, for each system
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    counted = [m for m in metrics if "RowsAlreadyExportedOrganizer" in m]
    assert [(m["RowsAlreadyExportedOrganizer"], m["RowsAlreadyExportedVan"]) for m in counted] == [
        ([0], [0]),
        ([6], [6]),
    ]


def test_a_cumulative_export_exports_only_the_new_days_calls(stack: LocalStack) -> None:
    # Given yesterday's export, imported
    yesterday = _export(range(5), "10/10/2024")
    _upload_and_wait(stack, "incoming/yesterday.csv", _csv(yesterday), 1)

    # When today's export holds yesterday's rows and today's
    today = _export(range(5), "10/11/2024")
    _upload_and_wait(stack, "incoming/to-date.csv", _csv(yesterday + today), 2)

    # Then its files hold today's calls only, each once
    expected = {(f"OP-{70000 + n}", "2024-10-11 18:07") for n in range(5)}
    calls = _organizer_calls(stack, "to-date")
    assert sorted(calls) == sorted(expected)
    assert {date for _, date in _van_calls(stack, "to-date")} == {"10/11/2024"}
    assert _summary(stack, "to-date")["systems"]["van"]["already_exported"] == 5


def test_two_overlapping_uploads_at_once_export_each_call_once(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two exports that share half their calls, and both runs held at the same point of their claim
    # (each has written its claim and read the others') until both are there
    together = threading.Barrier(2, timeout=60)
    original = Ledger._markers

    def both_at_once(ledger: Ledger) -> Any:
        markers = original(ledger)
        together.wait()
        return markers

    monkeypatch.setattr(Ledger, "_markers", both_at_once)
    first, second = _export(range(0, 40), "10/11/2024"), _export(range(20, 60), "10/11/2024")

    # When both are uploaded at once
    stack.upload("incoming/team-a.csv", _csv(first))
    stack.upload("incoming/team-b.csv", _csv(second))
    executions = stack.wait_for_executions(2)

    # Then both runs succeed, and each of the 60 calls is in exactly one run's files, for each system
    assert [execution["status"] for execution in executions] == ["SUCCEEDED", "SUCCEEDED"]
    for calls in (_organizer_calls, _van_calls):
        written = calls(stack, "team-a") + calls(stack, "team-b")
        assert len(written) == len(set(written)) == 60
    # And what one run left out, the other wrote and recorded
    a, b = _summary(stack, "team-a"), _summary(stack, "team-b")
    left_out = {e["run_id"] for s in (a, b) for e in s["ledger"]["already_exported"]}
    assert left_out <= {a["ledger"]["run_id"], b["ledger"]["run_id"]}
    assert a["systems"]["organizer"]["already_exported"] + b["systems"]["organizer"]["already_exported"] == 20


def test_a_void_run_is_exported_again_by_the_next_upload(stack: LocalStack) -> None:
    # Given a run whose files were never imported
    body = _csv(_export(range(4), "10/11/2024"))
    _upload_and_wait(stack, "incoming/calls.csv", body, 1)
    run_id = _summary(stack, "calls")["ledger"]["run_id"]
    (email,) = stack.notifications()
    assert (
        f"create the folder ledger/void/<run id>/ in the bucket phonebank-local-uploads (this run: {run_id})"
        in (email["message"])
    )

    # When the data manager voids it, as the email says (the console's "Create folder"), and uploads again
    stack.upload(f"ledger/void/{run_id}/", b"")
    _upload_and_wait(stack, "incoming/calls again.csv", body, 2)

    # Then the new run exports every call again
    assert sorted(_organizer_calls(stack, "calls again")) == sorted(_organizer_calls(stack, "calls"))
    assert _summary(stack, "calls again")["systems"]["organizer"]["already_exported"] == 0


def test_a_run_that_fails_after_writing_its_files_records_nothing_and_the_next_upload_exports(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a failure between writing the import files and recording them in the ledger
    def fails(ledger: Ledger, claim: Any) -> None:
        raise RuntimeError("the commit failed")

    monkeypatch.setattr(Ledger, "commit", fails)
    body = _csv(_export(range(4), "10/11/2024"))

    # When an export is uploaded
    (failed,) = _upload_and_wait(stack, "incoming/calls.csv", body, 1)

    # Then the run wrote its files but ends in the pipeline's error email, which says to import none
    folder = next(iter(stack.object_keys("runs/calls/"))).rsplit("/", 1)[0] + "/"
    assert any(key.startswith(folder + "organizer/") for key in stack.object_keys(folder))
    assert failed["status"] == "FAILED"
    (email,) = stack.notifications()
    assert "import no file of this run" in email["message"]
    # And the ledger holds nothing for it: the next upload of the same file exports every call
    monkeypatch.undo()
    _upload_and_wait(stack, "incoming/calls retried.csv", body, 2)
    retried = _summary(stack, "calls retried")
    assert retried["systems"]["organizer"]["written"] == 4
    assert retried["systems"]["organizer"]["already_exported"] == 0
