"""Each field's vector form (`phonebank.columnar`) gives its rule's very answer, or leaves the value to
the rule: over every area code, every timestamp form, the clock changes, and any text at all."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest.mock import patch

import phonenumbers
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from phonebank import clean_times
from phonebank.clean_times import timestamp_variant, variant_pattern
from phonebank.columnar import (
    CELL,
    DECIDED,
    VALUE,
    VECTOR_FORMS,
    Answers,
    KnownAnswers,
    answer_column,
    answer_date_and_time,
    date_and_time,
    north_american,
    python_whitespace,
)
from phonebank.config import PipelineConfig, build_config
from phonebank.models.dialer import FIELD_RULES, RowContext
from phonebank.phones import is_nanp, nanp_region, national_and_country

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)

PHONE_FORMS = [
    "({a}) {e}-{l}", "{a}.{e}.{l}", "{a}-{e}-{l}", "{a} {e} {l}", "{a}{e}{l}", "1{a}{e}{l}", "1-{a}-{e}-{l}",
    "1 ({a}) {e}-{l}", "+1 {a} {e} {l}", "+1{a}{e}{l}", "+1 ({a}) {e}-{l}", "+1-{a}-{e}-{l}", "({a}){e}-{l}",
    "({a} {e}-{l}", "{a}) {e}-{l}", "{a}  {e} {l}", "+ 1 {a} {e} {l}", "{a}/{e}-{l}", " {a}{e}{l}",
]  # fmt: skip


def context(config: PipelineConfig | None = None, zone: str = "America/New_York") -> RowContext:
    config = config or build_config({"source_timezone": zone})
    return RowContext(
        config=config, source_zone=config.source_zone("canonical"), now=NOW, fallback_effort=None, service=""
    )


def rule_answer(field: str, cell: str, row_context: RowContext) -> Any:
    try:
        answer = FIELD_RULES[field](cell, row_context)
    except PydanticCustomError:
        return "refused"
    return answer.astimezone(UTC) if isinstance(answer, datetime) else answer


def vector_answers(field: str, cells: list[str], row_context: RowContext) -> list[tuple[bool, Any]]:
    """What the vector form alone says of each cell: (decided, its answer)."""
    decided = VECTOR_FORMS[field](pl.DataFrame({CELL: cells}, schema={CELL: pl.String}), row_context)
    return list(zip(decided[DECIDED].fill_null(False).to_list(), decided[VALUE].to_list(), strict=True))


def assert_vector_form_keeps_to_the_rule(field: str, cells: list[str], row_context: RowContext) -> int:
    """Every cell the vector form decides gets the rule's answer; returns how many it decided."""
    decided = 0
    for cell, (is_decided, answer) in zip(cells, vector_answers(field, cells, row_context), strict=True):
        if is_decided:
            decided += 1
            assert answer == rule_answer(field, cell, row_context), cell
    return decided


def test_every_area_code_in_every_form_gets_the_rules_answer() -> None:
    # Given numbers in every area code 200-999, random exchanges and lines, written in many forms
    sample = random.Random(20241001)
    cells, nationals = [], []
    for area in range(200, 1000):
        for _ in range(4):
            exchange, line = f"{sample.randrange(1000):03d}", f"{sample.randrange(10000):04d}"
            cells.append(sample.choice(PHONE_FORMS).format(a=area, e=exchange, l=line))
            nationals.append(f"{area}{exchange}{line}")
    # When the vector form reads them all at once
    # Then each number it decides is the rule's (phonenumbers') E.164, and it decides the US ones it can
    assert assert_vector_form_keeps_to_the_rule("phone", cells, context()) > len(cells) // 5
    # And the region the patterns give is phonenumbers' own
    for national in nationals:
        number = phonenumbers.PhoneNumber(country_code=1, national_number=int(national))
        library = (
            phonenumbers.region_code_for_number(number) if phonenumbers.is_valid_number(number) else None
        )
        assert nanp_region(national) == library, national


@settings(max_examples=200, deadline=None)
@given(
    form=st.sampled_from(PHONE_FORMS),
    area=st.integers(0, 999),
    exchange=st.integers(0, 999),
    line=st.integers(0, 9999),
    region=st.sampled_from(["US", "CA", "PR", "GB"]),
)
def test_any_number_in_any_form_and_region_gets_the_rules_answer(
    form: str, area: int, exchange: int, line: int, region: str
) -> None:
    cell = form.format(a=f"{area:03d}", e=f"{exchange:03d}", l=f"{line:04d}")
    assert_vector_form_keeps_to_the_rule("phone", [cell], context(build_config({"phone_region": region})))


