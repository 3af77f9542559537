"""Which earlier row an interaction repeats, in memory that stays flat however long the file.

A dict of the rows' identities would hold a million-row file's worth of tuples. Each identity is
hashed to 96 bits instead (two interactions share them with odds of about 1 in 10^16 at five million
rows, for hashes that behave as random ones). Recent keys sit in a small dict; older ones are sorted
into runs on a temporary file (16 bytes a key), with every 256th key in memory to find a key's block
with one read. A fixed 16 MiB bitmap (three bits a key; 8 MiB each when two processes share a file's
rows) answers "never seen" for nearly every new row without reading the disk: only a true duplicate,
or about 1 row in 800 at five million rows, reads it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from array import array
from bisect import bisect_left
from collections.abc import Hashable, Iterator
from itertools import repeat
from operator import and_, lshift, or_, rshift
from pathlib import Path
from typing import BinaryIO, NamedTuple

from phonebank.sinks import read_numbers

_RECENT_LIMIT = 1 << 16
_BLOCK = 256
_BITMAP_BITS = 1 << 27  # 16 MiB
_LOW_MASK = 0xFFFFFFFF
_HIGH_MASK = 0xFFFFFFFFFFFFFFFF
_SALT = "phonebank identity, second hash"


def identity_key(identity: tuple[Hashable, ...]) -> int:
    """96 bits of an interaction's identity (models.interaction.Call.identity), from Python's own hash
    of it and of it salted, in C: 64 bits of one and 32 of the other. Python hashes text with a key
    drawn when it starts, so keys compare within one process and its forks (phonebank.halves) only."""
    return (hash(identity) & _HIGH_MASK) << 32 | (hash((_SALT, *identity)) & _LOW_MASK)


class StoredKeys(NamedTuple):
    """Keys as arrays (for another process): each key's high 64 bits, its low 32, and its first row."""

    highs: array[int]
    lows: array[int]
    rows: array[int]

    def keys(self) -> Iterator[int]:
        return map(or_, map(lshift, self.highs, repeat(32)), self.lows)


_KEY_FILES = ("keys.highs", "keys.lows", "keys.rows")
_KEYS_READ = 1 << 16


def save_keys(first_rows: FirstRows, folder: Path) -> None:
    """Every key `first_rows` remembers, with its first row, into `folder` (`saved_keys` reads them)."""
    with contextlib.ExitStack() as opened:
        files = [opened.enter_context((folder / name).open("wb")) for name in _KEY_FILES]
        for stored in first_rows.stored_keys():
            for section, file in zip(stored, files, strict=True):
                section.tofile(file)


def saved_keys(folder: Path) -> Iterator[StoredKeys]:
    """The keys `save_keys` wrote to `folder`, a few thousand at a time."""
    with contextlib.ExitStack() as opened:
        highs, lows, rows = (opened.enter_context((folder / name).open("rb")) for name in _KEY_FILES)
        while stored_highs := read_numbers(highs, _KEYS_READ, "Q"):
            count = len(stored_highs)
            yield StoredKeys(stored_highs, read_numbers(lows, count), read_numbers(rows, count))


class _Run:
    """Keys sorted by their high 64 bits on disk: the highs, then the low 32 bits, then the rows."""

    def __init__(self, spill: BinaryIO, keys: list[int], first_rows: list[int]) -> None:
        """`keys` sorted, each with the row it was first seen in."""
        self._fd = spill.fileno()
        self._count = len(keys)
        # map() with operator functions: a generator would run a Python step for each of 65,536 keys.
        high = array("Q", map(rshift, keys, repeat(32)))
        self._sparse = high[::_BLOCK]
        self._high_at = spill.seek(0, os.SEEK_END)
        low = array("I", map(and_, keys, repeat(_LOW_MASK)))
        rows = array("I", first_rows)
        self._low_at = self._high_at + high.itemsize * self._count
        self._rows_at = self._low_at + low.itemsize * self._count
        for section in (high, low, rows):
            section.tofile(spill)
        spill.flush()

    def _read(self, typecode: str, at: int, start: int, count: int) -> array[int]:
        values = array(typecode)
        values.frombytes(os.pread(self._fd, count * values.itemsize, at + start * values.itemsize))
        return values

    def stored_keys(self) -> StoredKeys:
        return StoredKeys(
            self._read("Q", self._high_at, 0, self._count),
            self._read("I", self._low_at, 0, self._count),
            self._read("I", self._rows_at, 0, self._count),
        )

    def find(self, key: int) -> int | None:
        high, low = key >> 32, key & _LOW_MASK
        start = max(bisect_left(self._sparse, high) - 1, 0) * _BLOCK
        while start < self._count:
            highs = self._read("Q", self._high_at, start, min(_BLOCK, self._count - start))
            index = bisect_left(highs, high)
            while index < len(highs) and highs[index] == high:
                if self._read("I", self._low_at, start + index, 1)[0] == low:
                    return self._read("I", self._rows_at, start + index, 1)[0]
                index += 1
            if index < len(highs):
                return None
            start += len(highs)
        return None


