"""`phonebank run` on two cores: a forked process checks and transforms the later rows of a file on
local disk while this one checks the earlier ones, then this one writes the other's rows after its own.

The other process starts at 55% of the file's bytes. A machine's vCPUs do not run alike, and which one
is slower changes from minute to minute; only this process can join the parts, so with a fixed split
the faster process would wait. When the other one finishes first, it claims the rows this one has not
reached yet, in proportion to the rows each has checked so far (a little more: this one looks up the
last part's keys meanwhile), and checks them as a second part, the middle.

The outputs are byte for byte what one process writes. Rows of a part that repeat a row before it (the
other process could not know) become duplicates when the parts are joined: their cells are read
again, and their import rows and counts taken back. Whenever the outputs could still differ, this
process checks the rest itself: when a row before a part took two lines (its rows were numbered by
counting line ends), when a repeated row's line cannot be found by counting (a row of its part took
two lines), or when the other process failed (its own failure, such as a malformed row, is then found
again here, with its row number).
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import SynchronizedArray
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

from phonebank import phones
from phonebank.config import PipelineConfig
from phonebank.dedupe import FirstRows, save_keys, saved_keys
from phonebank.models.interaction import Call
from phonebank.reader import Boundary, CsvStream, Resume, line_blocks
from phonebank.sinks import LocalDirectory, OpenFiles
from phonebank.transform import ImportFiles, ImportPart
from phonebank.validate import CheckedPart, CheckFrom, FileSetup, RepeatedRow, check_part

_COUNT_BYTES = 1 << 20
_RESERVED, _STOP = 0, 1
"""The numbers both processes share: the row this process's reading is reserved up to (the batch it
reads ends before it), and the row it stops before (the other's first)."""
_FIRST_ROW = 2
_MIN_CLAIM = 10_000
"""Rows worth a second part: fewer save less than the part costs to start and to join."""
_KEYS_LOOKED_UP_A_ROW = 32
"""The first process looks up about this many of another part's keys in the time it checks a row."""


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class TwoProcesses:
    """Split the file at `path` across two processes when it holds at least `min_bytes`: below that,
    starting a process costs more than it saves. The other process starts with the last
    `later_share` of the bytes: less than half, so that it is the one that finishes first, and
    claims more."""

    path: Path
    min_bytes: int = 8 << 20
    later_share: float = 0.45


@dataclass(frozen=True)
class _Stretch:
    """Rows the other process checks: where the first one's line starts, its row number, the row
    they end before (None: the end of the file), and the folder their part is written to."""

    offset: int
    first_row: int
    before: int | None
    folder: Path


@dataclass(frozen=True)
class _Job:
    """What the forked process needs: the file, how to read its rows, and its first stretch."""

    path: Path
    setup: FileSetup
    config: PipelineConfig
    last: _Stretch


@dataclass(frozen=True)
class _Finished:
    """A part written. The middle's has `later_repeats` too: the last part's rows that repeat a
    middle row, by row (found where the last part's keys were still remembered)."""

    stretch: _Stretch
    checked: CheckedPart
    imports: ImportPart
    later_repeats: dict[int, int] = field(default_factory=dict)


class ForkedLaterRows:
    """A `validate.LaterRows` in a forked process, writing its parts' import rows to `imports`.

    Use it as a context: leaving stops the process, if it still runs, and removes its files."""

    def __init__(self, split: TwoProcesses, config: PipelineConfig, imports: ImportFiles) -> None:
        self._split, self._config, self._imports = split, config, imports
        self._folder = tempfile.TemporaryDirectory(prefix="phonebank-later-rows-")
        self._process: BaseProcess | None = None
        self._results: Connection | None = None
        self._job: _Job | None = None
        self._shared: SynchronizedArray[int] | None = None
        self._given: ImportPart | None = None

    def start(self, setup: FileSetup) -> Boundary | None:
        size = self._split.path.stat().st_size
        if size < self._split.min_bytes:
            return None
        with self._split.path.open("rb") as source:
            source.seek(int(size * (1 - self._split.later_share)))
            source.readline()
            cut = source.tell()
            if cut >= size:
                return None
            source.seek(0)
            first_row = _line_ends_before(source, cut) + 1
        last = _Stretch(cut, first_row, None, Path(self._folder.name) / "last")
        self._job = _Job(self._split.path, setup, self._config, last)
        context = multiprocessing.get_context("fork")
        self._shared = context.Array("q", [_FIRST_ROW, first_row])
        results, sender = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_check_later_rows, args=(self._job, self._shared, sender), daemon=True
        )
        phones.prepare()
        # The modules both processes loaded stay shared only while neither writes their pages, and a
        # garbage collection writes to every object it visits: it leaves these alone from now on.
        gc.freeze()
        self._process.start()
        sender.close()
        self._results = results
        return self._reserve

    def _reserve(self, end: int) -> int:
        assert self._shared is not None, "the boundary of a started process"
        with self._shared.get_lock():
            self._shared[_RESERVED] = min(end, self._shared[_STOP])
            return self._shared[_RESERVED]

    def parts(self, first_rows: FirstRows) -> Iterator[CheckedPart | CheckFrom]:
        assert self._shared is not None and self._job is not None, "parts() follows a start() that started"
        last_from = self._job.last.first_row
        last = self._receive()
        if last is None:
            yield CheckFrom(last_from)
            return
        # Looked up at once: the other process may still be checking the middle.
        repeats = self._repeats(first_rows, last)
        middle_from = self._shared[_STOP]  # claimed, if at all, before the last part was sent
        if middle_from < last_from:
            middle = self._receive()
            if middle is None or not middle.checked.one_line_per_row:
                yield CheckFrom(middle_from)  # the last part's rows were numbered by counting its lines
                return
            yield self._given_part(middle, self._repeats(first_rows, middle))
            # A last row that repeats a middle row and a row here repeats the row here: it came first.
            repeats = middle.later_repeats | repeats
        if repeats and not last.checked.one_line_per_row:
            yield CheckFrom(last_from)  # its rows' lines cannot be found by counting line ends
            return
        yield self._given_part(last, repeats)

    @staticmethod
    def _repeats(first_rows: FirstRows, finished: _Finished) -> dict[int, int]:
        """The part's rows that repeat a row of `first_rows`, by row."""
        repeats: dict[int, int] = {}
        for stored in saved_keys(finished.stretch.folder):
            repeats.update(first_rows.seen_before(stored))
        return repeats

    def _receive(self) -> _Finished | None:
        assert self._results is not None, "a started process's results"
        try:
            finished: _Finished | None = self._results.recv()
        except EOFError:  # it died without a word: killed, or out of memory
            return None
        return finished

    def _given_part(self, finished: _Finished, repeats: dict[int, int]) -> CheckedPart:
        assert self._job is not None, "a started process's part"
        self._given = finished.imports
        cells = _rows_at(self._job, finished.stretch, sorted(repeats))
        return replace(
            finished.checked, repeats={row: RepeatedRow(first, cells[row]) for row, first in repeats.items()}
        )

    def write_imports(self, repeats: Sequence[Call]) -> None:
        assert self._given is not None, "write_imports() follows a part given by parts()"
        self._imports.absorb(self._given, repeats)

    def cancel(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        failure_type: type[BaseException] | None,
        failure: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.cancel()
        if self._results is not None:
            self._results.close()
            gc.unfreeze()  # nothing is shared any more
        self._folder.cleanup()


def _line_ends_before(source: BinaryIO, cut: int) -> int:
    count = 0
    while source.tell() < cut:
        count += source.read(min(_COUNT_BYTES, cut - source.tell())).count(b"\n")
    return count


def _line_start(source: BinaryIO, line: int) -> int:
    """The byte offset where line `line` (1: the header's) starts, by counting line ends."""
    ends_wanted, position = line - 1, 0
    source.seek(0)
    while block := source.read(_COUNT_BYTES):
        ends = block.count(b"\n")
        if ends >= ends_wanted:
            at = -1
            for _ in range(ends_wanted):
                at = block.index(b"\n", at + 1)
            return position + at + 1
        ends_wanted -= ends
        position += len(block)
    return position


def _rows_at(job: _Job, stretch: _Stretch, wanted: list[int]) -> dict[int, list[str]]:
    """The cells of the rows `wanted` (ascending) of a stretch whose rows take one line each: a block
    is split into lines, and only the lines wanted are read as CSV."""
    found: dict[int, list[str]] = {}
    pending = iter(wanted)
    target = next(pending, None)
    line = stretch.first_row
    with job.path.open("rb") as source:
        source.seek(stretch.offset)
        for block in line_blocks(source, _COUNT_BYTES):
            if target is None:
                break
            lines = block.split(b"\n")
            if block.endswith(b"\n"):
                lines.pop()  # the empty text after the last line end
            while target is not None and target < line + len(lines):
                text = lines[target - line] + b"\n"
                resume = Resume(job.setup.header, job.setup.delimiter, target)
                found[target] = next(CsvStream(io.BytesIO(text), len(text), resume=resume).rows()).cells
                target = next(pending, None)
            line += len(lines)
    return found


def _check_later_rows(job: _Job, shared: SynchronizedArray[int], results: Connection) -> None:
    """The forked process: check and transform the rows from the job's cut to the end into a part,
    claim the rows the first process has not reached if it is behind and check them into another,
    and send each part to `results` when it is written, None for one that failed."""
    with FirstRows(parts=2) as last_rows:
        try:
            last = _check_stretch(job, job.last, last_rows)
        except Exception:  # whatever it was, the first process finds it again
            results.send(None)
            return
        middle = _claim_middle(job, shared, last.checked.counts["rows_read"])
        results.send(last)
        if middle is None:
            return
        last_rows.settle()
        try:
            # A middle is a small share of the rows: a smaller bitmap, while the last part's is kept.
            with FirstRows(parts=4) as middle_rows:
                finished = _check_stretch(job, middle, middle_rows)
            later = {
                last_row: middle_row
                for stored in saved_keys(middle.folder)
                for middle_row, last_row in last_rows.seen_before(stored).items()
            }
            results.send(replace(finished, later_repeats=later))
        except Exception:  # as above
            results.send(None)


def _claim_middle(job: _Job, shared: SynchronizedArray[int], rows_checked: int) -> _Stretch | None:
    """Claim the later rows of those the first process has not reserved, so that, if each goes on at
    its speed so far (both started at once), the middle is done when the first process has reached
    it and looked up the last part's keys: None if too few are left."""
    with shared.get_lock():
        reserved, stop = shared[_RESERVED], shared[_STOP]
        theirs = reserved - _FIRST_ROW
        share = rows_checked / (rows_checked + theirs) if rows_checked + theirs > 0 else 0.5
        lookup = rows_checked // _KEYS_LOOKED_UP_A_ROW
        start = stop - min(int((stop - reserved + lookup) * share), stop - reserved)
        if stop - start < _MIN_CLAIM:
            return None
        shared[_STOP] = start
    with job.path.open("rb") as source:
        offset = _line_start(source, start)
    return _Stretch(offset, start, stop, job.last.folder.parent / "middle")


def _check_stretch(job: _Job, stretch: _Stretch, first_rows: FirstRows) -> _Finished:
    """Check and transform a stretch of rows into its folder, their accepted rows' keys beside."""
    stretch.folder.mkdir()
    with job.path.open("rb") as source:
        source.seek(stretch.offset)
        resume = Resume(job.setup.header, job.setup.delimiter, stretch.first_row)
        stream = CsvStream(source, job.config.limits.max_input_bytes, resume=resume)
        with OpenFiles(headers=False) as files:
            imports = ImportFiles(job.config, LocalDirectory(stretch.folder), files, part_of=stretch.folder)
            checked = check_part(
                stream, job.setup, first_rows, stretch.folder, imports.add, before=stretch.before
            )
        save_keys(first_rows, stretch.folder)
    return _Finished(stretch, checked, imports.part())
