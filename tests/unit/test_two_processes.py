"""`phonebank run` with a second process taking the later rows of the file: the same files, byte for
byte, as one process writes, whatever the parts hold, whichever process is faster; and one process's
path whenever it must."""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from test_golden import _outputs
from transform_helpers import run_in_one_pass, run_in_two_processes
from validation_helpers import IMPACTIVE_HEADER, csv_bytes, impactive_row

from phonebank import halves
from phonebank.config import PipelineConfig, build_config
from phonebank.halves import ForkedLaterRows
from phonebank.models.summary import Summary
from phonebank.validate import CheckedPart, CheckFrom

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


Taken = list[CheckedPart | CheckFrom]


@pytest.fixture
def parts_taken(monkeypatch: pytest.MonkeyPatch) -> Taken:
    """What ForkedLaterRows.parts gave, in order: parts, and where this process checked the rest."""
    taken: Taken = []
    parts = ForkedLaterRows.parts

    def spy(self: ForkedLaterRows, *args: Any) -> Iterator[CheckedPart | CheckFrom]:
        for part in parts(self, *args):
            taken.append(part)
            yield part

    monkeypatch.setattr(ForkedLaterRows, "parts", spy)
    return taken


@pytest.fixture
def middle_claimed(monkeypatch: pytest.MonkeyPatch) -> None:
    claim_a_middle(monkeypatch)


