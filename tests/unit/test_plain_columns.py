"""The columns written without a look for quotes: a model's rules prove that none of their cells can
need quotes (`OutputRow.PLAIN_COLUMNS`), and the rows are then csv.writer's bytes all the same."""

from __future__ import annotations

import csv
import io
from typing import Any, Literal, get_args, get_origin

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from transform_helpers import AWKWARD_TEXT

from phonebank.models.organizer import OrganizerRow
from phonebank.models.output import OutputRow, plain_pattern
from phonebank.models.van import VanBulkRow, VanNamesRow
from phonebank.sinks import QUOTED_CHARACTERS, encode_frame

MODELS: list[type[OutputRow]] = [OrganizerRow, VanNamesRow, VanBulkRow]


def test_each_format_writes_its_ids_dates_and_numbers_plain_and_its_free_text_searched() -> None:
    # Given the import files' models
    # When their rules are read for the columns that never need quotes
    plain = {model: set(model.PLAIN_COLUMNS) for model in MODELS}

    # Then the IDs, digits, dates and fixed words are plain, and the free text is not
    assert plain == {
        OrganizerRow: {"date_time", "phone_number_called", "call_type", "call_result", "call_duration"},
        VanNamesRow: {"van_id", "date_canvassed", "phone"},
        VanBulkRow: set(VanBulkRow.model_fields),
    }


@pytest.mark.parametrize(
    "pattern",
    [
        r"\d+",  # searched, not matched whole: any text around the digits
        r"^\d+",
        r"\d+$",
        r"^a|b$",  # each branch anchored at one end only
        r"^.+$",
        r"^\s+$",
        r"^\S+$",
        r"^\D+$",
        r"^[^a]+$",
        r"^[!-~]+$",  # a range holding the comma and the quote
        r'^[a"]$',
        r"^\w+,\w+$",
        r"(?m)^\d+$",  # $ before each line end
        r"^(?m:\d+)$",
        r"^(?=\d)\w+$",
        r"^\p{L}+$",  # not Python's syntax: unknown, so not plain
    ],
)
def test_a_pattern_that_may_let_a_cell_need_quotes_is_not_plain(pattern: str) -> None:
    # Given a pattern that matches some text holding a comma, a quote or a line end, or that the
    # analysis cannot read
    # When it is asked whether its cells are plain
    # Then it is not
    assert not plain_pattern(pattern)


@pytest.mark.parametrize(
    "pattern", [r"^\d+$", r"^(0|[1-9]\d*)?$", r"^[A-Z]{2}$", r"^[+-]\d{2}:\d{2}$", r"^\w*$", r"^$"]
)
def test_an_anchored_pattern_of_digits_letters_and_signs_is_plain(pattern: str) -> None:
    assert plain_pattern(pattern)


def _valid_cells(info: Any) -> st.SearchStrategy[str]:
    if get_origin(info.annotation) is Literal:
        return st.sampled_from(get_args(info.annotation))
    patterns = [pattern for item in info.metadata if (pattern := getattr(item, "pattern", None))]
    return st.from_regex(patterns[0], fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_plain_column_refuses_every_cell_that_would_need_quotes(data: st.DataObject) -> None:
    # Given a row of a model that keeps its rules, but for a comma, a quote or a line end put anywhere
    # in one of its plain columns
    model = data.draw(st.sampled_from(MODELS))
    row = {name: data.draw(_valid_cells(info)) for name, info in model.model_fields.items()
           if name in model.PLAIN_COLUMNS}  # fmt: skip
    row |= {name: "x" for name in model.model_fields if name not in model.PLAIN_COLUMNS}
    column = data.draw(st.sampled_from(sorted(model.PLAIN_COLUMNS)))
    at = data.draw(st.integers(0, len(row[column])))
    row[column] = row[column][:at] + data.draw(st.sampled_from(QUOTED_CHARACTERS)) + row[column][at:]

    # When a table of it is checked, as every table is before it is written
    # Then the check refuses it: no such cell reaches a file written without quotes
    with pytest.raises(ValidationError):
        model.check_frame(pl.DataFrame([row], schema=dict.fromkeys(model.model_fields, pl.String)))


PLAIN_TABLES = st.integers(1, 3).flatmap(
    lambda width: st.lists(
        st.tuples(st.from_regex(r"\A\d{0,4}\Z"), st.lists(AWKWARD_TEXT, min_size=width, max_size=width)),
        min_size=1,
        max_size=6,
    )
)


@settings(max_examples=300, deadline=None)
@given(table=PLAIN_TABLES)
def test_rows_with_plain_columns_are_encoded_as_csv_writer_writes_them(
    table: list[tuple[str, list[str]]],
) -> None:
    # Given rows whose first column holds digits alone (plain) and whose others may need quotes, or
    # be empty
    rows = [[digits, *cells] for digits, cells in table]
    expected = io.StringIO(newline="")
    csv.writer(expected).writerows(rows)
    frame = pl.DataFrame(rows, orient="row", schema=[str(n) for n in range(len(rows[0]))])

    # When the table is encoded with its first column known plain
    # Then it is csv.writer's bytes, and that column alone is written as without the knowledge
    assert encode_frame(frame, plain=["0"]).decode("utf-8") == expected.getvalue()
    assert encode_frame(frame.select("0"), plain=["0"]) == encode_frame(frame.select("0"))
