"""Every accepted and every rejected value form of spec section 1, one row at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from validation_helpers import IMPACTIVE_HEADER, NOW, Run, csv_bytes, impactive_row, validate_bytes

from phonebank.config import PipelineConfig, build_config
from phonebank.models.dialer import DialerRow, RowContext
from phonebank.times import ACCEPTED_FORMS

NEW_YORK = ZoneInfo("America/New_York")

THRUTALK_HEADER = [
    "Voter ID", "Voter ID Type", "Voter First Name", "Voter Phone", "Date Called", "Time Called (EST)",
    "Caller Login", "Result",
]  # fmt: skip


def thrutalk_row(
    *,
    voter_id: str = "200300401",
    id_type: str = "VANID",
    phone: str = "+1 202 201 3344",
    date: str = "10/13/2024",
    time: str = "19:11:17",
    result: str = "Talking to Correct Person",
) -> list[str]:
    return [voter_id, id_type, "André", phone, date, time, "caller1", result]


def cells(**overrides: str) -> dict[str, str]:
    """A row as validate hands it to the model: every field a string, valid unless overridden."""
    values = {
        "profile_id": "OP-1",
        "van_id": "101234567",
        "phone": "(202) 201-3344",
        "called_at": "10/11/2024 6:07 PM",
        "outcome": "Completed",
        "effort": "GOTV Weekend 1",
        "service": "",
        "call_type": "",
        "duration": "75",
    }
    assert set(overrides) <= set(values), overrides
    return {**values, **overrides}


def context(
    config: PipelineConfig,
    *,
    zone: ZoneInfo = NEW_YORK,
    fallback_effort: str | None = None,
    service: str = "Impactive",
) -> RowContext:
    return RowContext(
        config=config, source_zone=zone, now=NOW, fallback_effort=fallback_effort, service=service
    )


def parse(config: PipelineConfig, *, zone: ZoneInfo = NEW_YORK, **overrides: str) -> DialerRow:
    return DialerRow.model_validate(cells(**overrides), context=context(config, zone=zone))


def problems(config: PipelineConfig, **overrides: str) -> dict[str, str]:
    """Each field the model refuses, with its message."""
    with pytest.raises(ValidationError) as raised:
        parse(config, **overrides)
    return {str(error["loc"][0]): error["msg"] for error in raised.value.errors()}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Phones

PHONE_FORMS = [
    "(202) 201-3344", "202.201.3344", "202-201-3344", "202 201 3344", "2022013344", "+1 202 201 3344",
    "+1 (202) 201-3344", "12022013344", "1-202-201-3344", "  202.201.3344  ",
]  # fmt: skip


@pytest.mark.parametrize("written", PHONE_FORMS)
def test_phone_in_any_common_written_form_becomes_e164(written: str, config: PipelineConfig) -> None:
    # Given a US number written as people write it
    # When the row is validated
    # Then the phone is the one E.164 number
    assert parse(config, phone=written).phone == "+12022013344"


def test_phone_with_a_country_code_keeps_its_country(config: PipelineConfig) -> None:
    # Given a UK number written with + and its country code
    # When the row is validated
    # Then it is not read as a US number
    assert parse(config, phone="+44 20 7946 0958").phone == "+442079460958"


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("555-0100", "is not a valid phone number"),
        ("(555) 201-3344", "is not a valid phone number"),
        ("202 201 334", "is not a valid phone number"),
        ("12345678901234567", "is not a valid phone number"),
        ("abc", "is not a phone number"),
        ("+800 1234 5678", "is a non-geographic number"),
        ("", "is empty"),
        ("   ", "is empty"),
    ],
    ids=[
        "seven-digits",
        "no-such-area-code",
        "nine-digits",
        "too-long",
        "letters",
        "non-geographic",
        "empty",
        "blank",
    ],
)
def test_phone_that_is_not_a_valid_number_is_an_error(
    written: str, says: str, config: PipelineConfig
) -> None:
    # Given a phone that no one could dial
    # When the row is validated
    # Then the phone alone is refused, saying what to write
    refused = problems(config, phone=written)
    assert list(refused) == ["phone"]
    assert refused["phone"].startswith(says)


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


# Outcomes: through synonyms, ignoring case and spaces; unknown is an error, never a guess

# Spec section 1's table and the two dialers' lists, written out: (dialer value, canonical outcome).
OUTCOMES = [
    ("Completed", "Completed"),
    ("Answered", "Answered"),
    ("No Language in Common", "No Language in Common"),
    ("No language in common", "No Language in Common"),
    ("Language Barrier", "No Language in Common"),
    ("Wrong Number", "Wrong Number"),
    ("Fax", "Wrong Number"),
    ("Refused", "Refused"),
    ("Deceased", "Deceased"),
    ("Moved", "Moved"),
    ("Answering Machine", "Answering Machine"),
    ("Voicemail", "Answering Machine"),
    ("Left Message", "Answering Machine"),
    ("Machine Left Message", "Answering Machine"),
    ("Machine", "Answering Machine"),
    ("No Answer", "No Answer"),
    ("Busy", "Busy"),
    ("Busy Signal", "Busy"),
    ("Line Busy", "Busy"),
    ("User Busy", "Busy"),
    ("Not Home", "Not Home"),
    ("Not Home/No Contact", "Not Home"),
    ("Disconnected", "Disconnected"),
    ("Number Disconnected", "Disconnected"),
    ("Opt Out", "Opt Out"),
    ("Do Not Call", "Opt Out"),
    ("Deliverability Error", "Deliverability Error"),
    ("Failed", "Failed"),
    ("Dropped", "Dropped"),
    ("Not Dialed", "Not Dialed"),
    ("Talking to Correct Person", "Completed"),
]


def outcome_spellings(value: str) -> list[str]:
    return [
        value,
        value.upper(),
        value.lower(),
        f"  {value}  ",
        value.replace(" ", ""),
        value.replace(" ", "   "),
        value.upper().replace(" ", "_"),
        value.lower().replace(" ", "-"),
        f"{value}.",
    ]


@pytest.mark.parametrize(("written", "canonical"), OUTCOMES, ids=[w for w, _ in OUTCOMES])
def test_outcome_synonyms_match_ignoring_case_spaces_and_punctuation(
    written: str, canonical: str, config: PipelineConfig
) -> None:
    for spelling in outcome_spellings(written):
        # Given the dialer's outcome written in another case, spacing or punctuation (NO_ANSWER)
        # When the row is validated
        # Then it is the canonical outcome of the spec's table
        assert parse(config, outcome=spelling).outcome == canonical, spelling


@pytest.mark.parametrize(
    "written",
    ["Hung Up", "Complete", "Talking to Wrong Person", "Not Homes", "Busy Busy", "", "?!", "Machine 2"],
)
def test_unknown_outcome_is_an_error(written: str, config: PipelineConfig) -> None:
    # Given an outcome that is no canonical name and no configured synonym (nearly-right ones too)
    # When the row is validated
    refused = problems(config, outcome=written)

    # Then it is refused, listing what is accepted with the synonyms in force, rather than guessed
    assert list(refused) == ["outcome"]
    if written.strip():
        assert refused["outcome"].startswith(
            "is not an outcome we know (accepted, with the synonyms in force: "
            "Completed or Talking to Correct Person, Answered, "
        )
    else:
        assert refused["outcome"].startswith("is empty")


def test_an_unknown_outcome_names_the_synonyms_the_configuration_keeps() -> None:
    # Given a configuration whose list of the answering machine's synonyms replaced the default one
    config = build_config({"outcomes": {"Answering Machine": {"synonyms": ["Left Message"]}}})

    # When a Voicemail row is validated
    refused = problems(config, outcome="Voicemail")

    # Then the refusal says what the answering machine's synonyms now are, so the dropped one shows
    assert "Answering Machine or Left Message, No Answer" in refused["outcome"]


def test_a_configured_synonym_is_an_outcome() -> None:
    # Given a campaign that adds "Hung Up" as a synonym of Refused
    config = build_config({"outcomes": {"Refused": {"synonyms": ["Hung Up"]}}})

    # When a row with it is validated, in a dialer's own spelling
    # Then it is Refused
    assert parse(config, outcome="HUNG_UP").outcome == "Refused"


# Duration: whole seconds >= 0, or m:ss


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ("75", 75),
        ("75.0", 75),
        ("0", 0),
        (" 75 ", 75),
        ("1:15", 75),
        ("0:45", 45),
        ("01:02:03", 3723),
        ("75.", 75),
        ("0000000000075", 75),
        ("86400", 86_400),
        ("24:00:00", 86_400),
        ("٧٥", 75),
        ("", None),
    ],
)
def test_duration_forms(written: str, seconds: int | None, config: PipelineConfig) -> None:
    # Given a duration in seconds, m:ss, h:mm:ss or empty
    # When the row is validated
    # Then it is whole seconds (None when empty)
    assert parse(config, duration=written).duration == seconds


@pytest.mark.parametrize(
    "written",
    [
        "abc", "-5", "-0:15", "75.5", "1:75", "1:75:00", "75 s", "1,5", "1:15.0", "1:2:3:4", "1::5", ":5",
        "²", "86401", "24:00:01", "9" * 5000, "1:" + "9" * 5000, "5." + "0" * 5000 + "1",
    ],
    ids=lambda written: written if len(written) < 20 else f"{written[:8]}...({len(written)} characters)",
)  # fmt: skip
def test_duration_that_is_not_whole_seconds_up_to_a_day_is_an_error(
    written: str, config: PipelineConfig
) -> None:
    # Given a duration that is no whole number of seconds from zero to a day (thousands of digits too)
    # When the row is validated
    refused = problems(config, duration=written)

    # Then it is refused, saying how to write it
    assert list(refused) == ["duration"]
    assert "75" in refused["duration"]


# Call type: Computer or Phone Dial through synonyms; empty is Computer


@pytest.mark.parametrize(
    ("written", "call_type"),
    [
        ("Computer", "Computer"), ("computer", "Computer"), ("Dialer", "Computer"),
        ("Predictive", "Computer"), ("POWER", "Computer"), ("preview", "Computer"), ("", "Computer"),
        ("   ", "Computer"),
        ("Phone Dial", "Phone Dial"), ("phone  dial", "Phone Dial"), ("Manual", "Phone Dial"),
        ("Personal Phone", "Phone Dial"), ("PERSONALPHONE", "Phone Dial"),
    ],
)  # fmt: skip
def test_call_type_synonyms(written: str, call_type: str, config: PipelineConfig) -> None:
    # Given a call type as a dialer writes it
    # When the row is validated
    # Then it is one of Organizer's two values
    assert parse(config, call_type=written).call_type == call_type


@pytest.mark.parametrize("written", ["Robot", "SMS", "Auto Dial", "Phone"])
def test_unknown_call_type_is_an_error(written: str, config: PipelineConfig) -> None:
    # Given a call type Organizer does not have and no synonym maps
    # When the row is validated
    refused = problems(config, call_type=written)

    # Then it is refused, listing what is accepted
    assert list(refused) == ["call_type"]
    assert "(accepted: Computer, Phone Dial" in refused["call_type"]


# IDs, service and effort as the model reads them

FORMULAS = ["=1+1", "+1 202", "-5", "@SUM(A1)", '=HYPERLINK("x")', "  =1+1"]


@pytest.mark.parametrize("field", ["profile_id", "effort", "service"])
@pytest.mark.parametrize("written", FORMULAS)
def test_free_text_that_a_spreadsheet_would_run_is_an_error(
    field: str, written: str, config: PipelineConfig
) -> None:
    # Given a Profile ID, effort or service that begins like a formula once its spaces are trimmed
    # When the row is validated
    refused = problems(config, **{field: written})

    # Then that field alone is refused, saying why
    assert list(refused) == [field]
    assert refused[field].startswith("begins with =, +, -, @, a tab or a carriage return")


@pytest.mark.parametrize("written", ["OP=1", "GOTV - Weekend", "a@b", "\t OP-1"])
def test_free_text_with_those_characters_elsewhere_is_kept(written: str, config: PipelineConfig) -> None:
    # Given free text that holds =, -, @ inside, or a tab that trimming removes (it is not written)
    # When the row is validated
    row = parse(config, profile_id=written, effort=written, service=written)

    # Then each is kept as it will be written
    assert row.profile_id == row.effort == row.service == written.strip()


@pytest.mark.parametrize("folder", ["=cmd|' /C calc'!A0", "\tGOTV", "\rGOTV", "-GOTV", "@GOTV", "+GOTV"])
def test_an_upload_folder_effort_that_a_spreadsheet_would_run_is_an_error(
    folder: str, config: PipelineConfig
) -> None:
    # Given an upload folder whose name begins like a formula, and a row without an effort
    ctx = context(config, fallback_effort=folder)

    # When the row is validated
    with pytest.raises(ValidationError) as raised:
        DialerRow.model_validate(cells(effort=""), context=ctx)

    # Then the effort is refused, naming the folder rather than quoting it
    [error] = raised.value.errors()
    assert error["loc"] == ("effort",)
    assert "the upload folder (incoming/<effort name>/" in error["msg"]
    assert folder.strip() not in error["msg"]


def test_a_row_effort_wins_over_a_folder_that_would_be_refused(config: PipelineConfig) -> None:
    # Given an upload folder that begins like a formula, and a row with its own effort
    ctx = context(config, fallback_effort="=1+1")

    # When the row is validated
    # Then the row's effort is used and nothing is refused
    assert DialerRow.model_validate(cells(effort="GOTV"), context=ctx).effort == "GOTV"


def test_van_id_is_digits(config: PipelineConfig) -> None:
    # Given VAN IDs, padded or not, and a Profile ID of any text
    # When the rows are validated
    # Then the digits are kept as written and the Profile ID is open text
    assert parse(config, van_id=" 101234567 ").van_id == "101234567"
    assert parse(config, profile_id="OP-48001/b").profile_id == "OP-48001/b"
    assert parse(config, van_id="", profile_id="").van_id is None


@pytest.mark.parametrize("written", ["10123A", "VAN-101234567", "1.01E+08", "-101234567", "12²", "١٢٣"])
def test_van_id_that_is_not_a_whole_number_is_an_error(written: str, config: PipelineConfig) -> None:
    # Given a VAN ID that is not digits (Excel's scientific notation included)
    # When the row is validated
    # Then it is refused
    assert list(problems(config, van_id=written)) == ["van_id"]


def test_service_is_the_rows_else_the_dialers(config: PipelineConfig) -> None:
    # Given the dialer detected as ThruTalk
    ctx = context(config, service="ThruTalk")

    # When rows with and without a Service value are validated
    with_value = DialerRow.model_validate(cells(service="CallHub"), context=ctx)
    without = DialerRow.model_validate(cells(service=" "), context=ctx)

    # Then the row's value wins, else the dialer's name
    assert (with_value.service, without.service) == ("CallHub", "ThruTalk")


def test_effort_is_the_rows_else_the_fallback(config: PipelineConfig) -> None:
    # Given a fallback effort (from the folder or the configuration)
    ctx = context(config, fallback_effort="Folder Effort")

    # When rows with and without an effort are validated
    with_value = DialerRow.model_validate(cells(effort="Row Effort"), context=ctx)
    without = DialerRow.model_validate(cells(effort=""), context=ctx)

    # Then the row's effort wins, else the fallback
    assert (with_value.effort, without.effort) == ("Row Effort", "Folder Effort")


def test_every_field_error_of_a_row_is_reported_by_the_model(config: PipelineConfig) -> None:
    # Given a row wrong in five fields
    # When it is validated
    refused = problems(
        config, phone="abc", called_at="yesterday", outcome="Hung Up", call_type="Robot", duration="-1"
    )

    # Then each of the five is reported
    assert set(refused) == {"phone", "called_at", "outcome", "call_type", "duration"}


# Row rules that need the whole file: IDs, Voter ID Type, effort, several errors, not dialed, duplicates


def _impactive(
    rows: list[list[str]], root: Path, config: PipelineConfig, *, folder_effort: str | None = None
) -> Run:
    return validate_bytes(csv_bytes(IMPACTIVE_HEADER, rows), root, config, folder_effort=folder_effort)


def test_a_row_needs_at_least_one_id(tmp_path: Path, config: PipelineConfig) -> None:
    # Given rows with both IDs, only a Profile ID, only a VAN ID, and neither
    rows = [
        impactive_row(profile_id="OP-1", van_id="101"),
        impactive_row(profile_id="OP-2", van_id=""),
        impactive_row(profile_id="", van_id="103"),
        impactive_row(profile_id="", van_id=""),
    ]

    # When the file is validated
    run = _impactive(rows, tmp_path, config)

    # Then the first three are accepted, each for the systems its IDs name, and the last is an error
    accepted = {i.row: (i.profile_id, i.van_id) for i in run.accepted()}
    assert accepted == {2: ("OP-1", "101"), 3: ("OP-2", None), 4: (None, "103")}
    assert run.errors_by_row() == {5: "Profile ID / VAN ID: empty, a row needs at least one ID"}


@pytest.mark.parametrize("id_type", ["VAN", "VANID", "vanid", "MyCampaign VAN", "", "  "])
def test_voter_id_is_a_van_id_when_its_type_is_van_or_empty(
    id_type: str, tmp_path: Path, config: PipelineConfig
) -> None:
    # Given a ThruTalk row whose Voter ID Type is VAN in some spelling, or empty
    # When the file is validated
    run = validate_bytes(csv_bytes(THRUTALK_HEADER, [thrutalk_row(id_type=id_type)]), tmp_path, config)

    # Then the Voter ID is the row's VAN ID
    assert run.only_accepted().van_id == "200300401"


def test_voter_id_without_a_type_column_is_a_van_id(tmp_path: Path, config: PipelineConfig) -> None:
    # Given a file with Voter ID and no Voter ID Type column
    header = [name for name in THRUTALK_HEADER if name != "Voter ID Type"]
    row = thrutalk_row()
    del row[1]

    # When it is validated
    run = validate_bytes(csv_bytes(header, [row]), tmp_path, config)

    # Then the Voter ID is the VAN ID
    assert run.only_accepted().van_id == "200300401"


def test_voter_id_of_another_type_is_ignored_and_the_error_says_why(
    tmp_path: Path, config: PipelineConfig
) -> None:
    # Given a ThruTalk row whose Voter ID is a DWID, and one whose Voter ID is empty
    rows = [thrutalk_row(voter_id="88123", id_type="DWID"), thrutalk_row(voter_id="", id_type="DWID")]

    # When the file is validated
    errors = validate_bytes(csv_bytes(THRUTALK_HEADER, rows), tmp_path, config).errors_by_row()

    # Then the first says its ID was ignored because of its type, without quoting the type's cell; the
    # second that it is empty
    assert errors[2].startswith("Voter ID: ")
    assert "the row's Voter ID Type is not VAN" in errors[2] and "DWID" not in errors[2]
    assert "; " not in errors[2]
    assert errors[3] == "Voter ID: empty, a row needs at least one ID"


def test_voter_id_of_another_type_beside_a_profile_id_is_an_organizer_row(
    tmp_path: Path, config: PipelineConfig
) -> None:
    # Given a row with a Profile ID and a Voter ID that is a DWID
    header = ["Profile ID", "Effort Name", *THRUTALK_HEADER]
    data = csv_bytes(header, [["OP-9", "GOTV", *thrutalk_row(voter_id="88123", id_type="DWID")]])

    # When the file is validated
    interaction = validate_bytes(data, tmp_path, config).only_accepted()

    # Then the row goes to Organizer only: the DWID is not taken for a VAN ID
    assert (interaction.profile_id, interaction.van_id) == ("OP-9", None)


def test_effort_comes_from_the_row_then_the_folder_then_the_configuration(tmp_path: Path) -> None:
    # Given rows with and without an effort, a folder effort and a configured default
    rows = [
        impactive_row(profile_id="OP-1", effort_name="Row Effort"),
        impactive_row(profile_id="OP-2", effort_name=""),
    ]
    configured = build_config({"default_effort": "Configured Effort"})

    # When the file is validated with the folder's effort, and without it
    with_folder = _impactive(rows, tmp_path / "a", configured, folder_effort="Folder Effort")
    without_folder = _impactive(rows, tmp_path / "b", configured)

    # Then the row's effort wins, then the folder's, then the configuration's
    assert [i.effort for i in with_folder.accepted()] == ["Row Effort", "Folder Effort"]
    assert [i.effort for i in without_folder.accepted()] == ["Row Effort", "Configured Effort"]


def test_a_file_with_formula_leading_cells_rejects_those_rows_only(
    tmp_path: Path, config: PipelineConfig
) -> None:
    # Given a file whose Profile IDs mostly are clean and two begin like a formula (the column at once
    # answers the clean ones), and one row whose effort does
    rows = [
        *(impactive_row(profile_id=f"OP-{n}", van_id=str(100 + n)) for n in range(10)),
        impactive_row(profile_id="=HYPERLINK(1)", van_id="201"),
        impactive_row(profile_id=" @SUM(A1)", van_id="202"),
        impactive_row(profile_id="OP-99", van_id="203", effort_name="-GOTV"),
    ]

    # When the file is validated
    run = _impactive(rows, tmp_path, config)

    # Then exactly those three rows are rejected, each under its column, saying why
    errors = run.errors_by_row()
    assert sorted(errors) == [12, 13, 14]
    assert errors[12].startswith("Profile ID: begins with =, +, -, @, a tab or a carriage return")
    assert errors[13].startswith("Profile ID: begins with =, +, -, @")
    assert errors[14].startswith("Effort Name: begins with =, +, -, @")
    assert run.report.counts.accepted == 10


def test_organizer_row_without_any_effort_is_an_error(tmp_path: Path, config: PipelineConfig) -> None:
    # Given no folder effort, no configured effort, an Organizer row and a VAN-only row without one
    rows = [impactive_row(profile_id="OP-1", effort_name=""), impactive_row(profile_id="", effort_name="")]

    # When the file is validated
    run = _impactive(rows, tmp_path, config)

    # Then the Organizer row is an error naming where an effort can come from; VAN needs none
    errors = run.errors_by_row()
    assert list(errors) == [2]
    assert errors[2].startswith("Effort Name: empty")
    assert "incoming/<effort name>/" in errors[2]
    assert [i.row for i in run.accepted()] == [3]


def test_file_without_an_effort_column_takes_the_folders(tmp_path: Path, config: PipelineConfig) -> None:
    # Given an Organizer-shaped file with no effort column, uploaded under incoming/Phone Bank 3/
    data = csv_bytes(
        ["Profile ID", "Date/Time", "Phone Number Called", "Call Result"],
        [["OP-1", "10/11/2024", "2022013344", "Answered"]],
    )

    # When it is validated with and without that folder
    with_folder = validate_bytes(data, tmp_path / "a", config, folder_effort="Phone Bank 3")
    without = validate_bytes(data, tmp_path / "b", config)

    # Then the folder's effort is used, and without it the row is an error under "Effort Name"
    assert with_folder.only_accepted().effort == "Phone Bank 3"
    assert without.errors_by_row()[2].startswith("Effort Name: empty")


def test_every_problem_of_a_row_is_reported_in_one_cell(tmp_path: Path, config: PipelineConfig) -> None:
    # Given one row wrong in six ways, no folder and no configured effort
    row = impactive_row(
        profile_id="", van_id="", phone_number="555-0100", last_called_at="10/32/2024 18:07",
        call_outcome="Hung Up", call_duration="abc",
    )  # fmt: skip

    # When the file is validated
    run = _impactive([row], tmp_path, config)

    # Then its error cell lists each problem under its column, joined by "; "
    parts = run.errors_by_row()[2].split("; ")
    assert [part.split(":")[0] for part in parts] == [
        "Phone Number", "Last Called At", "Call Outcome", "Call Duration", "Profile ID / VAN ID",
    ]  # fmt: skip
    assert run.report.counts.rejected == 1


def test_not_dialed_rows_are_counted_whatever_else_they_hold(tmp_path: Path, config: PipelineConfig) -> None:
    # Given "Not Dialed" rows (any case) whose other fields are empty or wrong
    rows = [
        impactive_row(call_outcome="Not Dialed", phone_number="", profile_id="", van_id=""),
        impactive_row(call_outcome="not  dialed", last_called_at="never", call_duration="abc"),
        impactive_row(),
    ]

    # When the file is validated
    run = _impactive(rows, tmp_path, config)

    # Then they are not dialed, neither rejected nor accepted
    counts = run.report.counts
    assert (counts.rows_read, counts.not_dialed, counts.rejected, counts.accepted) == (3, 2, 0, 1)


def test_a_duplicate_is_the_same_interaction_in_any_written_form(
    tmp_path: Path, config: PipelineConfig
) -> None:
    # Given a row, then the same call written differently (phone, time, outcome spelling, caller-only
    # fields), then the same call with another outcome
    rows = [
        impactive_row(
            phone_number="(202) 201-3344", last_called_at="11/03/2024 01:30", call_outcome="Voicemail"
        ),
        impactive_row(
            phone_number="+1 202 201 3344", last_called_at="2024-11-03T01:30:00-04:00",
            call_outcome="answering machine", call_duration="99",
        ),
        impactive_row(phone_number="2022013344", last_called_at="11/03/2024 01:30", call_outcome="No Answer"),
    ]  # fmt: skip

    # When the file is validated
    run = _impactive(rows, tmp_path, config)

    # Then the second is a duplicate of the first (even in the repeated DST hour); the third is not
    counts = run.report.counts
    assert (counts.accepted, counts.duplicates) == (2, 1)
    assert [i.row for i in run.accepted()] == [2, 4]
    duplicates = (run.reports / "duplicates.csv").read_text(encoding="utf-8").splitlines()
    assert duplicates[1].startswith("3,2,")


@pytest.mark.parametrize("written", ["10/01/0204 18:07", "1999-12-31 23:59"])
def test_a_call_before_the_earliest_call_date_is_an_error(written: str, config: PipelineConfig) -> None:
    # Given a call whose year is mistyped (or older than any dialer export)
    # When the row is validated
    refused = problems(config, called_at=written)

    # Then it is refused naming the earliest date accepted and the setting
    assert list(refused) == ["called_at"]
    assert "before 2000-01-01" in refused["called_at"]
    assert "earliest_call_date" in refused["called_at"]
