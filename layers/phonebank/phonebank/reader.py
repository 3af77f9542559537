"""Stream a dialer export: bytes in, one list of cells per spreadsheet row out, in constant memory."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from phonebank.errors import EmptyFile, FileTooLarge, MalformedCsv, NotText, UndecodableFile

_BOM = b"\xef\xbb\xbf"
_BLOCK_BYTES = 1 << 18
_DELIMITERS = (",", "\t", ";")
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook or a zip archive",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
    b"%PDF": "a PDF",
}


@dataclass(frozen=True)
class DataRow:
    """One row of the file: its spreadsheet row number (the header is row 1) and its cells."""

    number: int
    cells: list[str]


@dataclass(frozen=True)
class Resume:
    """Where a later part of a file starts: its header and delimiter, and its first row's number."""

    header: list[str]
    delimiter: str
    first_row: int


Boundary = Callable[[int], int]
"""Asked before each batch with the row it would end before: the row it must end before instead (or
the same row). Another process may move it while the rows are read (`phonebank.halves`)."""


@dataclass(frozen=True)
class RowBatch:
    """Consecutive rows of the file: the spreadsheet row number of the first, and each row's cells."""

    first: int
    rows: list[list[str]]


class CsvStream:
    """The header and then the data rows of one CSV file, in constant memory.

    Each line is UTF-8 unless it is not, then Windows-1252 (what Excel writes): a file is one or the
    other, and ASCII lines read the same in both, so deciding per line never needs a second pass. A
    block of lines that is all UTF-8 is decoded at once; only a block that is not goes line by line.
    """

    def __init__(
        self, source: BinaryIO, max_bytes: int, size_hint: int | None = None, *, resume: Resume | None = None
    ) -> None:
        """`resume`: `source` is a file's later part, from the start of a line, whose header was read
        elsewhere; its rows are numbered from `resume.first_row`."""
        if size_hint is not None and size_hint > max_bytes:
            raise FileTooLarge(_too_large(max_bytes))
        self._max_bytes = max_bytes
        if resume is not None:
            self._lines = self._decoded_lines(source, start_line=resume.first_row, first_block=False)
            self.delimiter, self.header = resume.delimiter, resume.header
            self._records = csv.reader(self._lines, delimiter=self.delimiter)
            self._next_row = self._first_row = resume.first_row
            self._lines_before_rows = 0
            return
        self._lines = self._decoded_lines(source, start_line=1, first_block=True)
        first = next(self._lines, None)
        if first is None:
            raise EmptyFile("The file is empty. Export the call results again and upload the CSV.")
        self.delimiter = _delimiter_of(first)
        self._records = csv.reader(itertools.chain([first], self._lines), delimiter=self.delimiter)
        try:
            self.header = [cell.strip() for cell in next(self._records)]
        except csv.Error as exc:
            raise MalformedCsv(_malformed(1, exc)) from exc
        self._next_row = self._first_row = 2
        self._lines_before_rows = 1  # the header's, if it took one line

    def one_line_per_row(self) -> bool:
        """Whether every row read so far took one line (no quoted line break): only then are the
        rows that follow numbered by counting line ends."""
        return self._records.line_num == self._lines_before_rows + self._next_row - self._first_row

    def rows(self) -> Iterator[DataRow]:
        """Every row after the header, blank ones included, so that numbers match a spreadsheet's."""
        for batch in self.batches():
            for number, cells in enumerate(batch.rows, start=batch.first):
                yield DataRow(number, cells)

    def batches(self, size: int = 4096, *, before: int | Boundary | None = None) -> Iterator[RowBatch]:
        """The rows of `rows()` a few thousand at a time: a caller can work on a column at once.

        `before`: stop ahead of that row, or of the row a `Boundary` gives for each batch; asking for
        batches again goes on from there."""
        while True:
            end = self._next_row + size
            if before is not None:
                end = min(end, before if isinstance(before, int) else before(end))
            wanted = end - self._next_row
            if wanted <= 0:
                return
            rows: list[list[str]] = []
            try:
                for cells in itertools.islice(self._records, wanted):
                    rows.append(cells)
            except csv.Error as exc:
                raise MalformedCsv(_malformed(self._next_row + len(rows), exc)) from exc
            if not rows:
                return
            first = self._next_row
            self._next_row += len(rows)
            yield RowBatch(first, rows)

    def _decoded_lines(self, source: BinaryIO, *, start_line: int, first_block: bool) -> Iterator[str]:
        # Decoded a block at a time and split by C code: a Python step per line costs more than csv's.
        blocks = self._decoded_blocks(source, start_line=start_line, first_block=first_block)
        return itertools.chain.from_iterable(map(_lines_of_text, blocks))

    def _decoded_blocks(self, source: BinaryIO, *, start_line: int, first_block: bool) -> Iterator[str]:
        blocks = self._blocks(source)
        if first_block:
            first = next(blocks, b"")
            _refuse_binary(first)
            blocks = itertools.chain([first.removeprefix(_BOM)], blocks)
        lines_before = start_line - 1
        for block in blocks:
            yield _decode_block(block, lines_before)
            lines_before += block.count(b"\n")

    def _blocks(self, source: BinaryIO) -> Iterator[bytes]:
        return line_blocks(source, _BLOCK_BYTES, self._max_bytes)


