"""Turn validated interactions into Organizer's import and NGP VAN's canvass-result files.

The calls come in batches. Each batch's rows are built as tuples of cells, checked against the output
models all at once, and written with one encoding a file. What depends on one value alone (an instant's
local date strings, a number's VAN phone, an outcome's results) is worked out once per distinct value.
"""

from __future__ import annotations

import contextlib
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import partial
from itertools import accumulate, compress, islice, repeat
from operator import is_, itemgetter
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol, TypeVar

from phonebank.collector import collecting_rarely
from phonebank.config import CallType, PipelineConfig
from phonebank.memo import Memo
from phonebank.models.organizer import OrganizerRow
from phonebank.models.output import Cells
from phonebank.models.steps import ValidationReport
from phonebank.models.summary import CONSENT_CHANGING_RESULTS, OutputFile, Summary, System, SystemCounts
from phonebank.models.van import VanBulkRow, VanNamesRow
from phonebank.phones import national_and_country, national_or_e164, us_numbers_among
from phonebank.sinks import CsvFile, OpenFiles, OutputSink, read_numbers

ORGANIZER_FILE = "organizer/organizer-phone-interactions-{:02d}.csv"
VAN_NAMES_FILE = "van/van-canvass-results-by-name.csv"
VAN_BULK_FILE = "van/van-canvass-results-bulk-import.csv"
ORGANIZER_PART_FILE = ORGANIZER_FILE.format(1)
"""A part's Organizer rows (`ImportFiles(part_of=...)`): all in one file, in input order."""
_LENGTHS, _SOURCES, _EFFORTS = ".lengths", ".sources", ".efforts"
"""Beside each file of a part: each row's length in bytes, its input row, its effort (Organizer)."""

BATCH_ROWS = 4096
"""Calls `transform_validated` hands on at once: large enough that per-batch work vanishes per row."""

_MEMO_LIMIT = 1 << 15
"""Entries a memo keeps before it starts over, so that memory stays flat however long the file."""

Item = TypeVar("Item")


class CallLike(Protocol):
    """What the transform reads of an accepted call: `Interaction` and `Call` both have it."""

    @property
    def row(self) -> int: ...
    @property
    def profile_id(self) -> str | None: ...
    @property
    def van_id(self) -> str | None: ...
    @property
    def phone(self) -> str: ...
    @property
    def called_at(self) -> datetime: ...
    @property
    def outcome(self) -> str: ...
    @property
    def effort(self) -> str | None: ...
    @property
    def service(self) -> str: ...
    @property
    def call_type(self) -> CallType: ...
    @property
    def duration(self) -> int | None: ...


class _LocalTime(NamedTuple):
    """One instant as each file writes it, in the campaign's zone."""

    organizer: str
    van_date: str
    van_instant: str


def _local_time(zone: tzinfo, instant: datetime) -> _LocalTime:
    local = instant.astimezone(zone)
    return _LocalTime(
        organizer=f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}",
        van_date=f"{local.month:02d}/{local.day:02d}/{local.year:04d}",
        van_instant=local.isoformat(timespec="seconds"),
    )


_HourKey = tuple[int, int, tzinfo | timedelta | None]
"""A call's date (its ordinal) and hour on its own clock, and that clock: the instant, to the hour. The
clock is its tzinfo when that is a fixed offset (the cheapest key to build), else its offset then."""


class _LocalHour(NamedTuple):
    """An hour of a call's own clock as the campaign's clock writes it, but for the minutes and
    seconds, which are the call's own: the two clocks differ by whole hours all that hour."""

    organizer: str  # "YYYY-MM-DD HH:"
    van_date: str
    van_hour: str  # "YYYY-MM-DDTHH:"
    van_offset: str  # "-04:00"


