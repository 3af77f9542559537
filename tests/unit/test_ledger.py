"""The export ledger on a folder: claims, commits, releases, leases, voids, races, give-backs."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from ledger_helpers import CALLED_AT, a_call

from phonebank.ledger import (
    BY_INPUT,
    BY_RUN,
    COMMIT_WITHIN,
    LEASE,
    ROW,
    SHARD,
    SYSTEM,
    WANTED_SCHEMA,
    Claim,
    Ledger,
    LedgerClaimExpired,
    day_of,
    interaction_keys,
)
from phonebank.ledger_store import FolderLedgerStore
from phonebank.models.interaction import Interaction

RUN_A, RUN_B, RUN_C = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc"


def _wanted(calls: list[Interaction], systems: tuple[str, ...] = ("organizer",)) -> pl.DataFrame:
    frame = Interaction.frame(calls)
    keyed = frame.with_columns(interaction_keys(frame), day_of(frame))
    return pl.concat(
        [keyed.select(pl.lit(system).alias(SYSTEM), "row", "key", "day") for system in systems]
    ).cast(WANTED_SCHEMA)  # type: ignore[arg-type]


def _calls(numbers: range, day: int = 11) -> list[Interaction]:
    return [
        a_call(n + 2, profile_id=f"OP-{n}", phone=f"+1301555{n:04d}", called_at=CALLED_AT.replace(day=day))
        for n in numbers
    ]


def _held_rows(claim: Claim) -> list[int]:
    return sorted(claim.held[ROW].to_list())


def test_a_committed_run_holds_its_calls_against_every_later_run(tmp_path: Path) -> None:
    # Given a ledger where run A claimed and committed ten calls
    ledger = Ledger(FolderLedgerStore(tmp_path))
    first = ledger.claim(RUN_A, "incoming/a.csv", _wanted(_calls(range(10))))
    ledger.commit(first)

    # When run B claims six of them and four more
    second = ledger.claim(RUN_B, "incoming/b.csv", _wanted(_calls(range(4, 14))))

    # Then A took all ten; B finds its first six held by A, with A's input, and takes the rest
    assert first.held.height == 0
    assert _held_rows(second) == list(range(6, 12))
    assert set(second.held[BY_RUN]) == {RUN_A}
    assert set(second.held[BY_INPUT]) == {"incoming/a.csv"}
    # And a third run holds none of them to itself: B's four are B's, while B is in its lease
    third = ledger.claim(RUN_C, "incoming/c.csv", _wanted(_calls(range(14))))
    assert third.held.group_by(BY_RUN).len().sort(BY_RUN).rows() == [(RUN_A, 10), (RUN_B, 4)]


def test_each_system_is_its_own_ledger(tmp_path: Path) -> None:
    # Given run A's calls recorded for Organizer only
    ledger = Ledger(FolderLedgerStore(tmp_path))
    ledger.commit(ledger.claim(RUN_A, "a.csv", _wanted(_calls(range(3)), ("organizer",))))

    # When run B claims the same calls for both systems
    claim = ledger.claim(RUN_B, "b.csv", _wanted(_calls(range(3)), ("organizer", "van")))

    # Then only the Organizer ones are held
    assert claim.held[SYSTEM].to_list() == ["organizer"] * 3


def test_a_released_run_holds_nothing(tmp_path: Path) -> None:
    # Given run A that claimed calls and then failed
    ledger = Ledger(FolderLedgerStore(tmp_path))
    ledger.release(ledger.claim(RUN_A, "a.csv", _wanted(_calls(range(5)))))

    # When run B claims them, then it takes them all
    assert ledger.claim(RUN_B, "b.csv", _wanted(_calls(range(5)))).held.height == 0


def test_a_claim_nobody_committed_or_released_holds_until_its_lease_ends(tmp_path: Path) -> None:
    # Given run A that claimed calls and stopped dead (no commit, no release), and a clock to move
    now = [datetime.now(UTC)]
    ledger = Ledger(FolderLedgerStore(tmp_path), clock=lambda: now[0])
    ledger.claim(RUN_A, "a.csv", _wanted(_calls(range(5))))

    # When run B claims them within A's lease, then they are held: A may still be writing its files
    assert ledger.claim(RUN_B, "b.csv", _wanted(_calls(range(5)))).held.height == 5
    # And when run C claims them once the lease is over, it takes them
    now[0] += LEASE + timedelta(seconds=1)
    assert ledger.claim(RUN_C, "c.csv", _wanted(_calls(range(5)))).held.height == 0


def test_a_retry_of_the_same_run_takes_over_what_its_failed_attempt_claimed(tmp_path: Path) -> None:
    # Given run A's first attempt, which claimed and stopped without a release
    ledger = Ledger(FolderLedgerStore(tmp_path))
    first = ledger.claim(RUN_A, "a.csv", _wanted(_calls(range(5))))

    # When the state machine retries run A
    second = ledger.claim(RUN_A, "a.csv", _wanted(_calls(range(5))))
    ledger.commit(second)

    # Then the retry holds them all, under its own token, and a later run finds them held by run A
    assert second.held.height == 0 and second.token != first.token
    later = ledger.claim(RUN_B, "b.csv", _wanted(_calls(range(5))))
    assert set(later.held[BY_RUN]) == {RUN_A}


def test_voiding_a_committed_run_releases_its_calls_for_good(tmp_path: Path) -> None:
    # Given run A, committed
    ledger = Ledger(FolderLedgerStore(tmp_path))
    ledger.commit(ledger.claim(RUN_A, "a.csv", _wanted(_calls(range(5)))))

    # When run A is voided
    ledger.void(RUN_A)

    # Then run B takes its calls, and a void of something that is no run id is refused
    assert ledger.claim(RUN_B, "b.csv", _wanted(_calls(range(5)))).held.height == 0
    with pytest.raises(ValueError, match="not a run id"):
        ledger.void("../shards")


def test_a_run_past_its_commit_window_commits_nothing(tmp_path: Path) -> None:
    # Given a claim that began longer ago than the commit window
    ledger = Ledger(FolderLedgerStore(tmp_path))
    claim = ledger.claim(RUN_A, "a.csv", _wanted(_calls(range(3))))
    late = Claim(claim.token, claim.run_id, time.monotonic() - COMMIT_WITHIN.total_seconds() - 1, claim.held)

    # When it commits, then it is refused, and the calls go to the next run once the lease is over
    with pytest.raises(LedgerClaimExpired):
        ledger.commit(late)
    assert not (tmp_path / "commits").exists()


def test_calls_of_several_days_go_to_one_shard_a_day(tmp_path: Path) -> None:
    # Given calls on three days
    ledger = Ledger(FolderLedgerStore(tmp_path))
    calls = _calls(range(3), day=10) + _calls(range(3, 6), day=11) + _calls(range(6, 9), day=12)

    # When a run claims them
    ledger.claim(RUN_A, "a.csv", _wanted(calls))

    # Then each day has a shard of its own, named by its UTC date, holding that day's calls
    shards = sorted(path.name for path in (tmp_path / "shards").iterdir())
    assert shards == ["2024-10-10.parquet", "2024-10-11.parquet", "2024-10-12.parquet"]
    assert pl.read_parquet(tmp_path / SHARD.format(day="2024-10-12")).height == 3


def test_calls_whose_days_are_not_in_order_each_reach_their_own_days_shard(tmp_path: Path) -> None:
    # Given calls whose days come out of order, one day's calls in two places
    ledger = Ledger(FolderLedgerStore(tmp_path))
    calls = (
        _calls(range(2), day=12)
        + _calls(range(2, 5), day=10)
        + _calls(range(5, 9), day=12)
        + _calls(range(9, 10), day=11)
    )

    # When run A claims and commits them, and run B claims the same calls in the opposite order
    ledger.commit(ledger.claim(RUN_A, "a.csv", _wanted(calls)))
    second = ledger.claim(RUN_B, "b.csv", _wanted(calls[::-1]))

    # Then each day's shard holds exactly that day's calls, and run B finds every call held by run A
    heights = {
        day: pl.read_parquet(tmp_path / SHARD.format(day=f"2024-10-{day}")).height for day in (10, 11, 12)
    }
    assert heights == {10: 3, 11: 1, 12: 6}
    assert _held_rows(second) == [call.row for call in sorted(calls, key=lambda call: call.row)]
    assert set(second.held[BY_RUN].cast(pl.String)) == {RUN_A}


def test_the_held_rows_come_in_order_of_row_a_rows_organizer_entry_first(tmp_path: Path) -> None:
    # Given run A's committed calls of three days, for both systems, the days out of order
    ledger = Ledger(FolderLedgerStore(tmp_path))
    calls = _calls(range(2), day=12) + _calls(range(2, 4), day=10) + _calls(range(4, 6), day=11)
    ledger.commit(ledger.claim(RUN_A, "a.csv", _wanted(calls, ("organizer", "van"))))

    # When run B claims them, then what A holds comes row by row, Organizer before VAN
    held = ledger.claim(RUN_B, "b.csv", _wanted(calls, ("van", "organizer"))).held
    assert held.select(ROW, SYSTEM).rows() == [(row, s) for row in range(2, 8) for s in ("organizer", "van")]


def test_a_shard_written_with_categorical_columns_is_read_and_extended_alike(tmp_path: Path) -> None:
    # Given run A's committed calls in a shard whose system and token are Categoricals, as written before
    ledger = Ledger(FolderLedgerStore(tmp_path))
    ledger.commit(ledger.claim(RUN_A, "a.csv", _wanted(_calls(range(3)))))
    shard = tmp_path / SHARD.format(day="2024-10-11")
    pl.read_parquet(shard).cast({SYSTEM: pl.Categorical, "token": pl.Categorical}).write_parquet(shard)

    # When run B claims those calls and two more
    second = ledger.claim(RUN_B, "b.csv", _wanted(_calls(range(5))))

    # Then A's are held by A, and the shard holds all five, each under its own run
    assert _held_rows(second) == [2, 3, 4]
    tokens = pl.read_parquet(shard)["token"].cast(pl.String).str.slice(0, 16)
    assert sorted(tokens.to_list()) == [RUN_A] * 3 + [RUN_B] * 2


def test_runs_claiming_at_once_never_take_the_samecall(tmp_path: Path) -> None:
    # Given eight runs, each with 300 people called on each of three days, each overlapping its
    # neighbours' by half
    runs = [f"{n:016x}" for n in range(8)]
    wanted = {}
    for i, run in enumerate(runs):
        calls = [c for day in (10, 11, 12) for c in _calls(range(150 * i, 150 * i + 300), day=day)]
        wanted[run] = _wanted([call.model_copy(update={"row": row}) for row, call in enumerate(calls, 2)])
    ledger = Ledger(FolderLedgerStore(tmp_path))
    start = threading.Barrier(len(runs))
    claims: dict[str, Claim] = {}

    def claim(run: str) -> None:
        start.wait()
        claims[run] = ledger.claim(run, f"{run}.csv", wanted[run])

    # When they all claim at the same moment
    threads = [threading.Thread(target=claim, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then every call was taken by exactly one run: what a run did not find held, no other took
    taken: dict[int, str] = {}
    for run in runs:
        for key in wanted[run].join(claims[run].held.select(ROW), on=ROW, how="anti")["key"].to_list():
            assert key not in taken, f"{run} and {taken[key]} both took one call"
            taken[key] = run
    assert set(taken) == set(pl.concat(wanted.values())["key"].to_list())
    # And each call a run found held is held by the run that took it
    for run in runs:
        held = claims[run].held.join(wanted[run].select(ROW, "key"), on=ROW)
        assert all(taken[key] == by for key, by in held.select("key", BY_RUN).rows())


def test_the_folder_store_writes_only_over_the_version_it_read(tmp_path: Path) -> None:
    # Given a folder store with one object
    store = FolderLedgerStore(tmp_path)
    assert store.write("shards/x", b"one", None)
    stored = store.read("shards/x")
    assert stored is not None and stored[0] == b"one"

    # When a second writer replaces it, then a write from the first version read fails, as does a create
    assert store.write("shards/x", b"two", stored[1])
    assert not store.write("shards/x", b"three", stored[1])
    assert not store.write("shards/x", b"four", None)
    current = store.read("shards/x")
    assert current is not None and current[0] == b"two"
    assert store.read("shards/missing") is None


class _FailsOnSecondShard(FolderLedgerStore):
    """A folder whose second shard write fails, as S3 might refuse it midway through a claim."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.shards_written = 0

    def write(self, name: str, data: bytes, replacing: str | None) -> bool:
        if name.startswith("shards/"):
            self.shards_written += 1
            if self.shards_written == 2:
                raise OSError("the disk refused")
        return super().write(name, data, replacing)