def line_blocks(source: BinaryIO, size: int, max_bytes: int | None = None) -> Iterator[bytes]:
    """Whole lines ending in b"\n", about `size` bytes at a time (the last may have no line end);
    FileTooLarge once more than `max_bytes` have been read."""
    pending = b""
    bytes_read = 0
    while data := source.read(size):
        bytes_read += len(data)
        if max_bytes is not None and bytes_read > max_bytes:
            raise FileTooLarge(_too_large(max_bytes))
        cut = data.rfind(b"\n") + 1
        if cut:
            yield pending + data[:cut]
            pending = data[cut:]
        else:
            pending += data
    if pending:
        yield pending


def _lines_of_text(text: str) -> io.StringIO:
    """Lines end at "\n" alone, as a CSV's do: a bare carriage return stays inside its line."""
    return io.StringIO(text, newline="\n")


def _decode_block(block: bytes, lines_before: int) -> str:
    nul = block.find(b"\x00")
    if nul >= 0:
        line_number = lines_before + block.count(b"\n", 0, nul) + 1
        raise NotText(
            f"Line {line_number} holds binary data (NUL bytes): this is not a CSV text file. "
            'Save it from your spreadsheet as "CSV UTF-8" and upload it again.'
        )
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError:
        lines = io.BytesIO(block)
        return "".join(_decode(line, number) for number, line in enumerate(lines, start=lines_before + 1))


def _decode(line: bytes, line_number: int) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise UndecodableFile(
            f"Line {line_number} is neither UTF-8 nor Windows-1252 text (byte 0x{line[exc.start]:02x}). "
            'Save the file as "CSV UTF-8" and upload it again.'
        ) from exc


def _refuse_binary(first_line: bytes) -> None:
    for signature, what in _BINARY_SIGNATURES.items():
        if first_line.startswith(signature):
            raise NotText(f'The file is {what}, not a CSV. Save it as "CSV UTF-8" and upload that.')
    if first_line.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NotText('The file is UTF-16 text (Excel\'s "Unicode Text"). Save it as "CSV UTF-8" instead.')


def _delimiter_of(header_line: str) -> str:
    """The delimiter is the one the header uses most: headers are names, rarely quoted."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _malformed(row: int, exc: csv.Error) -> str:
    if "new-line" in str(exc):
        return (
            f"Row {row} holds a line break outside quotes: the file's lines end in a bare carriage return "
            '(old Mac CSV). Save it as "CSV UTF-8" and upload it again.'
        )
    return (
        f"Row {row} opens a quoted value that never closes, so the rest of the file reads as one cell. "
        'Fix the stray quote (") in that row and upload the file again.'
    )


def _too_large(max_bytes: int) -> str:
    return (
        f"The file is larger than the configured limit of {max_bytes:,} bytes. Split it into smaller "
        "files and upload each one."
    )
