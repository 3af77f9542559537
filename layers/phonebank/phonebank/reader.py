"""Stream a dialer export: bytes in, its header, then its rows a chunk at a time as a table of text.

polars parses each chunk; the chunks are cut at record ends by counting quotes, so that memory stays
bounded however long the file. Where polars refuses a chunk (a quote inside an unquoted cell, as in
`5" tall`) or the quotes cannot say where a record ends, Python's csv module reads that chunk the
way it reads any CSV: a malformed file is still read the way a spreadsheet would, only slower.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import polars as pl

from phonebank.encoding import MARK, REPLACEMENT, FileEncoding, marked_cells, rest_holds_utf8
from phonebank.errors import EmptyFile, FileTooLarge, MalformedCsv, NotText
from phonebank.models.report import as_typed, typed_column

_BOM = b"\xef\xbb\xbf"
CHUNK_BYTES = 16 << 20
"""About 140,000 rows of a typical export, where a chunk is read, checked and written in turn: large
enough that per-chunk work vanishes per row (24 MiB was no faster, measured). Where threads overlap
those stages, four chunks are in memory at once, each OVERLAPPED_SHARE of this (`ExportReader`)."""
OVERLAPPED_SHARE = 3 / 4
"""12 MiB chunks on two cores: at 1M rows 4% faster than 8 MiB ones (every one of eight alternating
pairs, 2.16 -> 2.07 s), at ~490 MB peak RSS against ~380; 16 MiB ones peaked at 550-585 MB, too near
the 600 MB the run may take."""
MAX_RECORD_BYTES = 1 << 20
"""A record still open after this many bytes is a quote that never closes, or no CSV at all."""
_HEADER_BYTES = 64 << 10
"""Where the header is looked for first: a header's record is a line of names, not megabytes of them."""
_RECORD_ENDS_TRIED = 64
"""Line ends tried, from a block's last backwards, for one outside quotes before asking Python's csv."""
_DELIMITERS = (",", "\t", ";")
_BARE_CR = re.compile(rb"\r(?!\n)")
_SIGNATURE_BYTES = 8
"""Enough of the file's start to tell a BOM, a workbook or a PDF."""
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook or a zip archive",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
    b"%PDF": "a PDF",
}
_END = "\x00end\x00"
"""A line appended to text parsed with Python's csv: it comes back alone only if every record before
it closed (no input line holds a NUL: the reader refuses those)."""


@dataclass(frozen=True)
class Chunk:
    """Consecutive rows of the file: the spreadsheet row number of the first (the header is row 1),
    and every row's cells, blank rows included, one text column per header column (`column_names`):
    a short row's missing cells are empty, a long row's extra cells are dropped, and the apostrophe a
    report put before a formula's first character is dropped again."""

    first_row: int
    cells: pl.DataFrame
    not_utf8: dict[str, pl.Series] = field(default_factory=dict)
    """For each column where a cell of a UTF-8 file held a byte that is not UTF-8 (shown as U+FFFD),
    which rows'."""


def column_names(width: int) -> list[str]:
    return [f"column_{position + 1}" for position in range(width)]


