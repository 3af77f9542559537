"""The export ledger (spec section 5): every interaction an import file holds, per system, and its run.

Layout of a store (`ledger_store`), all objects written whole and never deleted:

    shards/<YYYY-MM-DD>.parquet   the interactions of the calls of that UTC day: system, key, token
    claims/<token>                a run's attempt began to claim (JSON: run id, input name)
    commits/<token>               its import files and summary were written: the entries hold for good
    released/<token>              it failed: its entries hold nothing
    void/<run id>                 a person said that run's files were never imported: nor do its entries

A token is `<run id>.<attempt>`: a new one for each attempt of a run, so that an attempt that failed
and a retry of the same run never share a marker. An entry holds its interaction for its system while
its token is committed, or claimed within the last `LEASE` (a run in progress), unless the token is
released or its run voided. Claiming reads each day's shard, keeps the entries that still hold, takes
the rest for its own token and writes the shard back only if no one wrote it since (a conditional
write, retried on a conflict): two runs at once never both take one interaction. A run that fails
before its commit leaves entries that hold nothing (released, or its lease over), so the ledger is
as if it had not run; committing is one object written, so it is never half done.

After a push to VAN, the calls VAN refused or left out are given back (`give_back`): that run's own
`van` entries for them are taken out of their shards, with the same conditional writes, so that the
next upload sends them to VAN again; its Organizer entries stay.

The key of an interaction is XXH3-128 of the duplicate key of spec section 1 (ids, E.164 phone, UTC
instant, outcome, effort) as text: a published hash whose output is fixed by its specification, so a
ledger outlives an upgrade of polars (whose own hashes may change) or of anything else.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import random
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from typing import Any

import polars as pl
import xxhash

from phonebank.errors import PhonebankError, StorageUnavailable
from phonebank.ledger_store import LedgerStore

SYSTEM, KEY, TOKEN, ROW, DAY = "system", "key", "token", "row", "day"
BY_RUN, BY_INPUT = "exported_by_run", "exported_from"
IDENTITY = ("called_at", "phone", "profile_id", "van_id", "outcome", "effort")
"""The duplicate key of spec section 1, in the order the key's text puts it (validate's `_IDENTITY`)."""

SHARD = "shards/{day}.parquet"
CLAIMS, COMMITS, RELEASES, VOIDS = "claims/", "commits/", "released/", "void/"
SYSTEMS = ("organizer", "van")
SYSTEM_TYPE = pl.Enum(SYSTEMS)
WANTED_SCHEMA = {SYSTEM: SYSTEM_TYPE, ROW: pl.Int64(), KEY: pl.Int128(), DAY: pl.Int32()}

LEASE = timedelta(minutes=30)
"""How long a claim holds without a commit: twice a Lambda's 15 minutes, and more than any local run."""
COMMIT_WITHIN = timedelta(minutes=25)
"""A run commits only this soon after it claimed, by its own clock: well inside the lease that others
judge by the store's clock, so that no run commits what another already took for an expired claim."""
_WRITE_TRIES = 30

RUN_ID = re.compile(r"[0-9a-f]{16}")
_SEPARATOR = "\x00"
"""Between the fields of a key's text: the reader refuses a NUL byte, so no value holds one."""


class LedgerClaimExpired(PhonebankError):
    """A run took longer than COMMIT_WITHIN between claiming and committing: it records nothing."""


def interaction_keys(calls: pl.DataFrame) -> pl.Series:
    """The ledger key of each call (`Interaction`'s columns): XXH3-128 of its identity as text
    (`key_texts`), the 16 bytes read as a little-endian signed 128-bit integer."""
    return keys_of(key_texts(calls))


def key_texts(calls: pl.DataFrame) -> pl.Series:
    """What each call's key hashes: the fields in IDENTITY's order joined by NUL, the instant as
    microseconds since 1970 UTC and a missing value as nothing. Built by polars, apart from the
    hashing, so that a thread can build one part's while another part's are hashed."""
    return calls.select(
        pl.concat_str(
            [
                pl.col("called_at").dt.epoch("us").cast(pl.String),
                *(pl.col(name).fill_null("") for name in IDENTITY[1:]),
            ],
            separator=_SEPARATOR,
        ).cast(pl.Binary)
    ).to_series()


