"""Duplicates: the same interaction as an earlier accepted row, anywhere earlier in the file."""

from __future__ import annotations

import polars as pl

ROW, FIRST = "row", "first"
_KEY, _CHECK = "key", "check"
_RUNS_BEFORE_MERGE = 16
"""The chunks' keys stay separate tables until there are this many, then become one."""


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
    """

    def __init__(self) -> None:
        self._seen: list[pl.DataFrame] = []

    def first_rows(self, keys: pl.DataFrame) -> pl.Series:
        """For each row of a chunk (`identity_keys` and "row", in row order), the row its interaction
        first appeared on: its own for the first, an earlier one's for a duplicate."""
        chunk = keys.with_columns(pl.col(ROW).min().over(_KEY, _CHECK).alias(FIRST))
        if self._seen:
            seen = pl.concat(self._seen, rechunk=False)
            earlier = seen.join(chunk.select(_KEY, _CHECK).unique(), on=[_KEY, _CHECK], how="inner")
            chunk = chunk.join(
                earlier.rename({FIRST: "earlier"}), on=[_KEY, _CHECK], how="left", maintain_order="left"
            ).with_columns(pl.coalesce("earlier", FIRST).alias(FIRST))
        self._seen.append(
            chunk.filter(pl.col(ROW) == pl.col(FIRST)).select(_KEY, _CHECK, pl.col(FIRST).cast(pl.UInt32))
        )
        if len(self._seen) >= _RUNS_BEFORE_MERGE:
            self._seen = [pl.concat(self._seen, rechunk=True)]
        return chunk[FIRST]
