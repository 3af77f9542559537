"""Check every row of a dialer export; write the error report and the validated rows."""

from __future__ import annotations

import contextlib
import csv
import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import count, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, Protocol, cast

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from phonebank.collector import collecting_rarely
from phonebank.columns import ALIASES, ColumnMap, Field, map_columns, normalise_header
from phonebank.config import PipelineConfig, match_key
from phonebank.dedupe import FirstRows, identity_key
from phonebank.errors import EmptyFile, HeaderOnly, InputFileError, NoHeaderRow
from phonebank.memo import Memo
from phonebank.models.dialer import (
    ASK_THE_CELL_RULE,
    COLUMN_RULES,
    FIELD_RULES,
    DialerRow,
    FieldRule,
    RowContext,
)
from phonebank.models.interaction import Call
from phonebank.models.report import DuplicateRow, ErrorRow
from phonebank.models.steps import ValidationReport
from phonebank.models.summary import ErrorReason, OutputFile, RowCounts
from phonebank.reader import Boundary, CsvStream, DataRow, RowBatch
from phonebank.sinks import CsvFile, LocalDirectory, OpenFiles, OutputSink

ERRORS_FILE = "errors.csv"
DUPLICATES_FILE = "duplicates.csv"
VALIDATED_ROWS_FILE = "validated-rows.csv"
TOP_ERRORS = 10
BATCH_ROWS = 2048
_MEMO_LIMIT = 1 << 15

_new_tuple = tuple.__new__

_MODEL_FIELDS = cast(tuple[Field, ...], tuple(DialerRow.model_fields))
_CALLED_AT = _MODEL_FIELDS.index("called_at")


@dataclass(frozen=True)
class InputFile:
    """An export to validate: its bytes, its name as the user knows it, and what its location says."""

    name: str
    stream: BinaryIO
    size: int | None = None
    folder_effort: str | None = None


AcceptCalls = Callable[[Sequence[Call]], None]
"""Takes the accepted rows a batch at a time, in input order (`phonebank run` builds the imports)."""


@dataclass(frozen=True)
class FileSetup:
    """What a file's header decided: all that checking any stretch of its rows needs."""

    header: list[str]
    delimiter: str
    columns: ColumnMap
    context: RowContext


class RepeatedRow(NamedTuple):
    """A row another process accepted that repeats `first`, a row this process accepted."""

    first: int
    cells: list[str]


@dataclass(frozen=True)
class CheckedPart:
    """What another process made of a stretch of the file's rows: its counts, and its report files'
    rows (written without headers) in `folder`; `repeats`, by row, the rows it accepted that repeat
    one before its part (it could not know)."""

    counts: Counter[str]
    reasons: Counter[str]
    by_outcome: Counter[str]
    by_effort: Counter[str]
    errors: int
    duplicates: int
    folder: Path
    one_line_per_row: bool
    repeats: dict[int, RepeatedRow] = field(default_factory=dict)


class CheckFrom(NamedTuple):
    """Another process could not give its part from `row` on: this process checks the rest itself."""

    row: int


class LaterRows(Protocol):
    """Another process checking the file's later rows while this one checks the earlier ones."""

    def start(self, setup: FileSetup) -> Boundary | None:
        """How far this process reads before the other's rows (it may claim some of this process's
        rows while they are read), or None when this process checks the whole file."""
        ...

    def parts(self, first_rows: FirstRows) -> Iterator[CheckedPart | CheckFrom]:
        """Its parts in row order, each with the rows that repeat one before it: in `first_rows` (the
        rows this process checked), or in a part given before. At the first part it cannot give,
        where this process checks the rest of the file itself, and nothing after."""
        ...

    def write_imports(self, repeats: Sequence[Call]) -> None:
        """Write the import rows of the part it gave last after those written so far, but for those
        of `repeats`."""
        ...

    def cancel(self) -> None:
        """Stop it: this process checks the later rows itself."""
        ...


