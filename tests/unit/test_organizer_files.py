"""Organizer's phone-interaction import: every value as seed 002 accepts it, and the split into
numbered files at 5 efforts and before the size limit."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import EVENTS
from transform_helpers import (
    SEED_002_HEADER,
    dialer_csv,
    interaction,
    organizer_file_problems,
    output_files,
    read_rows,
    run_pipeline,
    transform_calls,
)

from phonebank.config import PipelineConfig, build_config


def test_a_row_carries_each_column_as_organizer_reads_it(tmp_path: Path, config: PipelineConfig) -> None:
    # Given an Impactive export with the values written as a dialer writes them
    data = dialer_csv(
        [
            "Profile ID",
            "Phone Number",
            "Last Called At",
            "Call Outcome",
            "Effort Name",
            "Call Type",
            "Call Duration",
        ],
        [
            ["OP-7", "+1 (202) 555-0142", "10/01/2024 9:05 PM", "Voicemail", "GOTV Wave 1", "Manual", "75.0"],
            ["OP-8", "202.555.0143", "2024-10-01T14:03:00-04:00", "Busy Signal", "GOTV Wave 1", "", ""],
        ],
    )

    # When it runs
    run_pipeline(data, tmp_path, config)

    # Then each column is in seed 002's form: local date/time, 10 digits, the dialer's name as
    # Service, Call Type from its synonym (empty = Computer), whole seconds or empty
    path = tmp_path / "organizer" / "organizer-phone-interactions-01.csv"
    assert path.read_bytes().decode("utf-8").splitlines() == [
        SEED_002_HEADER,
        "OP-7,GOTV Wave 1,2024-10-01 21:05,2025550142,Impactive,Phone Dial,No Answer,75",
        "OP-8,GOTV Wave 1,2024-10-01 14:03,2025550143,Impactive,Computer,Line Busy,",
    ]


def test_the_rows_service_wins_over_the_dialers_name(tmp_path: Path, config: PipelineConfig) -> None:
    # Given a row that names its own service, and one without
    data = dialer_csv(
        ["Profile ID", "Phone", "Date/Time", "Call Result", "Effort", "Service"],
        [
            ["OP-1", "2025550142", "2024-10-01 10:00", "Completed", "E", "CallHub"],
            ["OP-2", "2025550143", "2024-10-01 10:00", "Completed", "E", ""],
        ],
    )

    # When it runs
    run_pipeline(data, tmp_path, config)

    # Then the row's service is kept, and a file from no known dialer leaves it empty
    rows = read_rows(tmp_path / "organizer" / "organizer-phone-interactions-01.csv")
    assert [row["Service"] for row in rows] == ["CallHub", ""]


@pytest.mark.parametrize(
    ("phone_format", "phone", "written"),
    [
        ("national10", "+44 20 7946 0958", "+442079460958"),
        ("national10", "+1 416 555 0199", "4165550199"),
        ("e164", "(202) 555-0142", "+12025550142"),
    ],
)
def test_phone_number_called_format(tmp_path: Path, phone_format: str, phone: str, written: str) -> None:
    # Given a call to a number, and the configured phone format
    config = build_config({"organizer_phone_format": phone_format})
    data = dialer_csv(
        ["Profile ID", "Phone", "Date/Time", "Call Result", "Effort"],
        [["OP-1", phone, "2024-10-01 10:00", "Completed", "E"]],
    )

    # When it runs
    run_pipeline(data, tmp_path, config)

    # Then North American numbers are 10 digits by default, others (or all, when asked) E.164
    rows = read_rows(tmp_path / "organizer" / "organizer-phone-interactions-01.csv")
    assert [row["Phone Number Called"] for row in rows] == [written]


def _transform(tmp_path: Path, config: PipelineConfig, efforts: list[str]) -> list[Path]:
    interactions = [
        interaction(row, effort=effort, called_at=datetime(2024, 10, 1, 14, row % 60, tzinfo=UTC))
        for row, effort in enumerate(efforts, start=2)
    ]
    summary = transform_calls(interactions, config, tmp_path)
    files = output_files(tmp_path, "organizer")
    listed = [Path(file.location) for file in summary.files if file.system == "organizer"]
    assert sorted(listed) == files, "the summary lists exactly the files written"
    return files


def _profile_ids(files: list[Path]) -> Counter[str]:
    return Counter(row["Profile ID"] for path in files for row in read_rows(path))


def test_eight_efforts_make_two_files_of_at_most_five(tmp_path: Path, config: PipelineConfig) -> None:
    # Given calls for 8 efforts, interleaved
    efforts = [f"Effort {n}" for n in range(1, 9)] * 3

    # When they are transformed
    files = _transform(tmp_path, config, efforts)

    # Then two numbered files hold at most 5 efforts each, no effort in both, every call once
    assert [path.name for path in files] == [
        "organizer-phone-interactions-01.csv",
        "organizer-phone-interactions-02.csv",
    ]
    efforts_in = [{row["Effort Name"] for row in read_rows(path)} for path in files]
    assert [len(names) for names in efforts_in] == [5, 3]
    assert not efforts_in[0] & efforts_in[1]
    assert _profile_ids(files) == Counter(f"OP-{row}" for row in range(2, 2 + len(efforts)))
    for path in files:
        assert organizer_file_problems(path) == []


def test_the_effort_limit_is_configurable(tmp_path: Path) -> None:
    # Given 4 efforts and a limit of 2 efforts per file
    config = build_config({"limits": {"organizer_max_efforts_per_file": 2}})

    # When they are transformed
    files = _transform(tmp_path, config, ["A", "B", "C", "D", "A", "D"])

    # Then 2 files of 2 efforts each
    assert [sorted({row["Effort Name"] for row in read_rows(path)}) for path in files] == [
        ["A", "B"],
        ["C", "D"],
    ]


def test_a_small_size_limit_splits_into_numbered_files_each_under_it(tmp_path: Path) -> None:
    # Given a size limit that holds about ten rows, and 100 calls for one effort
    limit = 1024
    config = build_config({"limits": {"organizer_max_file_bytes": limit}})

    # When they are transformed
    files = _transform(tmp_path, config, ["One effort"] * 100)

    # Then several files numbered from 01 without gaps, each within the limit and with its own
    # header, and every call in exactly one of them, in order
    assert len(files) >= 9
    assert [path.name for path in files] == [
        f"organizer-phone-interactions-{n:02d}.csv" for n in range(1, len(files) + 1)
    ]
    for path in files:
        assert path.stat().st_size <= limit
        assert organizer_file_problems(path) == []
    ids = [row["Profile ID"] for path in files for row in read_rows(path)]
    assert ids == [f"OP-{row}" for row in range(2, 102)]


def test_size_and_effort_limits_together_lose_and_repeat_nothing(tmp_path: Path) -> None:
    # Given 7 efforts, interleaved, and the smallest size limit
    config = build_config({"limits": {"organizer_max_file_bytes": 1024}})
    efforts = [f"Effort {n % 7}" for n in range(120)]

    # When they are transformed
    files = _transform(tmp_path, config, efforts)

    # Then every file keeps both limits, and every call is in exactly one file
    for path in files:
        assert path.stat().st_size <= 1024
        assert organizer_file_problems(path) == []
    assert _profile_ids(files) == Counter(f"OP-{row}" for row in range(2, 122))


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({}, id="defaults"),
        pytest.param(
            {"limits": {"organizer_max_file_bytes": 1024, "organizer_max_efforts_per_file": 1}}, id="split"
        ),
    ],
)
def test_every_organizer_file_from_the_impactive_sample_is_accepted(
    tmp_path: Path, overrides: dict[str, object]
) -> None:
    # Given the Impactive sample export
    data = (EVENTS / "impactive-sample.csv").read_bytes()

    # When it runs, with the default limits and with small ones
    summary = run_pipeline(data, tmp_path, build_config(overrides))

    # Then every Organizer file written passes seed 002's rules, and they hold every written row (73:
    # row 43's Left Message is an answering machine since issue 13)
    files = output_files(tmp_path, "organizer")
    assert files
    for path in files:
        assert organizer_file_problems(path) == [], path.name
    assert sum(len(read_rows(path)) for path in files) == summary.systems["organizer"].written == 73


def test_the_thrutalk_sample_gives_organizer_nothing(tmp_path: Path, config: PipelineConfig) -> None:
    # Given the ThruTalk sample, which has VAN IDs and no Profile ID
    data = (EVENTS / "thrutalk-sample.csv").read_bytes()

    # When it runs
    summary = run_pipeline(data, tmp_path, config)

    # Then no Organizer file exists and every accepted row counts as "no ID" for Organizer
    assert output_files(tmp_path, "organizer") == []
    assert summary.systems["organizer"].not_sent_no_id == summary.counts.accepted > 0


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("\ufeff" + SEED_002_HEADER + "\r\n", "header"),
        (SEED_002_HEADER + "\r\nOP-1,E,2024-10-01 10:00,2025550142,,Dialer,Answered,\r\n", "Call Type"),
        (SEED_002_HEADER + "\r\nOP-1,E,2024-10-01 10:00,2025550142,,Computer,Voicemail,\r\n", "Call Result"),
        (SEED_002_HEADER + "\r\nOP-1,E,10/01/2024 10:00,2025550142,,Computer,Answered,\r\n", "Date/Time"),
        (SEED_002_HEADER + "\r\nOP-1,E,2024-10-01 10:00,2025550142,,Computer,Answered,7.5\r\n", "Duration"),
        (SEED_002_HEADER + "\r\n,E,2024-10-01 10:00,2025550142,,Computer,Answered,\r\n", "Profile ID"),
        (SEED_002_HEADER + "\r\nOP-1,,2024-10-01 10:00,2025550142,,Computer,Answered,\r\n", "Effort Name"),
        (SEED_002_HEADER + "\r\nOP-1,E,2024-10-01 10:00,,,Computer,Answered,\r\n", "Phone"),
        (SEED_002_HEADER + "\r\nOP-1,E,2024-10-01 10:00,2025550142,,Computer,Answered", "cut short"),
        (
            SEED_002_HEADER
            + "\r\n"
            + "".join(f"OP-1,E{n},2024-10-01 10:00,2025550142,,Computer,Answered,\r\n" for n in range(6)),
            "distinct Effort Names",
        ),
    ],
)
def test_the_independent_check_catches_what_organizer_would_refuse(
    tmp_path: Path, content: str, problem: str
) -> None:
    # Given a file that breaks one of seed 002's rules
    path = tmp_path / "bad.csv"
    path.write_bytes(content.encode("utf-8"))

    # When the tests' own check reads it
    problems = organizer_file_problems(path)

    # Then it names the problem (so a passing check above means something)
    assert any(problem in text for text in problems), problems
