"""The next chunk made, and the last written, in threads of their own: same order, failures and files."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EVENTS
from test_golden import run_outputs
from transform_helpers import NOW, run_pipeline

from phonebank import overlap
from phonebank.config import build_config
from phonebank.exported import LedgerRun
from phonebank.ledger import Ledger
from phonebank.ledger_store import FolderLedgerStore
from phonebank.overlap import read_ahead, write_behind
from phonebank.pipeline import InputFile, run_both_steps
from phonebank.reader import OVERLAPPED_SHARE
from phonebank.sinks import LocalDirectory
from phonebank.validate import validate_upload


class Broken(Exception):
    pass


@pytest.fixture(params=[1, 2], ids=["one core", "two cores"])
def cores(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    count: int = request.param
    monkeypatch.setattr(overlap, "cores", lambda: count)
    return count


def _made(log: list[tuple[str, int]], count: int, broken_at: int | None = None) -> Iterator[int]:
    for item in range(count):
        if item == broken_at:
            raise Broken(item)
        log.append(("made", item))
        yield item


def test_items_come_in_their_order(cores: int) -> None:
    # Given items made one after another
    # When they are read ahead
    # Then the caller gets every one, in order
    assert list(read_ahead(_made([], 50))) == list(range(50))


def test_with_two_cores_the_next_item_is_made_while_this_one_is_used(cores: int) -> None:
    # Given a maker that records the thread each item is made in
    threads: list[str] = []

    def made() -> Iterator[int]:
        for item in range(3):
            threads.append(threading.current_thread().name)
            yield item

    # When the items are read ahead
    list(read_ahead(made()))

    # Then with two cores they are made in a thread of their own, with one in the caller's
    assert all(name.startswith("read-ahead") for name in threads) == (cores == 2)
    assert all(name == threading.current_thread().name for name in threads) == (cores == 1)


def test_with_two_cores_one_item_and_no_more_is_made_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given two cores, and items whose making is recorded beside their use
    monkeypatch.setattr(overlap, "cores", lambda: 2)
    log: list[tuple[str, int]] = []

    # When the caller uses each item before asking for the next
    for item in read_ahead(_made(log, 4)):
        log.append(("used", item))

    # Then item n+2 was made only once item n was used: one chunk ahead bounds the memory
    for item in range(2):
        assert log.index(("made", item + 2)) > log.index(("used", item))


def test_a_failure_making_an_item_is_raised_after_the_items_before_it(cores: int) -> None:
    # Given items whose fourth cannot be made
    used = []

    # When they are read ahead and used
    with pytest.raises(Broken):
        for item in read_ahead(_made([], 10, broken_at=3)):
            used.append(item)

    # Then the failure comes where it would without a thread: after the three before it
    assert used == [0, 1, 2]


def test_a_caller_that_stops_leaves_no_thread_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given two cores and a caller that fails on the second item
    monkeypatch.setattr(overlap, "cores", lambda: 2)
    log: list[tuple[str, int]] = []
    before = threading.active_count()

    # When it stops
    with pytest.raises(Broken):
        for item in read_ahead(_made(log, 100)):
            if item == 1:
                raise Broken(item)

    # Then at most the one item after it was made, and the thread is gone
    assert [item for what, item in log if what == "made"] == [0, 1, 2]
    assert threading.active_count() == before


def test_writes_happen_in_order_and_all_before_the_block_ends(cores: int) -> None:
    # Given a writer
    written: list[int] = []

    # When items are put behind it
    with write_behind(written.append) as put:
        for item in range(20):
            put(item)

    # Then every item was written, in order, by the block's end
    assert written == list(range(20))


def test_a_failed_write_is_raised_by_the_next_put(cores: int) -> None:
    # Given a writer that fails on its second item
    written: list[int] = []

    def write(item: int) -> None:
        if item == 1:
            raise Broken(item)
        written.append(item)

    # When three items are put
    with pytest.raises(Broken), write_behind(write) as put:
        for item in range(3):
            put(item)

    # Then the failure is raised, not lost in the thread (by the third put, or at once on one core),
    # and nothing after the failed item is written
    assert written == [0]


def test_a_failed_last_write_is_raised_on_leaving_the_block(cores: int) -> None:
    # Given a writer that fails on the last item put
    def write(item: int) -> None:
        raise Broken(item)

    # When that item is put and the block ends
    # Then the block raises the write's failure
    with pytest.raises(Broken), write_behind(write) as put:
        put(0)


def test_a_block_that_fails_waits_for_the_write_and_keeps_its_own_failure(cores: int) -> None:
    # Given a write still going when the block fails, and failing itself
    started, release = threading.Event(), threading.Event()
    finished: list[int] = []

    def write(item: int) -> None:
        started.set()
        release.wait(timeout=5)
        finished.append(item)
        raise Broken(item)

    # When the block fails while the write goes on
    with pytest.raises(KeyError), write_behind(write) as put:
        if cores == 2:
            put(0)
            started.wait(timeout=5)
            release.set()
        raise KeyError("the run's own failure")

    # Then the block's failure is the one raised, and the write had finished before the block let go
    assert finished == ([0] if cores == 2 else [])


EVERY_ROW_ON = build_config({"limits": {"max_reject_rate": 1.0}})
"""No reject rate stops a sample: every step runs."""


def _in_chunks(monkeypatch: pytest.MonkeyPatch, sample: str, chunk_bytes: int) -> bytes:
    """A bundled sample's bytes, read from here on in chunks of `chunk_bytes`."""
    monkeypatch.setattr("phonebank.reader.CHUNK_BYTES", chunk_bytes)
    return (EVENTS / f"{sample}-sample.csv").read_bytes()


