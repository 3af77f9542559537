"""date_order's whole-file check: which dates can only be read the other way, and what the file's
failure then says."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phonebank.times import (
    DateInOtherOrder,
    InvalidTimestamp,
    date_order_failure,
    only_in_other_order,
    parse_call_time,
)

NEW_YORK = ZoneInfo("America/New_York")
NOON = time(12)

ONLY_THE_OTHER_WAY = [
    ("14/10/2024", "MDY"),
    ("14/10/2024 19:45", "MDY"),
    ("31-12-2023 7:05 PM EST", "MDY"),
    ("13/01/24", "MDY"),
    (" 25/12/2024 ", "MDY"),
    ("14/10/2024 25:99", "MDY"),
    ("10/14/2024", "DMY"),
    ("10/14/24 19:45", "DMY"),
    ("12-31-2023", "DMY"),
]
EITHER_OR_NEITHER = [
    ("03/10/2024", "MDY"),  # real both ways: no evidence of the file's order
    ("03/10/2024", "DMY"),
    ("12/12/2024", "MDY"),
    ("10/14/2024", "MDY"),  # real in the configured order only
    ("14/10/2024", "DMY"),
    ("31/31/2024", "MDY"),  # real neither way: a typo, an ordinary row error
    ("02/30/2024", "DMY"),
    ("2024-10-14", "MDY"),  # the year first is never day-month
    ("2024-14-10", "DMY"),
    ("24-10-14", "MDY"),  # a dashed two-digit year is no form we read
    ("", "MDY"),
    ("yesterday", "DMY"),
    ("14/10/2024" + " " * 100 + "19:45", "MDY"),
]


@pytest.mark.parametrize(("value", "order"), ONLY_THE_OTHER_WAY)
def test_a_date_real_only_in_the_other_order_is_found(value: str, order: str) -> None:
    # Given a date with the year last that is no real date in the configured order, and one the other way
    # When the engine asks whether it can only be read the other way
    # Then it can: the file's dates are written in the other order
    assert only_in_other_order(value, order)  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "order"), EITHER_OR_NEITHER)
def test_a_date_real_in_the_configured_order_or_in_neither_is_not(value: str, order: str) -> None:
    # Given a date that is real either way, only in the configured order, or in neither (or no date)
    # When the engine asks whether it can only be read the other way
    # Then it cannot: it is no evidence about the file's order
    assert not only_in_other_order(value, order)  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "order"), ONLY_THE_OTHER_WAY)
def test_the_rule_refuses_each_such_date_as_a_date_order_problem(value: str, order: str) -> None:
    # Given a date that only the other order reads
    # When the call's time is read in the configured order
    # Then it is refused as such (the engine fails the file), not read either way
    with pytest.raises(DateInOtherOrder, match=f"date_order is {order}"):
        parse_call_time(value, NEW_YORK, NOON, order)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    first=st.integers(0, 40), second=st.integers(0, 40), year=st.sampled_from(["2024", "24", "0999"]),
    separator=st.sampled_from(["/", "-"]), order=st.sampled_from(["MDY", "DMY"]),
)  # fmt: skip
def test_the_check_and_the_rule_agree_on_every_day_and_month(
    first: int, second: int, year: str, separator: str, order: str
) -> None:
    # Given any day-month-year-like value
    value = f"{first:02d}{separator}{second:02d}{separator}{year} 10:00"

    # When the engine's check and the rule read it
    flagged = only_in_other_order(value, order)  # type: ignore[arg-type]
    try:
        parse_call_time(value, NEW_YORK, NOON, order)  # type: ignore[arg-type]
        refusal: type[Exception] | None = None
    except InvalidTimestamp as exc:
        refusal = type(exc)

    # Then the check flags exactly the values the rule refuses as being in the other order
    assert flagged == (refusal is DateInOtherOrder)


def test_the_failure_names_the_row_the_date_and_how_to_set_date_order() -> None:
    # Given a day-first date under the default order, with a time and a zone label
    # When the file's failure is worded
    message = date_order_failure(7, "14/10/2024 7:45 PM EST", "MDY")

    # Then it names the row, quotes the date alone, reads it, and says which setting reads the file
    assert message.startswith(
        'Row 7: the date "14/10/2024" is only a real date read day first (14 October 2024)'
    )
    assert "date_order is MDY (month first)" in message
    assert "set date_order: DMY in the configuration" in message
    assert "7:45" not in message


def test_the_failure_under_dmy_says_month_first() -> None:
    # Given a month-first date under DMY
    # When the file's failure is worded
    message = date_order_failure(12, "10/14/24", "DMY")

    # Then it says the other way round
    assert '"10/14/24" is only a real date read month first (14 October 2024)' in message
    assert "set date_order: MDY" in message


def test_the_failure_is_only_worded_for_a_date_in_the_other_order() -> None:
    # Given a date real in the configured order
    # When its failure is asked for
    # Then it is a mistake of the caller, not a sentence that would mislead
    with pytest.raises(AssertionError):
        date_order_failure(2, "03/10/2024", "MDY")
