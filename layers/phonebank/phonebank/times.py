"""Timestamps as dialers write them, read into aware datetimes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

DateOrder = Literal["MDY", "DMY"]
"""How a date written with slashes or dashes and the year last is read: month first or day first."""

_TIME_OF_DAY = (
    r"(?:[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?"
    r"\s*(?P<half>[AaPp]\.?[Mm]\.?)?(?:\s*(?P<label>[A-Za-z]{1,5}))?)?"
)
# The year last, its day and month in the configured order; two-digit years only with slashes, as
# Excel writes them (a dashed one would read 24-10-11 as a day and month of 2011).
_YEAR_LAST = re.compile(
    r"(?P<first>\d{1,2})(?P<separator>[/-])(?P<second_part>\d{1,2})(?P=separator)(?P<year>\d{4}|\d{2})"
    + _TIME_OF_DAY
)
_YEAR_FIRST = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})" + _TIME_OF_DAY)
# No form we read is longer; a longer value is refused before any pattern is tried.
_LONGEST_FORM = 64

UTC_LABELS = ("Z", "UTC", "GMT")
US_LABELS: dict[str, str] = {
    "EST": "America/New_York", "EDT": "America/New_York",
    "CST": "America/Chicago", "CDT": "America/Chicago",
    "MST": "America/Denver", "MDT": "America/Denver",
    "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
}  # fmt: skip
"""A US label is its region's local clock whatever the season: dialers write EST on summer times too."""

DATE_FORMS = (
    "MM/DD/YYYY HH:MM",
    "MM-DD-YYYY HH:MM",
    "MM/DD/YY HH:MM (20YY)",
    "YYYY-MM-DD HH:MM",
    "any of these with seconds, with AM/PM, or with a zone label after the time",
    "ISO 8601 with or without an offset",
    "a date alone",
)
ACCEPTED_FORMS = (
    "MM/DD/YYYY HH:MM, MM-DD-YYYY, MM/DD/YY or YYYY-MM-DD HH:MM, with seconds, AM/PM or a zone such as "
    "EST if you like, ISO 8601, a date alone, or DD/MM/YYYY with date_order: DMY"
)


class InvalidTimestamp(ValueError):
    pass


class DateInOtherOrder(InvalidTimestamp):
    """A date that is real only when read in the order the configuration does not say."""


def parse_call_time(raw: str, zone: tzinfo, default_time: time, date_order: DateOrder = "MDY") -> datetime:
    """The instant of a call. A naive time is in `zone`; a date alone gets `default_time`.

    A local time that daylight saving makes ambiguous (the repeated hour in November) takes the
    earlier instant: zoneinfo's fold=0.
    """
    text = raw.strip()
    if len(text) > _LONGEST_FORM:
        raise InvalidTimestamp(f"is not a date and time we read (write {ACCEPTED_FORMS})")
    # Only the forms with the year last have slashes: asking the others first would cost two
    # exceptions a row.
    if "/" in text:
        parsed = _parse_year_last(text, date_order)
    else:
        parsed = _parse_iso(text) or _parse_year_last(text, date_order) or _parse_year_first(text)
    if parsed is None:
        raise InvalidTimestamp(f"is not a date and time we read (write {ACCEPTED_FORMS})")
    if isinstance(parsed, date) and not isinstance(parsed, datetime):
        parsed = datetime.combine(parsed, default_time)
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    try:
        # A fixed offset, not the zone: a zoneinfo time in the repeated hour never equals the same
        # instant written with an offset (PEP 495), so a duplicate written both ways would go unseen.
        return aware.astimezone(_fixed_zone(aware.utcoffset() or timedelta()))
    except OverflowError as exc:
        # 9999-12-31 23:59 west of Greenwich is in the year 10000 in UTC, which datetime cannot hold.
        raise InvalidTimestamp("is not a date and time we read: its year is out of range") from exc


def only_in_other_order(raw: str, date_order: DateOrder) -> bool:
    """Whether `raw` is a date with the year last that is no real date in `date_order` and a real one
    in the other order (`14/10/2024` under MDY): the file then writes its dates the other way, and
    none of its dates can be read without guessing."""
    match = _year_last(raw.strip())
    if match is None:
        return False
    return _real_date(match, date_order) is None and _real_date(match, _other(date_order)) is not None


