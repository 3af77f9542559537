"""The result as a person reads it: the email's subject and body, and the command line's output."""

from __future__ import annotations

import unicodedata

from pydantic import BaseModel, ConfigDict

from phonebank.models.summary import Summary

_WHAT_TO_DO = {
    "SUCCEEDED": "Review the files below, then import them into Organizer and NGP VAN.",
    "REJECTED": (
        "Too many rows have errors, so no import file was built. Open errors.csv, fix the values in the "
        "listed rows (keep the columns), and upload the fixed file to incoming/ again."
    ),
    "FAILED": (
        "The file could not be read. Fix the problem named above and upload the file to incoming/ again."
    ),
}
_SUBJECT_LIMIT = 100


class Notification(BaseModel):
    model_config = ConfigDict(frozen=True)
    subject: str
    message: str
    status: str


def _file_name(input_name: str) -> str:
    return input_name.rsplit("/", 1)[-1]


def subject_for(summary: Summary) -> str:
    """SNS takes a subject of printable ASCII under 100 characters, and refuses the whole email otherwise."""
    name = unicodedata.normalize("NFKD", _file_name(summary.input)).encode("ascii", "ignore").decode()
    subject = "".join(ch for ch in f"phonebank-sync {summary.status}: {name}" if ch.isprintable())
    return subject if len(subject) < _SUBJECT_LIMIT else subject[: _SUBJECT_LIMIT - 4] + "..."


def render(summary: Summary) -> str:
    """Plain text that reads well in an email client and a terminal alike."""
    counts = summary.counts
    lines = [
        f"Status: {summary.status}",
        f"File: {summary.input}",
        *([f"Dialer: {summary.dialer}"] if summary.dialer else []),
        "",
    ]
    if summary.failure:
        lines += ["What went wrong:", f"  {summary.failure}", ""]
    if counts.rows_read:
        lines += [
            "Rows",
            f"  read        {counts.rows_read:>9,}",
            f"  accepted    {counts.accepted:>9,}",
            f"  rejected    {counts.rejected:>9,}   ({summary.reject_rate:.1%}; the limit is "
            f"{summary.max_reject_rate:.1%})",
            f"  duplicates  {counts.duplicates:>9,}",
            f"  not dialed  {counts.not_dialed:>9,}",
            "",
        ]
    for system, system_counts in summary.systems.items():
        label = "Organizer" if system == "organizer" else "NGP VAN"
        lines.append(
            f"{label}: {system_counts.written:,} written, {system_counts.not_sent_no_id:,} not sent (no ID), "
            f"{system_counts.not_sent_no_instruction:,} not sent (no instruction for the outcome)"
        )
    if summary.systems:
        lines.append("")
    consent = [
        f"  {system}: {result} {n:,}"
        for system, results in summary.consent_changing.items()
        for result, n in results.items()
    ]
    if consent:
        lines += [
            "Results that change a phone's consent or a person's record (cannot be undone):",
            *consent,
            "",
        ]
    if summary.top_errors:
        lines.append("Top error reasons")
        lines += [f"  {reason.count:>7,}  {reason.reason}" for reason in summary.top_errors]
        lines.append("")
    if summary.files:
        lines.append("Files")
        lines += [f"  {file.location}  ({file.records:,} rows)" for file in summary.files]
        lines += ["  and summary.json beside errors.csv, with every count", ""]
    lines += [*summary.notes, *([""] if summary.notes else []), _WHAT_TO_DO[summary.status]]
    return "\n".join(lines)


def notification_for(summary: Summary) -> Notification:
    return Notification(subject=subject_for(summary), message=render(summary), status=summary.status)
