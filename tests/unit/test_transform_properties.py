"""Properties over random dialer files: every row is counted exactly once, every accepted row is
written or not sent per system, and every Organizer file passes seed 002's rules."""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_transform_mapping import RESULT_IDS, SPEC_TABLE
from transform_helpers import (
    dialer_csv,
    interaction,
    organizer_file_problems,
    output_files,
    read_rows,
    run_pipeline,
    transform_calls,
)

from phonebank.config import build_config

HEADER = ["Profile ID", "VAN ID", "Phone", "Date/Time", "Call Result", "Effort", "Call Type", "Duration"]
MAPPING = {spelling: (organizer, van) for spelling, organizer, van in SPEC_TABLE}
EFFORTS = [f"Effort {n}" for n in range(1, 9)]
PHONES = [
    "(202) 555-0142",
    "202.555.0143",
    "+1 301 555 0144",
    "14105550145",
    "+44 20 7946 0958",
    "7035550146",
]
TIMES = [
    "10/01/2024 2:03 PM",
    "2024-10-01 14:03",
    "2024-10-02T01:30:00Z",
    "2024-11-05",
    "11/05/2024 09:15:30",
    "2024-03-10T23:59:00-05:00",
]
CALL_TYPES = ["", "Computer", "phone dial", "Manual", "Predictive"]
DURATIONS = ["", "0", "75", "75.0", "1:15"]
# One broken value per rejected row: (column, value) pairs no configuration accepts.
BREAKS = [
    ("Phone", "555-0100"),
    ("Phone", "(000) 123-4567"),
    ("Phone", ""),
    ("Date/Time", "10/32/2024 6:15 PM"),
    ("Date/Time", ""),
    ("Date/Time", "2031-01-01 10:00"),
    ("Call Result", "Hung Up"),
    ("Call Result", ""),
    ("Duration", "abc"),
    ("Duration", "1:75"),
    ("Call Type", "Carrier Pigeon"),
    ("VAN ID", "12a"),
    ("ids", ""),
    ("Effort", ""),
]


@dataclass(frozen=True)
class Planned:
    kind: str  # accepted, rejected, duplicate, not dialed
    cells: tuple[str, ...]
    outcome: str = ""


@st.composite
def _accepted(draw: st.DrawFn, number: int) -> Planned:
    # Unique IDs per row, so that no two accepted rows are the same interaction by chance.
    ids = draw(st.sampled_from(["both", "profile", "van"]))
    profile = f"P-{number}" if ids != "van" else ""
    van = str(500_000 + number) if ids != "profile" else ""
    outcome = draw(st.sampled_from(sorted(MAPPING)))
    written = draw(st.sampled_from([outcome, outcome.upper(), f"  {outcome.lower()} "]))
    effort = draw(st.sampled_from(EFFORTS)) if profile else draw(st.sampled_from(["", EFFORTS[0]]))
    cells = (
        profile,
        van,
        draw(st.sampled_from(PHONES)),
        draw(st.sampled_from(TIMES)),
        written,
        effort,
        draw(st.sampled_from(CALL_TYPES)),
        draw(st.sampled_from(DURATIONS)),
    )
    return Planned("accepted", cells, outcome)


@st.composite
def _rejected(draw: st.DrawFn, number: int) -> Planned:
    cells = list(draw(_accepted(number)).cells)
    column, value = draw(st.sampled_from(BREAKS))
    if column == "ids":
        cells[0] = cells[1] = ""
    elif column == "Effort":
        cells[0], cells[5] = cells[0] or f"P-{number}", ""
    else:
        cells[HEADER.index(column)] = value
    return Planned("rejected", tuple(cells))


@st.composite
def _not_dialed(draw: st.DrawFn) -> Planned:
    outcome = draw(st.sampled_from(["Not Dialed", "not dialed", " NOT  DIALED "]))
    junk = draw(st.sampled_from(["", "junk", "555-0100"]))
    return Planned("not dialed", (junk, junk, junk, junk, outcome, junk, junk, junk))


