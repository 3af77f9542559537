"""The two steps every entry point runs: the Lambdas, the command line and the local stack."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import polars as pl

from phonebank.config import PipelineConfig
from phonebank.exported import ALREADY_EXPORTED_FILE, LedgerRun, transform_recorded
from phonebank.in_force import SettingInForce
from phonebank.models.steps import ValidationReport
from phonebank.models.summary import Summary
from phonebank.organizer_files import ORGANIZER_FILE
from phonebank.sinks import LocalDirectory, OutputSink
from phonebank.transform import VAN_BULK_FILE, VAN_NAMES_FILE, transform_validated
from phonebank.validate import DUPLICATES_FILE, ERRORS_FILE, VALIDATED_PART, InputFile, validate_upload

SUMMARY_FILE = "summary.json"
OUTPUT_PATTERNS = (
    ERRORS_FILE,
    DUPLICATES_FILE,
    SUMMARY_FILE,
    ORGANIZER_FILE.replace("{:02d}", "*"),
    VAN_NAMES_FILE,
    VAN_BULK_FILE,
    ALREADY_EXPORTED_FILE,
)
"""Every file a run may write, as glob patterns: what a new run into the same folder replaces."""

__all__ = [
    "OUTPUT_PATTERNS",
    "SUMMARY_FILE",
    "InputFile",
    "run_both_steps",
    "transform_step",
    "validate_step",
    "validated_parts",
    "write_summary",
]


def validate_step(
    upload: InputFile,
    config: PipelineConfig,
    reports: OutputSink,
    work: OutputSink | None,
    now: datetime,
    *,
    in_force: dict[str, SettingInForce] | None = None,
) -> ValidationReport:
    """Validate, writing the accepted rows to `work` when a transform step follows; when the run ends
    here (REJECTED or FAILED) write its summary too. `in_force`: the settings used and their sources."""
    report = validate_upload(upload, config, reports, work, now, in_force=in_force)
    if report.status != "VALID":
        write_summary(reports, report.as_summary().check_accounting())
    return report


def transform_step(
    work: OutputSink,
    report: ValidationReport,
    config: PipelineConfig,
    sink: OutputSink,
    ledger: LedgerRun | None = None,
) -> Summary:
    """Build the import files from the validator's accepted rows and write the final summary. With a
    `ledger`, only the calls no earlier run exported, and record them once the summary is written."""
    if ledger is not None:
        return transform_recorded(
            lambda: validated_parts(work, report.validated_parts),
            report,
            config,
            sink,
            work,
            run=ledger,
            write_summary=write_summary,
        )
    summary = transform_validated(validated_parts(work, report.validated_parts), report, config, sink, work)
    write_summary(sink, summary)
    return summary


def run_both_steps(
    upload: InputFile,
    config: PipelineConfig,
    out: OutputSink,
    now: datetime,
    in_force: dict[str, SettingInForce] | None = None,
    *,
    ledger: LedgerRun | None = None,
) -> Summary:
    """`phonebank run`: the Lambdas' two steps, the validated rows handed over in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="phonebank-work-") as work_dir:
        work = LocalDirectory(Path(work_dir))
        report = validate_step(upload, config, out, work, now, in_force=in_force)
        if report.status != "VALID":
            return report.as_summary()
        return transform_step(work, report, config, out, ledger)


def validated_parts(work: OutputSink, parts: int) -> Iterator[pl.DataFrame]:
    """The accepted rows, one validator's part at a time (`parts` of them), in input order."""
    for number in range(1, parts + 1):
        with work.open(VALIDATED_PART.format(number)) as stream:
            yield pl.read_parquet(stream.read())


def write_summary(sink: OutputSink, summary: Summary) -> None:
    with sink.create(SUMMARY_FILE) as stream:
        stream.write(summary.model_dump_json(indent=2).encode("utf-8"))
