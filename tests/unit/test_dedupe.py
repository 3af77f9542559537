"""FirstRows answers as a dict of every interaction seen would, chunk after chunk."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from phonebank.dedupe import FirstRows

# Keys from a small pool, so that chunks repeat each other's; checks from a smaller one, so that some
# interactions share a 64-bit key and differ only in the check.
CHUNKS = st.lists(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 2)), max_size=30),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(chunks=CHUNKS, max_run=st.sampled_from([1 << 20, 8, 1]))
def test_each_row_gets_the_first_row_of_its_interaction(
    chunks: list[list[tuple[int, int]]], max_run: int
) -> None:
    # Given chunks of rows, in file order, whose interactions repeat within and across chunks, and runs
    # merged up to any size
    first_rows, seen = FirstRows(max_run), dict[tuple[int, int], int]()
    row = 2
    for chunk in chunks:
        rows = list(range(row, row + len(chunk)))
        row += len(chunk)
        keys = pl.DataFrame(
            {
                "row": pl.Series(rows, dtype=pl.Int64),
                "key": pl.Series([key for key, _ in chunk], dtype=pl.UInt64),
                "check": pl.Series([check for _, check in chunk], dtype=pl.UInt32),
            }
        )
        # When FirstRows is asked for the chunk
        answered = first_rows.first_rows(keys).to_list()
        # Then each row gets the row its interaction first appeared on, as a dict would say
        expected = [seen.setdefault(pair, number) for pair, number in zip(chunk, rows, strict=True)]
        assert answered == expected


def test_runs_are_merged_no_larger_than_the_cap() -> None:
    # Given forty chunks of ten new interactions each, and runs merged up to 25 keys
    first_rows = FirstRows(max_run=25)
    for chunk in range(40):
        keys = pl.DataFrame(
            {
                "row": pl.Series(range(chunk * 10, chunk * 10 + 10), dtype=pl.Int64),
                "key": pl.Series(range(chunk * 10, chunk * 10 + 10), dtype=pl.UInt64),
                "check": pl.Series([0] * 10, dtype=pl.UInt32),
            }
        )
        # When each chunk is asked for and remembered
        first_rows.first_rows(keys)
        # Then no run holds more than the cap: merging never holds two large runs and their copy at once
        assert max(run.height for run in first_rows._runs) <= 25
