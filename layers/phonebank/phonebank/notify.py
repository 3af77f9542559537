"""The result as a person reads it: the email's subject and body, and the command line's output.

The body leads with what to do, in the order to do it, then the counts behind it. What to upload
again follows from whether anything was exported (spec section 4): if not, the whole corrected
file; if so, errors.csv alone, so that no row is imported twice and none is left out. With the export
ledger (spec section 5) the whole corrected file is always safe too: a later run leaves out every
call an earlier one exported.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from phonebank.config import PipelineConfig
from phonebank.exported import ALREADY_EXPORTED_FILE
from phonebank.models.summary import LedgerRecord, OutputFile, Summary, System
from phonebank.models.van_push import VAN_ERRORS_FILE
from phonebank.sinks import on_s3
from phonebank.transform import VAN_BULK_FILE, VAN_NAMES_FILE
from phonebank.validate import DUPLICATES_FILE, ERRORS_FILE
from phonebank.van_push_text import push_counts, push_steps, subject_note

_SUBJECT_LIMIT = 100
_SYSTEM_NAMES: dict[System, str] = {"organizer": "Organizer", "van": "NGP VAN"}
_SHORT_NAMES: dict[System, str] = {"organizer": "Organizer", "van": "VAN"}
_ID_NAMES: dict[System, str] = {"organizer": "Profile ID", "van": "VAN ID"}


class Notification(BaseModel):
    model_config = ConfigDict(frozen=True)
    subject: str
    message: str
    status: str


def _file_name(input_name: str) -> str:
    return input_name.rsplit("/", 1)[-1]


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def subject_for(summary: Summary) -> str:
    """SNS takes a subject of printable ASCII under 100 characters, and refuses the whole email otherwise."""
    name = unicodedata.normalize("NFKD", _file_name(summary.input)).encode("ascii", "ignore").decode()
    to_fix = summary.counts.rejected if summary.status == "SUCCEEDED" else 0
    status = f"{summary.status}, {_plural(to_fix, 'row')} to fix" if to_fix else summary.status
    if summary.van_push is not None:
        status = f"{status}, {subject_note(summary.van_push)}"
    subject = "".join(ch for ch in f"phonebank-sync {status}: {name}" if ch.isprintable())
    return subject if len(subject) < _SUBJECT_LIMIT else subject[: _SUBJECT_LIMIT - 4] + "..."


def console_link(location: str, region: str | None) -> str:
    """The S3 console's page of an object: it opens only for someone signed in to the account, where a
    presigned or public link would hand the rows to whoever holds the email."""
    located = on_s3(location)
    if region is None or located is None:
        return location
    bucket, key = located
    return (
        f"https://{region}.console.aws.amazon.com/s3/object/{quote(bucket)}"
        f"?region={quote(region)}&prefix={quote(key, safe='')}"
    )


class _Email:
    """One summary's text: the steps first, then the counts."""

    def __init__(self, summary: Summary, config: PipelineConfig, region: str | None) -> None:
        self.summary, self.config, self.region = summary, config, region
        self.exported = summary.status == "SUCCEEDED" and bool(summary.systems)
        self.ledger = summary.ledger

    def file(self, name: str) -> OutputFile | None:
        return next((file for file in self.summary.files if file.name == name), None)

    def where(self, file: OutputFile) -> str:
        return console_link(file.location, self.region)

    def send_again(self, what: str) -> str:
        """Into the upload's own folder on S3, which names its effort; on the command line, the command."""
        located = on_s3(self.summary.input)
        if located is not None:
            return f"upload {what} to {located[1].rpartition('/')[0]}/"
        return f"run phonebank on {what}"

    def steps(self) -> Iterator[tuple[str, OutputFile | None]]:
        summary = self.summary
        errors = self.file(ERRORS_FILE)
        if summary.status == "FAILED":
            yield "Nothing was imported, and no file but summary.json was written.", None
            yield (
                f'Fix what "What went wrong" names in {_file_name(summary.input)}, then '
                f"{self.send_again('the whole file')} again.",
                None,
            )
            return
        if not self.exported:
            if summary.status == "REJECTED":
                yield (
                    f"Nothing was imported: {summary.reject_rate:.1%} of the rows have errors, over the "
                    f"limit of {summary.max_reject_rate:.1%}, so no import file was built.",
                    None,
                )
            else:
                yield "Nothing was imported: the file was checked only.", None
            if summary.counts.rejected and errors:
                yield (
                    "Open errors.csv: it lists each row with an error (by its row number) and what is wrong.",
                    errors,
                )
                yield (
                    f"Fix those rows in {_file_name(summary.input)} itself, not in errors.csv, then "
                    f"{self.send_again('the whole corrected file')}: all its rows are checked again. "
                    "errors.csv alone would import only the fixed rows.",
                    None,
                )
            return
        yield from self.import_steps()
        if summary.counts.rejected and errors and self.ledger:
            yield (
                f"Fix the {_plural(summary.counts.rejected, 'row')} errors.csv lists, in "
                f"{_file_name(summary.input)} itself or in errors.csv, then "
                f"{self.send_again('the corrected file')}. Uploading the whole corrected file again is "
                "always safe: the export ledger leaves out every call already exported.",
                errors,
            )
        elif summary.counts.rejected and errors:
            yield (
                f"Fix the {_plural(summary.counts.rejected, 'row')} in errors.csv itself (keep its columns), "
                f"then {self.send_again('errors.csv')}: those rows only. Not the whole export: its other "
                "rows are in the files above.",
                errors,
            )

    def wrote_any(self) -> bool:
        return any(counts.written for counts in self.summary.systems.values())

    def import_steps(self) -> Iterator[tuple[str, OutputFile | None]]:
        organizer = [file for file in self.summary.files if file.system == "organizer"]
        by_name, bulk = self.file(VAN_NAMES_FILE), self.file(VAN_BULK_FILE)
        if not organizer and not by_name and self.already_exported():
            yield (
                "No import file was written: every call with an ID and an instruction was already "
                f"exported by an earlier run ({ALREADY_EXPORTED_FILE} lists them). Nothing to import.",
                self.file(ALREADY_EXPORTED_FILE),
            )
            return
        if not organizer and not by_name:
            yield (
                "No import file was written: no accepted call had an ID and an instruction for either "
                "system.",
                None,
            )
            return
        yield (
            "Review the counts below, above all the results that change a phone's consent or a person's "
            "record: an import cannot be undone.",
            None,
        )
        for file in organizer:
            yield (
                f"In Organizer's phone-interaction import, import {file.name} "
                f"({_plural(file.records, 'row')}).",
                file,
            )
        by_hand = self.van_by_hand(by_name, bulk)
        push = self.summary.van_push
        yield from push_steps(push, by_hand, bulk, self.file(VAN_ERRORS_FILE)) if push else by_hand

    def van_by_hand(
        self, by_name: OutputFile | None, bulk: OutputFile | None
    ) -> Iterator[tuple[str, OutputFile | None]]:
        if by_name:
            yield (
                f"In NGP VAN's Bulk Upload wizard, upload {by_name.name} "
                f"({_plural(by_name.records, 'record')}).",
                by_name,
            )
        if bulk:
            yield (
                f"Or, instead of the wizard, give {bulk.name} to VAN's bulk-import API: the same results "
                "with VAN's IDs. Not both.",
                bulk,
            )

    def no_instruction(self, system: System, not_sent: int) -> str:
        """Which outcomes had no instruction: by_outcome counts accepted calls, and a call without the
        system's ID is counted under "no ID" before its outcome is asked."""
        rules = self.config.outcomes
        if system == "organizer":
            outcomes = [name for name, rule in rules.items() if rule.organizer is None]
        else:
            outcomes = (
                [] if self.config.van.last_called_at.enabled else [n for n, r in rules.items() if not r.van]
            )
        found = {name: n for name, n in self.summary.by_outcome.items() if name in outcomes and n}
        label = f"no {_SHORT_NAMES[system]} instruction for"
        if sum(found.values()) == not_sent:
            return f"{label} {', '.join(f'{name} ({n:,})' for name, n in found.items())}"
        return (
            f"{label} {' or '.join(found)} ({_plural(sum(found.values()), 'call')} of these outcomes in "
            f"all; the rest had no {_ID_NAMES[system]})"
        )

    def already_exported(self) -> int:
        return sum(counts.already_exported or 0 for counts in self.summary.systems.values())

    def systems(self) -> Iterator[str]:
        for system, counts in self.summary.systems.items():
            written = f"{_SYSTEM_NAMES[system]}: {_plural(counts.written, 'call')} written"
            by_name = self.file(VAN_NAMES_FILE)
            if system == "van" and by_name:
                written += f", as {_plural(by_name.records, 'record')} in the by-name file"
            yield written
            if counts.not_sent_no_id:
                yield f"  {counts.not_sent_no_id:,} not sent: no {_ID_NAMES[system]}"
            if counts.not_sent_no_instruction:
                yield (
                    f"  {counts.not_sent_no_instruction:,} not sent: "
                    f"{self.no_instruction(system, counts.not_sent_no_instruction)}"
                )
            if counts.already_exported:
                yield f"  {counts.already_exported:,} not sent: already exported by an earlier run"

    def files(self) -> Iterator[str]:
        for file in self.summary.files:
            unit = "record" if file.name in (VAN_NAMES_FILE, VAN_BULK_FILE) else "row"
            if file.name == DUPLICATES_FILE:
                yield f"  {file.name} ({_plural(file.records, unit)}): repeats of earlier rows, sent nowhere"
                yield f"    {self.where(file)}"
            elif file.name == ALREADY_EXPORTED_FILE:
                yield (
                    f"  {file.name} ({_plural(file.records, unit)}): calls an earlier run exported, left "
                    "out of this run's files"
                )
                yield f"    {self.where(file)}"
            else:
                yield f"  {file.name} ({_plural(file.records, unit)})"

    def text(self) -> str:
        summary, counts = self.summary, self.summary.counts
        lines = [
            f"Status: {summary.status}",
            f"File: {summary.input}",
            *([f"Dialer: {summary.dialer}"] if summary.dialer else []),
            "",
        ]
        if summary.failure_reason:
            lines += ["What went wrong:", f"  {summary.failure_reason}", ""]
        lines.append("What to do")
        for number, (step, file) in enumerate(self.steps(), start=1):
            lines += [f"  {number}. {step}", *([f"     {self.where(file)}"] if file else [])]
        lines.append("")
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
        systems = list(self.systems())
        lines += [*systems, *([""] if systems else [])]
        if summary.van_push is not None:
            lines += [*push_counts(summary.van_push), ""]
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
            lines += ["Files", *self.files(), "  and summary.json beside errors.csv, with every count", ""]
        if self.ledger:
            push = self.summary.van_push
            given_back = push.rows_given_back if push else None
            pushed = push is not None and push.job_id is not None
            lines += [*_ledger_lines(self.ledger, self.wrote_any(), given_back or 0, pushed), ""]
        lines += summary.notes
        return "\n".join(lines).rstrip("\n")