def _timestamp_cells() -> st.SearchStrategy[str]:
    number = st.integers(0, 99).map(str) | st.integers(0, 99).map("{:02d}".format)
    year = st.sampled_from(["2024", "2023", "1999", "0000", "0001", "2025", "2099"])
    half = st.sampled_from(["", " AM", " PM", "am", " pm", " Am", "PM", " A.M."])
    seconds = st.sampled_from(["", ":00", ":59", ":60", ":7"])
    us = st.tuples(number, number, year, number, number, seconds, half).map(
        lambda p: f"{p[0]}/{p[1]}/{p[2]} {p[3]}:{p[4]}{p[5]}{p[6]}"
    )
    iso = st.tuples(year, number, number, st.sampled_from([" ", "T", "  "]), number, number, seconds).map(
        lambda p: f"{p[0]}-{p[1]}-{p[2]}{p[3]}{p[4]}:{p[5]}{p[6]}"
    )
    return us | iso | st.text(alphabet="0123456789/:- APMT", max_size=22)


def _clock_changes() -> list[str]:
    """Every minute around New York's and Los Angeles' clock changes of 2024, in both forms."""
    cells = []
    for day in (date(2024, 3, 10), date(2024, 11, 3)):
        start = datetime(day.year, day.month, day.day, 0, 0)
        for minute in range(0, 5 * 60, 7):
            moment = start + timedelta(minutes=minute)
            cells += [
                f"{moment:%m/%d/%Y %H:%M}",
                f"{moment:%Y-%m-%d %H:%M:%S}",
                f"{moment:%m/%d/%Y %I:%M %p}",
            ]
    return cells


@pytest.mark.parametrize("zone", ["America/New_York", "America/Los_Angeles", "UTC", "Asia/Kolkata"])
def test_timestamps_around_clock_changes_get_the_rules_instant(zone: str) -> None:
    # Given every few minutes of the hours around both clock changes, in three forms
    cells = _clock_changes()
    # When the vector form reads them, in a zone with the changes and in zones without
    # Then every instant it decides is the rule's (the earlier of a repeated hour), and it decides most
    decided = assert_vector_form_keeps_to_the_rule("called_at", cells, context(zone=zone))
    assert decided > len(cells) * 0.9


@settings(max_examples=400, deadline=None)
@given(cells=st.lists(_timestamp_cells(), min_size=1, max_size=8))
@example(cells=["12/31/2024 11:59 PM", "1/15/2025 7:00 AM", "1/15/2025 7:01 AM", "02/29/2023 10:00"])
@example(cells=["2000-01-01 00:00", "1999-12-31 23:59", "10/32/2024 6:15 PM", "13/01/2024 10:00"])
def test_any_timestamp_gets_the_rules_instant_or_is_left_to_it(cells: list[str]) -> None:
    for date_order in ("MDY", "DMY"):
        config = build_config({"source_timezone": "America/New_York", "date_order": date_order})
        assert_vector_form_keeps_to_the_rule("called_at", cells, context(config))


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(_timestamp_cells(), min_size=1, max_size=20))
def test_each_variants_own_pattern_finds_exactly_its_cells(cells: list[str]) -> None:
    # Given any timestamp-like cells
    column = pl.Series(CELL, cells, dtype=pl.String)
    # When each is sorted by the general variant expression and by each variant's own pattern
    variants = column.to_frame().select(timestamp_variant(pl.col(CELL)))[CELL].to_list()
    for variant in range(8):
        found = column.str.contains(variant_pattern(variant)).to_list()
        # Then a variant's pattern finds its cells and no other: the clean ones of that variant
        assert found == [each == variant for each in variants]


@settings(max_examples=100, deadline=None)
@given(cells=st.lists(_timestamp_cells(), min_size=2, max_size=8))
def test_cells_of_variants_the_first_cells_lack_still_get_the_rules_instant(cells: list[str]) -> None:
    # Given a column whose first cell alone is sampled for its variant, so that the others' variants
    # are found among what that pass leaves
    with patch.object(clean_times, "_SAMPLE", 1):
        # When it is answered
        answers = vector_answers("called_at", cells, context())
        # Then each cell still has the rule's instant, or is left to the rule
        assert_vector_form_keeps_to_the_rule("called_at", cells, context())
    # And the same cells are decided, the same way, as when every cell's variant is sampled
    assert answers == vector_answers("called_at", cells, context())


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(st.text(max_size=12) | st.from_regex(r"[0-9A-Za-z][ -~]{0,8}", fullmatch=True)))
def test_any_text_gets_the_ids_rules_answer(cells: list[str]) -> None:
    for field in ("profile_id", "van_id"):
        assert_vector_form_keeps_to_the_rule(field, cells, context())