def keys_of(texts: pl.Series) -> pl.Series:
    """The key of each of `key_texts`."""
    digests = pl.Series(KEY, list(map(xxhash.xxh3_128_digest, texts.to_list())), dtype=pl.Binary)
    return digests.bin.reinterpret(dtype=pl.Int128, endianness="little").alias(KEY)


def day_of(calls: pl.DataFrame) -> pl.Series:
    """Each call's UTC day, as days since 1970: the shard that holds it."""
    return calls.select(pl.col("called_at").dt.epoch("d").cast(pl.Int32).alias(DAY)).to_series()


@dataclass(frozen=True)
class Claim:
    """A run's attempt that took its interactions: what it may write, and what others hold."""

    token: str
    run_id: str
    started: float
    """time.monotonic() when the claim began."""
    held: pl.DataFrame
    """The wanted rows another run holds: system, row, exported_by_run, exported_from (categories)."""


@dataclass(frozen=True)
class _Markers:
    """Each token's state, as the store's folders said when a claim began."""

    claimed: dict[str, datetime]
    committed: frozenset[str]
    released: frozenset[str]
    voided: frozenset[str]

    def holds(self, token: str, run_id: str, now: datetime) -> bool:
        """Whether `token`'s entries hold their interactions against run `run_id`."""
        owner = token.partition(".")[0]
        if owner == run_id or owner in self.voided or token in self.released:
            # An earlier attempt of the same run (same input, same files) hands its entries on.
            return False
        if token in self.committed:
            return True
        claimed = self.claimed.get(token)
        # A claim not listed yet began after this one did: it is in progress.
        return claimed is None or now - claimed < LEASE