_EARLIER_RUNS_SHOWN = 5


def _ledger_lines(ledger: LedgerRecord, wrote_any: bool, given_back: int, pushed: bool) -> list[str]:
    """What the export ledger did (`given_back`: rows whose calls a VAN push gave back), and how to undo
    a run's record: voiding, which after a push (`pushed`) would send VAN again what it recorded."""
    lines = ["Export ledger"]
    if wrote_any:
        lines.append(
            f"  The calls in these files are recorded as exported by run {ledger.run_id}: no later upload "
            "writes them again, so uploading a whole corrected file again is always safe."
        )
    else:
        lines.append(f"  This run ({ledger.run_id}) wrote no call, so it recorded none.")
    if given_back:
        lines.append(
            f"  For NGP VAN, the calls of the {_plural(given_back, 'row')} VAN refused or left out are given "
            "back: the next upload of those rows sends them to VAN again."
        )
    earlier: dict[tuple[str, str], dict[System, int]] = {}
    for export in ledger.already_exported:
        earlier.setdefault((export.run_id, export.input), {})[export.system] = export.calls
    if earlier:
        lines.append("  Left out, as an earlier run exported them:")
        ranked = sorted(earlier.items(), key=lambda item: -sum(item[1].values()))
        for (run_id, name), calls in ranked[:_EARLIER_RUNS_SHOWN]:
            systems = ", ".join(f"{_SYSTEM_NAMES[system]} {n:,}" for system, n in calls.items())
            lines.append(f"    run {run_id} ({_file_name(name)}): {systems}")
        if len(ranked) > _EARLIER_RUNS_SHOWN:
            lines.append(f"    and {_plural(len(ranked) - _EARLIER_RUNS_SHOWN, 'run')} more (summary.json)")
    this_run = f" (this run: {ledger.run_id})" if wrote_any else ""
    lines.append(
        "  If a run's files are never imported, void the run, and the next upload exports its calls "
        f"again: {void_instruction(ledger.location, '<run id>')}{this_run}."
    )
    if pushed and wrote_any:
        lines.append(
            "  Do not void this run to resend its rows to VAN: its file was pushed, and voiding would send "
            "VAN again every call it recorded."
        )
    return lines


def void_instruction(location: str, run_id: str) -> str:
    """How to void run `run_id` in the ledger at `location`: a folder made in the bucket, or a command."""
    located = on_s3(location)
    if located is not None:
        bucket, prefix = located
        return f"create the folder {prefix}void/{run_id}/ in the bucket {bucket}"
    return f"run phonebank void {run_id} --ledger {location}"


def render(summary: Summary, config: PipelineConfig, region: str | None = None) -> str:
    """Plain text that reads well in an email client and a terminal alike. With the bucket's `region`,
    each file on S3 is a link to its page in the S3 console."""
    return _Email(summary, config, region).text()


def notification_for(summary: Summary, config: PipelineConfig, region: str | None = None) -> Notification:
    return Notification(
        subject=subject_for(summary), message=render(summary, config, region), status=summary.status
    )
