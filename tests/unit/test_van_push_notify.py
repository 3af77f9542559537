"""The email after a push: every instruction true for what the push did, VAN's counts, the subject.

After VAN recorded the calls, uploading the VAN files by hand too would record them twice; when it is
not known what VAN recorded, the step is to look in VAN first. The by-hand steps stay only when VAN
recorded nothing of the run.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import ROOT

from phonebank.config import build_config
from phonebank.models.summary import LedgerRecord, OutputFile, Summary
from phonebank.models.van_push import VAN_ERRORS_FILE, PushOutcome, VanPushSummary
from phonebank.notify import notification_for, render

SUMMARY = Summary.model_validate_json((ROOT / "tests/golden/impactive/van-ids/summary.json").read_bytes())
WIZARD = "In NGP VAN's Bulk Upload wizard, upload van/van-canvass-results-by-name.csv"
BULK_BY_HAND = (
    "Or, instead of the wizard, give van/van-canvass-results-bulk-import.csv to VAN's bulk-import API"
)
PUSHES: dict[PushOutcome, dict[str, Any]] = {
    "completed": {"job_id": 9001, "job_status": "Completed", "records_sent": 55, "processed": 55},
    "completed_with_errors": {
        "job_id": 9001,
        "job_status": "CompletedWithErrors",
        "records_sent": 55,
        "processed": 52,
        "with_errors": 2,
        "missing": 1,
        "rows_not_recorded": 3,
    },
    "failed": {
        "job_id": 9001,
        "job_status": "Failed",
        "records_sent": 55,
        "reason": "VAN said: no file",
        "check": "Check in VAN.",
    },
    "not_sent": {"reason": "VanAuthRefused: VAN answered 401", "check": "Check the key."},
    "timed_out": {
        "job_id": 9001,
        "job_status": "InProgress",
        "records_sent": 55,
        "reason": "not finished",
        "check": "Check the job in VAN.",
    },
    "unknown": {"job_id": 9001, "records_sent": 55, "reason": "lost track", "check": "Check the job in VAN."},
}


def _summary(outcome: PushOutcome) -> Summary:
    push = VanPushSummary(outcome=outcome, **PUSHES[outcome])
    files = list(SUMMARY.files)
    if push.rows_not_recorded:
        files.append(
            OutputFile(system="report", name=VAN_ERRORS_FILE, location="out/van-errors.csv", records=3)
        )
    return SUMMARY.model_copy(update={"van_push": push, "files": files})


def _steps(outcome: PushOutcome) -> str:
    return render(_summary(outcome), build_config({})).split("\n\nRows\n")[0]


@pytest.mark.parametrize("outcome", ["completed", "completed_with_errors"])
def test_after_van_recorded_the_calls_no_step_says_to_upload_them_again(outcome: PushOutcome) -> None:
    steps = _steps(outcome)
    assert WIZARD not in steps and BULK_BY_HAND not in steps
    assert "Do not upload this run's VAN files by hand as well: VAN would record those calls twice." in steps
    # And the Organizer step is untouched
    assert (
        "In Organizer's phone-interaction import, import organizer/organizer-phone-interactions-01.csv"
        in steps
    )


def test_the_rows_van_did_not_record_are_a_step_of_their_own_with_their_file() -> None:
    steps = _steps("completed_with_errors")
    assert "recorded 52 of the 55 records of van/van-canvass-results-bulk-import.csv" in steps
    assert "Open van-errors.csv: it lists the 3 rows whose calls VAN did not record" in steps
    assert "out/van-errors.csv" in steps


GIVEN_BACK = "The export ledger no longer counts"
SEND_AGAIN = "upload van-errors.csv or the whole file again, and it sends those calls to VAN again"
BY_HAND = "Fix what the message names and record those calls in VAN by hand."


def _with_ledger(given_back: int | None) -> str:
    summary = _summary("completed_with_errors")
    push = summary.van_push.model_copy(update={"rows_given_back": given_back})  # type: ignore[union-attr]
    ledger = LedgerRecord(location="s3://uploads/ledger/", run_id="0123456789abcdef", already_exported=[])
    return render(summary.model_copy(update={"van_push": push, "ledger": ledger}), build_config({}))


def test_rows_whose_calls_the_ledger_gave_back_are_to_be_uploaded_again_not_recorded_by_hand() -> None:
    # Given a push whose three rows VAN did not record were all given back to the export ledger
    text = _with_ledger(3)
    steps, ledger = text.split("\n\nRows\n")[0], text.split("\nExport ledger\n")[1]

    # Then the step says to send them again by an upload, and what a corrected row would do
    assert f"{GIVEN_BACK} their calls as exported to NGP VAN" in steps and SEND_AGAIN in steps
    assert "A row whose cells you correct is a new call, which Organizer would import again" in steps
    assert BY_HAND not in steps and "The other" not in steps
    # And the ledger's section no longer says every call of the files stays recorded
    assert "For NGP VAN, the calls of the 3 rows VAN refused or left out are given back" in ledger


NO_VOID = "Do not void this run to resend its rows to VAN"


def test_after_a_job_was_created_the_email_warns_that_voiding_would_send_van_the_calls_again() -> None:
    # Given a pushed run with a ledger
    ledger_section = _with_ledger(3).split("\nExport ledger\n")[1]
    # Then voiding is still offered for the Organizer file, and warned against for VAN
    assert "If a run's files are never imported, void the run" in ledger_section
    assert NO_VOID in ledger_section
    # But when VAN was never sent the file, voiding is safe and nothing warns against it
    summary = _summary("not_sent")
    ledger = LedgerRecord(location="s3://uploads/ledger/", run_id="0123456789abcdef", already_exported=[])
    text = render(summary.model_copy(update={"ledger": ledger}), build_config({}))
    assert "If a run's files are never imported, void the run" in text and NO_VOID not in text


def test_rows_the_ledger_kept_are_checked_in_van_and_none_given_back_means_by_hand() -> None:
    # Given a push where only two of the three rows were given back (one VAN recorded in part)
    steps = _with_ledger(2).split("\n\nRows\n")[0]
    # Then the step names the two to upload again, and the other one to check in VAN
    assert f"{GIVEN_BACK} the calls of 2 rows, those VAN refused or left out" in steps
    assert "The other row stays recorded as exported" in steps
    # And with none given back (no ledger, or results unread), the rows are recorded by hand
    for given_back in (0, None):
        text = _with_ledger(given_back)
        assert BY_HAND in text and GIVEN_BACK not in text and "are given back" not in text


@pytest.mark.parametrize("outcome", ["not_sent", "failed"])
def test_when_van_recorded_nothing_the_reason_comes_first_then_the_by_hand_steps(
    outcome: PushOutcome,
) -> None:
    steps = _steps(outcome)
    lead = (
        "Nothing was sent to NGP VAN: VanAuthRefused"
        if outcome == "not_sent"
        else "job 9001 failed: VAN said"
    )
    assert lead in steps
    assert steps.index(lead) < steps.index(WIZARD) < steps.index(BULK_BY_HAND)


@pytest.mark.parametrize("outcome", ["timed_out", "unknown"])
def test_when_it_is_not_known_what_van_recorded_the_step_is_to_look_in_van(outcome: PushOutcome) -> None:
    steps = _steps(outcome)
    assert "Check the job in VAN." in steps
    assert WIZARD not in steps and BULK_BY_HAND not in steps


@pytest.mark.parametrize(
    ("outcome", "note"),
    [
        ("completed", "recorded in VAN"),
        ("completed_with_errors", "VAN did not record 3 rows"),
        ("failed", "VAN push failed"),
        ("not_sent", "VAN push not sent"),
        ("timed_out", "VAN push unfinished"),
        ("unknown", "VAN push unclear"),
    ],
)
def test_the_subject_says_what_the_push_did(outcome: PushOutcome, note: str) -> None:
    notification = notification_for(_summary(outcome), build_config({}))
    assert notification.subject == f"phonebank-sync SUCCEEDED, 3 rows to fix, {note}: impactive-sample.csv"
    assert notification.status == "SUCCEEDED"


def test_vans_counts_are_a_section_of_the_email() -> None:
    text = render(_summary("completed_with_errors"), build_config({}))
    section = text.split("NGP VAN push: ")[1].split("\n\n")[0].splitlines()
    assert section == [
        "bulk-import job 9001, CompletedWithErrors",
        "  records sent         55",
        "  processed            52",
        "  with errors           2",
        "  missing               1   (not in VAN's results)",
    ]


def test_without_a_push_the_email_is_as_before() -> None:
    text = render(SUMMARY, build_config({}))
    assert WIZARD in text and BULK_BY_HAND in text and "NGP VAN push" not in text
