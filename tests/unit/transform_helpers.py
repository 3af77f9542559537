"""What the transform tests share: a run as `phonebank run` does it, with a fixed clock, and an
Organizer check written from seed 002 alone (nothing imported from the code under test)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import strategies as st

from phonebank.config import PipelineConfig
from phonebank.models.interaction import Interaction
from phonebank.models.steps import ValidationReport
from phonebank.models.summary import RowCounts, Summary
from phonebank.pipeline import InputFile, run_both_steps
from phonebank.sinks import LocalDirectory
from phonebank.transform import transform_validated

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
"""Every test's clock: after every call in the samples and in the generated files."""

# Cells that CSV must quote, text beyond ASCII, and plain text.
AWKWARD_TEXT = st.text(alphabet=st.sampled_from([*"ab ,\"\r\n'\x00", "é", "☎", "\u2028"]), max_size=6)

WORK = "work"
"""The run's work folder, inside the output folder here so that one listing sees both."""

# Seed 002 (Organizer's phone-interaction import), "Valid Formatting" and "File Requirements".
SEED_002_HEADER = (
    "Profile ID,Effort Name,Date/Time,Phone Number Called,Service,Call Type,Call Result,Call Duration"
)
SEED_002_CALL_TYPES = {"Computer", "Phone Dial"}
SEED_002_CALL_RESULTS = {
    "Answered",
    "No Answer",
    "Refused",
    "Opt Out",
    "Wrong Number",
    "Line Busy",
    "Number Disconnected",
}
SEED_002_MAX_EFFORTS = 5
SEED_002_MAX_BYTES = 500_000_000
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
_WHOLE_NUMBER = re.compile(r"\d+")
# Spec section 2: 10 digits for a North American number, E.164 otherwise.
_PHONE = re.compile(r"\d{10}|\+[1-9]\d{6,14}")


def organizer_file_problems(path: Path) -> list[str]:
    """Every way `path` breaks seed 002's rules; empty when Organizer would take it as it is."""
    data = path.read_bytes()
    problems = [] if len(data) < SEED_002_MAX_BYTES else [f"{len(data)} bytes, Organizer takes under 500 MB"]
    text = data.decode("utf-8")
    lines = text.splitlines()
    if not lines or lines[0] != SEED_002_HEADER:
        return [*problems, f"first line is {lines[:1]}, not the header {SEED_002_HEADER!r}"]
    if not text.endswith("\n"):
        problems.append("the last row has no line end: the file looks cut short")
    records = list(csv.reader(io.StringIO(text, newline="")))
    efforts = set()
    for number, cells in enumerate(records[1:], start=2):
        if len(cells) != 8:
            problems.append(f"line {number}: {len(cells)} cells, not 8")
            continue
        profile, effort, date_time, phone, _service, call_type, result, duration = cells
        efforts.add(effort)
        checks = {
            "Profile ID is empty": not profile.strip(),
            "Effort Name is empty": not effort.strip(),
            f"Date/Time {date_time!r} is not YYYY-MM-DD HH:MM": not _real_date_time(date_time),
            f"Phone Number Called {phone!r} is not 10 digits or E.164": not _PHONE.fullmatch(phone),
            f"Call Type {call_type!r} is not one of {sorted(SEED_002_CALL_TYPES)}": call_type
            not in SEED_002_CALL_TYPES,
            f"Call Result {result!r} is not one of {sorted(SEED_002_CALL_RESULTS)}": result
            not in SEED_002_CALL_RESULTS,
            f"Call Duration {duration!r} is not a whole number or empty": bool(duration)
            and not _WHOLE_NUMBER.fullmatch(duration),
            "the header appears again": ",".join(cells) == SEED_002_HEADER,
        }
        problems += [f"line {number}: {what}" for what, wrong in checks.items() if wrong]
    if len(efforts) > SEED_002_MAX_EFFORTS:
        problems.append(
            f"{len(efforts)} distinct Effort Names, Organizer takes at most {SEED_002_MAX_EFFORTS}"
        )
    return problems


