"""bench.run's pairs: each pair's own ratio summarised, so that a machine's drift shows beside the best."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# bench/ is no installed package: `python -m bench.run` finds it from the repository's root, as here.
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from bench.run import _pairs  # noqa: E402


def test_pair_ratios_are_summarised_as_their_median_and_range() -> None:
    # Given the ratios of three pairs, out of order
    # When they are summarised for the table
    # Then the median comes first, then the lowest and the highest
    assert _pairs([3.4, 2.6, 2.9]) == "2.9 (2.6-3.4)"


def test_a_single_pair_is_its_own_ratio() -> None:
    # Given one pair (--repeat 1)
    # When it is summarised, then it is that pair's ratio alone
    assert _pairs([2.75]) == "2.8"