def _local_hour(zone: tzinfo, key: _HourKey) -> _LocalHour | None:
    """None when the campaign zone is a fraction of an hour off the call's, or changes its offset
    within the hour: then each instant is converted on its own."""
    ordinal, hour, clock = key
    offset = clock.utcoffset(None) if isinstance(clock, timezone) else clock
    if not isinstance(offset, timedelta):
        return None
    day = date.fromordinal(ordinal)
    start = datetime(day.year, day.month, day.day, hour, tzinfo=timezone(offset))
    first, last = start.astimezone(zone), (start + _LAST_INSTANT_OF_HOUR).astimezone(zone)
    if first.utcoffset() != last.utcoffset() or (first.minute, first.second, first.microsecond) != (0, 0, 0):
        return None
    whole = first.isoformat(timespec="seconds")
    return _LocalHour(
        organizer=f"{first.year:04d}-{first.month:02d}-{first.day:02d} {first.hour:02d}:",
        van_date=f"{first.month:02d}/{first.day:02d}/{first.year:04d}",
        van_hour=whole[: len("YYYY-MM-DDTHH:")],
        van_offset=whole[len("YYYY-MM-DDTHH:MM:SS") :],
    )


_LAST_INSTANT_OF_HOUR = timedelta(hours=1, microseconds=-1)
_TWO_DIGITS = tuple(f"{number:02d}" for number in range(60))


def _seconds_text(duration: int | None) -> str:
    return "" if duration is None else str(duration)


def _unchanged(e164: str) -> str:
    return e164


class _VanInstruction(NamedTuple):
    """One VAN record a call produces; the IDs as the bulk file writes them (None: not configured)."""

    contact_type: str
    result: str
    contact_type_id: str
    result_id: str | None


def _van_instructions(config: PipelineConfig, outcome: str) -> tuple[_VanInstruction, ...]:
    van = config.van
    named = []
    if result := config.outcomes[outcome].van:
        named.append((van.contact_type, van.contact_type_id, result))
    if van.last_called_at.enabled and van.last_called_at.result:
        named.append(
            (van.last_called_at.contact_type, van.last_called_at.contact_type_id, van.last_called_at.result)
        )
    return tuple(
        _VanInstruction(contact_type, result, str(contact_type_id), _text(van.result_ids.get(result)))
        for contact_type, contact_type_id, result in named
    )


def _text(number: int | None) -> str | None:
    return None if number is None else str(number)


@dataclass
class _SystemTally:
    written: int = 0
    no_id: int = 0
    no_instruction: int = 0
    results: Counter[str] = field(default_factory=Counter)

    def counts(self) -> SystemCounts:
        return SystemCounts(
            written=self.written, not_sent_no_id=self.no_id, not_sent_no_instruction=self.no_instruction
        )

    def add_tally(self, other: _SystemTally, sign: int = 1) -> None:
        self.written += sign * other.written
        self.no_id += sign * other.no_id
        self.no_instruction += sign * other.no_instruction
        self.results.update({result: sign * n for result, n in other.results.items()})

    def consent_changing(self) -> dict[str, int]:
        return {result: n for result, n in self.results.items() if result in CONSENT_CHANGING_RESULTS}