def validate_upload(
    upload: InputFile,
    config: PipelineConfig,
    reports: OutputSink,
    work: OutputSink | None,
    now: datetime,
    *,
    accept: AcceptCalls | None = None,
    later_rows: LaterRows | None = None,
) -> ValidationReport:
    """Sort every row into accepted, rejected, duplicate or not dialed, and decide if the file may go on.

    Writes `errors.csv` (always) and `duplicates.csv` (when there are any) to `reports`, the accepted
    rows to `work` (the transformer's input, when it runs apart) and hands them to `accept`, if given.
    With `later_rows`, another process checks the later rows at the same time. A file that cannot be
    read at all gives a FAILED report, not an exception.
    """
    try:
        with collecting_rarely():
            return _validate(upload, config, reports, work, accept=accept, later_rows=later_rows, now=now)
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
    work: OutputSink | None,
    *,
    accept: AcceptCalls | None,
    later_rows: LaterRows | None,
    now: datetime,
) -> ValidationReport:
    stream = CsvStream(upload.stream, config.limits.max_input_bytes, upload.size)
    if not any(stream.header):
        raise _blank_first_line(stream.rows())
    columns = map_columns(stream.header)
    setup = FileSetup(
        stream.header,
        stream.delimiter,
        columns,
        RowContext(
            config=config,
            source_zone=config.source_zone(columns.dialer),
            now=now,
            fallback_effort=upload.folder_effort or config.default_effort,
            service=columns.service_name,
        ),
    )
    # Started before any output is open, so that the other process holds none of this one's files.
    boundary = None if later_rows is None else later_rows.start(setup)
    first_rows = FirstRows(parts=1 if boundary is None else 2)
    with first_rows, OpenFiles() as files:
        validation = _Validation(setup, first_rows, files, reports=reports, work=work, accept=accept)
        validation.check(stream.batches(BATCH_ROWS, before=boundary))
        if later_rows is not None and boundary is not None:
            _take_later_rows(later_rows, stream, validation, first_rows)
        if validation.checker.counts["rows_read"] == 0:
            raise HeaderOnly(
                "The file has a header but no rows. Export the call results again with the rows."
            )
    return validation.report(upload.name, config)


def _take_later_rows(
    later_rows: LaterRows, stream: CsvStream, validation: _Validation, first_rows: FirstRows
) -> None:
    """Take the other process's parts after this one's rows, or check the rows it could not give."""
    # Its rows, numbered by counting line ends, hold only if no row here took two lines.
    if not stream.one_line_per_row():
        later_rows.cancel()
        validation.check(stream.batches(BATCH_ROWS))
        return
    for part in later_rows.parts(first_rows):
        if isinstance(part, CheckFrom):
            for _ in stream.batches(BATCH_ROWS, before=part.row):
                pass  # rows of a part already taken
            validation.check(stream.batches(BATCH_ROWS))
        else:
            later_rows.write_imports(validation.absorb(part))


def check_part(
    stream: CsvStream,
    setup: FileSetup,
    first_rows: FirstRows,
    folder: Path,
    accept: AcceptCalls,
    *,
    before: int | None = None,
) -> CheckedPart:
    """Check the rows of `stream` (up to `before`) for another process (`LaterRows`): the report
    files' rows go to `folder`, without headers; the accepted rows to `accept`."""
    with OpenFiles(headers=False) as files:
        validation = _Validation(
            setup, first_rows, files, reports=LocalDirectory(folder), work=None, accept=accept
        )
        validation.check(stream.batches(BATCH_ROWS, before=before))
    checker = validation.checker
    return CheckedPart(
        counts=checker.counts,
        reasons=checker.reasons,
        by_outcome=checker.by_outcome,
        by_effort=checker.by_effort,
        errors=validation.errors.records,
        duplicates=0 if validation.duplicates is None else validation.duplicates.records,
        folder=folder,
        one_line_per_row=stream.one_line_per_row(),
    )