def _on_one_core_and_two(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """1, then 2: the cores `phonebank.overlap` sees while each is the caller's."""
    for count in (1, 2):
        monkeypatch.setattr(overlap, "cores", lambda count=count: count)
        yield count


@pytest.mark.parametrize("sample", ["impactive", "thrutalk"])
def test_a_run_in_many_chunks_writes_the_same_files_on_one_core_and_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: str
) -> None:
    # Given a sample read in chunks of a few rows, so that several are in flight at once
    data = _in_chunks(monkeypatch, sample, 512)
    outputs = {}

    # When it runs with one core and with two
    for count in _on_one_core_and_two(monkeypatch):
        out = tmp_path / str(count)
        run_pipeline(data, out, EVERY_ROW_ON)
        outputs[count] = run_outputs(out)

    # Then every file is the same, byte for byte
    assert outputs[1] == outputs[2]
    assert "errors.csv" in outputs[2] and any(name.startswith(("organizer/", "van/")) for name in outputs[2])


def test_with_two_cores_the_validator_reads_chunks_three_quarters_as_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the Impactive sample read in chunks of 1 KB
    data = _in_chunks(monkeypatch, "impactive", 1024)
    parts = {}

    # When it is validated with one core, and with two, where four chunks are in memory at once
    for count in _on_one_core_and_two(monkeypatch):
        upload = InputFile(name="upload.csv", stream=io.BytesIO(data))
        folders = (LocalDirectory(tmp_path / f"{count}-reports"), LocalDirectory(tmp_path / f"{count}-work"))
        parts[count] = validate_upload(upload, EVERY_ROW_ON, *folders, NOW).validated_parts

    # Then with two the chunks, and so the validated rows' parts, number about four thirds as many
    assert parts[1] >= 3
    assert parts[1] / OVERLAPPED_SHARE - 1 <= parts[2] <= parts[1] / OVERLAPPED_SHARE + 1


RUN_IDS = {"first": "00000000000000f1", "again": "00000000000000a2"}


def test_a_run_with_the_ledger_records_the_same_calls_on_one_core_and_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the Impactive sample read in chunks of a few rows, uploaded twice into a ledger
    data = _in_chunks(monkeypatch, "impactive", 512)
    outputs = {}

    # When both uploads run with one core, and with two, each into a ledger of its own
    for count in _on_one_core_and_two(monkeypatch):
        ledger = Ledger(FolderLedgerStore(tmp_path / f"ledger-{count}"))
        for upload in ("first", "again"):
            out = tmp_path / f"{count}-{upload}"
            run = LedgerRun(ledger, RUN_IDS[upload], lambda: io.BytesIO(data))
            summary = run_both_steps(
                InputFile(name="upload.csv", stream=io.BytesIO(data)),
                EVERY_ROW_ON,
                LocalDirectory(out),
                NOW,
                ledger=run,
            )
            files = run_outputs(out)
            # The summary names the run's own folders: the rest of it must be the same.
            unplaced = summary.model_copy(update={"ledger": None}).model_dump_json()
            files["summary.json"] = unplaced.replace(str(out), "<out>").encode()
            outputs[(count, upload)] = files

    # Then the files are the same, byte for byte, and the second upload found every call exported
    assert outputs[(1, "first")] == outputs[(2, "first")]
    assert outputs[(1, "again")] == outputs[(2, "again")]
    assert "already-exported.csv" in outputs[(2, "again")]


def test_cores_are_counted_where_the_system_cannot_say_which_this_process_may_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a system without sched_getaffinity (macOS), with four cores
    monkeypatch.delattr(overlap.os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(overlap.os, "cpu_count", lambda: 4)

    # When the cores are counted
    # Then they are the machine's
    assert overlap.cores() == 4
