"""Where output files go. A file appears under its final name only once it is complete."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import uuid
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol

import polars as pl

QUOTED_CHARACTERS = ',"\r\n'
"""What makes csv.writer quote a cell: the delimiter, the quote character, a line end."""
_QUOTED_PATTERN = f"[{QUOTED_CHARACTERS}]"
"""One of `QUOTED_CHARACTERS`, as a pattern for polars (none of them is special in a class)."""


def on_s3(location: str) -> tuple[str, str] | None:
    """An s3://bucket/key location's bucket and key (a key may be a folder's prefix, or nothing); None
    for a location elsewhere (a path)."""
    if not location.startswith("s3://"):
        return None
    bucket, _, key = location.removeprefix("s3://").partition("/")
    return bucket, key


class OutputSink(Protocol):
    """A folder of output files: a local directory, or an S3 prefix (`phonebank.storage`)."""

    def create(self, name: str) -> AbstractContextManager[BinaryIO]:
        """A new file `name` (may hold '/'), visible only when the block ends without an exception."""
        ...

    def location(self, name: str) -> str:
        """Where `name` is, as a person would look for it: a path or an s3:// URI."""
        ...

    def open(self, name: str) -> BinaryIO:
        """A file written before (the validated rows, for the transform), to read."""
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

    def open(self, name: str) -> BinaryIO:
        return (self.root / name).open("rb")

    def remove(self, patterns: Iterable[str]) -> None:
        """Delete earlier outputs matching `patterns`, so that no stale file sits beside a new summary."""
        for pattern in patterns:
            for path in self.root.glob(pattern):
                path.unlink()


class CsvFile:
    """Rows to a binary stream as UTF-8 CSV, as Python's csv.writer writes them, counting records and
    bytes exactly."""

    def __init__(self, stream: BinaryIO, header: Sequence[str], *, bom: bool = False) -> None:
        self._stream = stream
        self.records = 0
        self.bytes_written = 0
        if bom:
            self._put(b"\xef\xbb\xbf")
        self._put(encode_row(header))

    def write_frame(self, rows: pl.DataFrame, *, plain: Collection[str] = ()) -> None:
        """Every row of `rows`, its columns in order, each cell text (`plain`: as `encode_frame`'s)."""
        if rows.height:
            self.write_encoded(encode_frame(rows, plain=plain), records=rows.height)

    def write_encoded(self, data: bytes, *, records: int = 1) -> None:
        """`data` as `encode_frame` or `encode_row` gave it, holding `records` rows."""
        self._put(data)
        self.records += records

    def _put(self, data: bytes) -> None:
        self._stream.write(data)
        self.bytes_written += len(data)


def encode_frame(rows: pl.DataFrame, *, plain: Collection[str] = ()) -> bytes:
    """The rows as csv.writer writes them: quoted only where a cell holds a comma, a quote or a line
    end, CRLF after each row; an empty cell is written empty, where polars alone would write "".

    `plain`: columns no cell of which can hold any of those, as the caller has proven (a checked output
    model's `PLAIN_COLUMNS`). Given them, the other columns are searched; when no cell needs quotes,
    the rows are written as they are, in half the time polars takes to look at each cell for quoting."""
    data = io.BytesIO()
    if plain and not any_quoted(rows.drop(plain)):
        rows.write_csv(data, include_header=False, line_terminator="\r\n", quote_style="never")
    else:
        rows.with_columns(pl.all().replace("", None)).write_csv(
            data, include_header=False, line_terminator="\r\n", quote_style="necessary"
        )
    return data.getvalue()


def any_quoted(rows: pl.DataFrame) -> bool:
    """Whether a cell of `rows` (text) holds a comma, a quote or a line end."""
    if not rows.width:
        return False
    # A column's cells joined into one text are searched at once: four times faster than cell by cell.
    return any(rows.select(pl.all().str.join("").str.contains(_QUOTED_PATTERN)).row(0))


def encode_row(cells: Sequence[str]) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerow(cells)
    return text.getvalue().encode("utf-8")


class OpenFiles:
    """CSV files opened as a run needs them, committed together: leaving the block commits them all,
    unless an exception ends it or `discard` was called. A file full before the run ends (an
    Organizer file split by size) waits with the others, so that no import file ever appears without
    its run's summary, nor for a run that turns out REJECTED."""

    def __init__(self) -> None:
        self._open: dict[str, AbstractContextManager[BinaryIO]] = {}

    def open_binary(self, sink: OutputSink, name: str) -> BinaryIO:
        opener = sink.create(name)
        stream = opener.__enter__()
        self._open[name] = opener
        return stream

    def open_csv(self, sink: OutputSink, name: str, header: Sequence[str], *, bom: bool = False) -> CsvFile:
        return CsvFile(self.open_binary(sink, name), header, bom=bom)

    def discard(self) -> None:
        """Drop every file, for a run that turns out not to need them."""
        pending, self._open = list(self._open.values()), {}
        _discard(pending, _NotNeeded())

    def __enter__(self) -> OpenFiles:
        return self

    def __exit__(
        self,
        failure_type: type[BaseException] | None,
        failure: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        pending, self._open = list(self._open.values()), {}
        for index, opener in enumerate(pending):
            if failure is None:
                try:
                    opener.__exit__(None, None, None)
                except BaseException as commit_failure:
                    # Committing one file failed, so the run fails: the rest must not be committed either.
                    _discard(pending[index + 1 :], commit_failure)
                    raise
            else:
                _discard([opener], failure)


class _NotNeeded(Exception):
    """What a dropped file's sink is told: the same path as a failure, so nothing is committed."""


def _discard(openers: list[AbstractContextManager[BinaryIO]], failure: BaseException) -> None:
    for opener in openers:
        with contextlib.suppress(BaseException):
            opener.__exit__(type(failure), failure, failure.__traceback__)
