"""Timestamps as dialers write them, read into aware datetimes."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import cache

_US_DATE = re.compile(
    r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})"
    r"(?:[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<half>[AaPp]\.?[Mm]\.?)?)?"
)
_ISO_12_HOUR = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<half>[AaPp]\.?[Mm]\.?)"
)
ACCEPTED_FORMS = (
    "MM/DD/YYYY HH:MM or YYYY-MM-DD HH:MM, with seconds or AM/PM if you like, ISO 8601, or a date alone"
)


class InvalidTimestamp(ValueError):
    pass


def parse_call_time(raw: str, zone: tzinfo, default_time: time) -> datetime:
    """The instant of a call. A naive time is in `zone`; a date alone gets `default_time`.

    A local time that daylight saving makes ambiguous (the repeated hour in November) takes the
    earlier instant: zoneinfo's fold=0.
    """
    text = raw.strip()
    # Only the US form has slashes: asking the others first would cost two exceptions a row.
    if "/" in text:
        parsed = _parse_with(_US_DATE, text)
    else:
        parsed = _parse_iso(text) or _parse_with(_ISO_12_HOUR, text)
    if parsed is None:
        raise InvalidTimestamp(f"is not a date and time we read (write {ACCEPTED_FORMS})")
    if isinstance(parsed, date) and not isinstance(parsed, datetime):
        parsed = datetime.combine(parsed, default_time)
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    # A fixed offset, not the zone: a zoneinfo time in the repeated hour never equals the same instant
    # written with an offset (PEP 495), so a duplicate written both ways would go unseen.
    return aware.astimezone(_fixed_zone(aware.utcoffset() or timedelta()))


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


def _parse_with(pattern: re.Pattern[str], text: str) -> datetime | date | None:
    match = pattern.fullmatch(text)
    if match is None:
        return None
    parts = match.groupdict()
    try:
        day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        if parts["hour"] is None:
            return day
        hour = _hour_24(int(parts["hour"]), parts["half"])
        return datetime.combine(day, time(hour, int(parts["minute"]), int(parts["second"] or 0)))
    except ValueError as exc:
        raise InvalidTimestamp(f"is not a real date or time: {exc} (write {ACCEPTED_FORMS})") from exc


def _hour_24(hour: int, half: str | None) -> int:
    if half is None:
        return hour
    if not 1 <= hour <= 12:
        raise ValueError("a 12-hour time runs from 1 to 12")
    is_pm = half[0] in "Pp"
    return hour % 12 + (12 if is_pm else 0)
