"""Where output files go. A file appears under its final name only once it is complete."""

from __future__ import annotations

import contextlib
import csv
import os
import uuid
from collections.abc import Iterable, Iterator
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


class _LastLine:
    """csv.writer writes each row with one write(); this keeps it so its size is known before it lands."""

    line = ""

    def write(self, text: str) -> int:
        self.line = text
        return len(text)


class CsvFile:
    """Rows to a binary stream as UTF-8 CSV, counting records and bytes exactly."""

    def __init__(self, stream: BinaryIO, header: list[str], *, bom: bool = False) -> None:
        self._stream = stream
        self._last = _LastLine()
        self._format = csv.writer(self._last)
        self.records = 0
        self.bytes_written = 0
        if bom:
            self._put(b"\xef\xbb\xbf")
        self._put(self.encode(header))

    def encode(self, cells: list[str]) -> bytes:
        self._format.writerow(cells)
        return self._last.line.encode("utf-8")

    def write(self, cells: list[str]) -> None:
        self.write_encoded(self.encode(cells))

    def write_encoded(self, line: bytes) -> None:
        self._put(line)
        self.records += 1

    def _put(self, data: bytes) -> None:
        self._stream.write(data)
        self.bytes_written += len(data)


class OpenFiles:
    """CSV files opened as a run needs them. Leaving the block commits every file still open, unless
    an exception ends it: then each is discarded, so no half-written file ever looks finished."""

    def __init__(self) -> None:
        self._open: dict[str, tuple[AbstractContextManager[BinaryIO], CsvFile]] = {}

    def open_csv(self, sink: OutputSink, name: str, header: list[str], *, bom: bool = False) -> CsvFile:
        opener = sink.create(name)
        csv_file = CsvFile(opener.__enter__(), header, bom=bom)
        self._open[name] = (opener, csv_file)
        return csv_file

    def finish(self, name: str) -> None:
        opener, _ = self._open.pop(name)
        opener.__exit__(None, None, None)

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


def _discard(openers: list[AbstractContextManager[BinaryIO]], failure: BaseException) -> None:
    for opener in openers:
        with contextlib.suppress(BaseException):
            opener.__exit__(type(failure), failure, failure.__traceback__)
