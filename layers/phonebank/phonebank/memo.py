"""A value worked out once per distinct key, in memory that stays flat however long the file."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

Key = TypeVar("Key")
Value = TypeVar("Value")


class Memo(dict[Key, Value]):
    """`memo[key]` works out a key's value on its first use only: a file repeats its outcomes, efforts,
    minutes and numbers, and a hit is a dict look-up. Past `limit` entries it starts over."""

    def __init__(self, work_out: Callable[[Key], Value], limit: int) -> None:
        super().__init__()
        self._work_out, self._limit = work_out, limit

    def __missing__(self, key: Key) -> Value:
        if len(self) >= self._limit:
            self.clear()
        value = self[key] = self._work_out(key)
        return value