class ExportReader:
    """The header and then the data rows of one CSV file, in bounded memory.

    The file is UTF-8 or Windows-1252 (`phonebank.encoding`); the source must be seekable, for the one
    case where that decision looks ahead.
    """

    def __init__(
        self, source: BinaryIO, max_bytes: int, size_hint: int | None = None, *, overlapped: bool = False
    ) -> None:
        """`overlapped`: the chunks' stages run in threads, several chunks in memory at once (smaller
        chunks: OVERLAPPED_SHARE)."""
        if size_hint is not None and size_hint > max_bytes:
            raise FileTooLarge(_too_large(max_bytes))
        self._chunk_bytes = int(CHUNK_BYTES * OVERLAPPED_SHARE) if overlapped else CHUNK_BYTES
        self._source, self._max_bytes = source, max_bytes
        self._bytes_read = 0
        self._at_end = False
        self._lines_before = 0  # lines of the file before `_pending`
        self._pending = b""
        self._encoding = FileEncoding(lambda: rest_holds_utf8(self._source, self._pending))
        while len(self._pending) < _SIGNATURE_BYTES and not self._at_end:
            self._pending += self._read()
        _refuse_binary(self._pending)
        self._pending = self._pending.removeprefix(_BOM)
        if not self._pending:
            raise EmptyFile("The file is empty. Export the call results again and upload the CSV.")
        # Only ASCII delimiters are counted, which every byte-for-byte decoding keeps.
        self.delimiter = _delimiter_of(self._pending.split(b"\n", 1)[0].decode("latin-1"))
        self._next_row = 1
        header = self._python_records(limit=1, window=_HEADER_BYTES) or self._python_records(limit=1)
        while not header and not self._at_end:
            self._pending += self._read()
            header = self._python_records(limit=1)
        names = header[0] if header else []
        self.header = [as_typed(cell.strip()).replace(MARK, REPLACEMENT) for cell in names]
        self._next_row = 2
        self._names = column_names(len(self.header))

    def chunks(self) -> Iterator[Chunk]:
        """Every row after the header, blank ones included, so that numbers match a spreadsheet's."""
        while True:
            if not self._at_end and len(self._pending) < self._chunk_bytes:
                # Topped up to a chunk, not a block more: what the header left is most of one.
                self._pending += self._read(self._chunk_bytes - len(self._pending))
                continue
            if not self._pending:
                return
            cells = self._polars_records()
            if cells is None:
                rows = self._python_records()
                if not rows:
                    # One record is longer than what was read so far: read on, but not without end.
                    if len(self._pending) > MAX_RECORD_BYTES:
                        raise MalformedCsv(_too_long(self._next_row))
                    self._pending += self._read()
                    continue
                cells = _frame(rows, self._names)
            not_utf8: dict[str, pl.Series] = {}
            if self._encoding.marked:
                cells, not_utf8 = marked_cells(cells)
                self._encoding.marked = False
            chunk = Chunk(self._next_row, _typed(cells), not_utf8)
            self._next_row += cells.height
            yield chunk

    def has_rows_after_a_blank_header(self) -> bool:
        """Whether anything but blank lines follows (for a file whose first line is blank)."""
        while self._pending:
            if self._pending.translate(None, b' \t\r\n"' + self.delimiter.encode()):
                return True
            self._pending = self._read()
        return False

    def _read(self, size: int | None = None) -> bytes:
        data = self._source.read(size or self._chunk_bytes)
        self._bytes_read += len(data)
        if self._bytes_read > self._max_bytes:
            raise FileTooLarge(_too_large(self._max_bytes))
        self._at_end = not data
        return data

    def _polars_records(self) -> pl.DataFrame | None:
        """The pending records up to the last that surely ends, as polars reads them, taken off what is
        pending; None where polars cannot be trusted or refuses: Python's csv reads those."""
        data = self._pending
        cut = _record_end(data, at_end=self._at_end)
        if cut is None or _BARE_CR.search(data, 0, cut):
            return None  # polars would keep a carriage return alone inside a cell
        block = data[:cut]
        cells = None
        if self._encoding.may_be_utf8(block, self._lines_before):
            # polars refuses bytes that are not UTF-8 as it reads: a block it reads needs no decoding first.
            cells = self._parsed(block)
            if cells is not None:
                self._encoding.read_as_utf8(block)
        if cells is None:
            cells = self._parsed(self._encoding.utf8(block, self._lines_before))
        if cells is None:
            return None
        self._pending = data[cut:]
        # Without a quote no cell holds a line end: a record a line. Counting them costs a pass of its own.
        quoted = data.find(b'"', 0, cut) >= 0
        self._lines_before += data.count(b"\n", 0, cut) if quoted else cells.height
        return cells.with_columns(pl.all().fill_null(""))

    def _parsed(self, text: bytes) -> pl.DataFrame | None:
        try:
            return pl.read_csv(
                text,
                has_header=False,
                separator=self.delimiter,
                schema=dict.fromkeys(self._names, pl.String),
                missing_columns="insert",
                extra_columns="ignore",
                truncate_ragged_lines=True,
                empty_string_is_null=False,
                raise_if_empty=False,
            )
        except pl.exceptions.PolarsError:
            return None

    def _python_records(self, limit: int | None = None, window: int | None = None) -> list[list[str]]:
        """The pending records that end before the bytes read so far do (at most `limit`), as Python's
        csv reads them, taken off what is pending; at the file's end, MalformedCsv for one that never
        ends. With `window`, only the records within the pending's first `window` bytes."""
        data, at_end = self._pending, self._at_end
        if window is not None and len(data) > window:
            data, at_end = data[: data.rfind(b"\n", 0, window) + 1], False
        # Until the file ends, a last line without its line end may go on in the bytes not read yet.
        lines = _lines(data if at_end else data[: data.rfind(b"\n") + 1])
        text = self._encoding.utf8(b"".join(lines), self._lines_before).decode("utf-8")
        text += _END if not text or text.endswith("\n") else "\n" + _END
        parsed = csv.reader(io.StringIO(text, newline="\n"), delimiter=self.delimiter)
        rows: list[list[str]] = []
        lines_taken = 0
        try:
            for cells in parsed:
                if parsed.line_num > len(lines):  # this record holds the line added at the end
                    open_bytes = len(data) - sum(map(len, lines[:lines_taken]))
                    if cells != [_END] and (at_end or open_bytes > MAX_RECORD_BYTES):
                        raise MalformedCsv(_never_closes(self._next_row + len(rows)))
                    break
                rows.append(cells)
                lines_taken = parsed.line_num
                if len(rows) == limit:
                    break
        except csv.Error as exc:
            raise MalformedCsv(_unreadable_row(self._next_row + len(rows), exc)) from exc
        taken = sum(map(len, lines[:lines_taken]))
        self._pending = self._pending[taken:]
        self._lines_before += lines_taken
        return rows


