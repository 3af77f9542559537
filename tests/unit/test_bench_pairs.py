"""bench.report's pairs: each pair's own ratio summarised, so that a machine's drift shows beside the best."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# bench/ is no installed package: `python -m bench.run` finds it from the repository's root, as here.
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from bench.report import memory_growth, pairs_text  # noqa: E402


def test_pair_ratios_are_summarised_as_their_median_and_range() -> None:
    # Given the ratios of three pairs, out of order
    # When they are summarised for the table
    # Then the median comes first, then the lowest and the highest
    assert pairs_text([3.4, 2.6, 2.9]) == "2.9 (2.6-3.4)"


def test_a_single_pair_is_its_own_ratio() -> None:
    # Given one pair (--repeat 1)
    # When it is summarised, then it is that pair's ratio alone
    assert pairs_text([2.75]) == "2.8"


def _sized(rows: int, pinned_pss: float, unpinned_pss: float) -> dict[str, Any]:
    return {
        "rows": rows,
        "pinned": {"memory": {"phonebank": {"tree_peak_pss_mb": pinned_pss}}},
        "unpinned": {"memory": {"phonebank": {"tree_peak_pss_mb": unpinned_pss}}},
    }


def test_each_larger_sizes_memory_is_given_over_the_next_smaller_ones() -> None:
    # Given three sizes' sampled tree PSS, out of order
    results = [
        _sized(5_000_000, 286.0, 403.0),
        _sized(100_000, 180.0, 240.0),
        _sized(1_000_000, 230.0, 350.0),
    ]
    # When their growth is summarised
    # Then each size after the smallest is over the next smaller one, pinned and unpinned
    assert memory_growth(results) == [
        "tree PSS at 1,000,000 rows over 100,000: pinned 1.28, unpinned 1.46",
        "tree PSS at 5,000,000 rows over 1,000,000: pinned 1.24, unpinned 1.15",
    ]


def test_one_size_has_no_growth_to_give() -> None:
    # Given one size, when its growth is summarised, then there is none to give
    assert memory_growth([_sized(1_000_000, 230.0, 350.0)]) == []