def test_a_claim_that_fails_midway_releases_what_it_took(tmp_path: Path) -> None:
    # Given a store that refuses the second day's shard of a claim
    store = _FailsOnSecondShard(tmp_path)
    calls = _calls(range(3), day=10) + _calls(range(3, 6), day=11)

    # When run A claims calls of two days, then it fails
    with pytest.raises(OSError, match="refused"):
        Ledger(store).claim(RUN_A, "a.csv", _wanted(calls))

    # Then the day it did claim holds nothing: run B takes every call, at once, not after the lease
    assert (tmp_path / "shards" / "2024-10-10.parquet").exists()
    assert Ledger(FolderLedgerStore(tmp_path)).claim(RUN_B, "b.csv", _wanted(calls)).held.height == 0


def _keys(calls: list[Interaction]) -> pl.DataFrame:
    frame = Interaction.frame(calls)
    return frame.select(interaction_keys(frame), day_of(frame))


def _held_by_system(claim: Claim) -> dict[str, list[int]]:
    held = claim.held.sort(ROW)
    return {system: held.filter(pl.col(SYSTEM) == system)[ROW].to_list() for system in ("organizer", "van")}


def test_giving_back_frees_only_this_runs_van_entries_for_those_calls(tmp_path: Path) -> None:
    # Given run A that exported five calls of two days to both systems, and run C three others to VAN
    ledger = Ledger(FolderLedgerStore(tmp_path))
    calls = _calls(range(3), day=10) + _calls(range(3, 5), day=11)
    others = _calls(range(5, 8), day=11)
    ledger.commit(ledger.claim(RUN_A, "a.csv", _wanted(calls, ("organizer", "van"))))
    ledger.commit(ledger.claim(RUN_C, "c.csv", _wanted(others, ("van",))))

    # When A gives back, for VAN, a call of each day (rows 3 and 5), and C's calls too by mistake
    given = ledger.give_back(RUN_A, "van", _keys([calls[1], calls[3], *others]))

    # Then only A's two VAN entries went: a later run takes those two calls for VAN, and nothing else
    assert given == 2
    later = ledger.claim(RUN_B, "b.csv", _wanted([*calls, *others], ("organizer", "van")))
    assert _held_by_system(later) == {"organizer": [2, 3, 4, 5, 6], "van": [2, 4, 6, 7, 8, 9]}
    assert set(later.held.filter(pl.col(ROW) >= 7)[BY_RUN]) == {RUN_C}
    # And giving back again takes out nothing more
    assert ledger.give_back(RUN_A, "van", _keys([calls[1], calls[3]])) == 0


