"""A file's encoding, decided once from its own bytes: UTF-8, or Windows-1252 (what Excel writes).

A file is Windows-1252 only when it holds no valid UTF-8 multi-byte sequence. A UTF-8 file with a few
invalid bytes stays UTF-8: the lines holding them are decoded with a mark in place of each bad byte,
and the rows holding a mark are rejected. Reading the whole of such a file as Windows-1252 would turn
every accented name into mojibake (`Año` into `AÃ±o`) in an import that cannot be undone.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import BinaryIO, Literal

import polars as pl

from phonebank.errors import NotText, UndecodableFile

MARK = "\ufdd0"
"""What a bad byte of a UTF-8 file reads as until its row is found: a Unicode noncharacter, which no
interchanged text holds. A row's cells show U+FFFD (the replacement character) in its place."""
REPLACEMENT = "\ufffd"
_SCAN_BYTES = 8 << 20
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]"
    rb"|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
"""A well-formed UTF-8 sequence of two to four bytes (RFC 3629's table)."""

Encoding = Literal["utf-8", "cp1252"]


class FileEncoding:
    """Decodes a file's blocks of whole lines, deciding its encoding at the first byte that is not ASCII.

    Where that decision needs the rest of the file (the first non-ASCII block holds no UTF-8 sequence),
    `rest_holds_utf8` looks ahead without taking the bytes from the reader."""

    def __init__(self, rest_holds_utf8: Callable[[], bool]) -> None:
        self._rest_holds_utf8 = rest_holds_utf8
        self.encoding: Encoding | None = None
        self.marked = False
        """Whether a block decoded so far held a byte that is not UTF-8 in a UTF-8 file."""

    def may_be_utf8(self, data: bytes, lines_before: int) -> bool:
        """Whether `data` (whole lines) is read as it is if it is valid UTF-8, so that a parser that
        checks UTF-8 as it reads (polars) can try it before `utf8` decodes it; NotText for NUL bytes."""
        _refuse_nul(data, lines_before)
        return self.encoding != "cp1252" or data.isascii()

    def read_as_utf8(self, data: bytes) -> None:
        """`data` proved valid UTF-8 (a parser that checks it read it): a file holding a UTF-8 sequence
        is UTF-8."""
        if self.encoding is None and not data.isascii():
            self.encoding = "utf-8"

    def utf8(self, data: bytes, lines_before: int) -> bytes:
        """`data` (whole lines) as UTF-8; NotText for NUL bytes, UndecodableFile for bytes that are
        neither encoding."""
        _refuse_nul(data, lines_before)
        if data.isascii():
            return data
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            self.encoding = "utf-8"
            return data
        if self.encoding is None:
            self.encoding = "utf-8" if holds_utf8(data) or self._rest_holds_utf8() else "cp1252"
        lines = io.BytesIO(data)
        decode = self._marked if self.encoding == "utf-8" else _cp1252
        return "".join(decode(line, number) for number, line in enumerate(lines, lines_before + 1)).encode()

    def _marked(self, line: bytes, line_number: int) -> str:
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            self.marked = True
            return line.decode("utf-8", "replace").replace(REPLACEMENT, MARK)


def _refuse_nul(data: bytes, lines_before: int) -> None:
    nul = data.find(b"\x00")
    if nul >= 0:
        line_number = lines_before + data.count(b"\n", 0, nul) + 1
        raise NotText(
            f"Line {line_number} holds binary data (NUL bytes): this is not a CSV text file. "
            'Save it from your spreadsheet as "CSV UTF-8" and upload it again.'
        )


def holds_utf8(data: bytes) -> bool:
    return _UTF8_SEQUENCE.search(data) is not None


def rest_holds_utf8(source: BinaryIO, pending: bytes) -> bool:
    """Whether `pending` or what `source` has left holds a UTF-8 sequence; `source` is left where it was."""
    if holds_utf8(pending):
        return True
    start = source.tell()
    try:
        tail = pending[-3:]
        while block := source.read(_SCAN_BYTES):
            if holds_utf8(tail + block):
                return True
            tail = block[-3:]
        return False
    finally:
        source.seek(start)


def marked_cells(cells: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, pl.Series]]:
    """The cells with each mark shown as U+FFFD, and for each column holding a mark, which rows do."""
    marked = {
        name: mask for name in cells.columns if (mask := cells[name].str.contains(MARK, literal=True)).any()
    }
    shown = cells.with_columns(
        pl.col(name).str.replace_all(MARK, REPLACEMENT, literal=True) for name in marked
    )
    return shown, marked


def _cp1252(line: bytes, line_number: int) -> str:
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise UndecodableFile(
            f"Line {line_number} is neither UTF-8 nor Windows-1252 text (byte 0x{line[exc.start]:02x}). "
            'Save the file as "CSV UTF-8" and upload it again.'
        ) from exc
