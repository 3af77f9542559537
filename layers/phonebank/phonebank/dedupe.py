"""Which earlier row an interaction repeats, remembered in ~16 bytes a row instead of ~400.

A dict of the rows' identities would hold a million-row file's worth of tuples in memory. Each
identity is hashed to 96 bits instead (two interactions share them with odds of about 1 in 10^16 at
five million rows); recent ones sit in a small dict, older ones in sorted arrays of 16 bytes an entry,
and a fixed-size bitmap answers "never seen" for nearly every new row without searching the arrays
(a true duplicate, or about 1 row in 30 at five million rows, searches them).
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left

_UNIT = "\x1f"  # a separator no cell of a CSV row written by a person holds
_RECENT_LIMIT = 1 << 16
_BITMAP_BITS = 1 << 27  # 16 MiB


def identity_key(*parts: object) -> int:
    """96 bits of the interaction's identity (ids, phone, instant, outcome, effort)."""
    text = _UNIT.join("" if part is None else str(part) for part in parts)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=12).digest(), "big")


class _Run:
    """Keys sorted by their high 64 bits, with their low 32 bits and rows alongside."""

    def __init__(self, items: list[tuple[int, int]]) -> None:
        self.high = array("Q", (key >> 32 for key, _ in items))
        self.low = array("L", (key & 0xFFFFFFFF for key, _ in items))
        self.rows = array("L", (row for _, row in items))

    def find(self, key: int) -> int | None:
        high, low = key >> 32, key & 0xFFFFFFFF
        index = bisect_left(self.high, high)
        while index < len(self.high) and self.high[index] == high:
            if self.low[index] == low:
                return self.rows[index]
            index += 1
        return None


class FirstRows:
    """`first_row(key, row)`: the row where `key` was first seen, remembering `row` if it is new."""

    def __init__(self) -> None:
        self._recent: dict[int, int] = {}
        self._runs: list[_Run] = []
        self._seen_bits = bytearray(_BITMAP_BITS // 8)

    def first_row(self, key: int, row: int) -> int:
        bit = key % _BITMAP_BITS
        byte, mask = bit >> 3, 1 << (bit & 7)
        if self._seen_bits[byte] & mask:
            earlier = self._recent.get(key)
            if earlier is None:
                earlier = next((found for run in self._runs if (found := run.find(key)) is not None), None)
            if earlier is not None:
                return earlier
        self._seen_bits[byte] |= mask
        self._recent[key] = row
        if len(self._recent) >= _RECENT_LIMIT:
            self._settle()
        return row

    def _settle(self) -> None:
        self._runs.append(_Run(sorted(self._recent.items())))
        self._recent = {}