class _OrganizerFiles:
    """Numbered Organizer files: at most N distinct efforts each, and under the size limit."""

    def __init__(self, sink: OutputSink, files: OpenFiles, max_efforts: int, max_bytes: int) -> None:
        self._sink, self._files = sink, files
        self._max_efforts, self._max_bytes = max_efforts, max_bytes
        self._group_of: dict[str, int] = {}
        self._current: dict[int, tuple[str, CsvFile]] = {}
        self.written: list[tuple[str, CsvFile]] = []

    def write(self, rows: list[Cells]) -> None:
        """Each row to its effort's file, in order."""
        if rows and not self._write_whole(rows):
            for row in rows:
                self._write_one(row)

    def _write_whole(self, rows: list[Cells]) -> bool:
        """Write the rows with one encoding a file if none of them starts a file; else write nothing.

        A batch starts no file when its efforts all have one already and each file's share fits
        under the limit whole: then no single row could have crossed it either."""
        efforts = set(map(itemgetter(1), rows))
        if not efforts <= self._group_of.keys():
            return False
        shares = [(self._current[group][1], share) for group, share in self._by_group(rows, efforts).items()]
        return self._write_if_all_fit([(file, file.encode_rows(share), len(share)) for file, share in shares])

    def _write_if_all_fit(self, shares: list[tuple[CsvFile, bytes, int]]) -> bool:
        """Write each file's share (its bytes and records) if every share fits under the limit whole;
        else write nothing."""
        if any(csv_file.bytes_written + len(data) > self._max_bytes for csv_file, data, _ in shares):
            return False
        for csv_file, data, records in shares:
            csv_file.write_encoded(data, records=records)
        return True

    def _by_group(self, rows: list[Cells], efforts: set[str]) -> dict[int, list[Cells]]:
        groups = {self._group_of[effort] for effort in efforts}
        if len(groups) == 1:
            return {groups.pop(): rows}
        shares: dict[int, list[Cells]] = {group: [] for group in groups}
        for row in rows:
            shares[self._group_of[row[1]]].append(row)
        return shares

    def write_encoded(self, rows: _PartRows, efforts: list[str]) -> None:
        """Rows another process encoded, `efforts` theirs, each to its effort's file, in order."""
        distinct = dict.fromkeys(efforts)
        if distinct.keys() <= self._group_of.keys():
            file_of = {effort: self._current[self._group_of[effort]][1] for effort in distinct}
            targets = list(map(file_of.__getitem__, efforts))
            files = dict.fromkeys(targets)
            if len(files) == 1:
                shares = [(targets[0], rows.data, len(targets))]
            else:
                lines = rows.lines()
                shares = []
                for csv_file in files:
                    mine = list(map(is_, targets, repeat(csv_file)))
                    shares.append((csv_file, b"".join(compress(lines, mine)), mine.count(True)))
            if self._write_if_all_fit(shares):
                return
        for effort, line in zip(efforts, rows.lines(), strict=True):
            self._write_line(effort, line)

    def _write_one(self, row: Cells) -> None:
        self._write_line(row[1], self._file_for(row[1]).encode(row))

    def _write_line(self, effort: str, line: bytes) -> None:
        current = self._file_for(effort)
        if current.records and current.bytes_written + len(line) > self._max_bytes:
            current = self._start(self._group_of[effort])[1]
        current.write_encoded(line)

    def _file_for(self, effort: str) -> CsvFile:
        group = self._group_of.setdefault(effort, len(self._group_of) // self._max_efforts)
        return (self._current.get(group) or self._start(group))[1]

    def _start(self, group: int) -> tuple[str, CsvFile]:
        name = ORGANIZER_FILE.format(len(self.written) + 1)
        started = (name, self._files.open_csv(self._sink, name, OrganizerRow.HEADER))
        self._current[group] = started
        self.written.append(started)
        return started


@dataclass
class _BuiltRows:
    """One batch's import rows, not yet checked, each file's with the input row it came from."""

    organizer: list[tuple[object, ...]]
    names: list[tuple[object, ...]]
    bulk: list[tuple[object, ...]]
    sources: dict[str, list[int]]
    tallies: dict[System, _SystemTally]


@dataclass(frozen=True)
class ImportPart:
    """What another process's `ImportFiles` wrote to `folder`, without headers: the records of each
    file, with all Organizer rows in one file in input order, and what it counted. Beside each file,
    each row's length in bytes and input row, and for Organizer its effort (an index in `efforts`)."""

    folder: Path
    records: dict[str, int]
    tallies: dict[System, _SystemTally]
    efforts: list[str]


class ImportFiles:
    """Every import file of one run, fed accepted calls a batch at a time, in input order.

    Create it inside an `OpenFiles` block; ask for the summary once the block has committed the files.
    `part_of`: the folder of `sink`, when this writes a part of a run for another process to
    `absorb`: Organizer's rows then stay in one file (that process splits them), and beside each
    file go its rows' byte lengths, input rows and (Organizer's) efforts (`ImportPart`).
    """

    def __init__(
        self, config: PipelineConfig, sink: OutputSink, files: OpenFiles, *, part_of: Path | None = None
    ) -> None:
        self._config = config
        self._sink, self._files = sink, files
        self._part_of = part_of
        self._part_files: dict[str, CsvFile] = {}
        self._open_sides = contextlib.ExitStack()  # closed by part()
        self._side_files: dict[Path, BinaryIO] = {}
        self._effort_index: dict[str, int] = {}
        limits = config.limits
        self._organizer = _OrganizerFiles(
            sink, files, limits.organizer_max_efforts_per_file, limits.organizer_max_file_bytes
        )
        self._van_files: dict[str, CsvFile] = {}
        self._tally: dict[System, _SystemTally] = {"organizer": _SystemTally(), "van": _SystemTally()}
        self._bulk_enabled = not config.van_results_without_id
        self._canvassed_by = _text(config.van.canvassed_by) or ""
        self._organizer_results = {outcome: rule.organizer for outcome, rule in config.outcomes.items()}
        self._van_instructions = {outcome: _van_instructions(config, outcome) for outcome in config.outcomes}
        self._local_hours = Memo(partial(_local_hour, config.campaign_zone), _MEMO_LIMIT)
        self._durations = Memo(_seconds_text, _MEMO_LIMIT)
        self._organizer_phones = Memo(
            national_or_e164 if config.organizer_phone_format == "national10" else _unchanged, _MEMO_LIMIT
        )
        self._van_phones = Memo(national_and_country, _MEMO_LIMIT)
        # Where Organizer's phone starts in a US number's E.164: after "+1" (10 digits), or at "+".
        self._organizer_us_start = 2 if config.organizer_phone_format == "national10" else 0

    def add(self, calls: Sequence[CallLike]) -> None:
        """Write one batch of accepted calls: every row checked against its model before any is written."""
        built = self._build(calls)
        organizer = OrganizerRow.checked(built.organizer)
        names = VanNamesRow.checked(built.names)
        bulk = VanBulkRow.checked(built.bulk)
        if self._part_of is not None:
            self._write_part(
                self._part_of,
                built,
                {ORGANIZER_PART_FILE: organizer, VAN_NAMES_FILE: names, VAN_BULK_FILE: bulk},
            )
        else:
            self._organizer.write(organizer)
            if names:
                self._van_file(VAN_NAMES_FILE).write_rows(names)
            if bulk:
                self._van_file(VAN_BULK_FILE).write_rows(bulk)
        for system, tally in built.tallies.items():
            self._tally[system].add_tally(tally)

    def _write_part(self, folder: Path, built: _BuiltRows, rows_of: dict[str, list[Cells]]) -> None:
        for name, rows in rows_of.items():
            if not rows:
                continue
            if name not in self._part_files:
                self._part_files[name] = self._files.open_csv(self._sink, name, _HEADERS[name])
            data, lengths = self._part_files[name].encode_measured(rows)
            self._part_files[name].write_encoded(data, records=len(rows))
            side = {_LENGTHS: lengths, _SOURCES: built.sources[name]}
            if name == ORGANIZER_PART_FILE:
                index = self._effort_index
                side[_EFFORTS] = [index.setdefault(effort, len(index)) for effort in map(itemgetter(1), rows)]
            for suffix, values in side.items():
                path = folder / f"{name}{suffix}"
                if path not in self._side_files:
                    self._side_files[path] = self._open_sides.enter_context(path.open("wb"))
                array("I", values).tofile(self._side_files[path])

    def _build(self, calls: Sequence[CallLike]) -> _BuiltRows:
        organizer_rows: list[tuple[object, ...]] = []
        names_rows: list[tuple[object, ...]] = []
        bulk_rows: list[tuple[object, ...]] = []
        organizer_sources: list[int] = []
        van_sources: list[int] = []
        organizer_no_id = organizer_no_instruction = van_no_id = van_no_instruction = 0
        # The loop runs once a row: what it reads often is bound to local names first.
        zone, hours, two_digits = self._config.campaign_zone, self._local_hours, _TWO_DIGITS
        durations = self._durations
        organizer_results, organizer_phones = self._organizer_results, self._organizer_phones
        instructions_of, van_phones = self._van_instructions, self._van_phones
        bulk_enabled, canvassed_by = self._bulk_enabled, self._canvassed_by
        # Most numbers are American and each is seen about once: the column asks the US's patterns of
        # a whole batch at once, where the memos would ask phonenumbers' metadata one number at a time.
        organizer_us_start = self._organizer_us_start
        us_phones = us_numbers_among([call.phone for call in calls])
        for call, us_phone in zip(calls, us_phones, strict=True):
            called_at = call.called_at
            clock = called_at.tzinfo
            hour = hours[
                called_at.toordinal(),
                called_at.hour,
                clock if clock.__class__ is timezone else called_at.utcoffset(),
            ]
            if hour is None:
                organizer_time, van_date, van_instant = _local_time(zone, called_at)
            else:
                organizer_hour, van_date, van_hour, van_offset = hour
                minute = two_digits[called_at.minute]
                organizer_time = organizer_hour + minute
                van_instant = f"{van_hour}{minute}:{two_digits[called_at.second]}{van_offset}"

            profile_id = call.profile_id
            if not profile_id:
                organizer_no_id += 1
            elif (result := organizer_results[call.outcome]) is None:
                organizer_no_instruction += 1
            else:
                organizer_sources.append(call.row)
                organizer_rows.append(
                    (
                        profile_id,
                        call.effort,
                        organizer_time,
                        organizer_phones[call.phone] if us_phone is None else us_phone[organizer_us_start:],
                        call.service,
                        call.call_type,
                        result,
                        durations[call.duration],
                    )
                )

            van_id = call.van_id
            if not van_id:
                van_no_id += 1
            elif not (instructions := instructions_of[call.outcome]):
                van_no_instruction += 1
            else:
                national, country = van_phones[call.phone] if us_phone is None else (us_phone[2:], "US")
                for contact_type, van_result, contact_type_id, result_id in instructions:
                    van_sources.append(call.row)
                    names_rows.append((van_id, van_date, national, contact_type, van_result))
                    if bulk_enabled:
                        bulk_rows.append(
                            (van_id, contact_type_id, result_id, van_instant, canvassed_by, national, country)
                        )

        organizer_tally = _SystemTally(
            len(organizer_rows),
            organizer_no_id,
            organizer_no_instruction,
            Counter(map(itemgetter(6), organizer_rows)),
        )
        van_written = len(calls) - van_no_id - van_no_instruction
        van_tally = _SystemTally(
            van_written, van_no_id, van_no_instruction, Counter(map(itemgetter(4), names_rows))
        )
        return _BuiltRows(
            organizer_rows,
            names_rows,
            bulk_rows,
            {
                ORGANIZER_PART_FILE: organizer_sources,
                VAN_NAMES_FILE: van_sources,
                **({VAN_BULK_FILE: van_sources} if bulk_enabled else {}),
            },
            {"organizer": organizer_tally, "van": van_tally},
        )

    def part(self) -> ImportPart:
        """What this ImportFiles, made with `part_of`, hands to another process's `absorb`."""
        assert self._part_of is not None, "part() is for an ImportFiles made with part_of"
        self._open_sides.close()
        records = {name: csv_file.records for name, csv_file in self._part_files.items()}
        return ImportPart(self._part_of, records, self._tally, list(self._effort_index))

    def absorb(self, part: ImportPart, repeats: Sequence[CallLike]) -> None:
        """Write another process's rows (`part`) after the last rows written here, as if written here,
        but for those of `repeats`: calls it accepted that turned out to repeat one accepted here."""
        removed = {call.row for call in repeats}
        if part.records.get(ORGANIZER_PART_FILE):
            # Split into files here: which file a row goes to depends on the rows before it.
            for rows in _part_rows(part.folder, ORGANIZER_PART_FILE, removed):
                self._organizer.write_encoded(rows, list(map(part.efforts.__getitem__, rows.efforts)))
        for name in (VAN_NAMES_FILE, VAN_BULK_FILE):
            if part.records.get(name):
                for rows in _part_rows(part.folder, name, removed):
                    self._van_file(name).write_encoded(rows.data, records=len(rows.lengths))
        for system, tally in part.tallies.items():
            self._tally[system].add_tally(tally)
        for system, tally in self._build(repeats).tallies.items():
            self._tally[system].add_tally(tally, sign=-1)

    def _van_file(self, name: str) -> CsvFile:
        if name not in self._van_files:
            self._van_files[name] = self._files.open_csv(self._sink, name, _HEADERS[name])
        return self._van_files[name]

    def summary(self, report: ValidationReport) -> Summary:
        """The run's final summary, its counts checked (AccountingMismatch): call it once the
        `OpenFiles` block has committed the files."""
        outputs: list[tuple[str, CsvFile, System]] = [
            *((name, csv_file, "organizer") for name, csv_file in self._organizer.written),
            *((name, csv_file, "van") for name, csv_file in self._van_files.items()),
        ]
        notes = []
        if not self._bulk_enabled:
            notes.append(
                "The VAN bulk-import file was not written: no VAN result ID is configured for "
                f"{', '.join(self._config.van_results_without_id)} (van.result_ids). Use the by-name "
                "file with VAN's Bulk Upload wizard instead."
            )
        summary = report.as_summary().model_copy(
            update={
                "systems": {system: tally.counts() for system, tally in self._tally.items()},
                "consent_changing": {
                    system: tally.consent_changing() for system, tally in self._tally.items()
                },
                "files": [
                    *report.files,
                    *(
                        OutputFile(
                            system=system,
                            name=name,
                            location=self._sink.location(name),
                            records=csv_file.records,
                        )
                        for name, csv_file, system in outputs
                    ),
                ],
                "notes": notes,
            }
        )
        return summary.check_accounting()


_HEADERS = {
    ORGANIZER_PART_FILE: OrganizerRow.HEADER,
    VAN_NAMES_FILE: VanNamesRow.HEADER,
    VAN_BULK_FILE: VanBulkRow.HEADER,
}


class _PartRows(NamedTuple):
    """Consecutive rows of a part's file: their bytes, and each row's length and effort (an index in
    `ImportPart.efforts`; Organizer's rows only)."""

    data: bytes
    lengths: list[int]
    efforts: list[int]

    def lines(self) -> list[bytes]:
        ends = list(accumulate(self.lengths))
        return list(map(self.data.__getitem__, map(slice, [0, *ends[:-1]], ends)))


def _part_rows(folder: Path, name: str, removed: set[int]) -> Iterator[_PartRows]:
    """A part's file `name` a batch of rows at a time, without the rows that came from `removed`."""
    efforts_path = folder / f"{name}{_EFFORTS}"
    with (
        (folder / name).open("rb") as body,
        (folder / f"{name}{_LENGTHS}").open("rb") as lengths_file,
        (folder / f"{name}{_SOURCES}").open("rb") as sources_file,
        contextlib.ExitStack() as optional,
    ):
        efforts_file = optional.enter_context(efforts_path.open("rb")) if efforts_path.exists() else None
        while lengths := read_numbers(lengths_file, BATCH_ROWS):
            rows = _PartRows(
                body.read(sum(lengths)),
                lengths.tolist(),
                [] if efforts_file is None else read_numbers(efforts_file, len(lengths)).tolist(),
            )
            sources = read_numbers(sources_file, len(lengths))
            if not removed.isdisjoint(sources):
                kept = [source not in removed for source in sources]
                rows = _PartRows(
                    b"".join(compress(rows.lines(), kept)),
                    list(compress(rows.lengths, kept)),
                    list(compress(rows.efforts, kept)),
                )
            if rows.lengths:
                yield rows


def _batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def transform_validated(
    rows: Iterable[CallLike], report: ValidationReport, config: PipelineConfig, sink: OutputSink
) -> Summary:
    """Write every import file for a VALID report's accepted rows; return the run's final summary.

    The counts are checked before the summary is returned: a row lost or counted twice is a bug and
    stops the run (AccountingMismatch) rather than reach a campaign's systems.
    """
    assert report.status == "VALID", "only a VALID report may produce import files"
    with OpenFiles() as files, collecting_rarely():
        imports = ImportFiles(config, sink, files)
        for batch in _batches(rows, BATCH_ROWS):
            imports.add(batch)
    return imports.summary(report)
