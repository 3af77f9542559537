"""Check every row of a dialer export; write the error report and the validated rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, BinaryIO, NamedTuple, cast

from pydantic import ValidationError

from phonebank.columns import ALIASES, ColumnMap, Field, map_columns, normalise_header
from phonebank.config import PipelineConfig, match_key
from phonebank.dedupe import FirstRows, identity_key
from phonebank.errors import EmptyFile, HeaderOnly, InputFileError, NoHeaderRow
from phonebank.models.dialer import DialerRow, RowContext
from phonebank.models.interaction import Interaction
from phonebank.models.report import DuplicateRow, ErrorRow
from phonebank.models.steps import ValidationReport
from phonebank.models.summary import ErrorReason, OutputFile, RowCounts
from phonebank.reader import CsvStream, DataRow
from phonebank.sinks import CsvFile, OpenFiles, OutputSink

ERRORS_FILE = "errors.csv"
DUPLICATES_FILE = "duplicates.csv"
VALIDATED_ROWS_FILE = "validated-rows.csv"
TOP_ERRORS = 10

_MODEL_FIELDS = cast(tuple[Field, ...], tuple(DialerRow.model_fields))


@dataclass(frozen=True)
class InputFile:
    """An export to validate: its bytes, its name as the user knows it, and what its location says."""

    name: str
    stream: BinaryIO
    size: int | None = None
    folder_effort: str | None = None


def validate_upload(
    upload: InputFile,
    config: PipelineConfig,
    reports: OutputSink,
    work: OutputSink,
    now: datetime,
) -> ValidationReport:
    """Sort every row into accepted, rejected, duplicate or not dialed, and decide if the file may go on.

    Writes `errors.csv` (always), `duplicates.csv` (when there are any) to `reports` and the accepted
    rows to `work`. A file that cannot be read at all gives a FAILED report, not an exception.
    """
    try:
        return _validate(upload, config, reports, work, now=now)
    except InputFileError as exc:
        return ValidationReport(
            status="FAILED",
            input=upload.name,
            max_reject_rate=config.limits.max_reject_rate,
            failure=f"{type(exc).__name__}: {exc}",
        )


def _validate(
    upload: InputFile,
    config: PipelineConfig,
    reports: OutputSink,
    work: OutputSink,
    *,
    now: datetime,
) -> ValidationReport:
    stream = CsvStream(upload.stream, config.limits.max_input_bytes, upload.size)
    rows = stream.rows()
    if not any(stream.header):
        raise _blank_first_line(rows)
    columns = map_columns(stream.header)
    first_rows = FirstRows()
    checker = _RowChecker(
        columns,
        first_rows,
        RowContext(
            config=config,
            source_zone=config.source_zone(columns.dialer),
            now=now,
            fallback_effort=upload.folder_effort or config.default_effort,
            service=columns.service_name,
        ),
    )
    own_header = stream.header[checker.own_columns]
    with first_rows, OpenFiles() as files:
        errors = files.open_csv(reports, ERRORS_FILE, ErrorRow.header(own_header), bom=True)
        validated = files.open_csv(work, VALIDATED_ROWS_FILE, list(Interaction.COLUMNS))
        duplicates: CsvFile | None = None
        for row in rows:
            verdict = checker.check(row)
            if isinstance(verdict, ErrorRow):
                errors.write(verdict.to_cells())
            elif isinstance(verdict, DuplicateRow):
                if duplicates is None:
                    duplicates = files.open_csv(reports, DUPLICATES_FILE, DuplicateRow.header(own_header))
                duplicates.write(verdict.to_cells())
            elif isinstance(verdict, Accepted):
                validated.write(verdict.cells)
        if checker.counts["rows_read"] == 0:
            raise HeaderOnly(
                "The file has a header but no rows. Export the call results again with the rows."
            )
    counts = checker.result_counts()
    written = [
        OutputFile(
            system="report", name=ERRORS_FILE, location=reports.location(ERRORS_FILE), records=errors.records
        )
    ]
    if duplicates is not None:
        written.append(
            OutputFile(
                system="report",
                name=DUPLICATES_FILE,
                location=reports.location(DUPLICATES_FILE),
                records=duplicates.records,
            )
        )
    over_limit = counts.reject_rate > config.limits.max_reject_rate
    return ValidationReport(
        status="REJECTED" if over_limit else "VALID",
        input=upload.name,
        dialer=columns.service_name or None,
        counts=counts,
        max_reject_rate=config.limits.max_reject_rate,
        top_errors=[ErrorReason(reason=r, count=n) for r, n in checker.reasons.most_common(TOP_ERRORS)],
        by_outcome=dict(checker.by_outcome.most_common()),
        by_effort=dict(checker.by_effort.most_common()),
        files=written,
    )


def _blank_first_line(rows: Iterator[DataRow]) -> InputFileError:
    if any(any(cell.strip() for cell in row.cells) for row in rows):
        return NoHeaderRow("The first line is blank. The header (the column names) must be on line 1.")
    return EmptyFile("The file holds no data, only blank lines. Export the call results again.")


class Accepted(NamedTuple):
    """An accepted row, as the validated-rows file holds it (models.interaction.Interaction)."""

    cells: list[str]


Verdict = Accepted | ErrorRow | DuplicateRow | None


class _RowChecker:
    """Counts and sorts rows one at a time; remembers only what duplicate detection needs."""

    def __init__(self, columns: ColumnMap, first_rows: FirstRows, context: RowContext) -> None:
        self.columns = columns
        self.context = context
        self.counts = Counter[str]()
        self.reasons = Counter[str]()
        self.by_outcome = Counter[str]()
        self.by_effort = Counter[str]()
        self._first_rows = first_rows
        # A missing column reads the empty cell appended after the row's own (index -1).
        self._pick_fields = itemgetter(*(columns.index.get(field, -1) for field in _MODEL_FIELDS))
        self._width = len(columns.headers)
        self._date_called = columns.index.get("date_called")
        self._time_called = columns.index.get("time_called")
        self._voter_id_type = columns.index.get("voter_id_type") if "van_id" in columns.index else None
        # A report dropped back in starts with our `row` and `errors` columns: replace them, never stack them.
        is_report = [normalise_header(header) for header in columns.headers[:2]] == ["row", "errors"]
        self.own_columns = slice(2 if is_report else 0, None)

    def result_counts(self) -> RowCounts:
        counts = RowCounts(**{name: self.counts[name] for name in RowCounts.model_fields})
        counts.check()
        return counts

    def check(self, row: DataRow) -> Verdict:
        if not any(cell.strip() for cell in row.cells):
            return None
        self.counts["rows_read"] += 1
        values = self._values(row.cells)
        config = self.context.config
        if config.outcome_index.get(match_key(values["outcome"])) in config.not_dialed_outcomes:
            self.counts["not_dialed"] += 1
            return None
        fields, problems = self._parse(values)
        if fields is None or problems:
            self.counts["rejected"] += 1
            self.reasons.update(problems)
            return ErrorRow(row=row.number, errors="; ".join(problems), cells=row.cells[self.own_columns])
        return self._accept_once(row, fields)

    def _values(self, cells: list[str]) -> dict[str, str]:
        def cell(index: int | None) -> str:
            return cells[index] if index is not None and index < len(cells) else ""

        padded = [*cells, *[""] * (self._width - len(cells)), ""]
        values: dict[str, str] = dict(zip(_MODEL_FIELDS, self._pick_fields(padded), strict=True))
        if self._date_called is not None:
            date_part, time_part = cell(self._date_called), cell(self._time_called)
            values["called_at"] = f"{date_part.strip()} {time_part.strip()}".strip()
        id_type = cell(self._voter_id_type).strip()
        if id_type and "van" not in id_type.casefold():
            if values["van_id"].strip():
                values["ignored_id_type"] = id_type
            values["van_id"] = ""
        return values

    def _parse(self, values: dict[str, str]) -> tuple[dict[str, Any] | None, list[str]]:
        """The row's fields, and every problem with it: one row can be wrong in several ways."""
        fields = DialerRow.fields_of(values, self.context)
        problems = [] if fields is not None else self._field_problems(values)
        has_profile = bool(values["profile_id"].strip())
        if not has_profile and not values["van_id"].strip():
            problems.append(self._no_id(values.get("ignored_id_type")))
        effort = values["effort"].strip() or self.context.fallback_effort
        if has_profile and not effort:
            problems.append(
                f"{self._column('effort')}: empty, and neither the upload folder (incoming/<effort name>/) "
                "nor the configuration gives an effort, and Organizer needs one"
            )
        return fields, problems

    def _field_problems(self, values: dict[str, str]) -> list[str]:
        try:
            DialerRow.model_validate(values, context=self.context)
        except ValidationError as exc:
            return [f"{self._column(str(e['loc'][0]))}: {e['msg']}" for e in exc.errors()]
        raise AssertionError("DialerRow.fields_of refused a row that the model accepts")

    def _accept_once(self, row: DataRow, fields: dict[str, Any]) -> Verdict:
        first = self._first_rows.first_row(identity_key(*Interaction.identity_of(fields)), row.number)
        if first != row.number:
            self.counts["duplicates"] += 1
            return DuplicateRow(row=row.number, duplicate_of=first, cells=row.cells[self.own_columns])
        self.counts["accepted"] += 1
        self.by_outcome[fields["outcome"]] += 1
        if fields["effort"]:
            self.by_effort[fields["effort"]] += 1
        return Accepted(Interaction.cells_of(row.number, fields))

    def _column(self, field: str) -> str:
        if field == "called_at" and self._date_called is not None:
            return self.columns.header_of("date_called")
        known: Field = field  # type: ignore[assignment]
        return self.columns.header_of(known) if known in self.columns.index else ALIASES[known][0]

    def _no_id(self, ignored_id_type: str | None) -> str:
        if ignored_id_type:
            return (
                f"{self._column('van_id')}: is ignored because Voter ID Type is {ignored_id_type}, not VAN, "
                "and the row has no other ID (accepted: Voter ID Type VAN, VANID or empty)"
            )
        ids = [self._column(field) for field in ("profile_id", "van_id") if field in self.columns.index]
        return f"{' / '.join(ids)}: empty, a row needs at least one ID"