class Ledger:
    def __init__(self, store: LedgerStore, clock: Callable[[], datetime] | None = None) -> None:
        """`clock`: now, by the clock the store's write times are compared with (tests move it)."""
        self.store = store
        self._clock = clock or (lambda: datetime.now(UTC))

    @property
    def location(self) -> str:
        return self.store.location

    def claim(self, run_id: str, input_name: str, wanted: pl.DataFrame) -> Claim:
        """Take every interaction of `wanted` (WANTED_SCHEMA: system, row, key, day) that no other run
        holds for its system; the others come back in `Claim.held` with the run that holds them."""
        token = f"{run_id}.{uuid.uuid4().hex[:8]}"
        started = time.monotonic()
        body = json.dumps({"run_id": run_id, "input": input_name}).encode("utf-8")
        if not self.store.write(CLAIMS + token, body, None):
            raise StorageUnavailable("a ledger claim of this attempt exists already; retrying helps")
        claim = Claim(token=token, run_id=run_id, started=started, held=_NOTHING_HELD)
        try:
            markers = self._markers()
            now = self._clock()
            days = _by_day(wanted)

            def claim_day(day: int, rows: pl.DataFrame) -> pl.DataFrame:
                return self._claim_day(_day_name(day), rows, token, markers, now)

            with ThreadPoolExecutor(max_workers=min(self.store.parallel, max(len(days), 1))) as pool:
                held = list(pool.map(claim_day, days.keys(), days.values()))
            held_rows = self._with_runs(pl.concat([_NOTHING_HELD, *held]))
        except BaseException:
            # Some days may be claimed already: they must not hold until the lease runs out.
            with contextlib.suppress(Exception):
                self.release(claim)
            raise
        return dataclasses.replace(claim, held=held_rows)

    def commit(self, claim: Claim) -> None:
        """The run's files are written: its entries hold for good. One object, written once."""
        if time.monotonic() - claim.started > COMMIT_WITHIN.total_seconds():
            raise LedgerClaimExpired(
                f"the run took over {COMMIT_WITHIN} from claiming its calls in the ledger to committing "
                "them, so others may have taken them: it records nothing"
            )
        self.store.write(COMMITS + claim.token, b"{}", None)

    def release(self, claim: Claim) -> None:
        """The run failed: its entries hold nothing from now on."""
        self.store.write(RELEASES + claim.token, b"{}", None)

    def void(self, run_id: str) -> None:
        """The files of run `run_id` were never imported: its entries hold nothing, for good."""
        if not RUN_ID.fullmatch(run_id):
            raise ValueError(f"{run_id!r} is not a run id (16 characters 0-9 and a-f)")
        self.store.write(VOIDS + run_id, b"", None)

    def give_back(self, run_id: str, system: str, calls: pl.DataFrame) -> int:
        """Take run `run_id`'s own entries for `system` of `calls` (key, day) out of their shards, as a
        claim writes them (conditionally, again on a conflict): the next run may export those calls to
        `system` again. Other systems' entries and other runs' stay. Returns how many were taken out;
        a second time takes out none."""
        days = calls.partition_by(DAY, as_dict=True, include_key=False)

        def give_back_day(day: tuple[Any, ...], rows: pl.DataFrame) -> int:
            return self._give_back_day(_day_name(day[0]), run_id, system, rows[KEY])

        with ThreadPoolExecutor(max_workers=min(self.store.parallel, max(len(days), 1))) as pool:
            return sum(pool.map(give_back_day, days.keys(), days.values()))

    def _give_back_day(self, day: str, run_id: str, system: str, keys: pl.Series) -> int:
        name = SHARD.format(day=day)
        given = (
            (pl.col(SYSTEM).cast(pl.String) == system)
            & pl.col(TOKEN).cast(pl.String).str.starts_with(f"{run_id}.")
            & pl.col(KEY).is_in(keys.implode())
        )
        for attempt in range(_WRITE_TRIES):
            stored = self.store.read(name)
            if stored is None:
                return 0
            shard = pl.read_parquet(stored[0])
            kept = shard.filter(~given)
            if kept.height == shard.height:
                return 0
            if self.store.write(name, _parquet(kept), stored[1]):
                return shard.height - kept.height
            time.sleep(random.uniform(0, min(0.05 * 2**attempt, 2.0)))
        raise StorageUnavailable(f"the ledger's {name} kept changing under this run; retrying helps")

    def runs(self) -> set[str]:
        """Every run that ever claimed in this ledger."""
        return {token.partition(".")[0] for token in self.store.written_at(CLAIMS)}

    def _markers(self) -> _Markers:
        voided = {name.partition("/")[0] for name in self.store.written_at(VOIDS)}
        return _Markers(
            claimed=self.store.written_at(CLAIMS),
            committed=frozenset(self.store.written_at(COMMITS)),
            released=frozenset(self.store.written_at(RELEASES)),
            voided=frozenset(voided),
        )

    def _claim_day(
        self, day: str, ours: pl.DataFrame, token: str, markers: _Markers, now: datetime
    ) -> pl.DataFrame:
        """Claim one day's interactions in its shard; return the rows held by others, with their token."""
        name = SHARD.format(day=day)
        run_id = token.partition(".")[0]
        for attempt in range(_WRITE_TRIES):
            stored = self.store.read(name)
            kept = _holding(pl.read_parquet(stored[0]), markers, run_id, now) if stored else None
            held, new = _held_and_new(ours, kept) if kept is not None else (_NOTHING_HELD, ours)
            if not new.height:
                return held
            if self.store.write(name, _parquet(_shard(kept, new, token)), stored[1] if stored else None):
                return held
            # Another run wrote the shard since it was read: read it again, after a little while.
            time.sleep(random.uniform(0, min(0.05 * 2**attempt, 2.0)))
        raise StorageUnavailable(f"the ledger's {name} kept changing under this run; retrying helps")

    def _with_runs(self, held: pl.DataFrame) -> pl.DataFrame:
        """The holders' run ids and input names, from their claims (a few runs, read once each), joined
        to the held rows by token: no text is made for each row. In order of row, a row's Organizer
        entry before its VAN one (one number to sort by costs half what the two columns do)."""
        tokens = held[TOKEN].unique().cast(pl.String).to_list()
        inputs = []
        for token in tokens:
            stored = self.store.read(CLAIMS + token)
            inputs.append(json.loads(stored[0]).get("input", "") if stored else "")
        holders = pl.DataFrame(
            {TOKEN: tokens, BY_RUN: [token.partition(".")[0] for token in tokens], BY_INPUT: inputs},
            schema={TOKEN: pl.Categorical, BY_RUN: pl.Categorical, BY_INPUT: pl.Categorical},
        )
        in_order = pl.col(ROW) * len(SYSTEMS) + pl.col(SYSTEM).to_physical()
        return held.join(holders, on=TOKEN, how="left").sort(in_order).select(SYSTEM, ROW, BY_RUN, BY_INPUT)


