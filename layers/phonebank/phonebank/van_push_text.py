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
                "cells. Fix what the message names and record those calls in VAN by hand.",
                van_errors,
            )
        return
    if push.outcome in ("timed_out", "unknown"):
        yield f"{_job(push)}: {push.reason}. {push.check}", None
        return
    lead = "Nothing was sent to NGP VAN" if push.outcome == "not_sent" else f"{_job(push)} failed"
    yield f"{lead}{': ' + push.reason if push.reason else ''}. {push.check}", None
    yield from by_hand


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
