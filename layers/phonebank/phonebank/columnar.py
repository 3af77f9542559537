"""Each field's rule over a whole column of cells at once.

The rule (`models.dialer.FIELD_RULES`) stays the one definition of a field: plain Python on one value,
with its error's wording. A vector form may decide the clean, common values of a column (a 10-digit
US number, a timestamp in a strict ASCII form, digits); every other distinct value is asked of the
rule once. `tests/unit/test_vector_forms.py` holds each vector form to its rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import polars as pl
from pydantic_core import PydanticCustomError

from phonebank.clean_times import call_instants, clean_naive
from phonebank.models.dialer import FIELD_RULES, RowContext
from phonebank.models.interaction import Interaction
from phonebank.phones import fast_path_applies, us_patterns

CELL, VALUE, DECIDED, REFUSAL = "cell", "value", "decided", "refusal"
_CODE = "code"

FIELD_TYPES = {field: Interaction.SCHEMA[field] for field in FIELD_RULES}
"""The column type of each field's answers, as the validated rows hand them to the transformer."""

VectorForm = Callable[[pl.DataFrame, RowContext], pl.DataFrame]
"""A column of cells (CELL) -> whether the vector form decides each (DECIDED) and its answer where it
does (VALUE), row for row."""


@dataclass(frozen=True)
class Answers:
    """A column's answers: each cell's value by its field's rule (null for the rule's None), and why
    the rule refused a cell (null where it did not)."""

    values: pl.Series
    refusals: pl.Series

    def spread(self, length: int) -> Answers:
        """A one-cell column's answers, for a column of `length` cells that all hold that cell."""
        return Answers(self.values.new_from_index(0, length), self.refusals.new_from_index(0, length))


MAX_KNOWN = 1 << 18
"""The distinct values of a field whose answers are kept from chunk to chunk (a few MB): a campaign's
call minutes number tens of thousands; a column of more distinct values starts again."""


@dataclass
class _Coded:
    """A column's distinct values numbered in the order the file first shows them (a Categorical of
    their own, freed with it), and what was worked out for each, a row each, by that number."""

    dtype: pl.Categorical
    found: pl.DataFrame
    holder: pl.Series
    """An empty column of `dtype`: polars frees a Categorical's numbering once no column holds it."""


class KnownAnswers:
    """What earlier chunks of a file got for each distinct value of a column (a field's answers, one of
    ThruTalk's dates or times), so that a value met again (a call's minute, an outcome) is looked up by
    its number, not worked out again: what is found depends on the value and the run alone."""

    def __init__(self) -> None:
        self._columns: dict[str, _Coded] = {}

    def answer(self, field: str, cells: pl.Series, context: RowContext) -> Answers:
        def answers(new: pl.Series) -> pl.DataFrame:
            values, refusals = _answer_each(field, new, context)
            return pl.DataFrame([values.alias(VALUE), refusals.alias(REFUSAL)])

        found = self.found(field, cells, answers)
        return Answers(found[VALUE], found[REFUSAL])

    def found(
        self, name: str, cells: pl.Series, work_out: Callable[[pl.Series], pl.DataFrame]
    ) -> pl.DataFrame:
        """What `work_out` finds for each cell of the column `name` (a row a cell), asked only of the
        values no earlier chunk held."""
        coded = self._columns.get(name)
        if coded is None or coded.found.height > MAX_KNOWN:
            empty = pl.Series([], dtype=pl.String)
            dtype = pl.Categorical(pl.Categories.random())
            coded = _Coded(dtype, work_out(empty), holder=empty.cast(dtype))
            self._columns[name] = coded
        # Casting numbers each value once, new ones after the known: one hash a cell, no join.
        codes = cells.cast(coded.dtype).to_physical()
        numbered = pl.DataFrame({CELL: cells, _CODE: codes})
        fresh = numbered.filter(pl.col(_CODE) >= coded.found.height)
        if fresh.height:
            new = fresh.unique(_CODE, keep="any").sort(_CODE)[CELL]
            coded.found = coded.found.vstack(work_out(new))
        return coded.found[codes]


def answer_column(
    field: str, cells: pl.Series, context: RowContext, known: KnownAnswers | None = None
) -> Answers:
    """`FIELD_RULES[field]` for every cell: decided by the field's vector form where it can, by the
    rule itself once per other distinct value.

    Where a column's values repeat (`_repeats`), it is answered once per distinct value, then spread
    back; with `known`, once per distinct value of the whole file."""
    if _repeats(field, cells):
        return (known or KnownAnswers()).answer(field, cells, context)
    values, refusals = _answer_each(field, cells, context)
    return Answers(values.alias(VALUE), refusals.alias(REFUSAL))