def _date_cells() -> st.SearchStrategy[str]:
    number = st.integers(0, 99).map(str) | st.integers(0, 99).map("{:02d}".format)
    year = st.sampled_from(["2024", "2023", "1999", "0001", "2025", "24"])
    slashes = st.tuples(number, number, year).map("/".join)
    iso = st.tuples(year, number, number).map("-".join)
    return slashes | iso | st.text(alphabet="0123456789/:- T", max_size=12)


def _time_cells() -> st.SearchStrategy[str]:
    number = st.integers(0, 99).map(str) | st.integers(0, 99).map("{:02d}".format)
    seconds = st.sampled_from(["", ":00", ":59", ":60", ":7"])
    half = st.sampled_from(["", " AM", " PM", "pm", " A.M."])
    clock = st.tuples(number, number, seconds, half).map(lambda p: f"{p[0]}:{p[1]}{p[2]}{p[3]}")
    odd = st.sampled_from(["", " 14:42:15", "14:42:15 ", "T14:42"])
    return clock | odd | st.text(alphabet="0123456789: APM", max_size=10)


def _assert_answers_are_the_rules(answers: Answers, texts: list[str], row_context: RowContext) -> None:
    for text, value, refusal in zip(texts, answers.values, answers.refusals, strict=True):
        try:
            expected = FIELD_RULES["called_at"](text, row_context)
        except PydanticCustomError as exc:
            assert (value, refusal) == (None, exc.message()), text
        else:
            assert (value, refusal) == (expected.astimezone(UTC), None), text


@settings(max_examples=300, deadline=None)
@given(
    chunks=st.lists(st.lists(st.tuples(_date_cells(), _time_cells()), max_size=8), min_size=1, max_size=3),
    date_order=st.sampled_from(["MDY", "DMY"]),
)
@example(
    chunks=[[("10/28/2024", "14:42:15"), ("2024-10-28", "2:42 PM"), ("28/10/2024", "14:42")]],
    date_order="MDY",
)
@example(
    chunks=[[("2024-10-28", "9:42"), ("10/28/2024 14:42", ""), ("", "14:42"), ("11/03/2024", "1:30")]],
    date_order="DMY",
)
def test_thrutalks_date_and_time_get_the_rules_instant_for_the_two_joined(
    chunks: list[list[tuple[str, str]]], date_order: str
) -> None:
    # Given ThruTalk's date and time columns, in chunks whose dates and times repeat from one to the next
    config = build_config({"source_timezone": "America/New_York", "date_order": date_order})
    row_context, known = context(config), KnownAnswers()
    for chunk in chunks:
        dates = pl.Series([date for date, _ in chunk] * 2, dtype=pl.String)
        times = pl.Series([time for _, time in chunk] * 2, dtype=pl.String)
        # When each chunk's instants are answered from the two, with what the earlier chunks found
        answers, left_to_the_rule = answer_date_and_time(dates, times, row_context, known)
        # Then every row has the rule's answer for the date and time joined, as the rule reads them
        joined = date_and_time(dates, times).to_list()
        _assert_answers_are_the_rules(answers, joined, row_context)
        # And the joined text is given wherever the rule read it, for the date-order check
        for text, read, refusal in zip(joined, left_to_the_rule, answers.refusals, strict=True):
            assert read in (None, text)
            assert refusal is None or read == text


@pytest.mark.parametrize("zone", ["America/New_York", "UTC", "Asia/Kolkata"])
def test_thrutalks_clean_dates_and_times_are_read_without_the_rule(zone: str) -> None:
    # Given the minutes around both clock changes, each split at its first space as ThruTalk writes them
    cells = _clock_changes()
    dates, times = (pl.Series(part) for part in zip(*(cell.split(" ", 1) for cell in cells), strict=True))
    row_context = context(zone=zone)
    # When their instants are answered from the two columns
    answers, left_to_the_rule = answer_date_and_time(dates, times, row_context, KnownAnswers())
    # Then each is the rule's (the earlier of a repeated hour), and the rule was asked of few
    _assert_answers_are_the_rules(answers, cells, row_context)
    assert left_to_the_rule.null_count() > len(cells) * 0.9


