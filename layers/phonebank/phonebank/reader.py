"""Stream a dialer export: bytes in, one list of cells per spreadsheet row out, in constant memory."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from phonebank.errors import EmptyFile, FileTooLarge, MalformedCsv, NotText, UndecodableFile

_BOM = b"\xef\xbb\xbf"
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


class CsvStream:
    """The header and then the data rows of one CSV file, decoded line by line.

    Each line is UTF-8 unless it is not, then Windows-1252 (what Excel writes): a file is one or the
    other, and ASCII lines read the same in both, so deciding per line never needs a second pass.
    """

    def __init__(self, source: BinaryIO, max_bytes: int, size_hint: int | None = None) -> None:
        if size_hint is not None and size_hint > max_bytes:
            raise FileTooLarge(_too_large(max_bytes))
        self._max_bytes = max_bytes
        self._bytes_read = 0
        self._lines = self._decoded_lines(source)
        first = next(self._lines, None)
        if first is None:
            raise EmptyFile("The file is empty. Export the call results again and upload the CSV.")
        self.delimiter = _delimiter_of(first)
        self._records = csv.reader(itertools.chain([first], self._lines), delimiter=self.delimiter)
        try:
            self.header = [cell.strip() for cell in next(self._records)]
        except csv.Error as exc:
            raise MalformedCsv(_malformed(1, exc)) from exc

    def rows(self) -> Iterator[DataRow]:
        """Every row after the header, blank ones included, so that numbers match a spreadsheet's."""
        number = 1
        try:
            for number, cells in enumerate(self._records, start=2):
                yield DataRow(number, cells)
        except csv.Error as exc:
            raise MalformedCsv(_malformed(number + 1, exc)) from exc

    def _decoded_lines(self, source: BinaryIO) -> Iterator[str]:
        for line_number, raw in enumerate(_lines_of(source), start=1):
            self._bytes_read += len(raw)
            if self._bytes_read > self._max_bytes:
                raise FileTooLarge(_too_large(self._max_bytes))
            if line_number == 1:
                _refuse_binary(raw)
            line = raw.removeprefix(_BOM) if line_number == 1 else raw
            if b"\x00" in line:
                raise NotText(
                    f"Line {line_number} holds binary data (NUL bytes): this is not a CSV text file. "
                    'Save it from your spreadsheet as "CSV UTF-8" and upload it again.'
                )
            yield _decode(line, line_number)


class _ReadOnly(io.RawIOBase):
    """Any object with read(n) as a raw stream, so that io.BufferedReader can split it into lines."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _lines_of(source: BinaryIO) -> Iterator[bytes]:
    """Lines ending in b"\n", whatever the source: iterating an S3 stream yields fixed-size chunks."""
    return iter(io.BufferedReader(_ReadOnly(source), buffer_size=1 << 20))


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
