"""Duplicates: the same interaction as an earlier accepted row, anywhere earlier in the file."""

from __future__ import annotations

import polars as pl

ROW, FIRST = "row", "first"
MAX_RUN = 1 << 20
"""The most keys a run gets by merging (16 MB): a merge holds both runs and their copy at once, and one
of all the keys of a large file would double their memory at its end (5M rows: ~80 MB more)."""
_KEY, _CHECK, _AT, _POSITION, _ENTRY = "key", "check", "at", "position", "entry"
_HALF = 1 << 32
"""A run's entry beside each key is its check times _HALF plus its first row: merges move two columns,
not three (the duplicates take a sixth less time at 1M rows, a twelfth at 5M)."""


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
    (a few dozen at most: a 2 GB file holds ~17 million rows), and looked up by a join that walks a
    run and the chunk's keys, both sorted, side by side (`_earlier`): a hash join with every key seen
    would build a table of them all for each chunk, and a file of 5 million rows would need several
    times its keys' memory.
    """

    def __init__(self, max_run: int = MAX_RUN) -> None:
        self._runs: list[pl.DataFrame] = []
        self._max_run = max_run

    def first_rows(self, keys: pl.DataFrame) -> pl.Series:
        """For each row of a chunk (`identity_keys` and "row", in row order), the row its interaction
        first appeared on: its own for the first, an earlier one's for a duplicate."""
        # Sorted by key, as the runs are (`_earlier`); the answers are put back in row order at the end.
        by_key = keys.with_row_index(_AT).sort(_KEY)
        earlier = _earlier(self._runs, by_key)
        here = _first_in_chunk(by_key)
        entry = pl.col(_CHECK).cast(pl.UInt64) * _HALF + here.cast(pl.UInt64)
        self._remember(
            by_key.select(_KEY, entry.alias(_ENTRY)).filter(earlier.is_null() & (here == by_key[ROW]))
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
            # merge_sorted, not a sort of the two together: the sort alone is faster, but it needs its
            # own copy of both runs, and measured in the whole run it was no faster and peaked 20-45 MB
            # higher (1M and 5M rows, one core).
            merged = self._runs[-1].merge_sorted(last, key=_KEY)
            # polars does not mark what it merged as sorted; the join in `_earlier` walks a run only
            # when it is so marked (else it hashes the whole run).
            self._runs[-1] = merged.with_columns(pl.col(_KEY).set_sorted())


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


def _earlier(runs: list[pl.DataFrame], wanted: pl.DataFrame) -> pl.Series:
    """Each (key, check)'s first row in the runs (a pair is in one at most), else null, for `wanted`
    row for row. Both sides sorted by key, a join walks them side by side: a third of the time of a
    binary search for each key. A key met twice (two interactions share a 64-bit key about once in a
    million files of 5 million rows) pairs with each entry of it, and the check keeps the right one."""
    positions = wanted.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias(_POSITION), _KEY, _CHECK)
    found = [
        positions.join(run, on=_KEY, how="inner")
        .filter(pl.col(_CHECK) == pl.col(_ENTRY) // _HALF)
        .select(_POSITION, (pl.col(_ENTRY) % _HALF).cast(pl.UInt32).alias(FIRST))
        for run in runs
    ]
    earlier = pl.repeat(None, wanted.height, dtype=pl.UInt32, eager=True).alias("earlier")
    if not found:
        return earlier
    hits = pl.concat(found)
    return earlier.scatter(hits[_POSITION], hits[FIRST])
