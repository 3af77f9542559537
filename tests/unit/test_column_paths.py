"""The validator's column-at-a-time path gives exactly the answers of the row-by-row path it skips."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError
from test_fast_paths import CALLED_AT_CELLS

from phonebank.columns import map_columns
from phonebank.config import build_config, load_config
from phonebank.dedupe import FirstRows, identity_key
from phonebank.models.dialer import ASK_THE_CELL_RULE, COLUMN_RULES, FIELD_RULES, DialerRow, RowContext
from phonebank.models.interaction import Call
from phonebank.models.report import ErrorRow
from phonebank.phones import _CLEAN_NANP, nanp_region, to_e164, us_e164_column, us_numbers_among
from phonebank.reader import DataRow, RowBatch
from phonebank.validate import Sorted, _RowChecker

CONFIG = load_config()
NOW = datetime(2025, 1, 1, tzinfo=UTC)
CONTEXT = RowContext(CONFIG, CONFIG.campaign_zone, NOW, "GOTV", "Impactive")

PHONES = [
    "(202) 555-0142", "202-201-3344", "+1 202 201 3344", "12022013344", "2022013344", " 202.201.3344 ",
    "(905) 555-0123", "+1 (416) 555-0199", "(800) 201-3344", "(202) 201-٣٣٤٤", "２０２２０１３３４４",
    "555-0100", "+44 20 7946 0958", "", " ", "abc", "(202 201-3344", "202\n201-3344", "202201334",
    "+1 900 201 3344", "1-202-201-3344",
]  # fmt: skip
IDS = ["", " ", "101234567", " 42 ", "12a", "12²", "OP-1", "P 2"]
# Calls with a time of day, to the minute or the second, 24- or 12-hour, New York's daylight-saving
# edges among them (a skipped hour, a repeated one), then cells the column leaves to the cell rule:
# an offset, no time, a lone digit for the hour in ISO, or refused.
TIMES = [
    "10/13/2024 19:11:17", "2024-10-13 19:11:17", "2024-10-13T19:11:59", "1/2/2024 7:05:00",
    "2024-03-10 02:30:15", "2024-03-10 01:59:59", "2024-03-10 03:00:01", "2024-11-03 01:30:15",
    "2024-11-03 00:59:59", " 2024-10-13 19:11:17 ", "2024-12-31 18:59:59", "10/13/2024 19:11",
    "10/13/2024 7:11:17 PM", "10/28/2024 2:42 PM", "10/28/2024 12:05 am", "2024-10-13 07:11 p.m.",
    "2024-11-03 01:30", "10/13/2024 13:11 PM",
    "2024-10-13 19:11:17-04:00", "2024-10-13 19:11:60", "2024-13-13 19:11:17", "2024-12-31 19:00:01",
    "1999-12-31 23:59:59", "", "10/13/2024", "2024-10-13 7:11",
]  # fmt: skip
TIMES_WITH_A_TIME = 18


def _cell_answer(field: str, cell: str) -> Any:
    try:
        return FIELD_RULES[field](cell, CONTEXT)
    except PydanticCustomError:
        return "refused"


@settings(max_examples=300, deadline=None)
@given(
    field=st.sampled_from(sorted(COLUMN_RULES)),
    cells=st.lists(st.sampled_from(PHONES + IDS + TIMES) | st.text(max_size=14), min_size=1, max_size=30),
)
# A cell that is only AM or PM is not the time above's: the column reads its cells a line each.
@example(field="called_at", cells=["10/13/2024 19:11:17", "AM"])
def test_each_column_rule_agrees_with_its_cell_rule(field: str, cells: list[str]) -> None:
    # Given a column of any cells
    # When its column rule answers for all of them at once
    answers = COLUMN_RULES[field](cells, CONTEXT, {})
    # Then each answer is the cell rule's, or leaves the cell to the cell rule
    if answers is None:
        return
    assert len(answers) == len(cells)
    for answer, cell in zip(answers, cells, strict=True):
        if answer is not ASK_THE_CELL_RULE:
            expected = _cell_answer(field, cell)
            # repr, not ==: the same instant written with another offset would be equal
            assert repr(answer) == repr(expected), cell


def test_an_hour_with_a_clock_change_inside_it_is_left_to_the_cell_rule() -> None:
    # Given a campaign that reads calls back to 1800, and New York leaving local mean time for
    # Eastern time at 12:03:58 on 1883-11-18: an offset change within an hour, within a minute
    config = build_config({"earliest_call_date": "1800-01-01"})
    context = RowContext(config, ZoneInfo("America/New_York"), NOW, None, "Impactive")
    cells = ["1883-11-18 12:03:30", "1883-11-18 12:03:59", "1883-11-18 12:04:30", "1883-11-18 13:04:30"]
    # When the column rule reads calls in that hour and the next
    answers = COLUMN_RULES["called_at"](cells, context, {})
    # Then it leaves the three in the changing hour to the cell rule and answers the next one
    assert answers is not None
    assert [answer is ASK_THE_CELL_RULE for answer in answers] == [True, True, True, False]
    assert repr(answers[3]) == repr(FIELD_RULES["called_at"](cells[3], context))


def test_clean_id_columns_are_answered_at_once() -> None:
    # Given ID columns without a bad cell
    # When their column rules read them
    # Then every cell is answered, stripped, an empty one as None
    assert COLUMN_RULES["van_id"](["1", " 2 ", ""], CONTEXT, {}) == ["1", "2", None]
    assert COLUMN_RULES["profile_id"](["OP-1 ", " "], CONTEXT, {}) == ["OP-1", None]


def test_a_profile_id_that_begins_like_a_formula_is_left_to_the_cell_rule() -> None:
    # Given a Profile ID column with cells a spreadsheet would run, once trimmed
    cells = ["OP-1", "=1+1", " +1", "-1", "@A1", "O=1"]
    # When the column rule reads it
    answers = COLUMN_RULES["profile_id"](cells, CONTEXT, {})
    # Then those cells are the cell rule's to refuse, and the others are answered
    assert answers == ["OP-1", *[ASK_THE_CELL_RULE] * 4, "O=1"]


def test_times_of_day_are_their_hour_plus_minutes_and_seconds_and_the_rest_left_to_the_cell_rule() -> None:
    # Given calls with a time of day in several forms, and cells the column cannot decide (among them
    # an hour whose last seconds are after the clock's now, 2025-01-01 00:00 UTC)
    memo: dict[str, Any] = {}
    # When the column rule reads them, twice, the second time from what it remembers
    first, second = (COLUMN_RULES["called_at"](TIMES, CONTEXT, memo) for _ in range(2))
    # Then it answers exactly the first kind, each as the cell rule would (offset included), or leaves
    # a time the cell rule refuses (13 PM) to it
    assert first is not None and first == second
    answered = [answer is not ASK_THE_CELL_RULE for answer in first]
    assert answered == [True] * (TIMES_WITH_A_TIME - 1) + [False] * (len(TIMES) - TIMES_WITH_A_TIME + 1)
    for cell, answer in zip(TIMES, first[: TIMES_WITH_A_TIME - 1], strict=False):
        assert repr(answer) == repr(_cell_answer("called_at", cell)), cell
    assert _cell_answer("called_at", TIMES[TIMES_WITH_A_TIME - 1]) == "refused"


def test_the_us_column_gets_to_e164s_answer_for_every_area_code() -> None:
    # Given a column of numbers in every area code 200-999, in many written forms
    sample = random.Random(20241122)
    forms = ["({a}) {e}-{l}", "{a}.{e}.{l}", "+1 {a} {e} {l}", "1{a}{e}{l}", "{a}{e}{l}", "({a}{e}-{l}"]
    cells = [
        sample.choice(forms).format(
            a=area, e=f"{sample.randrange(1000):03d}", l=f"{sample.randrange(10000):04d}"
        )
        for area in range(200, 1000)
        for _ in range(4)
    ]
    # When the column is read at once
    answers = us_e164_column(cells, "US")
    # Then it answers exactly the clean numbers valid in the US, each with to_e164's answer
    for cell, answer in zip(cells, answers, strict=True):
        clean = _CLEAN_NANP.fullmatch(cell)
        national = clean and (clean["area_in_parens"] or clean["area"]) + clean["exchange"] + clean["line"]
        if national and nanp_region(national) == "US":
            assert answer == to_e164(cell, "US"), cell
        else:
            assert answer is None, cell


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["US", "CA", "JM", "PR", "GB", "FR", "MX", "AU"]).map(
            lambda region: phonenumbers.format_number(
                phonenumbers.example_number(region), phonenumbers.PhoneNumberFormat.E164
            )
        )
        | st.from_regex(r"\+1[2-9]\d{9}", fullmatch=True),
        max_size=20,
    )
)
def test_us_numbers_among_e164s_are_the_columns_answer(e164s: list[str]) -> None:
    # Given numbers already in E.164 (any 10 digits after +1, and other countries' examples)
    # When the US numbers among them are found, and the same column is read as written numbers
    # Then both answer alike: the number itself where it is valid in the US, None elsewhere
    assert us_numbers_among(e164s) == us_e164_column(e164s, "US")


def test_digits_of_other_scripts_give_ascii_e164() -> None:
    # Given numbers written with Arabic-Indic and full-width digits
    # When they are read alone and in a column
    # Then both give phonenumbers' ASCII answer (the column leaves them to the cell rule)
    assert to_e164("(900) 201-٣٣٤٤", "US") == "+19002013344"
    assert to_e164("２０２２０１３３４４", "US") == "+12022013344"
    assert us_e164_column(["(900) 201-٣٣٤٤", "2022013344"], "US") == [None, "+12022013344"]


def test_a_column_holding_a_line_break_is_left_to_the_cell_rule() -> None:
    # Given a cell with a line break in the column
    # When the column is read at once
    # Then no cell is answered, so that no line is read as another cell's
    assert us_e164_column(["202\n201-3344", "2022013344"], "US") == [None, None]


def test_outside_north_america_the_column_answers_nothing() -> None:
    # Given a campaign whose phone region is the UK
    # When a column of clean US-looking numbers is read at once
    # Then every cell is left to phonenumbers
    assert us_e164_column(["2022013344"], "GB") == [None]


def test_a_calls_identity_is_its_parts_apart_from_row_and_free_text() -> None:
    # Given two calls that differ only in row, service, call type and duration, and one written with
    # another offset for the same instant
    call = Call(7, None, "101234567", "+12022013344", NOW, "Completed", "GOTV", "Impactive", "Computer", 75)
    same = call._replace(row=9, service="CallHub", call_type="Phone Dial", duration=None)
    same_instant = call._replace(called_at=NOW.astimezone(CONFIG.campaign_zone))
    # When their identities are written
    # Then they are one interaction; another phone is another
    assert call.identity() == same.identity() == same_instant.identity()
    assert identity_key(call.identity()) == identity_key(same_instant.identity())
    assert call.identity() != call._replace(phone="+12022013345").identity()
    assert call.identity() == ("", "101234567", "+12022013344", NOW, "Completed", "GOTV")


def test_calls_and_dialer_rows_list_their_fields_in_one_order() -> None:
    # Given the model's fields, which the column path passes to Call by position
    # Then they are Call's fields after the row number
    assert Call._fields[1:] == tuple(DialerRow.model_fields)


# Whole batches: the column path and the row-by-row path sort every row the same way.

IMPACTIVE = ["Profile ID", "VAN ID", "Phone Number", "Last Called At", "Call Outcome", "Effort Name",
             "Call Duration", "Call Type"]  # fmt: skip
THRUTALK = ["Voter ID", "Voter ID Type", "Voter Phone", "Date Called", "Time Called (EST)", "Result"]
IMPACTIVE_CELLS = [
    IDS,
    IDS,
    PHONES,
    CALLED_AT_CELLS,
    ["Completed", "busy signal", "Not Dialed", "Hung Up", "", "VOICEMAIL", "Wrong Number"],
    ["", "GOTV", " Persuasion "],
    ["", "75", "1:15", "75.5", "-1"],
    ["", "Manual", "Robot", "Computer"],
]
THRUTALK_CELLS = [
    IDS,
    ["", "VANID", "van", "Other", " ", "DWID"],
    PHONES,
    ["10/13/2024", "2024-10-13", "", "10/13/2030", "13/13/2024"],
    ["19:11:17", "", "7:11 PM", "25:00"],
    ["Talking to Correct Person", "Wrong Number", "not dialed", "", "Nope"],
]


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    header, choices = draw(st.sampled_from([(IMPACTIVE, IMPACTIVE_CELLS), (THRUTALK, THRUTALK_CELLS)]))
    row = st.tuples(*(st.sampled_from(values) for values in choices)).map(list)
    # Blank, short and long rows, and repeats (duplicates) of earlier rows.
    odd = st.sampled_from(
        [[], [""], ["", "", ""], ["OP-1"], ["OP-1", "42", "2022013344", "", "", "", "", "", "x"]]
    )
    rows = draw(st.lists(row | odd, min_size=1, max_size=40))
    repeats = draw(st.lists(st.integers(0, len(rows) - 1), max_size=5))
    return header, rows + [list(rows[index]) for index in repeats]


def _checker(header: list[str]) -> _RowChecker:
    columns = map_columns(header)
    return _RowChecker(columns, FirstRows(), RowContext(CONFIG, CONFIG.campaign_zone, NOW, None, "Impactive"))


@settings(max_examples=300, deadline=None)
@given(batches())
def test_a_batch_sorts_every_row_as_the_row_by_row_path_does(
    batch: tuple[list[str], list[list[str]]],
) -> None:
    header, rows = batch
    # Given two checkers of one file
    column_path, row_path = _checker(header), _checker(header)
    # When one reads the rows as a batch and the other one row at a time
    by_column = column_path.check_batch(RowBatch(2, rows))
    by_row = Sorted([], [], [])
    for number, cells in enumerate(rows, start=2):
        verdict = row_path.check(DataRow(number, cells))
        if isinstance(verdict, ErrorRow):
            by_row.rejected.append(verdict)
        elif verdict is not None:
            accepted, duplicates = row_path.accept_once([verdict], [cells])
            by_row.accepted.extend(accepted)
            by_row.duplicates.extend(duplicates)
    # Then every row gets the same verdict, and the counts agree
    assert by_column == by_row
    for tally in ("counts", "reasons", "by_outcome", "by_effort"):
        assert getattr(column_path, tally) == getattr(row_path, tally), tally
