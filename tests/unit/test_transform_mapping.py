"""What each dialer outcome becomes in Organizer and NGP VAN: the spec's mapping table, row by row,
duplicates and not-dialed rows, and the local date of evening calls on both sides of daylight saving."""

from __future__ import annotations

from pathlib import Path

import pytest
from transform_helpers import dialer_csv, output_files, read_rows, run_pipeline

from phonebank.config import PipelineConfig, build_config

CANONICAL_HEADER = ["Profile ID", "VAN ID", "Phone Number Called", "Date/Time", "Call Result", "Effort Name"]
IMPACTIVE_HEADER = ["Profile ID", "VAN ID", "Phone Number", "Last Called At", "Call Outcome", "Effort Name"]
THRUTALK_HEADER = [
    "Voter ID",
    "Voter ID Type",
    "Voter First Name",
    "Voter Last Name",
    "Voter Phone",
    "Date Called",
    "Time Called (EST)",
    "Caller Login",
    "Result",
]

# VAN result IDs differ per instance; these are made up, one per VAN result the spec's table uses.
RESULT_IDS = {
    "Canvassed": 14,
    "Other Language": 21,
    "Wrong Number": 20,
    "Refused": 2,
    "Deceased": 23,
    "Moved": 5,
    "Not Home": 1,
    "Deliverability Error": 26,
}

# formats.md, "Canonical outcomes and default mappings": every canonical outcome and every synonym,
# with the Organizer Call Result and the VAN result (None: no instruction, the row is not sent).
SPEC_TABLE = [
    ("Completed", "Answered", "Canvassed"),
    ("Talking to Correct Person", "Answered", "Canvassed"),
    ("Answered", "Answered", None),
    ("No Language in Common", "Answered", "Other Language"),
    ("Language Barrier", "Answered", "Other Language"),
    ("Wrong Number", "Wrong Number", "Wrong Number"),
    ("Fax", "Wrong Number", "Wrong Number"),
    ("Refused", "Refused", "Refused"),
    ("Deceased", "Answered", "Deceased"),
    ("Moved", "Answered", "Moved"),
    ("Answering Machine", "No Answer", "Not Home"),
    ("Voicemail", "No Answer", "Not Home"),
    ("Left Message", "No Answer", "Not Home"),
    ("Machine Left Message", "No Answer", "Not Home"),
    ("Machine", "No Answer", "Not Home"),
    ("No Answer", "No Answer", "Not Home"),
    ("Busy", "Line Busy", "Not Home"),
    ("Busy Signal", "Line Busy", "Not Home"),
    ("Line Busy", "Line Busy", "Not Home"),
    ("User Busy", "Line Busy", "Not Home"),
    ("Not Home", "Answered", "Not Home"),
    ("Not Home/No Contact", "Answered", "Not Home"),
    ("Disconnected", "Number Disconnected", "Deliverability Error"),
    ("Number Disconnected", "Number Disconnected", "Deliverability Error"),
    ("Opt Out", "Opt Out", None),
    ("Do Not Call", "Opt Out", None),
    ("Deliverability Error", None, "Deliverability Error"),
    ("Failed", None, None),
    ("Dropped", None, None),
]

# Seed 000, "Advised Sync Instructions": Impactive's Call Outcome target values, all Canvasser
# Response with object Auto Dial, spelled as Impactive spells them.
SEED_000_ADVISED = [
    ("Completed", "Canvassed"),
    ("No language in common", "Other Language"),
    ("Wrong number", "Wrong Number"),
    ("Refused", "Refused"),
    ("Deceased", "Deceased"),
    ("Answering machine", "Not Home"),
    ("No answer", "Not Home"),
    ("Busy", "Not Home"),
    ("Not home", "Not Home"),
    ("Moved", "Moved"),
]


@pytest.fixture
def with_ids() -> PipelineConfig:
    return build_config({"van": {"result_ids": RESULT_IDS, "canvassed_by": 4242}})


def _one_call(outcome: str, header: list[str] = CANONICAL_HEADER) -> bytes:
    return dialer_csv(header, [["OP-1", "101", "(202) 555-0142", "2024-10-01 14:03", outcome, "Persuasion"]])


@pytest.mark.parametrize(("dialer_value", "organizer_result", "van_result"), SPEC_TABLE)
def test_each_row_of_the_mapping_table_reaches_organizer(
    tmp_path: Path,
    with_ids: PipelineConfig,
    dialer_value: str,
    organizer_result: str | None,
    van_result: str | None,
) -> None:
    # Given one call with a Profile ID and a VAN ID and the outcome as the dialer wrote it
    # When it runs
    summary = run_pipeline(_one_call(dialer_value), tmp_path, with_ids)

    # Then Organizer gets the table's Call Result, or nothing and a "no instruction" count
    rows = [row for path in output_files(tmp_path, "organizer") for row in read_rows(path)]
    assert summary.status == "SUCCEEDED"
    assert summary.counts.accepted == 1
    if organizer_result is None:
        assert rows == []
        assert summary.systems["organizer"].not_sent_no_instruction == 1
    else:
        assert [row["Call Result"] for row in rows] == [organizer_result]
        assert summary.systems["organizer"].written == 1


