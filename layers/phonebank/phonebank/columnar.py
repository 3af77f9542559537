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

from phonebank.models.dialer import FIELD_RULES, RowContext
from phonebank.models.interaction import INSTANT, Interaction
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
    """A field's distinct values numbered in the order the file first shows them (a Categorical of
    their own, freed with it), and the answer of each, by that number."""

    dtype: pl.Categorical
    values: pl.Series
    refusals: pl.Series
    holder: pl.Series
    """An empty column of `dtype`: polars frees a Categorical's numbering once no column holds it."""


class KnownAnswers:
    """The answers earlier chunks of a file got for each field's distinct values, so that a value met
    again (a call's minute, an outcome) is looked up by its number, not asked again: the rule's answer
    depends on the value and the run alone."""

    def __init__(self) -> None:
        self._fields: dict[str, _Coded] = {}

    def answer(self, field: str, cells: pl.Series, context: RowContext) -> Answers:
        coded = self._fields.get(field)
        if coded is None or coded.values.len() > MAX_KNOWN:
            empty = pl.Series([], dtype=pl.String)
            dtype = pl.Categorical(pl.Categories.random())
            coded = _Coded(dtype, *_answer_each(field, empty, context), holder=empty.cast(dtype))
            self._fields[field] = coded
        # Casting numbers each value once, new ones after the known: one hash a cell, no join.
        codes = cells.cast(coded.dtype).to_physical()
        numbered = pl.DataFrame({CELL: cells, _CODE: codes})
        fresh = numbered.filter(pl.col(_CODE) >= coded.values.len())
        if fresh.height:
            new = fresh.unique(_CODE, keep="any").sort(_CODE)[CELL]
            values, refusals = _answer_each(field, new, context)
            coded.values, coded.refusals = coded.values.append(values), coded.refusals.append(refusals)
        return Answers(coded.values.gather(codes).alias(VALUE), coded.refusals.gather(codes).alias(REFUSAL))


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


_MINUTE_SECOND = r":[0-5][0-9](?::[0-5][0-9])?"
_CLEAN_TIMESTAMP = (
    rf"^(?:[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}} (?:[01]?[0-9]|2[0-3]){_MINUTE_SECOND}(?: ?[AaPp][Mm])?"
    rf"|[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}[ T](?:[01][0-9]|2[0-3]){_MINUTE_SECOND})$"
)
"""The two strict forms the vector form reads: a date with the year last and a time (12- or 24-hour),
or an ISO date and time, neither with a zone. strptime alone is lenient (it skips spaces, reads a
leap second, a one-digit minute or a two-digit year): only what this pattern matches reaches it."""


_YEAR_LAST, _SECONDS, _TWELVE_HOUR_OR_T = 4, 2, 1
"""What sets a clean timestamp's strptime format apart, as bits of its variant's number: the year
last (else ISO), seconds, and a 12-hour time (year last) or a T before the time (ISO)."""


def _variants_of(cells: pl.Series) -> pl.Series:
    return cells.to_frame(CELL).select(_timestamp_variant(pl.col(CELL)))[CELL]


def _timestamp_variant(cell: pl.Expr) -> pl.Expr:
    """The variant's number of a clean timestamp (`_CLEAN_TIMESTAMP`), null for any other cell."""
    year_last = cell.str.contains("/", literal=True)
    twelve_hour_or_t = (
        pl.when(year_last)
        .then(cell.str.ends_with("M") | cell.str.ends_with("m"))
        .otherwise(cell.str.contains("T", literal=True))
    )
    seconds = cell.str.count_matches(":", literal=True) == 2
    return pl.when(cell.str.contains(_CLEAN_TIMESTAMP)).then(
        year_last.cast(pl.Int8) * _YEAR_LAST
        + seconds.cast(pl.Int8) * _SECONDS
        + twelve_hour_or_t.cast(pl.Int8) * _TWELVE_HOUR_OR_T
    )


def _variant_pattern(variant: int) -> str:
    """The clean timestamps (`_CLEAN_TIMESTAMP`) of one variant exactly: a single pattern decides them
    in one pass, where `_timestamp_variant` takes six."""
    seconds = ":[0-5][0-9]" if variant & _SECONDS else ""
    if variant & _YEAR_LAST:
        twelve_hour = " ?[AaPp][Mm]" if variant & _TWELVE_HOUR_OR_T else ""
        return (
            rf"^[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}} (?:[01]?[0-9]|2[0-3]):[0-5][0-9]{seconds}{twelve_hour}$"
        )
    separator = "T" if variant & _TWELVE_HOUR_OR_T else " "
    return rf"^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{separator}(?:[01][0-9]|2[0-3]):[0-5][0-9]{seconds}$"


def _timestamp_format(variant: int, date_order: str) -> str:
    """The exact strptime format of one variant (`_timestamp_variant`)."""
    time_of_day = "%H:%M:%S" if variant & _SECONDS else "%H:%M"
    if not variant & _YEAR_LAST:
        return f"%Y-%m-%d{'T' if variant & _TWELVE_HOUR_OR_T else ' '}{time_of_day}"
    if variant & _TWELVE_HOUR_OR_T:
        time_of_day = time_of_day.replace("%H", "%I") + " %p"
    return f"{'%m/%d' if date_order == 'MDY' else '%d/%m'}/%Y {time_of_day}"


_SAMPLE = 1000
"""The first cells of a column whose variants are read first, each in a pass of its own pattern."""


def _call_instant(column: pl.DataFrame, context: RowContext) -> pl.DataFrame:
    """A date and time of day in one of two strict forms, no zone, read in the source zone."""
    cells, rows = column[CELL], pl.int_range(0, column.height, dtype=pl.UInt32, eager=True)
    found_by_variant: list[tuple[int, pl.Series, pl.Series]] = []
    # A file writes one variant or two: those of its first cells are each found by a pass of their own
    # pattern; the few cells they leave are sorted by `_timestamp_variant`.
    for variant in _variants_of(cells.head(_SAMPLE)).drop_nulls().unique(maintain_order=True).to_list():
        found = cells.str.contains(_variant_pattern(variant))
        found_by_variant.append((variant, rows.filter(found), cells.filter(found)))
        cells, rows = cells.filter(~found), rows.filter(~found)
    variants = _variants_of(cells)
    for variant in variants.drop_nulls().unique().to_list():
        among = (variants == variant).arg_true()
        found_by_variant.append((variant, rows.gather(among), cells.gather(among)))
    naive = pl.repeat(None, column.height, dtype=pl.Datetime("us"), eager=True)
    for variant, where, texts in found_by_variant:
        fmt = _timestamp_format(variant, context.config.date_order)
        # No cache: the cells are distinct, or nearly so.
        naive = naive.scatter(where, texts.str.strptime(pl.Datetime("us"), fmt, strict=False, cache=False))
    # The earlier instant of a repeated hour, as the rule; a skipped one is left to the rule.
    instant = (
        pl.col("naive")
        .dt.replace_time_zone(context.source_zone.key, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )
    earliest = datetime.combine(context.config.earliest_call_date, datetime.min.time())
    decided = (pl.col(VALUE) <= _utc(context.now)) & (pl.col("naive") >= earliest)
    return (
        naive.to_frame("naive")
        .with_columns(instant.alias(VALUE))
        .select(decided.fill_null(False).alias(DECIDED), pl.when(decided).then(pl.col(VALUE)).alias(VALUE))
    )


def _utc(moment: datetime) -> pl.Expr:
    return pl.lit(moment.astimezone(UTC), INSTANT)


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