def _typed(cells: pl.DataFrame) -> pl.DataFrame:
    """The cells without the apostrophe a report put before a formula's first character (asked only
    of the columns where a cell starts with one)."""
    # One pass of every column at once: on two cores polars asks them side by side.
    starts = cells.select(pl.all().str.starts_with("'").any()).row(0)
    marked = [name for name, starts_with_one in zip(cells.columns, starts, strict=True) if starts_with_one]
    return cells.with_columns(typed_column(pl.col(name)).alias(name) for name in marked) if marked else cells


def _lines(data: bytes) -> list[bytes]:
    """`data`'s lines, each with its line end: a line ends at "\n" alone, as Python's csv reads them."""
    lines = [line + b"\n" for line in data.split(b"\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _record_end(data: bytes, *, at_end: bool) -> int | None:
    """Where the last record of `data` that surely ends does: after the last line end with an even
    number of quotes before it (inside quotes, a quote is doubled); at the file's end, the end if its
    quotes are even. None when that is not found."""
    if b'"' not in data:  # a search, many times faster than a count
        return len(data) if at_end else (data.rfind(b"\n") + 1 or None)
    quotes = data.count(b'"')
    if at_end:
        return len(data) if quotes % 2 == 0 else None
    cut = len(data)
    for _ in range(_RECORD_ENDS_TRIED):
        line_end = data.rfind(b"\n", 0, cut)
        if line_end < 0:
            return None
        quotes -= data.count(b'"', line_end + 1, cut)
        if quotes % 2 == 0:
            return line_end + 1
        cut = line_end
    return None


def _frame(rows: list[list[str]], names: list[str]) -> pl.DataFrame:
    width = len(names)
    columns = list(zip(*((cells + [""] * width)[:width] for cells in rows), strict=True)) if rows else []
    return pl.DataFrame(
        {name: list(column) for name, column in zip(names, columns, strict=True)} if columns else {},
        schema=dict.fromkeys(names, pl.String),
    )


def _refuse_binary(first_block: bytes) -> None:
    for signature, what in _BINARY_SIGNATURES.items():
        if first_block.startswith(signature):
            raise NotText(f'The file is {what}, not a CSV. Save it as "CSV UTF-8" and upload that.')
    if first_block.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NotText('The file is UTF-16 text (Excel\'s "Unicode Text"). Save it as "CSV UTF-8" instead.')


def _delimiter_of(header_line: str) -> str:
    """The delimiter is the one the header uses most: headers are names, rarely quoted."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _never_closes(row: int) -> str:
    return (
        f"Row {row} opens a quoted value that never closes, so the rest of the file reads as one cell. "
        'Fix the stray quote (") in that row and upload the file again.'
    )


def _too_long(row: int) -> str:
    return (
        f"Row {row} runs over {MAX_RECORD_BYTES // (1 << 20)} MiB without a line end, which no dialer's "
        'row does: the file may not be a CSV export. Export the call results as "CSV UTF-8" and upload '
        "them again."
    )


def _unreadable_row(row: int, exc: csv.Error) -> str:
    if "new-line" in str(exc):
        return (
            f"Row {row} holds a line break outside quotes: the file's lines end in a bare carriage return "
            '(old Mac CSV). Save it as "CSV UTF-8" and upload it again.'
        )
    return f"Row {row} cannot be read as CSV ({exc}). Fix that row and upload the file again."


def _too_large(max_bytes: int) -> str:
    return (
        f"The file is larger than the configured limit of {max_bytes:,} bytes. Split it into smaller "
        "files and upload each one."
    )