@pytest.mark.parametrize(("dialer_value", "organizer_result", "van_result"), SPEC_TABLE)
def test_each_row_of_the_mapping_table_reaches_van(
    tmp_path: Path,
    with_ids: PipelineConfig,
    dialer_value: str,
    organizer_result: str | None,
    van_result: str | None,
) -> None:
    # Given one call with both IDs, and every VAN result ID configured
    # When it runs
    summary = run_pipeline(_one_call(dialer_value), tmp_path, with_ids)

    # Then both VAN files hold the table's result as a Canvasser Response by Auto Dial (ID 19), or
    # VAN gets nothing and the row is counted under "no instruction"
    if van_result is None:
        assert output_files(tmp_path, "van") == []
        assert summary.systems["van"].not_sent_no_instruction == 1
        return
    by_name = read_rows(tmp_path / "van" / "van-canvass-results-by-name.csv")
    bulk = read_rows(tmp_path / "van" / "van-canvass-results-bulk-import.csv")
    assert [(row["Contact Type"], row["Result"]) for row in by_name] == [("Auto Dial", van_result)]
    assert [(row["contacttypeid"], row["resultid"]) for row in bulk] == [("19", str(RESULT_IDS[van_result]))]
    assert summary.systems["van"].written == 1


@pytest.mark.parametrize(("impactive_value", "van_result"), SEED_000_ADVISED)
def test_impactive_call_outcomes_follow_the_advised_sync_instructions(
    tmp_path: Path, config: PipelineConfig, impactive_value: str, van_result: str
) -> None:
    # Given an Impactive export (Last Called At, Call Outcome) with Impactive's own spelling
    # When it runs with the default instructions
    run_pipeline(_one_call(impactive_value, IMPACTIVE_HEADER), tmp_path, config)

    # Then VAN gets the result code of seed 000's advised table, contact type Auto Dial
    rows = read_rows(tmp_path / "van" / "van-canvass-results-by-name.csv")
    assert [(row["Contact Type"], row["Result"]) for row in rows] == [("Auto Dial", van_result)]


@pytest.mark.parametrize("spelling", ["Not Dialed", "not dialed", "NOT  DIALED"])
def test_a_call_never_placed_goes_to_no_system(tmp_path: Path, config: PipelineConfig, spelling: str) -> None:
    # Given a row whose outcome says no call was placed, beside one real call
    data = dialer_csv(
        CANONICAL_HEADER,
        [
            ["OP-1", "101", "(202) 555-0142", "", spelling, "Persuasion"],
            ["OP-2", "102", "(202) 555-0143", "2024-10-01 14:03", "Completed", "Persuasion"],
        ],
    )

    # When it runs
    summary = run_pipeline(data, tmp_path, config)

    # Then it is counted as not dialed and only the real call is written anywhere
    assert (summary.counts.rows_read, summary.counts.not_dialed, summary.counts.accepted) == (2, 1, 1)
    organizer = read_rows(tmp_path / "organizer" / "organizer-phone-interactions-01.csv")
    van = read_rows(tmp_path / "van" / "van-canvass-results-by-name.csv")
    assert [row["Profile ID"] for row in organizer] == ["OP-2"]
    assert [row["VanID"] for row in van] == ["102"]


def test_an_outcome_nobody_configured_is_an_error_never_a_guess(
    tmp_path: Path, config: PipelineConfig
) -> None:
    # Given outcomes that sound like a mapped one but are in no synonym list
    data = dialer_csv(
        CANONICAL_HEADER,
        [
            ["OP-1", "101", "(202) 555-0142", "2024-10-01 14:03", value, "P"]
            for value in ("Bad Number", "Hung Up")
        ],
    )

    # When it runs (with a limit that lets the run go on)
    summary = run_pipeline(data, tmp_path, build_config({"limits": {"max_reject_rate": 1.0}}))

    # Then both rows are rejected and nothing reaches Organizer or VAN
    assert summary.counts.rejected == 2
    assert output_files(tmp_path, "organizer") == output_files(tmp_path, "van") == []


def test_exact_duplicates_are_written_once(tmp_path: Path, config: PipelineConfig) -> None:
    # Given one call exported three times, the phone written differently, and a second call that
    # differs only in its time
    call = ["OP-1", "101", "(202) 555-0142", "10/01/2024 2:03 PM", "Completed", "Persuasion"]
    data = dialer_csv(
        CANONICAL_HEADER,
        [
            call,
            [*call[:2], "+1 202 555 0142", *call[3:]],
            call,
            [*call[:3], "10/01/2024 2:04 PM", *call[4:]],
        ],
    )

    # When it runs
    summary = run_pipeline(data, tmp_path, config)

    # Then the first occurrence is written once to each system, the repeats are duplicates of
    # spreadsheet row 2, and the other call is written too
    assert (summary.counts.accepted, summary.counts.duplicates) == (2, 2)
    organizer = read_rows(tmp_path / "organizer" / "organizer-phone-interactions-01.csv")
    assert [row["Date/Time"] for row in organizer] == ["2024-10-01 14:03", "2024-10-01 14:04"]
    assert len(read_rows(tmp_path / "van" / "van-canvass-results-by-name.csv")) == 2
    duplicates = read_rows(tmp_path / "duplicates.csv")
    assert [(row["row"], row["duplicate_of"]) for row in duplicates] == [("3", "2"), ("4", "2")]