_NOTHING_HELD = pl.DataFrame(schema={SYSTEM: SYSTEM_TYPE, ROW: pl.Int64, TOKEN: pl.Categorical})
"""Rows held by others, a day's: the token as a category, as the run and input are once known (a second
upload of a million calls holds as many rows, but only a few runs)."""


def _holding(entries: pl.DataFrame, markers: _Markers, run_id: str, now: datetime) -> pl.DataFrame:
    """The entries of a shard that hold their interaction against run `run_id`."""
    tokens = entries[TOKEN].unique().to_list()
    holding = [token for token in tokens if markers.holds(token, run_id, now)]
    return entries if len(holding) == len(tokens) else entries.filter(pl.col(TOKEN).is_in(holding))


def _held_and_new(ours: pl.DataFrame, kept: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`ours` (a run's rows of one day: system, row, key) split into those `kept` holds, with the token
    that holds each, and the others. Per system, by membership of the key (faster than joins)."""
    if not kept.height:
        return _NOTHING_HELD, ours
    held, new = [], []
    for system in ours[SYSTEM].unique(maintain_order=True).to_list():
        rows = ours.filter(pl.col(SYSTEM) == system)
        theirs = kept.filter(pl.col(SYSTEM) == system)
        if not theirs.height:
            new.append(rows)
            continue
        taken = rows.select(pl.col(KEY).is_in(theirs[KEY].implode())).to_series()
        found = rows.filter(taken)
        tokens = theirs[TOKEN].unique()
        if tokens.len() == 1:
            found = found.with_columns(pl.lit(tokens[0]).cast(pl.Categorical).alias(TOKEN))
        else:
            found = found.join(theirs.select(KEY, TOKEN), on=KEY, how="left")
        held.append(found.select(SYSTEM, ROW, pl.col(TOKEN).cast(pl.Categorical)))
        new.append(rows.filter(~taken))
    return pl.concat([_NOTHING_HELD, *held]), pl.concat(new) if new else ours.clear()


def _shard(kept: pl.DataFrame | None, new: pl.DataFrame, token: str) -> pl.DataFrame:
    """A day's shard to write: the entries `kept`, and the `new` rows (system, key) under `token`. The
    system and the token are Enums, the token's of the tokens in the shard: the file holds them as
    dictionary-encoded text, as it would Categoricals, which polars writes several times slower."""
    tokens = pl.Enum(sorted({token, *(kept[TOKEN].unique().cast(pl.String) if kept is not None else ())}))
    added = new.select(KEY, SYSTEM, pl.lit(token, dtype=tokens).alias(TOKEN))
    if kept is None:
        return added
    # A shard written before the token was an Enum holds Categoricals: the casts read both alike.
    return pl.concat([kept.select(KEY, pl.col(SYSTEM).cast(SYSTEM_TYPE), pl.col(TOKEN).cast(tokens)), added])


def _by_day(wanted: pl.DataFrame) -> dict[int, pl.DataFrame]:
    """Each day's rows of `wanted`, without its day: slices when `wanted` is in order of day (no copy of
    what may be millions of rows), else a sorted copy's."""
    if not wanted[DAY].is_sorted():
        wanted = wanted.sort(DAY, maintain_order=True)
    days, offset = {}, 0
    for day, length in wanted[DAY].rle().struct.unnest().select("value", "len").iter_rows():
        days[day] = wanted.slice(offset, length).drop(DAY)
        offset += length
    return days


def _day_name(day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=day)).isoformat()


def _parquet(shard: pl.DataFrame) -> bytes:
    data = BytesIO()
    # Keys are random bits, which no codec shrinks; the system and token columns are dictionary-encoded.
    shard.write_parquet(data, compression="uncompressed", statistics=False)
    return data.getvalue()
