"""Property: whatever a cell holds, every field rule gives a verdict (a value, or a row error that
says what is wrong), never another exception: a traceback would stop the run with no summary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from phonebank.config import build_config
from phonebank.models.dialer import FIELD_RULES, RowContext

NOW = datetime(2025, 1, 1, tzinfo=UTC)
CONTEXTS = {
    order: RowContext(config, config.campaign_zone, NOW, "GOTV", "Impactive")
    for order, config in (("MDY", build_config()), ("DMY", build_config({"date_order": "DMY"})))
}
MEGABYTE = 1_000_000

# Starts of values each rule reads, so that a long tail reaches past the first character's verdict.
PREFIXES = [
    "", "10/11/2024 ", "10/11/2024 6:07 ", "2024-10-11T18:07:00", "10-11-2024 ", "1:", "75.", "+1 202 ",
    "(202) 201-3344", "Not Home/", "101234567", "OP-", "=",
]  # fmt: skip


def _repeated(prefix: str, unit: str, length: int, tail: str) -> str:
    return prefix + unit * (length // len(unit)) + tail


HUGE = st.builds(
    _repeated,
    st.sampled_from(PREFIXES),
    st.text(min_size=1, max_size=4) | st.sampled_from(["9", "0", " ", ":", "1:", "/", "\n", "\x00"]),
    st.integers(1_000, MEGABYTE),
    st.text(max_size=3),
)
CELLS = st.text() | st.sampled_from(PREFIXES).flatmap(lambda prefix: st.text().map(prefix.__add__)) | HUGE

# The values that crashed the run before, each in every field.
CRASHED = [
    "9" * 5_000,
    "12/31/9999 11:00 PM",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "12/31/9999 11:00 PM EST",
    "0001-01-01 00:00:00+05:00",
]


def _verdict(field: str, cell: str, order: str) -> None:
    try:
        FIELD_RULES[field](cell, CONTEXTS[order])
    except PydanticCustomError as refusal:
        assert refusal.message(), field


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cell=CELLS, order=st.sampled_from(sorted(CONTEXTS)))
@example(cell="1:" * (MEGABYTE // 2), order="MDY")
@example(cell="9" * MEGABYTE + "x", order="MDY")
@example(cell="10/11/2024 " + " " * MEGABYTE + "6:07", order="DMY")
def test_every_field_rule_gives_a_verdict_on_any_text(cell: str, order: str) -> None:
    # Given any text, from a few characters of any script to a megabyte
    for field in FIELD_RULES:
        # When each field's rule reads it
        # Then it answers with a value or refuses with a row error, and raises nothing else
        _verdict(field, cell, order)


@pytest.mark.parametrize("cell", CRASHED, ids=lambda cell: cell[:30])
@pytest.mark.parametrize("field", sorted(FIELD_RULES))
def test_the_values_that_crashed_the_run_are_row_errors(field: str, cell: str) -> None:
    # Given a value that raised an uncaught exception in a rule before (thousands of digits, a year
    # whose instant in UTC is outside 1-9999)
    # When each field's rule reads it
    # Then it gives a verdict
    _verdict(field, cell, "MDY")


@pytest.mark.parametrize("cell", CRASHED[1:], ids=lambda cell: cell[:30])
def test_a_year_out_of_range_is_a_timestamp_error(cell: str) -> None:
    # Given a time whose instant in UTC falls before the year 1 or after 9999
    # When the time's rule reads it
    with pytest.raises(PydanticCustomError) as refused:
        FIELD_RULES["called_at"](cell, CONTEXTS["MDY"])

    # Then it is refused as a timestamp it cannot read (or in the future), not as an overflow
    assert refused.value.type in {"timestamp", "future"}