def answer_date_and_time(
    dates: pl.Series, times: pl.Series, context: RowContext, known: KnownAnswers
) -> tuple[Answers, pl.Series]:
    """called_at for ThruTalk's rows, whose date and time of day are two columns: the rule reads them
    joined (`date_and_time`), and so does the vector form where the two are not a clean date and a
    clean time. A clean timestamp split at its space is those, and its instant is the date's midnight
    plus the time's hour, minute and second: each distinct date and time of the file is read once.
    Also returns the joined text where the vector form left a row to it (null elsewhere)."""
    order = context.config.date_order

    def days(new: pl.Series) -> pl.DataFrame:
        return pl.DataFrame(
            [
                clean_naive(new + " 00:00", order).alias(_DAY),
                new.str.contains("/", literal=True).alias(_SLASHES),
            ]
        )

    def clocks(new: pl.Series) -> pl.DataFrame:
        # A time reads as after a date with slashes or after an ISO date: the two forms' times differ.
        return pl.DataFrame(
            [
                (clean_naive(f"{_SOME_DAY:%m/%d/%Y} " + new, order) - _SOME_DAY).alias(_AFTER_SLASHES),
                (clean_naive(f"{_SOME_DAY:%Y-%m-%d} " + new, order) - _SOME_DAY).alias(_AFTER_ISO),
            ]
        )

    parts = pl.concat(
        [known.found("date_called", dates, days), known.found("time_called", times, clocks)], how="horizontal"
    )
    naive = parts.select(
        pl.col(_DAY) + pl.when(pl.col(_SLASHES)).then(pl.col(_AFTER_SLASHES)).otherwise(pl.col(_AFTER_ISO))
    ).to_series()
    decided, values = call_instants(naive, context)
    refusals = pl.repeat(None, dates.len(), dtype=pl.String, eager=True).alias(REFUSAL)
    texts = pl.repeat(None, dates.len(), dtype=pl.String, eager=True)
    undecided = (~decided).arg_true()
    if undecided.len():
        rest = date_and_time(dates.gather(undecided), times.gather(undecided))
        answered = answer_column("called_at", rest, context, known)
        values = values.scatter(undecided, answered.values)
        refusals = refusals.scatter(undecided, answered.refusals)
        texts = texts.scatter(undecided, rest)
    return Answers(values.alias(VALUE), refusals), texts


def date_and_time(dates: pl.Series, times: pl.Series) -> pl.Series:
    """The text called_at's rule reads from ThruTalk's two columns: each stripped, joined by a space."""
    whitespace = python_whitespace()
    date, time = (pl.lit(part).str.strip_chars(whitespace) for part in (dates, times))
    joined = pl.concat_str(date, pl.lit(" "), time).str.strip_chars(whitespace)
    return pl.select(joined.alias("called_at")).to_series()


_SOME_DAY = datetime(2000, 1, 1)
"""A date both clean forms write and neither order reads otherwise (01/01): a time read after it."""
_DAY, _SLASHES, _AFTER_SLASHES, _AFTER_ISO = "day", "slashes", "after_slashes", "after_iso"


def _answer_each(field: str, column: pl.Series, context: RowContext) -> tuple[pl.Series, pl.Series]:
    """Each cell's value and refusal, by the vector form where it decides, else by the rule."""
    dtype = FIELD_TYPES[field]
    vector = VECTOR_FORMS.get(field)
    if vector is None:
        decided = pl.repeat(False, column.len(), dtype=pl.Boolean, eager=True)
        values = pl.repeat(None, column.len(), dtype=dtype, eager=True)
    else:
        answers = vector(column.to_frame(CELL), context)
        decided, values = answers[DECIDED].fill_null(False), answers[VALUE].cast(dtype)
    # The rule's answers are put in place by position: the cells it is asked of are few.
    undecided = (~decided).arg_true()
    cells_asked = column.gather(undecided).to_frame(CELL)
    asked = ask_rule(field, cells_asked[CELL].unique(maintain_order=True).to_list(), context)
    asked = cells_asked.join(asked, on=CELL, how="left", maintain_order="left")
    values = values.scatter(undecided, asked["asked"])
    refusals = pl.repeat(None, column.len(), dtype=pl.String, eager=True).scatter(undecided, asked[REFUSAL])
    return values, refusals


_REPEATING = frozenset(FIELD_RULES) - {"profile_id", "van_id", "phone", "called_at"}
"""Fields with a handful of values: outcomes, efforts, services, call types, durations."""


def _repeats(field: str, cells: pl.Series) -> bool:
    """Whether a column has far fewer distinct values than cells. A call's time to the minute repeats
    from row to row, to the second it rarely does: polars' estimate of its distinct values says."""
    if field == "called_at":
        distinct: int = cells.approx_n_unique()  # type: ignore[assignment]  # polars types it any scalar
        return distinct * 2 <= cells.len()
    return field in _REPEATING


