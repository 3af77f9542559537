"""The two steps every entry point runs: the Lambdas, the command line and the local stack."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from phonebank.config import PipelineConfig
from phonebank.halves import ForkedLaterRows, TwoProcesses
from phonebank.models.interaction import Call
from phonebank.models.steps import ValidationReport
from phonebank.models.summary import Summary
from phonebank.sinks import OpenFiles, OutputSink
from phonebank.transform import (
    ORGANIZER_FILE,
    VAN_BULK_FILE,
    VAN_NAMES_FILE,
    ImportFiles,
    transform_validated,
)
from phonebank.validate import DUPLICATES_FILE, ERRORS_FILE, VALIDATED_ROWS_FILE, InputFile, validate_upload

SUMMARY_FILE = "summary.json"
OUTPUT_PATTERNS = (
    ERRORS_FILE,
    DUPLICATES_FILE,
    SUMMARY_FILE,
    ORGANIZER_FILE.replace("{:02d}", "*"),
    VAN_NAMES_FILE,
    VAN_BULK_FILE,
)
"""Every file a run may write, as glob patterns: what a new run into the same folder replaces."""

__all__ = [
    "OUTPUT_PATTERNS",
    "SUMMARY_FILE",
    "VALIDATED_ROWS_FILE",
    "InputFile",
    "transform_step",
    "validate_and_transform",
    "validate_step",
    "write_summary",
]


def validate_step(
    upload: InputFile,
    config: PipelineConfig,
    reports: OutputSink,
    work: OutputSink | None,
    now: datetime,
) -> ValidationReport:
    """Validate, writing the accepted rows to `work` when a transform step follows; when the run ends
    here (REJECTED or FAILED) write its summary too."""
    report = validate_upload(upload, config, reports, work, now)
    if report.status != "VALID":
        write_summary(reports, report.as_summary().check_accounting())
    return report


def transform_step(
    validated_rows: BinaryIO, report: ValidationReport, config: PipelineConfig, sink: OutputSink
) -> Summary:
    """Build the import files from the validator's accepted rows and write the final summary."""
    summary = transform_validated(read_validated(validated_rows), report, config, sink)
    write_summary(sink, summary)
    return summary


def validate_and_transform(
    upload: InputFile,
    config: PipelineConfig,
    out: OutputSink,
    now: datetime,
    *,
    two_processes: TwoProcesses | None = None,
) -> Summary:
    """Both steps in one pass over the file, for `phonebank run`: the import files are written as rows
    are accepted, and dropped unwritten unless the file turns out VALID, as the two steps would.
    `two_processes`: a second process takes the later rows of a large file (`phonebank.halves`)."""
    with OpenFiles() as files, contextlib.ExitStack() as halves:
        imports = ImportFiles(config, out, files)
        later_rows = None
        if two_processes is not None:
            later_rows = halves.enter_context(ForkedLaterRows(two_processes, config, imports))
        report = validate_upload(upload, config, out, None, now, accept=imports.add, later_rows=later_rows)
        if report.status != "VALID":
            files.discard()
    summary = imports.summary(report) if report.status == "VALID" else report.as_summary().check_accounting()
    write_summary(out, summary)
    return summary


def read_validated(stream: BinaryIO) -> Iterator[Call]:
    records = csv.reader(io.TextIOWrapper(stream, encoding="utf-8", newline=""))
    header = next(records)
    assert tuple(header) == Call._fields, f"unexpected validated-rows header {header}"
    for cells in records:
        yield Call.from_own_cells(cells)


def write_summary(sink: OutputSink, summary: Summary) -> None:
    with sink.create(SUMMARY_FILE) as stream:
        stream.write(summary.model_dump_json(indent=2).encode("utf-8"))