@pytest.fixture(params=[1, 2], ids=["one-part", "a-middle-claimed-too"])
def parts_given(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """The parts the other process gives: its own, or a middle it claims too (`claim_a_middle`)."""
    if request.param == 2:
        claim_a_middle(monkeypatch)
    return int(request.param)


def claim_a_middle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second process finishes first and claims rows of the first's: the first reads batches of
    100 rows and, after row 301, waits until the other has claimed (or found too few to claim)."""
    monkeypatch.setattr("phonebank.validate.BATCH_ROWS", 100)
    monkeypatch.setattr("phonebank.halves._MIN_CLAIM", 100)
    claimed = multiprocessing.get_context("fork").Event()
    claim, reserve = halves._claim_middle, ForkedLaterRows._reserve

    def claim_then_tell(*args: Any) -> Any:
        try:
            return claim(*args)
        finally:
            claimed.set()

    def reserve_once_claimed(self: ForkedLaterRows, end: int) -> int:
        if end > 302:
            claimed.wait(timeout=60)
        return reserve(self, end)

    monkeypatch.setattr(halves, "_claim_middle", claim_then_tell)
    monkeypatch.setattr(ForkedLaterRows, "_reserve", reserve_once_claimed)


def checked(taken: Taken) -> list[CheckedPart]:
    """The parts taken, once every item taken is one."""
    assert all(isinstance(part, CheckedPart) for part in taken), taken
    return [part for part in taken if isinstance(part, CheckedPart)]


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
    tmp_path: Path, config: PipelineConfig, parts_taken: Taken, parts_given: int
) -> None:
    # Given a file of distinct rows in seven efforts, invalid ones in every part (a middle claimed
    # or not: rows ~550-1,650), and an effort whose name has to be quoted in the other's rows
    body = rows(3000)
    for index in (10, 1000, 2500):
        body[index] = distinct_row(index, phone_number="555-0100")
    body[2100] = distinct_row(2100, effort_name="Phones, Evening")
    data = csv_bytes(IMPACTIVE_HEADER, body)

    # When it runs in one process and in two
    summary = assert_same_outputs(data, tmp_path, config)

    # Then the other process's parts were taken, each with its invalid row, and the files are the
    # same byte for byte
    parts = checked(parts_taken)
    assert [part.errors for part in parts] == [1] * parts_given
    assert sum(part.counts["rows_read"] for part in parts) > 1300
    assert summary.counts.rejected == 3
    assert len([f for f in summary.files if f.system == "organizer"]) == 2


def test_rows_of_the_other_part_that_repeat_earlier_rows_become_duplicates(
    tmp_path: Path, config: PipelineConfig, parts_taken: Taken
) -> None:
    # Given rows in the other's part that repeat rows of this one's: one of them twice, the second
    # time a duplicate of a duplicate as the second process saw it
    body = rows(3000)
    body[2000] = distinct_row(5, call_duration="12")  # a repeat: duration is not the interaction
    body[2500] = distinct_row(5)
    body[2600] = distinct_row(6)
    data = csv_bytes(IMPACTIVE_HEADER, body)

    # When it runs in one process and in two
    summary = assert_same_outputs(data, tmp_path, config)

    # Then the part was taken with its repeats, and all three rows are duplicates of earlier rows
    [part] = checked(parts_taken)
    assert sorted(part.repeats) == [2002, 2602]  # spreadsheet rows: header is 1
    assert summary.counts.duplicates == 3
    duplicates = (tmp_path / "two" / "duplicates.csv").read_text().splitlines()[1:]
    assert [line.split(",")[:2] for line in duplicates] == [["2002", "7"], ["2502", "7"], ["2602", "8"]]


def test_a_repeat_in_the_other_part_without_duplicates_of_its_own(
    tmp_path: Path, config: PipelineConfig, parts_taken: Taken
) -> None:
    # Given one row in the other's part that repeats an earlier row, and no other duplicate
    body = rows(3000)
    body[2400] = distinct_row(40)
    data = csv_bytes(IMPACTIVE_HEADER, body)

    # When it runs in one process and in two
    summary = assert_same_outputs(data, tmp_path, config)

    # Then the part was taken, and the repeat is the one duplicate
    [part] = checked(parts_taken)
    assert sorted(part.repeats) == [2402] and part.duplicates == 0
    assert summary.counts.duplicates == 1


def test_organizer_files_split_by_size_across_the_parts(
    tmp_path: Path, parts_taken: Taken, parts_given: int
) -> None:
    # Given an Organizer file size limit that the rows cross several times, in every part
    config = build_config({"limits": {"organizer_max_file_bytes": 20_000}})
    data = csv_bytes(IMPACTIVE_HEADER, rows(3000))

    # When it runs in one process and in two
    summary = assert_same_outputs(data, tmp_path, config)

    # Then the parts were taken, and the files were numbered and filled as one process does
    assert len(checked(parts_taken)) == parts_given
    assert len([f for f in summary.files if f.system == "organizer"]) > 6


class LineBreak(NamedTuple):
    """Where a quoted line break is, whether the other process claims a middle, what it gives."""

    row_index: int
    claimed: bool
    taken: list[type]


@pytest.mark.parametrize(
    "case",
    [
        LineBreak(100, claimed=False, taken=[]),
        LineBreak(2900, claimed=False, taken=[CheckFrom]),
        LineBreak(1000, claimed=True, taken=[CheckFrom]),
        LineBreak(2900, claimed=True, taken=[CheckedPart, CheckFrom]),
    ],
    ids=[
        "before-the-other-part",
        "in-the-other-part-with-a-repeat",
        "in-a-claimed-middle",
        "in-the-last-part-after-a-middle",
    ],
)
def test_a_row_on_two_lines_makes_this_process_check_from_there(
    tmp_path: Path,
    config: PipelineConfig,
    parts_taken: Taken,
    monkeypatch: pytest.MonkeyPatch,
    case: LineBreak,
) -> None:
    # Given a quoted cell with a line break: rows can no longer be numbered by counting line ends;
    # a repeat in the last part; and a middle claimed by the other process, or none
    body = rows(3000)
    body[case.row_index] = distinct_row(case.row_index, effort_name="Phones\nEvening")
    body[2000] = distinct_row(5)
    data = csv_bytes(IMPACTIVE_HEADER, body)
    if case.claimed:
        claim_a_middle(monkeypatch)

    # When it runs in one process and in two
    summary = assert_same_outputs(data, tmp_path, config)

    # Then this process took the parts before that row's (if any; it never asks when the row is its
    # own), checked the rest itself, and the results are the same
    assert [type(part) for part in parts_taken] == case.taken
    assert summary.counts.duplicates == 1


def test_a_broken_other_part_is_reported_as_one_process_reports_it(
    tmp_path: Path, config: PipelineConfig, parts_taken: Taken, parts_given: int
) -> None:
    # Given a quote that never closes (the rest reads as one cell, longer than csv's limit for one,
    # 128 KiB), opening in the other process's own rows, or in the middle it claims
    line = {1: 4100, 2: 2000}[parts_given]
    text = csv_bytes(IMPACTIVE_HEADER, rows(6000)).decode()
    lines = text.splitlines(keepends=True)
    lines[line] = lines[line].replace(f"OP-{line - 1}", f'"OP-{line - 1}', 1)
    data = "".join(lines).encode()

    # When it runs in one process and in two
    (_, one, one_files), (_, two, two_files) = run_both(data, tmp_path, config)

    # Then the part that holds it was not given, and the run fails with the same words, naming the row
    assert [type(part) for part in parts_taken] == [CheckFrom]
    assert two.status == one.status == "FAILED"
    assert two.failure == one.failure and f"Row {line + 1}" in (two.failure or "")
    assert two_files == one_files


def test_windows_1252_rows_in_the_other_part_read_the_same(
    tmp_path: Path, config: PipelineConfig, parts_taken: Taken
) -> None:
    # Given an Excel file in Windows-1252 whose other part holds accented efforts, an invalid row, and
    # a repeat of an accented row of this process's part (its line is read again, and decoded)
    body = rows(3000)
    body[10] = body[2500] = distinct_row(10, effort_name="Équipe Québec")
    body[2200] = distinct_row(2200, effort_name="Été Français")
    body[2300] = distinct_row(2300, call_outcome="Peut-être")
    data = csv_bytes(IMPACTIVE_HEADER, body, encoding="cp1252")

    # When it runs in one process and in two, then the files are the same
    summary = assert_same_outputs(data, tmp_path, config)
    [part] = checked(parts_taken)
    assert sorted(part.repeats) == [2502] and "Équipe Québec" in part.repeats[2502].cells
    assert (summary.counts.rejected, summary.counts.duplicates) == (1, 1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_files_full_of_repeats_are_written_as_one_process_writes_them(
    tmp_path: Path, config: PipelineConfig, parts_taken: Taken, parts_given: int, seed: int
) -> None:
    # Given rows drawn from a small pool, so that rows repeat within each part and across them, a
    # repeat of a repeat among them, with invalid and not-dialed rows mixed in
    sample = random.Random(seed)
    pool = rows(400)
    pool[7] = distinct_row(7, phone_number="555-0100")
    pool[8] = distinct_row(8, call_outcome="Not Dialed")
    pool[9] = distinct_row(9, profile_id="", van_id="")
    data = csv_bytes(IMPACTIVE_HEADER, [sample.choice(pool) for _ in range(2500)])

    # When it runs in one process and in two
    summary = assert_same_outputs(data, tmp_path, config)

    # Then the other process's parts were taken, each with rows that repeat earlier ones
    parts = checked(parts_taken)
    assert len(parts) == parts_given and all(part.repeats for part in parts)
    assert summary.counts.duplicates > 1000


# The other process finishes first and claims rows this one had not reached (the middle part)


@pytest.mark.usefixtures("middle_claimed")
def test_repeats_across_three_parts_become_duplicates_of_the_earliest_row(
    tmp_path: Path, config: PipelineConfig, parts_taken: Taken
) -> None:
    # Given rows that repeat across the three parts (this process's first ~550 rows, the claimed
    # middle, the last ~1,350): the middle repeats the first; the last repeats the middle, the first,
    # and a middle row twice (the second time a duplicate of a duplicate as the other process saw it)
    body = rows(3000)
    body[1000] = distinct_row(5)
    body[1400] = distinct_row(1350)
    body[2000] = distinct_row(1200)
    body[2100] = distinct_row(5)
    body[2200] = distinct_row(1300)
    body[2300] = distinct_row(1300)
    data = csv_bytes(IMPACTIVE_HEADER, body)

    # When it runs in one process, and in two where the other claims rows of this one's
    summary = assert_same_outputs(data, tmp_path, config)

    # Then each part's repeats were found in the rows before it, and each duplicate names the earliest
    middle, last = checked(parts_taken)
    assert (sorted(middle.repeats), sorted(last.repeats)) == ([1002], [2002, 2102, 2202])
    duplicates = (tmp_path / "two" / "duplicates.csv").read_text().splitlines()[1:]
    assert [line.split(",")[:2] for line in duplicates] == [
        ["1002", "7"],
        ["1402", "1352"],
        ["2002", "1202"],
        ["2102", "7"],
        ["2202", "1302"],
        ["2302", "1302"],
    ]
    assert summary.counts.duplicates == 6