def ask_rule(field: str, cells: list[str], context: RowContext) -> pl.DataFrame:
    """The rule's answer for each cell: (cell, asked, refusal)."""
    rule = FIELD_RULES[field]
    values: list[Any] = []
    refusals: list[str | None] = []
    for cell in cells:
        try:
            values.append(rule(cell, context))
            refusals.append(None)
        except PydanticCustomError as refusal:
            values.append(None)
            refusals.append(refusal.message())
    if field == "called_at":
        values = [None if value is None else value.astimezone(UTC) for value in values]
    return pl.DataFrame(
        {CELL: cells, "asked": values, REFUSAL: refusals},
        schema={CELL: pl.String(), "asked": FIELD_TYPES[field], REFUSAL: pl.String()},
    )


def map_distinct(cells: pl.Series, function: Callable[[str], Any], dtype: pl.DataType) -> pl.Series:
    """`function` of each cell, asked once per distinct cell (numbered by a Categorical of their own,
    which holds the distinct cells in the order of their numbers while `numbered` lives)."""
    numbered = cells.cast(pl.Categorical(pl.Categories.random()))
    categories = numbered.dtype.categories  # type: ignore[attr-defined]  # a Categorical's, untyped
    answers = pl.Series(VALUE, list(map(function, categories.to_series().to_list())), dtype)
    return answers.gather(numbered.to_physical())


def tally_in_order(values: pl.Series) -> dict[str, int]:
    """How often each value occurs, in the order each first does: as a Counter fed one by one holds
    them, so that `most_common` breaks ties the same way."""
    counted = values.to_frame(VALUE).group_by(VALUE, maintain_order=True).len()
    return dict(zip(counted[VALUE].to_list(), counted["len"].to_list(), strict=True))


def _empty_is_none(column: pl.DataFrame, decided: pl.Expr) -> pl.DataFrame:
    cell = pl.col(CELL)
    return column.with_columns(
        (decided | (cell == "")).alias(DECIDED), pl.when(cell == "").then(None).otherwise(cell).alias(VALUE)
    )


_PLAIN_TEXT = r"^[0-9A-Za-z](?:[ -~]*[!-~])?$"
"""Printable ASCII that starts with a letter or digit and ends without a space: the rule keeps it as it is."""


def _plain_text(column: pl.DataFrame, context: RowContext) -> pl.DataFrame:
    return _empty_is_none(column, pl.col(CELL).str.contains(_PLAIN_TEXT))


def _digits(column: pl.DataFrame, context: RowContext) -> pl.DataFrame:
    return _empty_is_none(column, pl.col(CELL).str.contains(r"^[0-9]+$"))


_NANP_SEPARATORS = ["+", " ", ".", "-", "(", ")"]
"""The characters a clean US form (`phones.us_patterns`) has besides digits: without them, only its
digits are left (and a pattern-free literal replace costs less than a regex one)."""


def _us_phone(column: pl.DataFrame, context: RowContext) -> pl.DataFrame:
    if not fast_path_applies(context.config.phone_region):
        return column.with_columns(pl.lit(False).alias(DECIDED), pl.lit(None, pl.String()).alias(VALUE))
    clean, _, _ = us_patterns()
    national = pl.col("national")
    # A clean form is an optional 1 and ten digits among separators: its last ten digits are the number.
    return column.with_columns(
        pl.col(CELL).str.contains(clean).alias("clean"),
        pl.col(CELL)
        .str.replace_many(_NANP_SEPARATORS, [""] * len(_NANP_SEPARATORS))
        .str.slice(-10)
        .alias("national"),
    ).select(
        (pl.col("clean") & us_national(national)).alias(DECIDED),
        pl.concat_str(pl.lit("+1"), national).alias(VALUE),
    )


def us_national(national: pl.Expr) -> pl.Expr:
    """Whether ten digits are a valid US number: the US region's general and any-type patterns
    (`phones.us_patterns`) both match them, the region `phones.nanp_region` asks first."""
    _, general, any_type = us_patterns()
    return national.str.contains(general) & national.str.contains(any_type)


def north_american(phone: pl.Expr) -> pl.Expr:
    """`phones.is_nanp` of each E.164 number of a column: +1 and ten digits."""
    return phone.str.starts_with("+1") & (phone.str.len_chars() == 12)


def _call_instant(column: pl.DataFrame, context: RowContext) -> pl.DataFrame:
    """A date and time of day in one of two strict forms, no zone, read in the source zone."""
    decided, value = call_instants(clean_naive(column[CELL], context.config.date_order), context)
    return pl.DataFrame({DECIDED: decided, VALUE: value})


VECTOR_FORMS: dict[str, VectorForm] = {
    "profile_id": _plain_text,
    "van_id": _digits,
    "phone": _us_phone,
    "called_at": _call_instant,
}


_LAST_SPACE = 0x3000
"""The highest code point for which str.isspace() holds (IDEOGRAPHIC SPACE); a unit test holds it."""


@cache
def python_whitespace() -> str:
    """What Python's str.strip() strips: every character for which str.isspace() holds."""
    return "".join(filter(str.isspace, map(chr, range(_LAST_SPACE + 1))))