class FirstRows:
    """`first_row(key, row)`: the row where `key` was first seen, remembering `row` if it is new."""

    def __init__(self, *, parts: int = 1) -> None:
        """`parts`: how many shares of a file's rows there are (1, 2 or 4): each share is remembered in
        a bitmap and a recent dict that much smaller, so that together they hold what one would."""
        if parts not in {1, 2, 4}:
            raise ValueError(f"FirstRows(parts={parts}): 1, 2 or 4")
        self._recent_limit = _RECENT_LIMIT // parts
        self._bit_mask = _BITMAP_BITS // parts - 1
        self._recent: dict[int, int] = {}
        self._runs: list[_Run] = []
        self._seen_bits = bytearray(_BITMAP_BITS // parts // 8)
        self._spill: BinaryIO | None = None

    def first_row(self, key: int, row: int) -> int:
        return self.first_rows([key], [row])[0]

    def first_rows(self, keys: list[int], rows: list[int]) -> list[int]:
        """`first_row` of each key in turn."""
        # Three bits of the bitmap per key, spelt out, and what the loop reads bound to local names:
        # this runs once a row.
        seen, mask, recent = self._seen_bits, self._bit_mask, self._recent
        firsts: list[int] = []
        for key, row in zip(keys, rows, strict=True):
            a, b, c = key & mask, (key >> 27) & mask, (key >> 54) & mask
            a_byte, b_byte, c_byte = a >> 3, b >> 3, c >> 3
            a_bit, b_bit, c_bit = 1 << (a & 7), 1 << (b & 7), 1 << (c & 7)
            if seen[a_byte] & a_bit and seen[b_byte] & b_bit and seen[c_byte] & c_bit:
                earlier = self._stored_row(key)
                if earlier is not None:
                    firsts.append(earlier)
                    continue
            seen[a_byte] |= a_bit
            seen[b_byte] |= b_bit
            seen[c_byte] |= c_bit
            recent[key] = row
            if len(recent) >= self._recent_limit:
                self.settle()
                recent = self._recent
            firsts.append(row)
        return firsts

    def seen_before(self, others: StoredKeys) -> dict[int, int]:
        """Of another's keys (and the rows it first saw them in), those remembered here: the other's
        row of each, and the row where it was first seen here. Remembers nothing."""
        seen, mask = self._seen_bits, self._bit_mask
        found: dict[int, int] = {}
        for key, row in zip(others.keys(), others.rows, strict=True):
            a, b, c = key & mask, (key >> 27) & mask, (key >> 54) & mask
            if seen[a >> 3] & 1 << (a & 7) and seen[b >> 3] & 1 << (b & 7) and seen[c >> 3] & 1 << (c & 7):
                first = self._stored_row(key)
                if first is not None:
                    found[row] = first
        return found

    def stored_keys(self) -> Iterator[StoredKeys]:
        """Every key remembered and its first row, a few thousand at a time."""
        for run in self._runs:
            yield run.stored_keys()
        yield StoredKeys(
            array("Q", map(rshift, self._recent, repeat(32))),
            array("I", map(and_, self._recent, repeat(_LOW_MASK))),
            array("I", self._recent.values()),
        )

    def _stored_row(self, key: int) -> int | None:
        earlier = self._recent.get(key)
        if earlier is None:
            earlier = next((found for run in self._runs if (found := run.find(key)) is not None), None)
        return earlier

    def settle(self) -> None:
        """Move the recent keys to disk (they are found there as well): for a FirstRows kept while
        another is in use."""
        if not self._recent:
            return
        if self._spill is None:
            self._spill = tempfile.TemporaryFile()  # noqa: SIM115  (closed by close())
        keys = sorted(self._recent)
        self._runs.append(_Run(self._spill, keys, list(map(self._recent.__getitem__, keys))))
        self._recent = {}

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()

    def __enter__(self) -> FirstRows:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