# An evening call in US Eastern time is already the next day in UTC; the local date must win.
EVENING_CALLS = [
    # (UTC time as exported, Organizer Date/Time, VAN Date Canvassed, bulk datecanvassed)
    pytest.param(
        "2024-10-02T01:30:00Z", ("2024-10-01 21:30", "10/01/2024", "2024-10-01T21:30:00-04:00"), id="EDT"
    ),
    pytest.param(
        "2024-11-06T02:15:00+00:00", ("2024-11-05 21:15", "11/05/2024", "2024-11-05T21:15:00-05:00"), id="EST"
    ),
    pytest.param(
        "2024-03-11T00:05:00Z",
        ("2024-03-10 20:05", "03/10/2024", "2024-03-10T20:05:00-04:00"),
        id="spring-forward-day",
    ),
    pytest.param(
        "2024-11-04T03:40:00Z",
        ("2024-11-03 22:40", "11/03/2024", "2024-11-03T22:40:00-05:00"),
        id="fall-back-day",
    ),
]


@pytest.mark.parametrize(("utc_time", "expected"), EVENING_CALLS)
def test_an_evening_call_keeps_its_local_date_in_every_file(
    tmp_path: Path, with_ids: PipelineConfig, utc_time: str, expected: tuple[str, str, str]
) -> None:
    # Given a call exported in UTC, whose UTC date is the day after the Eastern one
    data = dialer_csv(CANONICAL_HEADER, [["OP-1", "101", "2025550142", utc_time, "Completed", "Persuasion"]])

    # When it runs for a campaign in America/New_York
    run_pipeline(data, tmp_path, with_ids)

    # Then Organizer and VAN's by-name file carry the Eastern date, and the bulk file the offset
    organizer = read_rows(tmp_path / "organizer" / "organizer-phone-interactions-01.csv")
    by_name = read_rows(tmp_path / "van" / "van-canvass-results-by-name.csv")
    bulk = read_rows(tmp_path / "van" / "van-canvass-results-bulk-import.csv")
    written = [
        (o["Date/Time"], n["Date Canvassed"], b["datecanvassed"])
        for o, n, b in zip(organizer, by_name, bulk, strict=True)
    ]
    assert written == [expected]


@pytest.mark.parametrize(
    ("date_called", "time_called", "expected"),
    [
        pytest.param("10/01/2024", "21:30:00", ("10/01/2024", "2024-10-01T21:30:00-04:00"), id="EDT"),
        pytest.param("12/03/2024", "23:59:59", ("12/03/2024", "2024-12-03T23:59:59-05:00"), id="EST"),
    ],
)
def test_thrutalk_eastern_times_stay_on_their_day(
    tmp_path: Path, with_ids: PipelineConfig, date_called: str, time_called: str, expected: tuple[str, str]
) -> None:
    # Given a ThruTalk row: separate date and time, the time in US Eastern
    row = [
        "200300401",
        "VANID",
        "Ana",
        "Ruiz",
        "202.555.0142",
        date_called,
        time_called,
        "caller1",
        "Voicemail",
    ]

    # When it runs
    run_pipeline(dialer_csv(THRUTALK_HEADER, [row]), tmp_path, with_ids)

    # Then VAN's date is that Eastern day, and the bulk file says which offset it was in
    by_name = read_rows(tmp_path / "van" / "van-canvass-results-by-name.csv")
    bulk = read_rows(tmp_path / "van" / "van-canvass-results-bulk-import.csv")
    assert [
        (n["Date Canvassed"], n["Result"], b["datecanvassed"]) for n, b in zip(by_name, bulk, strict=True)
    ] == [(expected[0], "Not Home", expected[1])]


def test_dates_follow_the_configured_campaign_zone(tmp_path: Path) -> None:
    # Given a campaign on the US West Coast and a call at 03:30 UTC
    config = build_config({"campaign_timezone": "America/Los_Angeles", "van": {"result_ids": RESULT_IDS}})
    data = dialer_csv(
        CANONICAL_HEADER, [["OP-1", "101", "2025550142", "2024-10-02T03:30:00Z", "Refused", "P"]]
    )

    # When it runs
    run_pipeline(data, tmp_path, config)

    # Then every date is the Pacific one, with the Pacific offset
    organizer = read_rows(tmp_path / "organizer" / "organizer-phone-interactions-01.csv")
    bulk = read_rows(tmp_path / "van" / "van-canvass-results-bulk-import.csv")
    assert organizer[0]["Date/Time"] == "2024-10-01 20:30"
    assert bulk[0]["datecanvassed"] == "2024-10-01T20:30:00-07:00"
