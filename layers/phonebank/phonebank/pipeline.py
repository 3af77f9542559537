"""The two steps every entry point runs: the Lambdas, the command line and the local stack."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import BinaryIO

from phonebank.config import PipelineConfig
from phonebank.models.interaction import Interaction
from phonebank.models.steps import ValidationReport
from phonebank.models.summary import Summary
from phonebank.sinks import OutputSink
from phonebank.transform import transform_validated
from phonebank.validate import VALIDATED_ROWS_FILE, InputFile, validate_upload

SUMMARY_FILE = "summary.json"

__all__ = ["SUMMARY_FILE", "VALIDATED_ROWS_FILE", "InputFile", "transform_step", "validate_step", "write_summary"]


def validate_step(
    upload: InputFile,
    config: PipelineConfig,
    reports: OutputSink,
    work: OutputSink,
    now: datetime,
    on_row: Callable[[int], None] | None = None,
) -> ValidationReport:
    """Validate; when the run ends here (REJECTED or FAILED) write its summary too."""
    report = validate_upload(upload, config, reports, work, now, on_row)
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


def read_validated(stream: BinaryIO) -> Iterator[Interaction]:
    records = csv.reader(io.TextIOWrapper(stream, encoding="utf-8", newline=""))
    header = next(records)
    assert tuple(header) == Interaction.COLUMNS, f"unexpected validated-rows header {header}"
    for cells in records:
        yield Interaction.from_cells(cells)


def write_summary(sink: OutputSink, summary: Summary) -> None:
    with sink.create(SUMMARY_FILE) as stream:
        stream.write(summary.model_dump_json(indent=2).encode("utf-8"))
