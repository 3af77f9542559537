"""`phonebank run` on two cores: a forked process checks and transforms the second half of a file on
local disk while this one does the first, then this one writes the other's rows after its own.

The outputs are byte for byte what one process writes. Rows of the second half that repeat a row of
the first (the other process could not know) become duplicates when the halves are joined: their
cells are read again, and their import rows and counts taken back. Whenever the outputs could still
differ, this process checks the second half itself instead: when a row of the first half took two
lines (the second half's rows were numbered by counting line ends), when a repeated row's line
cannot be found by counting (a row of the second half took two lines), or when the other process
failed (its own failure, such as a malformed row, is then found again here, with its row number).
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import tempfile
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

from phonebank import phones
from phonebank.config import PipelineConfig
from phonebank.dedupe import FirstRows, StoredKeys
from phonebank.models.interaction import Call
from phonebank.reader import CsvStream, Resume, line_blocks
from phonebank.sinks import LocalDirectory, OpenFiles
from phonebank.transform import ImportFiles, ImportPart
from phonebank.validate import CheckedPart, FileSetup, RepeatedRow, check_part

_COUNT_BYTES = 1 << 20


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class TwoProcesses:
    """Split the file at `path` across two processes when it holds at least `min_bytes`: below that,
    starting a process costs more than it saves."""

    path: Path
    min_bytes: int = 8 << 20


@dataclass(frozen=True)
class _Job:
    """What the forked process needs: where its rows start in the file, and how to read them."""

    path: Path
    cut: int
    resume: Resume
    setup: FileSetup
    config: PipelineConfig
    folder: Path


@dataclass(frozen=True)
class _Finished:
    checked: CheckedPart
    imports: ImportPart


class ForkedSecondHalf:
    """A `validate.SecondHalf` in a forked process, writing its import rows to `imports`.

    Use it as a context: leaving stops the process, if it still runs, and removes its files."""

    def __init__(self, split: TwoProcesses, config: PipelineConfig, imports: ImportFiles) -> None:
        self._split, self._config, self._imports = split, config, imports
        self._folder = tempfile.TemporaryDirectory(prefix="phonebank-second-half-")
        self._process: BaseProcess | None = None
        self._results: Connection | None = None
        self._job: _Job | None = None
        self._imports_part: ImportPart | None = None

    def start(self, setup: FileSetup) -> int | None:
        size = self._split.path.stat().st_size
        if size < self._split.min_bytes:
            return None
        with self._split.path.open("rb") as source:
            source.seek(size // 2)
            source.readline()
            cut = source.tell()
            if cut >= size:
                return None
            source.seek(0)
            first_row = _line_ends_before(source, cut) + 1
        self._job = _Job(
            self._split.path,
            cut,
            Resume(setup.header, setup.delimiter, first_row),
            setup,
            self._config,
            Path(self._folder.name),
        )
        results, sender = multiprocessing.Pipe(duplex=False)
        self._process = multiprocessing.get_context("fork").Process(
            target=_check_second_half, args=(self._job, sender), daemon=True
        )
        phones.prepare()
        # The modules both processes loaded stay shared only while neither writes their pages, and a
        # garbage collection writes to every object it visits: it leaves these alone from now on.
        gc.freeze()
        self._process.start()
        sender.close()
        self._results = results
        return first_row

    def finish(self, first_rows: FirstRows) -> CheckedPart | None:
        assert self._results is not None and self._job is not None, "finish() follows a start() that started"
        try:
            finished: _Finished | None = self._results.recv()
            if finished is None:
                return None
            repeats: dict[int, int] = {}
            while highs := self._results.recv_bytes():
                stored = StoredKeys(
                    array("Q", highs),
                    array("I", self._results.recv_bytes()),
                    array("I", self._results.recv_bytes()),
                )
                repeats.update(first_rows.seen_before(stored))
        except EOFError:  # it died without a word: killed, or out of memory
            return None
        if repeats and not finished.checked.one_line_per_row:
            return None  # its rows' lines cannot be found by counting line ends
        self._imports_part = finished.imports
        cells = _rows_at(self._job, sorted(repeats))
        return replace(
            finished.checked, repeats={row: RepeatedRow(first, cells[row]) for row, first in repeats.items()}
        )

    def write_imports(self, repeats: Sequence[Call]) -> None:
        assert self._imports_part is not None, "write_imports() follows a finish() that gave a part"
        self._imports.absorb(self._imports_part, repeats)

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


def _rows_at(job: _Job, wanted: list[int]) -> dict[int, list[str]]:
    """The cells of the rows `wanted` (ascending) of the job's part, whose rows take one line each:
    only the blocks that hold one are read as CSV."""
    found: dict[int, list[str]] = {}
    pending = iter(wanted)
    target = next(pending, None)
    line = job.resume.first_row
    with job.path.open("rb") as source:
        source.seek(job.cut)
        for block in line_blocks(source, _COUNT_BYTES):
            if target is None:
                break
            lines = block.count(b"\n") + (not block.endswith(b"\n"))
            if target < line + lines:
                resume = Resume(job.resume.header, job.resume.delimiter, line)
                for row in CsvStream(io.BytesIO(block), len(block), resume=resume).rows():
                    if row.number == target:
                        found[target] = row.cells
                        target = next(pending, None)
            line += lines
    return found


def _check_second_half(job: _Job, results: Connection) -> None:
    """The forked process: check and transform the rows from `job.cut` on into `job.folder`, then
    send what it found, and every accepted row's key, to `results`."""
    first_rows = FirstRows(parts=2)
    with job.path.open("rb") as source, first_rows:
        source.seek(job.cut)
        try:
            stream = CsvStream(source, job.config.limits.max_input_bytes, resume=job.resume)
            with OpenFiles(headers=False) as files:
                imports = ImportFiles(job.config, LocalDirectory(job.folder), files, part_of=job.folder)
                checked = check_part(stream, job.setup, first_rows, job.folder, imports.add)
        except Exception:  # whatever it was, the first process finds it again
            results.send(None)
            return
        results.send(_Finished(checked, imports.part()))
        for stored in first_rows.stored_keys():
            if stored.highs:  # an empty message ends the keys
                for section in stored:
                    results.send_bytes(section.tobytes())
        results.send_bytes(b"")
