"""Where output files go. A file appears under its final name only once it is complete."""

from __future__ import annotations

import contextlib
import csv
import os
import uuid
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol


class OutputSink(Protocol):
    """A folder of output files: a local directory, or an S3 prefix (`phonebank.storage`)."""

    def create(self, name: str) -> AbstractContextManager[BinaryIO]:
        """A new file `name` (may hold '/'), visible only when the block ends without an exception."""
        ...

    def location(self, name: str) -> str:
        """Where `name` is, as a person would look for it: a path or an s3:// URI."""
        ...


class LocalDirectory:
    def __init__(self, root: Path) -> None:
        self.root = root

    @contextlib.contextmanager
    def create(self, name: str) -> Iterator[BinaryIO]:
        final = self.root / name
        final.parent.mkdir(parents=True, exist_ok=True)
        # open(..., "xb") rather than mkstemp: the file gets the umask's permissions, not owner-only.
        temporary = final.with_name(f".{final.name}.{uuid.uuid4().hex}.part")
        try:
            with temporary.open("xb") as stream:
                yield stream
            os.replace(temporary, final)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def location(self, name: str) -> str:
        return str(self.root / name)

    def remove(self, patterns: Iterable[str]) -> None:
        """Delete earlier outputs matching `patterns`, so that no stale file sits beside a new summary."""
        for pattern in patterns:
            for path in self.root.glob(pattern):
                path.unlink()


_COPY_BYTES = 1 << 20


def read_numbers(stream: BinaryIO, count: int, typecode: str = "I") -> array[int]:
    """Up to `count` numbers that `array.tofile` wrote (of `typecode`): fewer at the stream's end."""
    numbers = array(typecode)
    with contextlib.suppress(EOFError):  # the last read is short: fromfile keeps what there was
        numbers.fromfile(stream, count)
    return numbers


class _Lines:
    """Where csv.writer writes: text held until taken, so that its size is known before it lands."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.write = self.lines.append

    def take(self) -> str:
        text = "".join(self.lines)
        self.lines.clear()
        return text


def _joined_if_plain(rows: Sequence[Sequence[str]]) -> str | None:
    """The rows as csv.writer writes them, if no cell needs quoting; else None.

    csv.writer quotes a cell holding a comma, a quote or a line end, and writes a row of one empty
    cell as "". Joining costs a fifth of what csv.writer does; the counts prove that no cell holds
    any of those (`test_transform_batches.py` holds it to csv.writer).
    """
    if not rows or min(map(len, rows)) < 2:
        return None
    text = "\r\n".join(map(",".join, rows)) + "\r\n"
    commas = sum(map(len, rows)) - len(rows)
    if text.count(",") != commas or text.count("\r") != len(rows) or text.count("\n") != len(rows):
        return None
    return None if '"' in text else text


class CsvFile:
    """Rows to a binary stream as UTF-8 CSV, counting records and bytes exactly."""

    def __init__(self, stream: BinaryIO, header: Sequence[str] | None, *, bom: bool = False) -> None:
        """`header` None: the rows alone, to be appended to a file that has them (`append`)."""
        self._stream = stream
        self._out = _Lines()
        self._format = csv.writer(self._out)
        self.records = 0
        self.bytes_written = 0
        if header is not None:
            if bom:
                self._put(b"\xef\xbb\xbf")
            self._put(self.encode(header))

    def encode(self, cells: Sequence[str]) -> bytes:
        self._format.writerow(cells)
        return self._out.take().encode("utf-8")

    def encode_rows(self, rows: Sequence[Sequence[str]]) -> bytes:
        text = _joined_if_plain(rows)
        if text is None:
            self._format.writerows(rows)
            text = self._out.take()
        return text.encode("utf-8")

    def encode_measured(self, rows: Sequence[Sequence[str]]) -> tuple[bytes, list[int]]:
        """`encode_rows`, and each row's length in bytes: where another process can cut them apart."""
        text = _joined_if_plain(rows)
        if text is None:
            lines = list(map(self.encode, rows))
            return b"".join(lines), list(map(len, lines))
        data = text.encode("utf-8")
        # Plain rows hold no line end of their own: each ends at its CRLF.
        return data, [len(line) + 2 for line in data.split(b"\r\n")[:-1]]

    def write(self, cells: Sequence[str]) -> None:
        self.write_encoded(self.encode(cells))

    def write_rows(self, rows: Sequence[Sequence[str]]) -> None:
        self.write_encoded(self.encode_rows(rows), records=len(rows))

    def write_encoded(self, data: bytes, *, records: int = 1) -> None:
        """`data` as `encode` or `encode_rows` gave it, holding `records` rows."""
        self._put(data)
        self.records += records

    def append(self, rows: BinaryIO, records: int) -> None:
        """The rows another CsvFile wrote without a header: `records` of them, copied as they are."""
        while data := rows.read(_COPY_BYTES):
            self._put(data)
        self.records += records

    def _put(self, data: bytes) -> None:
        self._stream.write(data)
        self.bytes_written += len(data)


class OpenFiles:
    """CSV files opened as a run needs them, committed together: leaving the block commits them all,
    unless an exception ends it or `discard` was called. A file full before the run ends (an
    Organizer file split by size) waits with the others, so that no import file ever appears without
    its run's summary, nor for a run that turns out REJECTED.

    `headers=False`: rows only, for a part of a run that another appends to its own files."""

    def __init__(self, *, headers: bool = True) -> None:
        self._open: dict[str, tuple[AbstractContextManager[BinaryIO], CsvFile]] = {}
        self._headers = headers

    def open_csv(self, sink: OutputSink, name: str, header: Sequence[str], *, bom: bool = False) -> CsvFile:
        opener = sink.create(name)
        csv_file = CsvFile(opener.__enter__(), header if self._headers else None, bom=bom)
        self._open[name] = (opener, csv_file)
        return csv_file

    def discard(self) -> None:
        """Drop every file, for a run that turns out not to need them."""
        pending, self._open = list(self._open.values()), {}
        _discard([opener for opener, _ in pending], _NotNeeded())

    def __enter__(self) -> OpenFiles:
        return self

    def __exit__(
        self,
        failure_type: type[BaseException] | None,
        failure: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        pending, self._open = list(self._open.values()), {}
        for index, (opener, _) in enumerate(pending):
            if failure is None:
                try:
                    opener.__exit__(None, None, None)
                except BaseException as commit_failure:
                    # Committing one file failed, so the run fails: the rest must not be committed either.
                    _discard([rest for rest, _ in pending[index + 1 :]], commit_failure)
                    raise
            else:
                _discard([opener], failure)


class _NotNeeded(Exception):
    """What a dropped file's sink is told: the same path as a failure, so nothing is committed."""


def _discard(openers: list[AbstractContextManager[BinaryIO]], failure: BaseException) -> None:
    for opener in openers:
        with contextlib.suppress(BaseException):
            opener.__exit__(type(failure), failure, failure.__traceback__)
