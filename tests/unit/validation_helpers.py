"""What the validation tests share: CSV bytes built in a line, and a validate_upload run on them
with a fixed clock, its output files read back."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from phonebank.config import PipelineConfig
from phonebank.models.interaction import Interaction
from phonebank.models.steps import ValidationReport
from phonebank.sinks import LocalDirectory
from phonebank.validate import ERRORS_FILE, InputFile, validate_upload

NOW = datetime(2024, 11, 20, 12, 0, tzinfo=UTC)
"""Every validation test's clock: after every call in the samples and in the built files."""

BOM = b"\xef\xbb\xbf"

IMPACTIVE_HEADER = (
    "Profile ID",
    "VAN ID",
    "Phone Number",
    "Last Called At",
    "Call Outcome",
    "Effort Name",
    "Call Duration",
)


def impactive_row(**cells: str) -> list[str]:
    """A valid Impactive row, with the named cells replaced (keys: snake_case of the header)."""
    values = {
        "profile_id": "OP-1",
        "van_id": "101234567",
        "phone_number": "(202) 201-3344",
        "last_called_at": "10/11/2024 6:07 PM",
        "call_outcome": "Completed",
        "effort_name": "GOTV Weekend 1",
        "call_duration": "75",
    }
    unknown = set(cells) - set(values)
    assert not unknown, f"no such column: {unknown}"
    values.update(cells)
    return list(values.values())


def csv_text(
    header: Sequence[str], rows: Iterable[Sequence[str]], *, delimiter: str = ",", newline: str = "\r\n"
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def csv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    delimiter: str = ",",
    newline: str = "\r\n",
    encoding: str = "utf-8",
    bom: bool = False,
) -> bytes:
    data = csv_text(header, rows, delimiter=delimiter, newline=newline).encode(encoding)
    return BOM + data if bom else data


@dataclass(frozen=True)
class Run:
    """One validate_upload call and where it wrote."""

    report: ValidationReport
    reports: Path
    work: Path

    def error_report(self) -> list[list[str]]:
        """errors.csv as cells, header first."""
        text = (self.reports / ERRORS_FILE).read_text(encoding="utf-8-sig")
        return list(csv.reader(io.StringIO(text, newline="")))

    def errors_by_row(self) -> dict[int, str]:
        header, *rows = self.error_report()
        assert header[:2] == ["row", "errors"]
        by_row: dict[int, str] = {}
        for cells in rows:
            assert int(cells[0]) not in by_row, f"row {cells[0]} is reported twice"
            by_row[int(cells[0])] = cells[1]
        return by_row

    def accepted(self) -> list[Interaction]:
        parts = sorted(self.work.glob("validated-rows/part-*.parquet"))
        assert len(parts) == self.report.validated_parts
        return [row for part in parts for row in Interaction.from_frame(pl.read_parquet(part))]

    def only_accepted(self) -> Interaction:
        accepted = self.accepted()
        assert len(accepted) == 1, (accepted, self.report)
        return accepted[0]


def validate_bytes(
    data: bytes,
    root: Path,
    config: PipelineConfig,
    *,
    folder_effort: str | None = None,
    known_size: bool = True,
    now: datetime = NOW,
) -> Run:
    """validate_upload on `data`, writing under `root` (reports/ and work/).

    known_size=False streams the file without telling its size, as an S3 body read to the end does.
    """
    reports, work = root / "reports", root / "work"
    reports.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    upload = InputFile(
        name="upload.csv",
        stream=io.BytesIO(data),
        size=len(data) if known_size else None,
        folder_effort=folder_effort,
    )
    report = validate_upload(upload, config, LocalDirectory(reports), LocalDirectory(work), now)
    return Run(report, reports, work)