def _real_date_time(value: str) -> bool:
    if not _DATE_TIME.fullmatch(value):
        return False
    try:
        datetime.strptime(value, "%Y-%m-%d %H:%M")
    except ValueError:
        return False
    return True


def dialer_csv(header: list[str], rows: Iterable[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def run_pipeline(
    data: bytes,
    out: Path,
    config: PipelineConfig,
    *,
    name: str = "upload.csv",
    effort: str | None = None,
    now: datetime = NOW,
) -> Summary:
    """Validate, then transform into `out` when the file may go on: what `phonebank run` and the
    Lambdas do."""
    upload = InputFile(name=name, stream=io.BytesIO(data), size=len(data), folder_effort=effort)
    return run_both_steps(upload, config, LocalDirectory(out), now)


def read_rows(path: Path) -> list[dict[str, str]]:
    """A CSV output as dicts by its header; errors.csv's BOM is not part of its first column's name."""
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def output_files(out: Path, folder: str) -> list[Path]:
    return sorted((out / folder).glob("*.csv")) if (out / folder).is_dir() else []


def interaction(row: int, **fields: Any) -> Interaction:
    """An accepted interaction as the validator hands it on; `fields` override the defaults."""
    values: dict[str, Any] = {
        "row": row,
        "profile_id": f"OP-{row}",
        "van_id": str(100_000 + row),
        "phone": "+12025550142",
        "called_at": datetime(2024, 10, 1, 18, 0, tzinfo=UTC),
        "outcome": "Completed",
        "effort": "Persuasion",
        "service": "Impactive",
        "call_type": "Computer",
        "duration": 60,
    }
    return Interaction(**{**values, **fields})


def call(*fields: Any) -> Interaction:
    """An accepted call from its fields in `Interaction`'s order."""
    return Interaction.model_construct(**dict(zip(Interaction.model_fields, fields, strict=True)))


def as_parts(interactions: list[Interaction], size: int = 16) -> list[pl.DataFrame]:
    """Accepted interactions as the validator hands them on: Parquet parts' tables of `size` rows."""
    return [
        Interaction.frame(interactions[start : start + size]) for start in range(0, len(interactions), size)
    ]


def valid_report(accepted: int, config: PipelineConfig) -> ValidationReport:
    """A VALID report for `accepted` rows, all accepted."""
    return ValidationReport(
        status="VALID",
        input="generated.csv",
        counts=RowCounts(rows_read=accepted, accepted=accepted),
        max_reject_rate=config.limits.max_reject_rate,
    )


def transform_calls(calls: list[Interaction], config: PipelineConfig, out: Path, size: int = 16) -> Summary:
    """`calls`, accepted, transformed in parts of `size` (`as_parts`) into `out`, the row map into its
    work folder: the transform step alone, as a VALID report hands them to it."""
    return transform_validated(
        as_parts(calls, size=size),
        valid_report(len(calls), config),
        config,
        LocalDirectory(out),
        LocalDirectory(out / WORK),
    )


CALLS_HEADER = ["Profile ID", "VAN ID", "Phone", "Date/Time", "Call Result", "Effort"]


def file_with_rejects(total: int, rejected: int) -> bytes:
    """`total` calls of which the first `rejected` have an outcome nobody configured."""
    return dialer_csv(
        CALLS_HEADER,
        [
            [
                f"OP-{n}",
                f"{1000 + n}",
                f"202555{n:04d}",
                "2024-10-01 14:03",
                "Hung Up" if n < rejected else "Completed",
                "E",
            ]
            for n in range(total)
        ],
    )


def all_files(out: Path) -> list[str]:
    """Every file under `out`, as paths relative to it."""
    return sorted(str(path.relative_to(out)) for path in out.rglob("*") if path.is_file())