class _AnotherRunWritesFirst(FolderLedgerStore):
    """A folder where run C claims calls of the same day between a give-back's read and its write."""

    def __init__(self, root: Path, others: list[Interaction]) -> None:
        super().__init__(root)
        self.others, self.refused = others, 0

    def write(self, name: str, data: bytes, replacing: str | None) -> bool:
        if name.startswith("shards/") and replacing is not None and self.others:
            others, self.others = self.others, []
            Ledger(FolderLedgerStore(self._root)).claim(RUN_C, "c.csv", _wanted(others, ("van",)))
        written = super().write(name, data, replacing)
        self.refused += not written
        return written


def test_a_give_back_that_meets_another_write_reads_the_shard_again(tmp_path: Path) -> None:
    # Given run A's committed calls, and a store where run C claims others of that day mid give-back
    calls, others = _calls(range(4)), _calls(range(4, 6))
    Ledger(FolderLedgerStore(tmp_path)).commit(
        Ledger(FolderLedgerStore(tmp_path)).claim(RUN_A, "a.csv", _wanted(calls, ("van",)))
    )
    store = _AnotherRunWritesFirst(tmp_path, others)

    # When A gives back two of its calls
    given = Ledger(store).give_back(RUN_A, "van", _keys(calls[:2]))

    # Then its first write was refused, and the second, over C's claim, kept C's entries
    assert (given, store.refused) == (2, 1)
    later = Ledger(FolderLedgerStore(tmp_path)).claim(RUN_B, "b.csv", _wanted(calls + others, ("van",)))
    assert _held_rows(later) == [4, 5, 6, 7]
    assert later.held.group_by(BY_RUN).len().sort(BY_RUN).rows() == [(RUN_A, 2), (RUN_C, 2)]