class _Validation:
    """The rows one process checks: the checker's counts, and the report files it writes."""

    def __init__(
        self,
        setup: FileSetup,
        first_rows: FirstRows,
        files: OpenFiles,
        *,
        reports: OutputSink,
        work: OutputSink | None,
        accept: AcceptCalls | None,
    ) -> None:
        self.checker = _RowChecker(setup.columns, first_rows, setup.context)
        self._own_header = setup.header[self.checker.own_columns]
        self._files, self._reports, self._accept = files, reports, accept
        self.errors = files.open_csv(reports, ERRORS_FILE, ErrorRow.header(self._own_header), bom=True)
        self._validated = (
            None if work is None else files.open_csv(work, VALIDATED_ROWS_FILE, list(Call._fields))
        )
        self.duplicates: CsvFile | None = None

    def check(self, batches: Iterable[RowBatch]) -> None:
        errors, validated, accept = self.errors, self._validated, self._accept
        for batch in batches:
            accepted, rejected, duplicates = self.checker.check_batch(batch)
            for error in rejected:
                errors.write(error.to_cells())
            for duplicate in duplicates:
                self._duplicates_file().write(duplicate.to_cells())
            if validated is not None:
                validated.write_rows([call.to_cells() for call in accepted])
            if accept is not None:
                accept(accepted)

    def absorb(self, part: CheckedPart) -> list[Call]:
        """Count another process's rows as checked here, after the last row this one checked; return
        the calls it accepted that repeat one accepted here (`part.repeats`), now duplicates."""
        checker = self.checker
        for mine, theirs in (
            (checker.counts, part.counts),
            (checker.reasons, part.reasons),
            (checker.by_outcome, part.by_outcome),
            (checker.by_effort, part.by_effort),
        ):
            mine.update(theirs)
        with (part.folder / ERRORS_FILE).open("rb") as rows:
            self.errors.append(rows, part.errors)
        repeats = sorted(part.repeats.items())
        calls = [checker.repeated(DataRow(row, repeat.cells)) for row, repeat in repeats]
        if not repeats:
            if part.duplicates:
                with (part.folder / DUPLICATES_FILE).open("rb") as rows:
                    self._duplicates_file().append(rows, part.duplicates)
            return calls
        new_duplicates = [
            DuplicateRow(
                row=row, duplicate_of=repeat.first, cells=repeat.cells[checker.own_columns]
            ).to_cells()
            for row, repeat in repeats
        ]
        their_rows: Iterable[list[str]] = ()
        with contextlib.ExitStack() as opened:
            if part.duplicates:
                path = part.folder / DUPLICATES_FILE
                text = opened.enter_context(path.open(encoding="utf-8", newline=""))
                # A duplicate of a row that turned out to repeat an earlier one names the earliest.
                their_rows = (
                    [cells[0], str(part.repeats[int(cells[1])].first), *cells[2:]]
                    if int(cells[1]) in part.repeats
                    else cells
                    for cells in csv.reader(text)
                )
            for cells in heapq.merge(their_rows, new_duplicates, key=lambda cells: int(cells[0])):
                self._duplicates_file().write(cells)
        return calls

    def _duplicates_file(self) -> CsvFile:
        if self.duplicates is None:
            self.duplicates = self._files.open_csv(
                self._reports, DUPLICATES_FILE, DuplicateRow.header(self._own_header)
            )
        return self.duplicates

    def report(self, name: str, config: PipelineConfig) -> ValidationReport:
        checker, reports = self.checker, self._reports
        counts = checker.result_counts()
        written = [
            OutputFile(
                system="report",
                name=ERRORS_FILE,
                location=reports.location(ERRORS_FILE),
                records=self.errors.records,
            )
        ]
        if self.duplicates is not None:
            written.append(
                OutputFile(
                    system="report",
                    name=DUPLICATES_FILE,
                    location=reports.location(DUPLICATES_FILE),
                    records=self.duplicates.records,
                )
            )
        over_limit = counts.reject_rate > config.limits.max_reject_rate
        return ValidationReport(
            status="REJECTED" if over_limit else "VALID",
            input=name,
            dialer=checker.columns.service_name or None,
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


class Sorted(NamedTuple):
    """A batch's rows that were checked, sorted, each kind in row order (blank and not dialed rows
    are only counted)."""

    accepted: list[Call]
    rejected: list[ErrorRow]
    duplicates: list[DuplicateRow]


class _Refused:
    """What a field's memo holds for a cell its rule refuses: the row takes the path that says why."""


_REFUSED = _Refused()


def _field_memo(rule: FieldRule, context: RowContext, refusals: dict[str, str]) -> Memo[str, Any]:
    """A field rule's answer for each distinct cell, _REFUSED where it raises, and then why in
    `refusals`."""
    return Memo(partial(_answer_or_refused, rule, context, refusals), _MEMO_LIMIT)


def _answer_or_refused(rule: FieldRule, context: RowContext, refusals: dict[str, str], cell: str) -> Any:
    try:
        return rule(cell, context)
    except PydanticCustomError as refusal:
        if len(refusals) >= _MEMO_LIMIT:
            refusals.clear()
        refusals[cell] = refusal.message()
        return _REFUSED


def _names_van_id(voter_id_type: str) -> bool:
    """Whether a Voter ID Type cell lets the VAN ID beside it stand: VAN, or nothing said."""
    text = voter_id_type.strip()
    return not text or "van" in text.casefold()


class _RowChecker:
    """Counts and sorts rows; remembers only what duplicate detection needs.

    Most rows are clean: `check_batch` applies each field's rule to a batch's column at once, through
    a memo, and sends a row down the row-by-row path (`check`) only when a rule refuses one of its
    cells, or for what a column cannot tell alone. That path reports every problem through the model.
    """

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
        present = [
            (slot, columns.index[field]) for slot, field in enumerate(_MODEL_FIELDS) if field in columns.index
        ]
        self._present_slots = [slot for slot, _ in present]
        self._pick_present = itemgetter(*(position for _, position in present))
        self._refusals: dict[Field, dict[str, str]] = {field: {} for field in _MODEL_FIELDS}
        self._memos = {
            field: _field_memo(FIELD_RULES[field], context, self._refusals[field]) for field in _MODEL_FIELDS
        }
        self._van_id_kept = Memo(_names_van_id, _MEMO_LIMIT)
        self._column_memos: dict[str, dict[str, Any]] = {field: {} for field in COLUMN_RULES}

    def result_counts(self) -> RowCounts:
        counts = RowCounts(**{name: self.counts[name] for name in RowCounts.model_fields})
        counts.check()
        return counts

    def check_batch(self, batch: RowBatch) -> Sorted:
        rows = batch.rows
        not_dialed = self.context.config.not_dialed_outcomes
        clean = not_dialed_rows = 0
        calls: list[Call] = []
        cells_of_calls: list[list[str]] = []
        rejected: list[ErrorRow] = []
        for number, cells, answers, van_id_kept in zip(
            count(batch.first),
            rows,
            zip(*self._answers(rows), strict=True),
            self._van_id_type_answers(rows),
            strict=False,  # count() never ends
        ):
            if not van_id_kept:
                verdict = self.check(DataRow(number, cells))
            elif _REFUSED in answers:
                verdict = self.check(DataRow(number, cells), answers=answers)
            else:
                profile_id, van_id, _, _, outcome, effort, _, _, _ = answers
                if outcome in not_dialed:
                    clean += 1
                    not_dialed_rows += 1
                    continue
                if (profile_id is not None or van_id is not None) and (
                    profile_id is None or effort is not None
                ):
                    clean += 1
                    # tuple.__new__ is Call's own constructor without its Python frame (~0.3 us a row).
                    calls.append(_new_tuple(Call, (number, *answers)))
                    cells_of_calls.append(cells)
                    continue
                verdict = self.check(DataRow(number, cells))
            if isinstance(verdict, Call):
                calls.append(verdict)
                cells_of_calls.append(cells)
            elif verdict is not None:
                rejected.append(verdict)
        self.counts["rows_read"] += clean
        self.counts["not_dialed"] += not_dialed_rows
        accepted, duplicates = self.accept_once(calls, cells_of_calls)
        return Sorted(accepted, rejected, duplicates)

    def _answers(self, rows: list[list[str]]) -> list[list[Any]]:
        """Each field's rule applied down its column, in the model's field order."""
        if min(map(len, rows)) < self._width:
            rows = [[*cells, *[""] * (self._width - len(cells))] for cells in rows]
        # A field without a column reads an empty cell, as the row-by-row path does.
        columns: list[Sequence[str]] = [("",) * len(rows)] * len(_MODEL_FIELDS)
        picked = zip(*map(self._pick_present, rows), strict=True)
        for slot, column in zip(self._present_slots, picked, strict=True):
            columns[slot] = column
        if self._date_called is not None:
            dates = (cells[self._date_called] for cells in rows)
            times = repeat("") if self._time_called is None else (cells[self._time_called] for cells in rows)
            columns[_CALLED_AT] = [
                f"{date.strip()} {time.strip()}".strip() for date, time in zip(dates, times, strict=False)
            ]
        return [self._apply(field, cells) for field, cells in zip(_MODEL_FIELDS, columns, strict=True)]

    def _apply(self, field: Field, cells: Sequence[str]) -> list[Any]:
        column_rule = COLUMN_RULES.get(field)
        answers = None
        if column_rule is not None:
            column_memo = self._column_memos[field]
            answers = column_rule(cells, self.context, column_memo)
            if len(column_memo) >= _MEMO_LIMIT:
                column_memo.clear()
        memo = self._memos[field]
        if answers is None:
            return list(map(memo.__getitem__, cells))
        if ASK_THE_CELL_RULE in answers:
            return [
                memo[cell] if answer is ASK_THE_CELL_RULE else answer
                for answer, cell in zip(answers, cells, strict=True)
            ]
        return answers

    def _van_id_type_answers(self, rows: list[list[str]]) -> Iterable[bool]:
        """Per row, whether its Voter ID Type lets the VAN ID stand (the row-by-row path says why not)."""
        if self._voter_id_type is None:
            return repeat(True, len(rows))
        index = self._voter_id_type
        return [self._van_id_kept[cells[index] if index < len(cells) else ""] for cells in rows]

    def check(self, row: DataRow, *, answers: Sequence[Any] | None = None) -> Call | ErrorRow | None:
        """One row's verdict, before duplicates are sought (`accept_once`): None for a blank or not
        dialed row. `answers`: the field rules' answers for its cells, when one is known to refuse."""
        if not any(cell.strip() for cell in row.cells):
            return None
        self.counts["rows_read"] += 1
        values = self._values(row.cells)
        config = self.context.config
        if config.outcome_index.get(match_key(values["outcome"])) in config.not_dialed_outcomes:
            self.counts["not_dialed"] += 1
            return None
        fields, problems = self._parse(values, answers)
        if fields is None or problems:
            self.counts["rejected"] += 1
            self.reasons.update(problems)
            return ErrorRow(row=row.number, errors="; ".join(problems), cells=row.cells[self.own_columns])
        return Call(row.number, **fields)

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

    def _parse(
        self, values: dict[str, str], answers: Sequence[Any] | None
    ) -> tuple[dict[str, Any] | None, list[str]]:
        """The row's fields, and every problem with it: one row can be wrong in several ways."""
        # Asking every rule again only to hear a refusal already known would cost a phonenumbers parse.
        fields = None if answers is not None else DialerRow.fields_of(values, self.context)
        problems = [] if fields is not None else self._field_problems(values, answers)
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

    def _field_problems(self, values: dict[str, str], answers: Sequence[Any] | None) -> list[str]:
        if answers is not None:
            # What the model would report, from the rules' refusals already heard.
            refused = [
                field for field, answer in zip(_MODEL_FIELDS, answers, strict=True) if answer is _REFUSED
            ]
            messages = [self._refusals[field].get(values[field]) for field in refused]
            if None not in messages:
                return [
                    f"{self._column(field)}: {message}"
                    for field, message in zip(refused, messages, strict=True)
                ]
        try:
            DialerRow.model_validate(values, context=self.context)
        except ValidationError as exc:
            return [f"{self._column(str(e['loc'][0]))}: {e['msg']}" for e in exc.errors()]
        raise AssertionError("a field rule refused a row that the model accepts")

    def repeated(self, row: DataRow) -> Call:
        """A row another process counted as accepted that repeats a row accepted here: counted again,
        as a duplicate; its call, to take back from the imports."""
        fields = DialerRow.fields_of(self._values(row.cells), self.context)
        assert fields is not None, "a repeated row was accepted, so its fields are valid"
        call = Call(row.number, **fields)
        self.counts["accepted"] -= 1
        self.counts["duplicates"] += 1
        # Never to 0: the row it repeats has the same outcome and effort, and was counted here.
        self.by_outcome[call.outcome] -= 1
        if call.effort:
            self.by_effort[call.effort] -= 1
        return call

    def accept_once(
        self, calls: list[Call], cells_of_calls: list[list[str]]
    ) -> tuple[list[Call], list[DuplicateRow]]:
        """The calls whose interaction no earlier row had, and the others as duplicates of that row."""
        keys = list(map(identity_key, map(Call.identity, calls)))
        firsts = self._first_rows.first_rows(keys, [call.row for call in calls])
        accepted: list[Call] = []
        duplicates: list[DuplicateRow] = []
        for call, cells, first in zip(calls, cells_of_calls, firsts, strict=True):
            if first == call.row:
                accepted.append(call)
            else:
                duplicates.append(
                    DuplicateRow(row=call.row, duplicate_of=first, cells=cells[self.own_columns])
                )
        self.counts["accepted"] += len(accepted)
        self.counts["duplicates"] += len(duplicates)
        self.by_outcome.update([call.outcome for call in accepted])
        self.by_effort.update([call.effort for call in accepted if call.effort])
        return accepted, duplicates

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