@st.composite
def dialer_files(draw: st.DrawFn) -> list[Planned]:
    planned: list[Planned] = []
    for number in range(draw(st.integers(min_value=1, max_value=40))):
        kind = draw(
            st.sampled_from(["accepted", "accepted", "accepted", "rejected", "duplicate", "not dialed"])
        )
        earlier = [row for row in planned if row.kind == "accepted"]
        if kind == "duplicate" and earlier:
            original = draw(st.sampled_from(earlier))
            planned.append(Planned("duplicate", original.cells))
        elif kind == "rejected":
            planned.append(draw(_rejected(number)))
        elif kind == "not dialed":
            planned.append(draw(_not_dialed()))
        else:
            planned.append(draw(_accepted(number)))
    return planned


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    planned=dialer_files(),
    max_reject_rate=st.sampled_from([1.0, 1.0, 0.25, 0.05]),
    max_file_bytes=st.sampled_from([1024, 495_000_000]),
    with_ids=st.booleans(),
)
def test_every_row_is_counted_once_and_every_accepted_row_is_written_or_not_sent(
    planned: list[Planned], max_reject_rate: float, max_file_bytes: int, with_ids: bool
) -> None:
    # Given a random dialer file whose every row's fate is known from how it was made
    config = build_config(
        {
            "limits": {"max_reject_rate": max_reject_rate, "organizer_max_file_bytes": max_file_bytes},
            "van": {"result_ids": RESULT_IDS if with_ids else {}},
        }
    )
    kinds = Counter(row.kind for row in planned)
    accepted = [row for row in planned if row.kind == "accepted"]

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        # When it runs
        summary = run_pipeline(dialer_csv(HEADER, [list(row.cells) for row in planned]), out, config)

        # Then read = accepted + rejected + duplicates + not dialed, each as planned
        counts = summary.counts
        assert counts.rows_read == len(planned)
        assert counts.accepted + counts.rejected + counts.duplicates + counts.not_dialed == counts.rows_read
        assert (counts.accepted, counts.rejected, counts.duplicates, counts.not_dialed) == (
            kinds["accepted"],
            kinds["rejected"],
            kinds["duplicate"],
            kinds["not dialed"],
        )
        organizer_files = output_files(out, "organizer")
        van_files = output_files(out, "van")
        if kinds["rejected"] / len(planned) > max_reject_rate:
            assert summary.status == "REJECTED"
            assert organizer_files == van_files == []
            return
        assert summary.status == "SUCCEEDED"

        # and per system, written + not sent (no ID, no instruction) = accepted, as the spec maps them
        expected_organizer = Counter(
            (row.cells[0], MAPPING[row.outcome][0])
            for row in accepted
            if row.cells[0] and MAPPING[row.outcome][0]
        )
        expected_van = Counter(
            (row.cells[1], MAPPING[row.outcome][1])
            for row in accepted
            if row.cells[1] and MAPPING[row.outcome][1]
        )
        for system, id_column, expected in (("organizer", 0, expected_organizer), ("van", 1, expected_van)):
            tally = summary.systems[system]
            assert tally.written + tally.not_sent_no_id + tally.not_sent_no_instruction == counts.accepted
            assert tally.written == sum(expected.values())
            assert tally.not_sent_no_id == sum(1 for row in accepted if not row.cells[id_column])

        # and the files hold exactly those rows, each Organizer file as seed 002 accepts it
        written_organizer = Counter(
            (row["Profile ID"], row["Call Result"]) for path in organizer_files for row in read_rows(path)
        )
        assert written_organizer == expected_organizer
        for path in organizer_files:
            assert organizer_file_problems(path) == [], path.name
            assert path.stat().st_size <= max_file_bytes
        by_name = out / "van" / "van-canvass-results-by-name.csv"
        written_van = (
            Counter((row["VanID"], row["Result"]) for row in read_rows(by_name))
            if by_name.exists()
            else Counter()
        )
        assert written_van == expected_van
        bulk = out / "van" / "van-canvass-results-bulk-import.csv"
        assert bulk.exists() == (with_ids and bool(expected_van))


EASTERN = ZoneInfo("America/New_York")


@settings(max_examples=50, deadline=None)
@given(
    instants=st.lists(
        st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2025, 1, 1), timezones=st.just(UTC)),
        min_size=1,
        max_size=20,
    )
)
def test_every_date_written_is_the_calls_eastern_date(instants: list[datetime]) -> None:
    # Given calls at random instants across two years of daylight-saving changes
    config = build_config({"van": {"result_ids": RESULT_IDS}})
    calls = [interaction(row, called_at=instant) for row, instant in enumerate(instants, start=2)]

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        # When they are transformed
        transform_calls(calls, config, out)

        # Then Organizer's minute, VAN's date and the bulk file's instant are the Eastern ones
        organizer = read_rows(out / "organizer" / "organizer-phone-interactions-01.csv")
        by_name = read_rows(out / "van" / "van-canvass-results-by-name.csv")
        bulk = read_rows(out / "van" / "van-canvass-results-bulk-import.csv")
        for instant, org_row, name_row, bulk_row in zip(instants, organizer, by_name, bulk, strict=True):
            local = instant.astimezone(EASTERN)
            assert org_row["Date/Time"] == f"{local:%Y-%m-%d %H:%M}"
            assert name_row["Date Canvassed"] == f"{local:%m/%d/%Y}"
            written = datetime.fromisoformat(bulk_row["datecanvassed"])
            assert written == instant.replace(microsecond=0)
            assert written.utcoffset() in (timedelta(hours=-4), timedelta(hours=-5))
            assert written.utcoffset() == local.utcoffset()
