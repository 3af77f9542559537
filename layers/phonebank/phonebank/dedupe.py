"""Duplicates: the same interaction as an earlier accepted row, anywhere earlier in the file."""

from __future__ import annotations

import polars as pl

ROW, FIRST = "row", "first"
_KEY, _CHECK = "key", "check"


def identity_keys(identity: tuple[str, ...]) -> list[pl.Expr]:
    """A 96-bit key of each row's identity (the columns named: ids, phone, instant, outcome, effort):
    two hashes with different seeds, 64 and 32 bits. Two interactions share one by chance about once in
    10^16 files of 5 million rows; a key of 64 bits alone would do so about once in a million."""
    whole = pl.struct(
        pl.col(name).fill_null("") if name != "called_at" else pl.col(name) for name in identity
    )
    return [whole.hash(seed=0).alias(_KEY), (whole.hash(seed=1) % (1 << 32)).cast(pl.UInt32).alias(_CHECK)]


class FirstRows:
    """The row on which each accepted interaction first appeared, over every chunk seen so far.

    What is carried from chunk to chunk is each interaction's key and its first row (16 bytes an
    interaction), so that memory grows with the distinct interactions of a file, not with its cells.
    They are kept in runs sorted by key, a run at least twice the size of the next (so a few dozen
    at most), and looked up by binary search: a join with every key seen would build a table of
    them all for each chunk, and a file of 5 million rows would need several times its keys' memory.
    """

    def __init__(self) -> None:
        self._runs: list[pl.DataFrame] = []

    def first_rows(self, keys: pl.DataFrame) -> pl.Series:
        """For each row of a chunk (`identity_keys` and "row", in row order), the row its interaction
        first appeared on: its own for the first, an earlier one's for a duplicate."""
        chunk = keys.with_columns(pl.col(ROW).min().over(_KEY, _CHECK).alias(FIRST))
        # Sorted, so that the binary searches of each run walk it in one direction.
        distinct = (
            chunk.filter(pl.col(ROW) == pl.col(FIRST))
            .sort(_KEY)
            .select(_KEY, _CHECK, pl.col(FIRST).cast(pl.UInt32))
        )
        earlier = distinct.with_columns(self._seen_first(distinct).alias("earlier"))
        chunk = chunk.join(
            earlier.select(_KEY, _CHECK, "earlier"), on=[_KEY, _CHECK], how="left", maintain_order="left"
        )
        self._remember(earlier.filter(pl.col("earlier").is_null()).drop("earlier"))
        return chunk.select(pl.coalesce("earlier", FIRST).alias(FIRST))[FIRST]

    def _seen_first(self, distinct: pl.DataFrame) -> pl.Series:
        """For each distinct (key, check), the first row of an earlier chunk that had it, else null."""
        found = _nothing(distinct.height)
        for run in self._runs:
            found = found.fill_null(_look_up(run, distinct))
        return found

    def _remember(self, new: pl.DataFrame) -> None:
        if not new.height:
            return
        self._runs.append(new.sort(_KEY, _CHECK))
        while len(self._runs) > 1 and self._runs[-1].height * 2 > self._runs[-2].height:
            last = self._runs.pop()
            self._runs[-1] = self._runs[-1].merge_sorted(last, key=_KEY)


def _look_up(run: pl.DataFrame, distinct: pl.DataFrame) -> pl.Series:
    """Each (key, check)'s first row in `run` (sorted by key), else null. A run holds each pair once;
    two interactions share a 64-bit key about once in a million files of 5 million rows, and then the
    entries after the first with that key are compared one by one."""
    keys, checks, firsts = run[_KEY], run[_CHECK], run[FIRST]
    start = keys.search_sorted(distinct[_KEY], side="left")
    at = start.clip(upper_bound=max(run.height - 1, 0))
    same_key = (start < run.height) & (keys.gather(at) == distinct[_KEY])
    hit = same_key & (checks.gather(at) == distinct[_CHECK])
    found = firsts.gather(at).zip_with(hit, _nothing(distinct.height))
    for index in (same_key & ~hit).arg_true().to_list():
        key, check = distinct[_KEY][index], distinct[_CHECK][index]
        position = start[index] + 1
        while position < run.height and keys[position] == key:
            if checks[position] == check:
                found = found.scatter(index, firsts[position])
                break
            position += 1
    return found


def _nothing(length: int) -> pl.Series:
    return pl.repeat(None, length, dtype=pl.UInt32, eager=True).alias("earlier")
