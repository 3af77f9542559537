"""`phonebank run` with a second process taking the second half of the file: the same files, byte for
byte, as one process writes, whatever the halves hold; and one process's path whenever it must."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_golden import _outputs
from transform_helpers import run_in_one_pass, run_in_two_processes
from validation_helpers import IMPACTIVE_HEADER, csv_bytes, impactive_row

from phonebank.config import PipelineConfig, build_config
from phonebank.halves import ForkedSecondHalf
from phonebank.models.summary import Summary
from phonebank.validate import CheckedPart

EFFORTS = [f"Effort {letter}" for letter in "ABCDEFG"]
"""Seven efforts: more than the five an Organizer file may hold, so that the rows fill two files."""


def distinct_row(index: int, **cells: str) -> list[str]:
    """A valid row unlike any other index's."""
    minute = index % 60
    hour = 1 + (index // 60) % 11
    values = {
        "profile_id": f"OP-{index}",
        "van_id": str(100_000_000 + index),
        "phone_number": f"(202) 201-{index % 10_000:04d}",
        "last_called_at": f"10/{1 + index // 600 % 28:02d}/2024 {hour}:{minute:02d} AM",
        "call_outcome": ["Completed", "No Answer", "Wrong Number", "Refused", "Busy"][index % 5],
        "effort_name": EFFORTS[index % len(EFFORTS)],
        "call_duration": str(index % 300),
    }
    values.update(cells)
    return impactive_row(**values)


def rows(count: int) -> list[list[str]]:
    return [distinct_row(index) for index in range(count)]


@pytest.fixture
def parts_taken(monkeypatch: pytest.MonkeyPatch) -> list[CheckedPart | None]:
    """What each ForkedSecondHalf.finish gave: a part, or None when this process checked the rest."""
    taken: list[CheckedPart | None] = []
    finish = ForkedSecondHalf.finish

    def spy(self: ForkedSecondHalf, *args: Any) -> CheckedPart | None:
        part = finish(self, *args)
        taken.append(part)
        return part

    monkeypatch.setattr(ForkedSecondHalf, "finish", spy)
    return taken


def run_both(
    data: bytes, tmp_path: Path, config: PipelineConfig
) -> Iterator[tuple[str, Summary, dict[str, bytes]]]:
    for name, run in (("one", run_in_one_pass), ("two", run_in_two_processes)):
        summary = run(data, tmp_path / name, config)
        yield name, summary, _outputs(tmp_path / name)


def assert_same_outputs(data: bytes, tmp_path: Path, config: PipelineConfig) -> Summary:
    """The two-process run's summary, once its files (summary.json too) are the one-process run's."""
    (_, _, one_files), (_, two, two_files) = run_both(data, tmp_path, config)
    assert sorted(two_files) == sorted(one_files)
    for name, content in one_files.items():
        assert two_files[name] == content, f"{name} differs"
    return two


def test_a_clean_file_is_split_and_written_as_one_process_writes_it(
    tmp_path: Path, config: PipelineConfig, parts_taken: list[CheckedPart | None]
) -> None:
    # Given a file of distinct rows in seven efforts, a few of them invalid, and an effort whose name
    # has to be quoted in the second half
    body = rows(3000)
    for index in (10, 1700, 2999):
        body[index] = distinct_row(index, phone_number="555-0100")
    body[2100] = distinct_row(2100, effort_name="Phones, Evening")
    data = csv_bytes(IMPACTIVE_HEADER, body)

    # When it runs in one process and in two
    summary = assert_same_outputs(data, tmp_path, config)

    # Then the second process's part was taken, and the files are the same byte for byte
    assert len(parts_taken) == 1 and parts_taken[0] is not None
    assert summary.counts.rejected == 3
    assert len([f for f in summary.files if f.system == "organizer"]) == 2


def test_rows_of_the_second_half_that_repeat_the_first_become_duplicates(
    tmp_path: Path, config: PipelineConfig, parts_taken: list[CheckedPart | None]
) -> None:
    # Given rows in the second half that repeat rows of the first: one of them twice, the second
    # time a duplicate of a duplicate as the second process saw it
    body = rows(3000)
    body[2000] = distinct_row(5, call_duration="12")  # a repeat: duration is not the interaction
    body[2500] = distinct_row(5)
    body[2600] = distinct_row(6)
    data = csv_bytes(IMPACTIVE_HEADER, body)

    # When it runs in one process and in two
    summary = assert_same_outputs(data, tmp_path, config)

    # Then the part was taken with its repeats, and all three rows are duplicates of the first half's
    part = parts_taken[0]
    assert part is not None and sorted(part.repeats) == [2002, 2602]  # spreadsheet rows: header is 1
    assert summary.counts.duplicates == 3
    duplicates = (tmp_path / "two" / "duplicates.csv").read_text().splitlines()[1:]
    assert [line.split(",")[:2] for line in duplicates] == [["2002", "7"], ["2502", "7"], ["2602", "8"]]


def test_a_repeat_in_a_second_half_without_duplicates_of_its_own(
    tmp_path: Path, config: PipelineConfig, parts_taken: list[CheckedPart | None]
) -> None:
    # Given one row in the second half that repeats a row of the first, and no other duplicate
    body = rows(3000)
    body[2400] = distinct_row(40)
    data = csv_bytes(IMPACTIVE_HEADER, body)

    # When it runs in one process and in two
    summary = assert_same_outputs(data, tmp_path, config)

    # Then the part was taken, and the repeat is the one duplicate
    part = parts_taken[0]
    assert part is not None and sorted(part.repeats) == [2402] and part.duplicates == 0
    assert summary.counts.duplicates == 1


def test_organizer_files_split_by_size_across_the_halves(
    tmp_path: Path, parts_taken: list[CheckedPart | None]
) -> None:
    # Given an Organizer file size limit that the rows cross several times, in both halves
    config = build_config({"limits": {"organizer_max_file_bytes": 20_000}})
    data = csv_bytes(IMPACTIVE_HEADER, rows(3000))

    # When it runs in one process and in two
    summary = assert_same_outputs(data, tmp_path, config)

    # Then the part was taken, and the files were numbered and filled as one process does
    assert parts_taken[0] is not None
    assert len([f for f in summary.files if f.system == "organizer"]) > 6


@pytest.mark.parametrize("where", [100, 2900], ids=["in-the-first-half", "in-the-second-half-with-a-repeat"])
def test_a_row_on_two_lines_makes_this_process_check_the_rest(
    tmp_path: Path, config: PipelineConfig, parts_taken: list[CheckedPart | None], where: int
) -> None:
    # Given a quoted cell with a line break: rows can no longer be numbered by counting line ends
    body = rows(3000)
    body[where] = distinct_row(where, effort_name="Phones\nEvening")
    body[2000] = distinct_row(5)
    data = csv_bytes(IMPACTIVE_HEADER, body)

    # When it runs in one process and in two
    summary = assert_same_outputs(data, tmp_path, config)

    # Then this process checked the second half itself, and the results are the same
    assert parts_taken in ([], [None])
    assert summary.counts.duplicates == 1


def test_a_broken_second_half_is_reported_as_one_process_reports_it(
    tmp_path: Path, config: PipelineConfig, parts_taken: list[CheckedPart | None]
) -> None:
    # Given a quote that opens in the second half and never closes: the rest reads as one cell, longer
    # than csv's limit for one (128 KiB)
    text = csv_bytes(IMPACTIVE_HEADER, rows(6000)).decode()
    lines = text.splitlines(keepends=True)
    lines[3100] = lines[3100].replace("OP-3099", '"OP-3099', 1)
    data = "".join(lines).encode()

    # When it runs in one process and in two
    (_, one, one_files), (_, two, two_files) = run_both(data, tmp_path, config)

    # Then the second process gave no part, and the run fails with the same words, naming the row
    assert parts_taken == [None]
    assert two.status == one.status == "FAILED"
    assert two.failure == one.failure and "Row 3101" in (two.failure or "")
    assert two_files == one_files


def test_windows_1252_rows_in_the_second_half_read_the_same(
    tmp_path: Path, config: PipelineConfig, parts_taken: list[CheckedPart | None]
) -> None:
    # Given an Excel file in Windows-1252 whose second half holds accented efforts and an invalid row
    body = rows(3000)
    body[2200] = distinct_row(2200, effort_name="Été Français")
    body[2300] = distinct_row(2300, call_outcome="Peut-être")
    data = csv_bytes(IMPACTIVE_HEADER, body, encoding="cp1252")

    # When it runs in one process and in two, then the files are the same
    summary = assert_same_outputs(data, tmp_path, config)
    assert parts_taken[0] is not None
    assert summary.counts.rejected == 1


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_files_full_of_repeats_are_written_as_one_process_writes_them(
    tmp_path: Path, config: PipelineConfig, parts_taken: list[CheckedPart | None], seed: int
) -> None:
    # Given rows drawn from a small pool, so that rows repeat within each half and across them, a
    # repeat of a repeat among them, with invalid and not-dialed rows mixed in
    sample = random.Random(seed)
    pool = rows(400)
    pool[7] = distinct_row(7, phone_number="555-0100")
    pool[8] = distinct_row(8, call_outcome="Not Dialed")
    pool[9] = distinct_row(9, profile_id="", van_id="")
    data = csv_bytes(IMPACTIVE_HEADER, [sample.choice(pool) for _ in range(2500)])

    # When it runs in one process and in two
    summary = assert_same_outputs(data, tmp_path, config)

    # Then the second process's part was taken with its repeats, and the files are the same
    part = parts_taken[0]
    assert part is not None and part.repeats
    assert summary.counts.duplicates > 1000
