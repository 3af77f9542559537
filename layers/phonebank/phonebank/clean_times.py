"""The strict timestamp forms a column of cells is read in without the rule (`models.dialer`'s
called_at): two ASCII forms, no zone, each read by an exact strptime format and put in the source zone
as the rule puts it. `columnar` asks them of a column, or of ThruTalk's date and time apart."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from phonebank.models.dialer import RowContext
from phonebank.models.interaction import INSTANT

_LOCAL_TIME = pl.Datetime("us")
"""A date and time of day in no zone, as the source clock shows it."""
_TEXT, _NAIVE, _INSTANT, _TAKEN = "text", "naive", "instant", "taken"

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
    return cells.to_frame(_TEXT).select(timestamp_variant(pl.col(_TEXT)))[_TEXT]


def timestamp_variant(cell: pl.Expr) -> pl.Expr:
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


def variant_pattern(variant: int) -> str:
    """The clean timestamps (`_CLEAN_TIMESTAMP`) of one variant exactly: a single pattern decides them
    in one pass, where `timestamp_variant` takes six."""
    seconds = ":[0-5][0-9]" if variant & _SECONDS else ""
    if variant & _YEAR_LAST:
        twelve_hour = " ?[AaPp][Mm]" if variant & _TWELVE_HOUR_OR_T else ""
        return (
            rf"^[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}} (?:[01]?[0-9]|2[0-3]):[0-5][0-9]{seconds}{twelve_hour}$"
        )
    separator = "T" if variant & _TWELVE_HOUR_OR_T else " "
    return rf"^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{separator}(?:[01][0-9]|2[0-3]):[0-5][0-9]{seconds}$"


def _timestamp_format(variant: int, date_order: str) -> str:
    """The exact strptime format of one variant (`timestamp_variant`)."""
    time_of_day = "%H:%M:%S" if variant & _SECONDS else "%H:%M"
    if not variant & _YEAR_LAST:
        return f"%Y-%m-%d{'T' if variant & _TWELVE_HOUR_OR_T else ' '}{time_of_day}"
    if variant & _TWELVE_HOUR_OR_T:
        time_of_day = time_of_day.replace("%H", "%I") + " %p"
    return f"{'%m/%d' if date_order == 'MDY' else '%d/%m'}/%Y {time_of_day}"


_SAMPLE = 1000
"""The first cells of a column whose variants are read first, each in a pass of its own pattern."""


def clean_naive(cells: pl.Series, date_order: str) -> pl.Series:
    """The date and time of day each cell holds in one of the strict forms (`_CLEAN_TIMESTAMP`), null
    where it holds another text or no real date."""
    length = cells.len()
    rows = pl.int_range(0, length, dtype=pl.UInt32, eager=True)
    found_by_variant: list[tuple[int, pl.Series, pl.Series]] = []
    # A file writes one variant or two: those of its first cells are each found by a pass of their own
    # pattern; the few cells they leave are sorted by `timestamp_variant`.
    for variant in _variants_of(cells.head(_SAMPLE)).drop_nulls().unique(maintain_order=True).to_list():
        found = cells.str.contains(variant_pattern(variant))
        found_by_variant.append((variant, rows.filter(found), cells.filter(found)))
        cells, rows = cells.filter(~found), rows.filter(~found)
    variants = _variants_of(cells)
    for variant in variants.drop_nulls().unique().to_list():
        among = (variants == variant).arg_true()
        found_by_variant.append((variant, rows.gather(among), cells.gather(among)))
    naive = pl.repeat(None, length, dtype=_LOCAL_TIME, eager=True)
    for variant, where, texts in found_by_variant:
        fmt = _timestamp_format(variant, date_order)
        # No cache: the cells are distinct, or nearly so.
        naive = naive.scatter(where, texts.str.strptime(_LOCAL_TIME, fmt, strict=False, cache=False))
    return naive


def call_instants(naive: pl.Series, context: RowContext) -> tuple[pl.Series, pl.Series]:
    """Each date and time of day (`clean_naive`) as the rule's instant: whether it is one the rule
    takes, and the instant where it is. The earlier instant of a repeated hour, as the rule; a skipped
    one, a future one or one before earliest_call_date is left to the rule (null, not taken)."""
    instant = (
        pl.col(_NAIVE)
        .dt.replace_time_zone(context.source_zone.key, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )
    earliest = datetime.combine(context.config.earliest_call_date, datetime.min.time())
    taken = (pl.col(_INSTANT) <= _utc(context.now)) & (pl.col(_NAIVE) >= earliest)
    answered = (
        naive.alias(_NAIVE)
        .to_frame()
        .with_columns(instant.alias(_INSTANT))
        .select(taken.fill_null(False).alias(_TAKEN), pl.when(taken).then(pl.col(_INSTANT)).alias(_INSTANT))
    )
    return answered[_TAKEN], answered[_INSTANT]


def _utc(moment: datetime) -> pl.Expr:
    return pl.lit(moment.astimezone(UTC), INSTANT)
