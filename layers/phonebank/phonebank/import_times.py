"""When each call was made, as the import files write it: in the campaign's zone, each distinct instant
of a part formatted once (a file's calls share their minutes) and each day's VAN date once a day."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

ORGANIZER_TIME = "%Y-%m-%d %H:%M"
VAN_DATE = "%m/%d/%Y"
VAN_INSTANT = "%Y-%m-%dT%H:%M:%S%:z"
"""How the files write a call's time (`strftime`)."""


@dataclass(frozen=True)
class PartTimes:
    """A part's distinct instants (`called_at`) with the times the files write for them, a column
    named as the output field it fills (`date_time`, `date_canvassed`, `datecanvassed`, each when
    asked for), and the part's distinct VAN dates: the rows take their times from these, so the
    output models check these values once rather than once a row."""

    by_instant: pl.DataFrame
    van_dates: pl.Series


def part_times(calls: pl.DataFrame, zone: str, *, bulk: bool) -> PartTimes:
    """The times of `calls`' distinct instants, for the files the part has calls for: Organizer's
    when a call has a profile ID, VAN's by-name file when one has a VANID, and the bulk-import file
    then too if `bulk`. A dialer that gives seconds makes nearly every instant distinct, so a file
    without calls should cost no text."""
    organizer, van = (calls[column].null_count() < calls.height for column in ("profile_id", "van_id"))
    local = pl.col("called_at").dt.convert_time_zone(zone)
    wall_clock = pl.col("wall_clock")
    texts = []
    if organizer:
        texts.append(wall_clock.dt.strftime(ORGANIZER_TIME).alias("date_time"))
    if van:
        texts.append(wall_clock.dt.date().alias("day"))
    if van and bulk:
        texts.append(local.dt.strftime(VAN_INSTANT).alias("datecanvassed"))
    by_instant = (
        calls.select(pl.col("called_at").unique())
        # One conversion to the campaign's clock for every text but the one that shows the offset.
        .with_columns(local.dt.replace_time_zone(None).alias("wall_clock"))
        .with_columns(texts)
        .drop("wall_clock")
    )
    if not van:
        return PartTimes(by_instant, pl.Series("date_canvassed", [], pl.String))
    days = by_instant.select(pl.col("day").unique()).with_columns(
        pl.col("day").dt.strftime(VAN_DATE).alias("date_canvassed")
    )
    by_instant = by_instant.join(days, on="day", how="left").drop("day")
    return PartTimes(by_instant, days["date_canvassed"])
