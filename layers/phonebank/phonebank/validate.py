"""Check every row of a dialer export; write the error report, the duplicates and the validated rows.

A chunk of rows at a time: each field's rule answers its whole column (`phonebank.columnar`), the
row's problems are put together from the refusals, and the accepted rows are handed to the
transformer as Parquet parts (`validated-rows/part-NNNNN.parquet`).
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

import polars as pl

from phonebank.columnar import (
    Answers,
    KnownAnswers,
    answer_column,
    answer_date_and_time,
    map_distinct,
    python_whitespace,
    tally_in_order,
)
from phonebank.columns import ColumnMap, Field, map_columns
from phonebank.config import PipelineConfig
from phonebank.dedupe import FIRST, ROW, FirstRows, identity_keys
from phonebank.errors import DateOrderUnclear, EmptyFile, HeaderOnly, InputFileError, NoHeaderRow
from phonebank.in_force import SettingInForce
from phonebank.input_rows import own_columns
from phonebank.models.dialer import RowContext
from phonebank.models.interaction import Interaction
from phonebank.models.report import DuplicateRow, ErrorRow, safe_column
from phonebank.models.steps import ValidationReport
from phonebank.models.summary import ErrorReason, OutputFile, RowCounts
from phonebank.overlap import overlapping, read_ahead, write_behind
from phonebank.problems import (
    FIELDS,
    NO_EFFORT,
    NO_ID,
    VAN_ID_GIVEN,
    ProblemWords,
    not_utf8_column,
    refusal_column,
    row_after_row,
)
from phonebank.reader import Chunk, ExportReader, column_names
from phonebank.sinks import CsvFile, OpenFiles, OutputSink
from phonebank.times import date_order_failure, only_in_other_order

ERRORS_FILE = "errors.csv"
DUPLICATES_FILE = "duplicates.csv"
VALIDATED_PART = "validated-rows/part-{:05d}.parquet"
"""The accepted rows of one chunk, normalised (`Interaction.SCHEMA`): what the transformer reads."""
TOP_ERRORS = 10

_ERRORS, _BLANK, _NOT_DIALED, _HAS_PROBLEM = "errors", "blank", "not_dialed", "has_problem"
_CALLED_AT_TEXT = "called_at_text"


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
    work: OutputSink | None,
    now: datetime,
    *,
    in_force: dict[str, SettingInForce] | None = None,
) -> ValidationReport:
    """Sort every row into accepted, rejected, duplicate or not dialed, and decide if the file may go on.

    Writes `errors.csv` (always) and `duplicates.csv` (when there are any) to `reports`, and the
    accepted rows to `work` (the transformer's input), if given. A file that cannot be read at all
    gives a FAILED report, not an exception. `in_force`: the settings used and their sources, for the
    summary.
    """
    try:
        report = _validate(upload, config, reports, work, now)
    except InputFileError as exc:
        report = ValidationReport(
            status="FAILED",
            input=upload.name,
            max_reject_rate=config.limits.max_reject_rate,
            failure=f"{type(exc).__name__}: {exc}",
        )
    return report.model_copy(update={"in_force": in_force or {}})


def _validate(
    upload: InputFile, config: PipelineConfig, reports: OutputSink, work: OutputSink | None, now: datetime
) -> ValidationReport:
    reader = ExportReader(upload.stream, config.limits.max_input_bytes, upload.size, overlapped=overlapping())
    if not any(reader.header):
        if reader.has_rows_after_a_blank_header():
            raise NoHeaderRow("The first line is blank. The header (the column names) must be on line 1.")
        raise EmptyFile("The file holds no data, only blank lines. Export the call results again.")
    columns = map_columns(reader.header, config.columns)
    context = RowContext(
        config=config,
        source_zone=config.source_zone(columns.dialer),
        now=now,
        fallback_effort=upload.folder_effort or config.default_effort,
        service=columns.service_name,
    )
    checker = _ChunkChecker(columns, context)
    with OpenFiles() as files:
        outputs = _Outputs(files, reports, work, checker.own_header)
        # Three chunks at once where there are cores: the next read and its fields answered, this one
        # sorted, the last written (`phonebank.overlap`).
        with write_behind(outputs.write) as put:
            for answered in read_ahead(map(checker.answer, read_ahead(reader.chunks()))):
                put(checker.check(answered))
        if checker.counts["rows_read"] == 0:
            raise HeaderOnly(
                "The file has a header but no rows. Export the call results again with the rows."
            )
    return checker.report(upload.name, config, outputs.written(), outputs.parts)


@dataclass(frozen=True)
class AnsweredChunk:
    """A chunk's rows and each field's answers (`answer_column`), with the text its date was read from
    (for ThruTalk's, only where the rule read it: `answer_date_and_time`)."""

    chunk: Chunk
    called_at: pl.Series
    answers: dict[Field, Answers]


@dataclass(frozen=True)
class CheckedChunk:
    """A chunk's rows sorted: the rejected with their errors, the duplicates with the row each repeats,
    the accepted normalised; blank and not dialed rows are only counted."""

    rejected: pl.DataFrame
    duplicates: pl.DataFrame
    accepted: pl.DataFrame


class _ChunkChecker:
    """Checks a file's chunks in order; remembers the counts and what duplicate detection needs."""

    def __init__(self, columns: ColumnMap, context: RowContext) -> None:
        self.columns, self.context = columns, context
        self.counts = Counter[str]()
        self.reasons = Counter[str]()
        self.by_outcome = Counter[str]()
        self.by_effort = Counter[str]()
        self._first_rows = FirstRows()
        self._known = KnownAnswers()
        self._whitespace = python_whitespace()
        self._names = column_names(len(columns.headers))
        self._words = ProblemWords(columns, self._names)
        skipped = own_columns(columns.headers)
        self.own_header = list(columns.headers[skipped:])
        self._own_columns = self._names[skipped:]
        # A field the file has no column for is "" on every row (`_column_of`): its rule is asked once a
        # run. ThruTalk's date and time columns give the call's instant.
        self._date_and_time = "date_called" in columns.index
        self._read_fields = [field for field in FIELDS if field in columns.index]
        self._absent_answers = {
            field: answer_column(field, pl.Series([""], dtype=pl.String), context)
            for field in FIELDS
            if field not in columns.index and not (field == "called_at" and self._date_and_time)
        }

    def answer(self, chunk: Chunk) -> AnsweredChunk:
        """Each field's rule over the chunk's cells: what the rest of the check reads."""
        cells = chunk.cells
        texts = {field: self._field_cells(cells, field) for field in self._read_fields}
        answers = {field: answer_column(field, texts[field], self.context, self._known) for field in texts}
        if self._date_and_time:
            dates, times = (self._column_of(cells, part) for part in ("date_called", "time_called"))
            answers["called_at"], texts["called_at"] = answer_date_and_time(
                dates, times, self.context, self._known
            )
        for field, answer in self._absent_answers.items():
            answers[field] = answer.spread(cells.height)
        return AnsweredChunk(chunk, texts["called_at"], answers)

    def check(self, answered: AnsweredChunk) -> CheckedChunk:
        chunk, answers = answered.chunk, answered.answers
        cells = chunk.cells

        def given(field: Field) -> pl.Series:
            # A rule answers None only for a cell that strips to nothing, and refuses only another.
            return answers[field].values.is_not_null() | answers[field].refusals.is_not_null()

        no_effort = pl.lit(False) if self.context.fallback_effort is not None else ~given("effort")
        not_utf8 = [name for name in self._own_columns if name in chunk.not_utf8]
        table = cells.with_columns(
            pl.int_range(chunk.first_row, chunk.first_row + cells.height, dtype=pl.Int64).alias(ROW),
            self._blank(cells, answers["phone"]).alias(_BLANK),
            *(answers[field].values.alias(field) for field in FIELDS),
            *(answers[field].refusals.alias(refusal_column(field)) for field in FIELDS),
            (~given("profile_id") & ~given("van_id")).alias(NO_ID),
            (given("profile_id") & no_effort).alias(NO_EFFORT),
            self._van_id_given(cells).alias(VAN_ID_GIVEN),
            answered.called_at.alias(_CALLED_AT_TEXT),
            *(chunk.not_utf8[name].alias(not_utf8_column(name)) for name in not_utf8),
        ).with_columns(
            # A row holding bytes that are not UTF-8 is rejected whatever its outcome: no cell of it is sure.
            (~pl.col(_BLANK) & pl.col("outcome").is_in(sorted(self.context.config.not_dialed_outcomes)))
            .fill_null(False)
            .and_(*(~pl.col(not_utf8_column(name)) for name in not_utf8))
            .alias(_NOT_DIALED),
            pl.any_horizontal(
                pl.col(NO_ID),
                pl.col(NO_EFFORT),
                *(pl.col(refusal_column(field)).is_not_null() for field in FIELDS),
                *(pl.col(not_utf8_column(name)) for name in not_utf8),
            ).alias(_HAS_PROBLEM),
        )
        counted = ~pl.col(_BLANK) & ~pl.col(_NOT_DIALED)
        date_refused = counted & pl.col(refusal_column("called_at")).is_not_null()
        self._refuse_other_date_order(table.select(pl.col(ROW, _CALLED_AT_TEXT).filter(date_refused)))
        # Most rows have no problem: the words of each problem are put together for the others only.
        problems = {f"problem_{number}": words for number, words in enumerate(self._words.problems(not_utf8))}
        rejected = table.filter(counted & pl.col(_HAS_PROBLEM)).with_columns(**problems)
        # Only what each output reads is copied on: the accepted rows' fields, and the own cells of the
        # few duplicates alone. Every row's key is made (a few are rejected) so that only two numbers a
        # row are gathered for the duplicates' search, not the fields.
        unrefused = table.select(counted & ~pl.col(_HAS_PROBLEM)).to_series().arg_true()
        keys = table.select(ROW).hstack(identity_keys(table, _IDENTITY))[unrefused]
        firsts = self._first_rows.first_rows(keys)
        repeated = firsts != keys[ROW]
        accepted = table.select(ROW, *FIELDS)[unrefused.filter(~repeated)]
        duplicates = table.select(ROW, *self._own_columns)[unrefused.filter(repeated)].with_columns(
            firsts.filter(repeated).alias(FIRST)
        )
        self._count(table, rejected, accepted, duplicates)
        self.reasons.update(tally_in_order(row_after_row(rejected, list(problems))))
        return CheckedChunk(
            rejected=rejected.select(
                pl.col(ROW).cast(pl.String),
                safe_column(pl.concat_str(list(problems), separator="; ", ignore_nulls=True)).alias(_ERRORS),
                *(safe_column(pl.col(name)).alias(name) for name in self._own_columns),
            ),
            duplicates=duplicates.select(
                pl.col(ROW).cast(pl.String),
                pl.col(FIRST).cast(pl.String),
                *(safe_column(pl.col(name)).alias(name) for name in self._own_columns),
            ),
            accepted=accepted.select(ROW, *FIELDS).cast(Interaction.SCHEMA),  # type: ignore[arg-type]
        )

    def _van_id_given(self, cells: pl.DataFrame) -> pl.Expr:
        """Whether the row's own VAN ID cell holds one (before its Voter ID Type is asked): only a file
        with that column needs to know."""
        if "voter_id_type" not in self.columns.index:
            return pl.lit(False)
        return pl.lit(self._column_of(cells, "van_id")).str.strip_chars(self._whitespace) != ""

    def _blank(self, cells: pl.DataFrame, phones: Answers) -> pl.Series:
        """Whether each row is blank: every cell strips to nothing. Only a row whose phone the rule
        refused may be (the phone is required), so only those rows' cells are looked at."""
        blank = pl.repeat(False, cells.height, dtype=pl.Boolean, eager=True).alias(_BLANK)
        maybe = phones.values.is_null().arg_true()
        if maybe.len():
            # Every cell of a row is blank when all of them together are.
            joined = cells[maybe].select(pl.concat_str(self._names).str.strip_chars(self._whitespace) == "")
            blank = blank.scatter(maybe, joined.to_series())
        return blank

    def _refuse_other_date_order(self, refused: pl.DataFrame) -> None:
        """DateOrderUnclear at the first date (`refused`: the row and date text of each counted row whose
        date was refused) only real read in the other order: never a guess."""
        order = self.context.config.date_order
        for row, text in refused.iter_rows():
            if only_in_other_order(text, order):
                raise DateOrderUnclear(date_order_failure(row, text, order))

    def _count(
        self, table: pl.DataFrame, rejected: pl.DataFrame, accepted: pl.DataFrame, duplicates: pl.DataFrame
    ) -> None:
        self.counts["rows_read"] += table.height - int(table[_BLANK].sum())
        self.counts["not_dialed"] += int(table[_NOT_DIALED].sum())
        self.counts["rejected"] += rejected.height
        self.counts["accepted"] += accepted.height
        self.counts["duplicates"] += duplicates.height
        self.by_outcome.update(tally_in_order(accepted["outcome"]))
        self.by_effort.update(tally_in_order(accepted["effort"].drop_nulls()))

    def _field_cells(self, cells: pl.DataFrame, field: Field) -> pl.Series:
        """The text a field's rule reads: its column's cell, but a VAN ID that its row's Voter ID Type
        says is not one emptied."""
        column = self._column_of(cells, field)
        if field == "van_id" and "voter_id_type" in self.columns.index:
            kept = map_distinct(self._column_of(cells, "voter_id_type"), _names_van_id, pl.Boolean())
            return column.zip_with(kept, pl.repeat("", cells.height, dtype=pl.String, eager=True))
        return column

    def _column_of(self, cells: pl.DataFrame, field: Field) -> pl.Series:
        position = self.columns.index.get(field)
        if position is None:
            return pl.repeat("", cells.height, dtype=pl.String, eager=True).alias(field)
        return cells[self._names[position]]

    def report(
        self, name: str, config: PipelineConfig, written: list[OutputFile], parts: int
    ) -> ValidationReport:
        counts = RowCounts(**{name: self.counts[name] for name in RowCounts.model_fields})
        counts.check()
        over_limit = counts.reject_rate > config.limits.max_reject_rate
        return ValidationReport(
            status="REJECTED" if over_limit else "VALID",
            input=name,
            dialer=self.columns.service_name or None,
            counts=counts,
            max_reject_rate=config.limits.max_reject_rate,
            top_errors=[ErrorReason(reason=r, count=n) for r, n in self.reasons.most_common(TOP_ERRORS)],
            by_outcome=dict(self.by_outcome.most_common()),
            by_effort=dict(self.by_effort.most_common()),
            files=written,
            validated_parts=parts,
        )


_IDENTITY = ("profile_id", "van_id", "phone", "called_at", "outcome", "effort")
"""What makes two rows the same interaction: everything but the row number and free text. An
instant is compared in UTC: 19:42-04:00 and 23:42Z are one call."""


def _names_van_id(voter_id_type: str) -> bool:
    """Whether a Voter ID Type cell lets the VAN ID beside it stand: VAN, or nothing said."""
    text = voter_id_type.strip()
    return not text or "van" in text.casefold()


class _Outputs:
    """The report files and the validated rows' parts of one run, opened as they are needed."""

    def __init__(
        self, files: OpenFiles, reports: OutputSink, work: OutputSink | None, own_header: list[str]
    ) -> None:
        self._files, self._reports, self._work, self._own_header = files, reports, work, own_header
        self.errors = files.open_csv(reports, ERRORS_FILE, ErrorRow.header(own_header), bom=True)
        self.duplicates: CsvFile | None = None
        self.parts = 0

    def write(self, checked: CheckedChunk) -> None:
        self.errors.write_frame(checked.rejected)
        if checked.duplicates.height:
            if self.duplicates is None:
                header = DuplicateRow.header(self._own_header)
                self.duplicates = self._files.open_csv(self._reports, DUPLICATES_FILE, header)
            self.duplicates.write_frame(checked.duplicates)
        if self._work is not None and checked.accepted.height:
            self.parts += 1
            data = io.BytesIO()
            checked.accepted.write_parquet(data, compression="uncompressed", statistics=False)
            # Committed at once, not with the reports: a working file read only after a VALID report,
            # and on S3 an upload left open holds its bytes in memory until it completes.
            with self._work.create(VALIDATED_PART.format(self.parts)) as part:
                part.write(data.getvalue())

    def written(self) -> list[OutputFile]:
        files = [(ERRORS_FILE, self.errors)]
        if self.duplicates is not None:
            files.append((DUPLICATES_FILE, self.duplicates))
        return [
            OutputFile(system="report", name=name, location=self._reports.location(name), records=csv.records)
            for name, csv in files
        ]
