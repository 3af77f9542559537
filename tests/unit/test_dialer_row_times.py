"""Every accepted and every rejected call time of spec section 1, one row at a time, ThruTalk's too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dialer_row_helpers import NEW_YORK, THRUTALK_HEADER, parse, problems, thrutalk_row
from pydantic import ValidationError
from validation_helpers import csv_bytes, validate_bytes

from phonebank.config import PipelineConfig, build_config
from phonebank.times import ACCEPTED_FORMS


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Timestamps: October 2024 is daylight time in New York (UTC-4), January standard time (UTC-5)

TIMESTAMP_FORMS = [
    ("10/11/2024 18:07", utc("2024-10-11 22:07")),
    ("10/11/2024 18:07:30", utc("2024-10-11 22:07:30")),
    ("2024-10-11 18:07", utc("2024-10-11 22:07")),
    ("2024-10-11 18:07:30", utc("2024-10-11 22:07:30")),
    ("1/5/2024 9:03", utc("2024-01-05 14:03")),
    ("10/11/2024 6:07 PM", utc("2024-10-11 22:07")),
    ("10/11/2024 6:07:30 pm", utc("2024-10-11 22:07:30")),
    ("10/11/2024 06:07AM", utc("2024-10-11 10:07")),
    ("10/11/2024 6:07 p.m.", utc("2024-10-11 22:07")),
    ("10/11/2024 12:15 AM", utc("2024-10-11 04:15")),
    ("10/11/2024 12:15 PM", utc("2024-10-11 16:15")),
    ("2024-10-11 6:07 PM", utc("2024-10-11 22:07")),
    ("2024-10-11T18:07:00", utc("2024-10-11 22:07")),
    ("2024-10-11T18:07", utc("2024-10-11 22:07")),
    ("2024-10-11T18:07:00-05:00", utc("2024-10-11 23:07")),
    ("2024-10-11T15:07:00-07:00", utc("2024-10-11 22:07")),
    ("2024-10-11T22:07:00+00:00", utc("2024-10-11 22:07")),
    ("2024-10-11T22:07:00Z", utc("2024-10-11 22:07")),
    ("2024-10-11 22:07:00.5+00:00", utc("2024-10-11 22:07") + timedelta(milliseconds=500)),
    ("10/11/2024", utc("2024-10-11 16:00")),
    ("2024-10-11", utc("2024-10-11 16:00")),
    ("20241011", utc("2024-10-11 16:00")),
    ("  10/11/2024 18:07  ", utc("2024-10-11 22:07")),
    ("10-11-2024 18:07", utc("2024-10-11 22:07")),
    ("10-11-2024", utc("2024-10-11 16:00")),
    ("10/11/24 18:07", utc("2024-10-11 22:07")),
    ("10/14/24 19:45", utc("2024-10-14 23:45")),
    ("1/5/24", utc("2024-01-05 17:00")),
    ("10/11/2024 07:05 PM", utc("2024-10-11 23:05")),
    ("2024-10-11 7:05", utc("2024-10-11 11:05")),
    ("10/11/2024 18:07:30.25", utc("2024-10-11 22:07:30") + timedelta(milliseconds=250)),
]

# Zone labels after a time: UTC's names, and each US label as its region's clock in any season
# (October is daylight time, January standard time: "EST" on a summer time still means New York's).
LABELLED = [
    ("10/11/2024 07:05 PM EST", utc("2024-10-11 23:05")),
    ("10/11/2024 07:05 PM EDT", utc("2024-10-11 23:05")),
    ("01/11/2024 07:05 PM EDT", utc("2024-01-12 00:05")),
    ("10/11/2024 8:20 PM edt", utc("2024-10-12 00:20")),
    ("2024-10-14 23:45:00 UTC", utc("2024-10-14 23:45")),
    ("2024-10-14 23:45 GMT", utc("2024-10-14 23:45")),
    ("2024-10-14 23:45:00Z", utc("2024-10-14 23:45")),
    ("10/14/2024 23:45 Z", utc("2024-10-14 23:45")),
    ("10/11/2024 18:07 CST", utc("2024-10-11 23:07")),
    ("01/11/2024 18:07 CDT", utc("2024-01-12 00:07")),
    ("10/11/2024 18:07 MST", utc("2024-10-12 00:07")),
    ("10/11/2024 18:07 MDT", utc("2024-10-12 00:07")),
    ("10/11/2024 18:07 PST", utc("2024-10-12 01:07")),
    ("01/11/2024 18:07 PDT", utc("2024-01-12 02:07")),
]


@pytest.mark.parametrize(("written", "instant"), TIMESTAMP_FORMS, ids=[w for w, _ in TIMESTAMP_FORMS])
def test_every_timestamp_form_gives_the_right_instant(
    written: str, instant: datetime, config: PipelineConfig
) -> None:
    # Given a timestamp in one of the accepted forms, naive ones in New York
    # When the row is validated
    called_at = parse(config, called_at=written).called_at

    # Then it is that instant, as an aware datetime
    assert called_at.tzinfo is not None
    assert called_at.astimezone(UTC) == instant


@pytest.mark.parametrize(("written", "instant"), LABELLED, ids=[w for w, _ in LABELLED])
def test_a_zone_label_after_the_time_says_whose_clock_it_is(
    written: str, instant: datetime, config: PipelineConfig
) -> None:
    # Given a time with a zone label, read in a source zone that is none of the labels' (Honolulu)
    # When the row is validated
    called_at = parse(config, zone=ZoneInfo("Pacific/Honolulu"), called_at=written).called_at

    # Then the label, not the source zone, says which clock the time is on
    assert called_at.astimezone(UTC) == instant


@pytest.mark.parametrize("written", ["10/11/2024 18:07 CET", "2024-10-11 18:07 BST", "10/11/2024 6:07 PM ET"])
def test_a_zone_label_we_do_not_read_is_an_error(written: str, config: PipelineConfig) -> None:
    # Given a time whose label is no UTC name and no US zone's
    # When the row is validated
    refused = problems(config, called_at=written)

    # Then the time is refused, listing the labels read, rather than read in another zone
    assert list(refused) == ["called_at"]
    assert refused["called_at"].startswith("has a time zone label we do not read")
    assert "EST, EDT, CST, CDT, MST, MDT, PST, PDT" in refused["called_at"]


def test_a_naive_time_is_in_the_source_zone(config: PipelineConfig) -> None:
    # Given the same naive time read in two source zones, and one with an offset
    # When the rows are validated
    new_york = parse(config, zone=NEW_YORK, called_at="10/11/2024 18:07").called_at
    chicago = parse(config, zone=ZoneInfo("America/Chicago"), called_at="10/11/2024 18:07").called_at
    offset = parse(config, zone=ZoneInfo("America/Chicago"), called_at="2024-10-11T18:07:00-04:00").called_at

    # Then each naive one is in its zone, and a written offset wins over the zone
    assert chicago - new_york == timedelta(hours=1)
    assert offset == new_york


@pytest.mark.parametrize(
    "zone", ["Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Chicago", "UTC"]
)
def test_a_date_alone_gets_the_default_time_and_keeps_its_date(zone: str, config: PipelineConfig) -> None:
    # Given a date without a time, read in a zone far from the campaign's (New York)
    # When the row is validated
    called_at = parse(config, zone=ZoneInfo(zone), called_at="10/11/2024").called_at

    # Then it is noon there, and still 11 October in the campaign's zone
    assert called_at.astimezone(ZoneInfo(zone)).time().isoformat() == "12:00:00"
    assert called_at.astimezone(NEW_YORK).date().isoformat() == "2024-10-11"


def test_a_date_alone_gets_the_configured_default_time() -> None:
    # Given a configuration whose default time is 09:30
    config = build_config({"default_time": "09:30"})

    # When a date-only row is validated
    called_at = parse(config, called_at="2024-10-11").called_at

    # Then the call is at 09:30 New York time
    assert called_at.astimezone(UTC) == utc("2024-10-11 13:30")


def test_an_ambiguous_local_time_takes_the_earlier_instant(config: PipelineConfig) -> None:
    # Given 01:30 on 3 November 2024 in New York, which happens twice (EDT, then EST)
    # When the row is validated
    called_at = parse(config, called_at="11/03/2024 01:30").called_at

    # Then it is the first 01:30, still daylight time
    assert called_at.astimezone(UTC) == utc("2024-11-03 05:30")
    assert called_at.utcoffset() == timedelta(hours=-4)


@pytest.mark.parametrize(
    "written",
    ["11/20/2024 07:01", "2024-11-20T12:00:01+00:00", "11/21/2024", "2099-01-01 00:00"],
    ids=["one-minute-ahead", "one-second-ahead-utc", "tomorrow-date-only", "far-future"],
)
def test_a_call_in_the_future_is_an_error(written: str, config: PipelineConfig) -> None:
    # Given the clock at 2024-11-20 12:00 UTC (07:00 in New York) and a call after it
    # When the row is validated
    refused = problems(config, called_at=written)

    # Then the time is refused as in the future
    assert refused == {"called_at": "is in the future, a call result must be for a call already made"}


def test_a_call_just_before_now_is_accepted(config: PipelineConfig) -> None:
    # Given a call one minute before the clock
    # When the row is validated
    # Then it is accepted
    assert parse(config, called_at="11/20/2024 06:59").called_at.astimezone(UTC) == utc("2024-11-20 11:59")


@pytest.mark.parametrize("written", ["10/01/0204 18:07", "1999-12-31 23:59"])
def test_a_call_before_the_earliest_call_date_is_an_error(written: str, config: PipelineConfig) -> None:
    # Given a call whose year is mistyped (or older than any dialer export)
    # When the row is validated
    refused = problems(config, called_at=written)

    # Then it is refused naming the earliest date accepted and the setting
    assert list(refused) == ["called_at"]
    assert "before 2000-01-01" in refused["called_at"]
    assert "earliest_call_date" in refused["called_at"]


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("10/32/2024 18:07", "is not a real date or time"),
        ("31/02/2024 10:00", "is not a real date or time"),
        ("02/30/2024", "is not a real date or time"),
        ("02-30-2024", "is not a real date or time"),
        ("2024-02-30 10:00 UTC", "is not a real date or time"),
        ("10/11/2024 25:00", "is not a real date or time"),
        ("10/11/2024 13:00 PM", "is not a real date or time"),
        ("10/11/2024 0:30 AM", "is not a real date or time"),
        ("11-10-24 10:00", "is not a date and time we read"),
        ("10/11/024 10:00", "is not a date and time we read"),
        ("10/11-2024 10:00", "is not a date and time we read"),
        ("yesterday", "is not a date and time we read"),
        ("18:07", "is not a date and time we read"),
        ("", "is empty"),
    ],
)
def test_a_timestamp_that_is_not_a_real_date_is_an_error(
    written: str, says: str, config: PipelineConfig
) -> None:
    # Given a timestamp that is no instant, or not in a form we read
    # When the row is validated
    refused = problems(config, called_at=written)

    # Then the time alone is refused, and (unless empty) the accepted forms are listed
    assert list(refused) == ["called_at"]
    assert refused["called_at"].startswith(says)
    if written:
        assert f"(write {ACCEPTED_FORMS})" in refused["called_at"]


# date_order: day-first dates only when the configuration says so, never guessed


@pytest.mark.parametrize(
    ("written", "instant"),
    [
        ("14/10/2024 19:45", utc("2024-10-14 23:45")),
        ("03/10/2024 19:45", utc("2024-10-03 23:45")),
        ("03-10-2024", utc("2024-10-03 16:00")),
        ("03/10/24 7:45 PM EDT", utc("2024-10-03 23:45")),
        ("2024-10-03 19:45", utc("2024-10-03 23:45")),
    ],
)
def test_date_order_dmy_reads_the_day_first(written: str, instant: datetime) -> None:
    # Given a campaign whose dialer writes the day first
    config = build_config({"date_order": "DMY"})

    # When the row is validated
    # Then the day comes first in the dates with the year last, and ISO dates stay year-month-day
    assert parse(config, called_at=written).called_at.astimezone(UTC) == instant


@pytest.mark.parametrize(
    ("order", "written"), [("MDY", "14/10/2024 19:45"), ("MDY", "31-12-2023"), ("DMY", "10/14/2024 19:45")]
)
def test_a_date_real_only_in_the_other_order_is_an_error_saying_how_to_set_date_order(
    order: str, written: str
) -> None:
    # Given a date that is only real read in the order the configuration does not say
    config = build_config({"date_order": order})

    # When the row is validated
    with pytest.raises(ValidationError) as raised:
        parse(config, called_at=written)

    # Then the time is refused (the engine fails the file for it), saying which setting reads it
    [error] = raised.value.errors()
    assert error["type"] == "date_order"
    other = "DMY" if order == "MDY" else "MDY"
    assert f"date_order is {order}" in error["msg"]
    assert f"set date_order: {other}" in error["msg"]


# ThruTalk: Date Called + Time Called (EST), in America/New_York whatever the campaign's zone


def _thrutalk(rows: list[list[str]], root: Path, config: PipelineConfig) -> dict[int, datetime]:
    run = validate_bytes(csv_bytes(THRUTALK_HEADER, rows, encoding="cp1252"), root, config)
    assert run.report.counts.rejected == 0, run.errors_by_row()
    return {interaction.row: interaction.called_at for interaction in run.accepted()}


def test_thrutalk_date_and_time_columns_are_one_new_york_instant(tmp_path: Path) -> None:
    # Given a campaign in Los Angeles, and ThruTalk rows in summer time, winter time and 12-hour form
    config = build_config(
        {"campaign_timezone": "America/Los_Angeles", "source_timezone": "America/Los_Angeles"}
    )
    rows = [
        thrutalk_row(voter_id="1", date="10/13/2024", time="19:11:17"),
        thrutalk_row(voter_id="2", date="01/13/2024", time="19:11:17"),
        thrutalk_row(voter_id="3", date="10/13/2024", time="7:11 PM"),
    ]

    # When the file is validated
    called = _thrutalk(rows, tmp_path, config)

    # Then "EST" is New York time with daylight saving: UTC-4 in October, UTC-5 in January
    assert called[2].astimezone(UTC) == utc("2024-10-13 23:11:17")
    assert called[3].astimezone(UTC) == utc("2024-01-14 00:11:17")
    assert called[4].astimezone(UTC) == utc("2024-10-13 23:11")


def test_thrutalk_date_without_a_time_gets_the_default_time(tmp_path: Path, config: PipelineConfig) -> None:
    # Given a ThruTalk row with an empty Time Called
    # When the file is validated
    called = _thrutalk([thrutalk_row(time="")], tmp_path, config)

    # Then the call is at noon New York time that day
    assert called[2].astimezone(UTC) == utc("2024-10-13 16:00")


@pytest.mark.parametrize(
    ("date", "time", "says"),
    [
        ("", "19:11:17", "is not a date and time we read"),
        ("", "", "is empty"),
        ("10/13/2024", "7 pm", "is not"),
    ],
    ids=["time-only", "both-empty", "bad-time"],
)
def test_thrutalk_row_without_a_usable_date_names_date_called(
    date: str, time: str, says: str, tmp_path: Path, config: PipelineConfig
) -> None:
    # Given a ThruTalk row whose date and time do not make an instant
    data = csv_bytes(THRUTALK_HEADER, [thrutalk_row(date=date, time=time)])

    # When the file is validated
    run = validate_bytes(data, tmp_path, config)

    # Then the error is reported under the "Date Called" column the user sees
    assert run.errors_by_row()[2].startswith(f"Date Called: {says}")
