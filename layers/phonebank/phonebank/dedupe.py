"""Duplicates: the same interaction as an earlier accepted row, anywhere earlier in the file."""

from __future__ import annotations

import polars as pl

ROW, FIRST = "row", "first"
MAX_RUN = 1 << 20
"""The most keys a run gets by merging (16 MB): a merge holds both runs and their copy at once, and one
of all the keys of a large file would double their memory at its end (5M rows: ~80 MB more)."""
_KEY, _CHECK, _AT = "key", "check", "at"


def identity_keys(rows: pl.DataFrame, identity: tuple[str, ...]) -> pl.DataFrame:
    """A 96-bit key of each row's identity (the columns named: ids, phone, instant, outcome, effort):
    two hashes of the row with different seeds, 64 and 32 bits. Two interactions share one by chance
    about once in 10^16 files of 5 million rows; a key of 64 bits alone would do so about once in a
    million. Hashed a row at a time, not as a struct: it costs less than half as much."""
    whole = rows.select(
        pl.col(name).fill_null("") if name != "called_at" else pl.col(name) for name in identity
    )
    return pl.DataFrame(
        {_KEY: whole.hash_rows(seed=0), _CHECK: (whole.hash_rows(seed=1) % (1 << 32)).cast(pl.UInt32)}
    )


class FirstRows:
    """The row on which each accepted interaction first appeared, over every chunk seen so far.

    What is carried from chunk to chunk is each interaction's key and its first row (16 bytes an
    interaction), so that memory grows with the distinct interactions of a file, not with its cells.
    They are kept in runs sorted by key, a run at least twice the size of the next up to MAX_RUN keys
    (a few dozen at most: a 2 GB file holds ~17 million rows), and looked up by binary search: a join
    with every key seen would build a table of them all for each chunk, and a file of 5 million rows
    would need several times its keys' memory.
    """

    def __init__(self, max_run: int = MAX_RUN) -> None:
        self._runs: list[pl.DataFrame] = []
        self._max_run = max_run

    def first_rows(self, keys: pl.DataFrame) -> pl.Series:
        """For each row of a chunk (`identity_keys` and "row", in row order), the row its interaction
        first appeared on: its own for the first, an earlier one's for a duplicate."""
        # Sorted by key, so that the binary searches of each run walk it in one direction; the
        # answers are put back in row order at the end.
        by_key = keys.with_row_index(_AT).sort(_KEY)
        earlier = _nothing(by_key.height)
        for run in self._runs:
            earlier = earlier.fill_null(_look_up(run, by_key))
        here = _first_in_chunk(by_key)
        self._remember(
            by_key.select(_KEY, _CHECK, here.cast(pl.UInt32).alias(FIRST)).filter(
                earlier.is_null() & (here == by_key[ROW])
            )
        )
        first = earlier.cast(pl.Int64).fill_null(here)
        return pl.repeat(0, keys.height, dtype=pl.Int64, eager=True).scatter(by_key[_AT], first).alias(FIRST)

    def _remember(self, new: pl.DataFrame) -> None:
        if not new.height:
            return
        self._runs.append(new.sort(_KEY))
        while (
            len(self._runs) > 1
            and self._runs[-1].height * 2 > self._runs[-2].height
            and self._runs[-1].height + self._runs[-2].height <= self._max_run
        ):
            last = self._runs.pop()
            # merge_sorted, not a sort of the two together: a sort is faster but needs its own copy of
            # both runs (5M rows: ~80 MB more at the peak, against ~0.05 s).
            self._runs[-1] = self._runs[-1].merge_sorted(last, key=_KEY)


def _first_in_chunk(keys: pl.DataFrame) -> pl.Series:
    """Each row's first row with the same (key, check) in this chunk (`keys` sorted by key): its own
    but for the few rows whose key repeats, which are grouped alone."""
    first = keys[ROW]
    # Sorted, a repeated key is next to its twin: comparing neighbours costs far less than hashing.
    key = pl.col(_KEY)
    beside_twin = (key == key.shift(1)).fill_null(False) | (key == key.shift(-1)).fill_null(False)
    repeated = keys.select(beside_twin)[_KEY].arg_true()
    if repeated.len():
        grouped = keys[repeated].select(pl.col(ROW).min().over(_KEY, _CHECK))[ROW]
        first = first.scatter(repeated, grouped)
    return first


def _look_up(run: pl.DataFrame, wanted: pl.DataFrame) -> pl.Series:
    """Each (key, check)'s first row in `run` (sorted by key), else null. A run holds each pair once;
    two interactions share a 64-bit key about once in a million files of 5 million rows, and then the
    entries after the first with that key are compared one by one."""
    keys, checks, firsts = run[_KEY], run[_CHECK], run[FIRST]
    start = keys.search_sorted(wanted[_KEY], side="left")
    at = start.clip(upper_bound=max(run.height - 1, 0))
    same_key = (start < run.height) & (keys.gather(at) == wanted[_KEY])
    hit = same_key & (checks.gather(at) == wanted[_CHECK])
    found = firsts.gather(at).zip_with(hit, _nothing(wanted.height))
    for index in (same_key & ~hit).arg_true().to_list():
        key, check = wanted[_KEY][index], wanted[_CHECK][index]
        position = start[index] + 1
        while position < run.height and keys[position] == key:
            if checks[position] == check:
                found = found.scatter(index, firsts[position])
                break
            position += 1
    return found


def _nothing(length: int) -> pl.Series:
    return pl.repeat(None, length, dtype=pl.UInt32, eager=True).alias("earlier")
