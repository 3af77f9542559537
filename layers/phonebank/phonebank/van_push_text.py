"""The VAN push in the notification: what to do after it, and VAN's counts.

Every instruction must be true for what the push did: after VAN recorded the calls, uploading the VAN
files too would record them twice, so the by-hand steps are given only when VAN recorded nothing; when
that is not known (a job lost track of, or not finished by the deadline), the step is to look in VAN.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from phonebank.models.summary import OutputFile
from phonebank.models.van_push import VanPushSummary

Step = tuple[str, OutputFile | None]

# What to check, for each way a push stops: the email's step after the reason.
IDS_CHECK = (
    "Correct van.result_ids and van.contact_type_id in the configuration file (VAN lists its own with GET "
    "/canvassResponses/resultCodes and /canvassResponses/contactTypes), then record these calls with the "
    "files below."
)
NO_SECRET_CHECK = (
    "Deploy the stack again with the VanApiKeySecretArn parameter (the ARN of the Secrets Manager secret "
    "holding the API key), or set van_push.enabled to false, and record these calls with the files below."
)
SECRET_CHECK = (
    "VanApiKeySecretArn must be the secret's full ARN, in the stack's account and region, and the secret "
    "must hold the API key as text (a customer-managed KMS key must also let the VAN push function "
    "decrypt). Record these calls with the files below."
)
AUTH_CHECK = (
    "Check van_push.application_name (the API application's name) and van_push.database (MyCampaign or "
    "MyVoters: the database the key opens) in the configuration, that the secret holds the current API "
    "key alone, and that VAN support has enabled the bulk import of canvass results for the key. Record "
    "these calls with the files below."
)
REFUSED_CHECK = (
    "VAN support can say whether the bulk import of canvass results (CanvassResults) is enabled for the "
    "key. Record these calls with the files below."
)
BUSY_CHECK = "VAN's API did not answer after our retries. Record these calls with the files below."
OPERATOR_CHECK = (
    "An operator reads the execution's history in the Step Functions console. Record these calls with the "
    "files below."
)
JOB_CHECK = (
    "Check the job in VAN before recording any of these calls by hand: some may be recorded already, and "
    "VAN would record them twice. Its results stay in VAN for 24 hours after it ends."
)
CREATION_CHECK = (
    "Look in VAN for a bulk-import job described as 'phonebank-sync run {run_id}' before recording any "
    "of these calls by hand: if VAN created it, VAN would record them twice."
)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _job(push: VanPushSummary) -> str:
    return (
        f"NGP VAN's bulk-import job {push.job_id}" if push.job_id is not None else "NGP VAN's bulk-import job"
    )


def subject_note(push: VanPushSummary) -> str:
    """A few words for the subject line: what the push did."""
    if push.outcome == "completed":
        return "recorded in VAN"
    if push.outcome == "completed_with_errors":
        return f"VAN did not record {_plural(push.rows_not_recorded, 'row')}"
    return {
        "failed": "VAN push failed",
        "not_sent": "VAN push not sent",
        "timed_out": "VAN push unfinished",
        "unknown": "VAN push unclear",
    }[push.outcome]


def push_steps(
    push: VanPushSummary, by_hand: Iterable[Step], bulk: OutputFile | None, van_errors: OutputFile | None
) -> Iterator[Step]:
    """The VAN steps of the email, in place of `by_hand` (the wizard's and the bulk-import file's), which
    are kept only when VAN recorded nothing of this run."""
    if push.outcome in ("completed", "completed_with_errors"):
        name = bulk.name if bulk else "the bulk-import file"
        yield (
            f"Nothing more to upload to NGP VAN: its bulk-import job {push.job_id} recorded "
            f"{push.processed:,} of the {_plural(push.records_sent, 'record')} of {name}. Do not upload "
            "this run's VAN files by hand as well: VAN would record those calls twice.",
            None,
        )
        if van_errors is not None:
            yield (
                f"Open {van_errors.name}: it lists the {_plural(push.rows_not_recorded, 'row')} whose calls "
                "VAN did not record, each with VAN's message (or why there is none), then the row's own "
                f"cells. {_after_van_errors(push, van_errors.name)}",
                van_errors,
            )
        return
    if push.outcome in ("timed_out", "unknown"):
        yield f"{_job(push)}: {push.reason}. {push.check}", None
        return
    lead = "Nothing was sent to NGP VAN" if push.outcome == "not_sent" else f"{_job(push)} failed"
    yield f"{lead}{': ' + push.reason if push.reason else ''}. {push.check}", None
    yield from by_hand


def _after_van_errors(push: VanPushSummary, name: str) -> str:
    """What to do with the rows VAN did not record: send again those the export ledger gave back."""
    given = push.rows_given_back or 0
    if not given:
        return "Fix what the message names and record those calls in VAN by hand."
    kept = push.rows_not_recorded - given
    which = (
        "their calls" if not kept else f"the calls of {_plural(given, 'row')}, those VAN refused or left out"
    )
    text = (
        f"The export ledger no longer counts {which} as exported to NGP VAN: once what the message names is "
        f"put right in VAN or in the configuration, upload {name} or the whole file again, and it sends "
        "those calls to VAN again and nothing to Organizer. A row whose cells you correct is a new call, "
        "which Organizer would import again: record such a call in VAN by hand instead."
    )
    if kept:
        others = "The other row stays" if kept == 1 else f"The other {kept:,} rows stay"
        text += (
            f" {others} recorded as exported (VAN recorded part of the call, or its results were not "
            "read): check each in VAN and record by hand what it lacks."
        )
    return text


def push_counts(push: VanPushSummary) -> list[str]:
    """The counts section: VAN's answer per record (a call with Last Called At is two records)."""
    if push.outcome == "not_sent":
        return ["NGP VAN push: not sent"]
    title = f"NGP VAN push: bulk-import job {push.job_id}" if push.job_id is not None else "NGP VAN push"
    status = f", {push.job_status}" if push.job_status else ""
    lines = [f"{title}{status}", f"  records sent  {push.records_sent:>9,}"]
    if push.outcome.startswith("completed"):
        lines += [
            f"  processed     {push.processed:>9,}",
            f"  with errors   {push.with_errors:>9,}",
            f"  missing       {push.missing:>9,}   (not in VAN's results)",
        ]
        if push.unread:
            lines.append(
                f"  unread        {push.unread:>9,}   (their results file expired before it was read)"
            )
    return lines