@settings(max_examples=100, deadline=None)
@given(
    cells=st.lists(st.text(max_size=12) | _timestamp_cells(), max_size=6),
    field=st.sampled_from(sorted(FIELD_RULES)),
    copies=st.sampled_from([1, 2, 5]),
)
def test_a_whole_column_answers_as_the_rule_does_cell_by_cell(
    cells: list[str], field: str, copies: int
) -> None:
    # Given any cells, each once or repeated (answered once per distinct value), in a column of any field
    column = pl.Series(cells * copies, dtype=pl.String)
    row_context = context()
    # When the column is answered at once
    answers = answer_column(field, column, row_context)
    # Then each cell has the rule's value, or the rule's refusal in its words
    for cell, value, refusal in zip(column, answers.values, answers.refusals, strict=True):
        try:
            expected = FIELD_RULES[field](cell, row_context)
        except PydanticCustomError as exc:
            assert (value, refusal) == (None, exc.message())
        else:
            assert refusal is None
            assert value == (expected.astimezone(UTC) if isinstance(expected, datetime) else expected)


@settings(max_examples=100, deadline=None)
@given(
    chunks=st.lists(
        st.lists(
            st.sampled_from(["", "x", "10/28/2024 2:42 PM", "2024-10-28 14:42"]) | _timestamp_cells(),
            max_size=8,
        ),
        max_size=4,
    ),
    field=st.sampled_from(["called_at", "outcome", "duration"]),
)
def test_answers_kept_from_earlier_chunks_are_the_rules(chunks: list[list[str]], field: str) -> None:
    # Given a file's column in chunks, whose values repeat from chunk to chunk, each answered once per
    # distinct value
    row_context, known = context(), KnownAnswers()
    for chunk in chunks:
        column = pl.Series(chunk * 2, dtype=pl.String)
        # When each chunk is answered with the answers the earlier ones got
        answers = answer_column(field, column, row_context, known)
        # Then every cell still has the rule's answer for it
        alone = answer_column(field, column, row_context)
        assert answers.values.to_list() == alone.values.to_list()
        assert answers.refusals.to_list() == alone.refusals.to_list()


@pytest.mark.parametrize("field", sorted(FIELD_RULES))
@pytest.mark.parametrize("cell", ["", "x", "Completed", "33", "2025-01-15 07:00"])
def test_one_cells_answers_spread_as_a_column_of_it_answers(field: str, cell: str) -> None:
    # Given a column whose cells all hold one text, as a field the file has no column for does
    column = pl.Series([cell] * 3, dtype=pl.String)
    # When that text alone is answered and its answers spread over the column
    spread = answer_column(field, column.head(1), context()).spread(column.len())
    # Then every cell has what answering the whole column gives it
    whole = answer_column(field, column, context())
    assert spread.values.dtype == whole.values.dtype
    assert spread.values.to_list() == whole.values.to_list()
    assert spread.refusals.to_list() == whole.refusals.to_list()


@settings(max_examples=200, deadline=None)
@given(phones=st.lists(st.text(max_size=14) | st.from_regex(r"\+1?[0-9]{9,12}", fullmatch=True), max_size=8))
@example(phones=["+12025550142", "+1202555014", "+442079460958", "+1202555014é", "12025550142"])
def test_the_north_american_column_says_what_is_nanp_says(phones: list[str]) -> None:
    # Given any texts, E.164 numbers of every length among them
    column = pl.DataFrame({"phone": phones}, schema={"phone": pl.String})
    # When the column form asks which are North American
    answered = column.select(north_american(pl.col("phone"))).to_series().to_list()
    # Then it says what the function says of each
    assert answered == [is_nanp(phone) for phone in phones]


@pytest.mark.parametrize(
    ("e164", "expected"),
    [("+12025550142", ("2025550142", "US")), ("+14165550142", ("4165550142", "CA")),
     ("+17875550142", ("7875550142", "PR")), ("+442079460958", ("2079460958", "GB"))],
)  # fmt: skip
def test_van_phone_and_country_come_from_the_number(e164: str, expected: tuple[str, str]) -> None:
    assert national_and_country(e164) == expected


def test_the_whitespace_the_columns_strip_is_pythons() -> None:
    # Given every code point there is
    # When the characters Python's str.strip() removes are listed
    every = "".join(filter(str.isspace, map(chr, range(0x110000))))
    # Then the column forms strip exactly those
    assert python_whitespace() == every