def date_order_failure(row: int, raw: str, date_order: DateOrder) -> str:
    """The reason a file fails when `only_in_other_order(raw, date_order)`: it quotes the date, and
    no other cell."""
    match = _year_last(raw.strip())
    assert match is not None and only_in_other_order(raw, date_order), "a date only in the other order"
    other = _other(date_order)
    read = _real_date(match, other)
    assert read is not None
    written = match["separator"].join([match["first"], match["second_part"], match["year"]])
    return (
        f'Row {row}: the date "{written}" is only a real date read {_ORDER_NAMES[other]} '
        f"({read:%d %B %Y}), but date_order is {date_order} ({_ORDER_NAMES[date_order]}). Reading the "
        "file's other dates either way would be a guess, and imports cannot be undone, so nothing was "
        f"imported. If the file writes its dates {_ORDER_NAMES[other]}, set date_order: {other} in the "
        "configuration and upload it again; if this date is a typo, fix it."
    )


_ORDER_NAMES: dict[DateOrder, str] = {"MDY": "month first", "DMY": "day first"}


def _other(date_order: DateOrder) -> DateOrder:
    return "DMY" if date_order == "MDY" else "MDY"


@cache
def _fixed_zone(offset: timedelta) -> timezone:
    """One timezone object per offset: 40 bytes less per remembered time, and comparing two times
    whose tzinfo is the same object skips converting both to UTC."""
    return timezone(offset)


def _parse_iso(text: str) -> datetime | date | None:
    # A date alone must stay a date whatever its ISO spelling ("20241011" too): datetime would read
    # it as midnight, not the default time.
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _real_date(match: re.Match[str], date_order: DateOrder) -> date | None:
    month, day = (match["first"], match["second_part"])[:: 1 if date_order == "MDY" else -1]
    year = match["year"]
    try:
        return date(int(year) + (2000 if len(year) == 2 else 0), int(month), int(day))
    except ValueError:
        return None


def _year_last(text: str) -> re.Match[str] | None:
    match = _YEAR_LAST.fullmatch(text) if len(text) <= _LONGEST_FORM else None
    if match is None or (match["separator"] == "-" and len(match["year"]) == 2):
        return None
    return match


def _parse_year_last(text: str, date_order: DateOrder) -> datetime | date | None:
    match = _year_last(text)
    if match is None:
        return None
    day = _real_date(match, date_order)
    if day is None:
        other = _other(date_order)
        if _real_date(match, other) is not None:
            raise DateInOtherOrder(
                f"is only a real date read {_ORDER_NAMES[other]}, and date_order is {date_order} "
                f"({_ORDER_NAMES[date_order]}): if the file writes its dates {_ORDER_NAMES[other]}, set "
                f"date_order: {other}"
            )
        raise InvalidTimestamp(f"is not a real date or time: no such month or day (write {ACCEPTED_FORMS})")
    return _with_time_of_day(day, match)


def _parse_year_first(text: str) -> datetime | date | None:
    match = _YEAR_FIRST.fullmatch(text)
    if match is None:
        return None
    try:
        day = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError as exc:
        raise InvalidTimestamp(f"is not a real date or time: {exc} (write {ACCEPTED_FORMS})") from exc
    return _with_time_of_day(day, match)


def _with_time_of_day(day: date, match: re.Match[str]) -> datetime | date:
    parts = match.groupdict()
    if parts["hour"] is None:
        return day
    try:
        hour = _hour_24(int(parts["hour"]), parts["half"])
        fraction = int((parts["fraction"] or "").ljust(6, "0"))
        moment = datetime.combine(day, time(hour, int(parts["minute"]), int(parts["second"] or 0), fraction))
    except ValueError as exc:
        raise InvalidTimestamp(f"is not a real date or time: {exc} (write {ACCEPTED_FORMS})") from exc
    label = parts["label"]
    return moment if label is None else moment.replace(tzinfo=_labelled_zone(label))


def _labelled_zone(label: str) -> tzinfo:
    name = label.upper()
    if name in UTC_LABELS:
        return UTC
    if name in US_LABELS:
        return _us_zone(US_LABELS[name])
    raise InvalidTimestamp(
        f"has a time zone label we do not read (write one of {', '.join([*UTC_LABELS, *US_LABELS])}, "
        "an offset such as -04:00, or no label for the file's own zone)"
    )


@cache
def _us_zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _hour_24(hour: int, half: str | None) -> int:
    if half is None:
        return hour
    if not 1 <= hour <= 12:
        raise ValueError("a 12-hour time runs from 1 to 12")
    is_pm = half[0] in "Pp"
    return hour % 12 + (12 if is_pm else 0)
