"""Realistic dialer exports for the benchmark, written row by row so that no size needs the memory of a file.

    python -m bench.generate --rows 1000000 --shape impactive --out bench/data/impactive-1000000.csv

A file is a campaign's call attempts: a pool of people (about one for every three rows), each called
a few times over the autumn of 2024 in eight efforts, with their phone written in the five forms
dialers use. About 2 % of the rows are bad in one way (a phone that is not a number, an outcome no
dialer sends, a date that is not a date, no ID at all) and about 0.5 % repeat the row before them
exactly (a re-export); ThruTalk files also hold about 1 % "Not Dialed". Everything comes from one
seeded random.Random, so the same parameters always give the same bytes. Next to the file, a
`.meta.json` records the parameters and what was planted, so that a run can check its counts. The
values the rows are drawn from are in `bench.dialer_values`.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal

import phonenumbers

from bench.dialer_values import (
    AREA_CODES,
    BAD_IMPACTIVE_TIMES,
    BAD_PHONES,
    BAD_THRUTALK_DATES,
    CAMPAIGN_DAYS,
    EFFORTS,
    FIRST_DAY,
    FIRST_HOUR,
    FIRST_NAMES,
    IMPACTIVE_OUTCOMES,
    LAST_HOUR,
    LAST_NAMES,
    NOT_DIALED,
    THRUTALK_OUTCOMES,
    UNKNOWN_OUTCOMES,
    VOLUNTEERS,
)

# Raised whenever the same parameters give other bytes (2: bad values that issue 13 made valid replaced).
GENERATOR_VERSION = 2
"""Bump when a change makes the same parameters give other bytes (bench.dialer_values' too), so that cached
files are remade."""

Shape = Literal["impactive", "thrutalk"]
SHAPES: tuple[Shape, ...] = ("impactive", "thrutalk")
BadKind = Literal["bad_phone", "unknown_outcome", "bad_date", "missing_ids"]
BAD_KINDS: tuple[BadKind, ...] = ("bad_phone", "unknown_outcome", "bad_date", "missing_ids")

HEADERS: dict[Shape, list[str]] = {
    "impactive": [
        "Profile ID",
        "VAN ID",
        "First Name",
        "Last Name",
        "Phone Number",
        "Last Called At",
        "Call Outcome",
        "Effort Name",
        "Caller",
        "Call Duration",
    ],
    "thrutalk": [
        "Voter ID",
        "Voter ID Type",
        "Voter First Name",
        "Voter Last Name",
        "Voter Phone",
        "Date Called",
        "Time Called (EST)",
        "Caller Login",
        "Result",
    ],
}

_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class Params:
    """Everything that decides a file's bytes."""

    rows: int
    shape: Shape = "impactive"
    seed: int = 2024
    bad_rate: float = 0.02
    duplicate_rate: float = 0.005
    encoding: str = "utf-8"
    version: int = GENERATOR_VERSION

    def file_name(self) -> str:
        return f"{self.shape}-{self.rows}-seed{self.seed}.csv"


@dataclass
class Planted:
    """What the generator put in the file, to compare with what `phonebank run` counts."""

    rows: int = 0
    people: int = 0
    bad: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BAD_KINDS, 0))
    duplicates: int = 0
    not_dialed: int = 0

    @property
    def rejected(self) -> int:
        return sum(self.bad.values())


def meta_path(csv_path: Path) -> Path:
    return csv_path.with_name(csv_path.name + ".meta.json")


def _mix(value: int) -> int:
    """splitmix64's finaliser: a person's number in, 64 well-mixed bits out (their stable traits)."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def _valid_exchanges() -> list[tuple[str, str]]:
    """(area code, exchange) pairs that phonenumbers accepts as valid US numbers: no N11, no 555."""
    pairs = []
    for area in AREA_CODES:
        for exchange in range(200, 1000):
            if exchange % 100 == 11 or exchange == 555:
                continue
            if all(
                phonenumbers.is_valid_number(phonenumbers.parse(f"{area}{exchange}{line}", "US"))
                for line in ("0100", "9876")
            ):
                pairs.append((str(area), str(exchange)))
    return pairs


def _check_bad_phones() -> None:
    for text in BAD_PHONES:
        try:
            number = phonenumbers.parse(text, "US")
        except phonenumbers.NumberParseException:
            continue
        assert not phonenumbers.is_valid_number(number), f"{text!r} is a valid number, not a bad one"


_PHONE_FORMS: tuple[Callable[[str, str, str], str], ...] = (
    lambda a, e, n: f"({a}) {e}-{n}",
    lambda a, e, n: f"{a}.{e}.{n}",
    lambda a, e, n: f"+1 {a} {e} {n}",
    lambda a, e, n: f"1{a}{e}{n}",
    lambda a, e, n: f"{a}{e}{n}",
)


def _urn(outcomes: Sequence[tuple[str, int, bool]]) -> list[tuple[str, bool]]:
    """One entry per thousandth: drawing an index is faster than random.choices and just as exact."""
    return [(name, answered) for name, weight, answered in outcomes for _ in range(weight)]


class _Rows:
    """The rows of one file, drawn one at a time from a seeded generator."""

    def __init__(self, params: Params, planted: Planted) -> None:
        self.params = params
        self.planted = planted
        self.random = random.Random(params.seed).random
        self.salt = _mix(params.seed)
        self.people = max(1, params.rows // 3)
        planted.people = self.people
        self.exchanges = _valid_exchanges()
        self.outcomes = _urn(IMPACTIVE_OUTCOMES if params.shape == "impactive" else THRUTALK_OUTCOMES)
        self.dialled = [entry for entry in self.outcomes if entry[0] != NOT_DIALED]
        days = [FIRST_DAY + timedelta(days=offset) for offset in range(CAMPAIGN_DAYS)]
        self.days = [day.strftime("%m/%d/%Y") for day in days]
        self.twelve_hour = {
            hour: (f"{(hour - 1) % 12 + 1}", "AM" if hour < 12 else "PM") for hour in range(24)
        }
        self.previous: list[str] | None = None

    def _pick(self, choices: Sequence[str]) -> str:
        return choices[int(self.random() * len(choices))]

    def _person(self) -> tuple[int, int]:
        person = int(self.random() * self.people)
        return person, _mix(person ^ self.salt)

    def _phone(self, traits: int) -> str:
        area, exchange = self.exchanges[(traits >> 32) % len(self.exchanges)]
        line = f"{(traits >> 48) % 10000:04d}"
        return _PHONE_FORMS[int(self.random() * len(_PHONE_FORMS))](area, exchange, line)

    def _when(self) -> tuple[str, int, int, int]:
        day = self.days[int(self.random() * CAMPAIGN_DAYS)]
        hour = FIRST_HOUR + int(self.random() * (LAST_HOUR - FIRST_HOUR + 1))
        return day, hour, int(self.random() * 60), int(self.random() * 60)

    def _duration(self, answered: bool) -> str:
        if answered:
            return str(20 + int(self.random() * 580))
        return str(int(self.random() * 40))

    def next(self) -> list[str]:
        planted = self.planted
        planted.rows += 1
        if self.previous is not None and self.random() < self.params.duplicate_rate:
            planted.duplicates += 1
            return self.previous
        bad: BadKind | None = None
        if self.random() < self.params.bad_rate:
            bad = BAD_KINDS[int(self.random() * len(BAD_KINDS))]
            planted.bad[bad] += 1
        row = self._impactive(bad) if self.params.shape == "impactive" else self._thrutalk(bad)
        if bad is None and row[-1 if self.params.shape == "thrutalk" else 6] == NOT_DIALED:
            planted.not_dialed += 1
            self.previous = None
        else:
            self.previous = row if bad is None else None
        return row

    def _outcome(self, bad: BadKind | None) -> tuple[str, bool]:
        if bad == "unknown_outcome":
            return self._pick(UNKNOWN_OUTCOMES), True
        # A bad row is bad for its one reason only: never "Not Dialed", which would skip its checks.
        urn = self.outcomes if bad is None else self.dialled
        return urn[int(self.random() * len(urn))]

    def _impactive(self, bad: BadKind | None) -> list[str]:
        person, traits = self._person()
        has_van = (traits & 0xFF) < 218  # about 85 % of people are matched to VAN
        has_profile = not has_van or (traits >> 8) & 0xFF >= 8  # about 3 % are in VAN only
        profile_id = f"OP-{100001 + person}" if has_profile else ""
        van_id = str(100_200_000 + person) if has_van else ""
        if bad == "missing_ids":
            profile_id = van_id = ""
        phone = self._pick(BAD_PHONES) if bad == "bad_phone" else self._phone(traits)
        day, hour, minute, _ = self._when()
        twelve, half = self.twelve_hour[hour]
        called_at = (
            self._pick(BAD_IMPACTIVE_TIMES) if bad == "bad_date" else f"{day} {twelve}:{minute:02d} {half}"
        )
        outcome, answered = self._outcome(bad)
        effort = EFFORTS[
            (traits >> 40) % len(EFFORTS) if self.random() < 0.7 else int(self.random() * len(EFFORTS))
        ]
        return [
            profile_id,
            van_id,
            FIRST_NAMES[(traits >> 16) % len(FIRST_NAMES)],
            LAST_NAMES[(traits >> 24) % len(LAST_NAMES)],
            phone,
            called_at,
            outcome,
            effort,
            f"vol{1 + int(self.random() * VOLUNTEERS)}@example.org",
            self._duration(answered),
        ]

    def _thrutalk(self, bad: BadKind | None) -> list[str]:
        person, traits = self._person()
        voter_id = str(200_300_000 + person)
        id_type = "VANID" if (traits & 0xFF) < 230 else ""  # ThruTalk leaves the type empty at times
        if bad == "missing_ids":
            voter_id, id_type = ("", "VANID") if self.random() < 0.5 else (voter_id, "DWID")
        phone = self._pick(BAD_PHONES) if bad == "bad_phone" else self._phone(traits)
        day, hour, minute, second = self._when()
        if bad == "bad_date":
            day = self._pick(BAD_THRUTALK_DATES)
        outcome, _ = self._outcome(bad)
        return [
            voter_id,
            id_type,
            FIRST_NAMES[(traits >> 16) % len(FIRST_NAMES)],
            LAST_NAMES[(traits >> 24) % len(LAST_NAMES)],
            phone,
            day,
            f"{hour:02d}:{minute:02d}:{second:02d}",
            f"caller{1 + int(self.random() * VOLUNTEERS)}",
            outcome,
        ]


def generate(path: Path, params: Params) -> Planted:
    """Write the file at `path` row by row, and its `.meta.json` once it is complete."""
    if params.rows < 1:
        raise ValueError("a dialer file needs at least one row")
    _check_bad_phones()
    planted = Planted()
    rows = _Rows(params, planted)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with partial.open("w", encoding=params.encoding, newline="", buffering=1 << 20) as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADERS[params.shape])
        for _ in range(params.rows):
            writer.writerow(rows.next())
    partial.replace(path)
    meta = {"params": asdict(params), "planted": {**asdict(planted), "rejected": planted.rejected}}
    meta_path(path).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return planted


def cached(path: Path, params: Params) -> bool:
    """Whether `path` is already the file these parameters give (its meta says so and it is there)."""
    try:
        meta = json.loads(meta_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return path.is_file() and meta.get("params") == asdict(params)


def planted_of(path: Path) -> Planted:
    data = json.loads(meta_path(path).read_text(encoding="utf-8"))["planted"]
    data.pop("rejected", None)
    return Planted(**data)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, required=True, help="data rows to write (the header aside)")
    parser.add_argument(
        "--shape", choices=SHAPES, default="impactive", help="the dialer's columns (impactive)"
    )
    parser.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    parser.add_argument("--seed", type=int, default=Params.seed, help=f"random seed ({Params.seed})")
    parser.add_argument("--bad-rate", type=float, default=Params.bad_rate, help="share of bad rows (0.02)")
    parser.add_argument(
        "--duplicate-rate", type=float, default=Params.duplicate_rate, help="share of repeated rows (0.005)"
    )
    parser.add_argument(
        "--encoding", choices=("utf-8", "utf-8-sig", "cp1252"), default="utf-8", help="text encoding (utf-8)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    params = Params(
        rows=args.rows,
        shape=args.shape,
        seed=args.seed,
        bad_rate=args.bad_rate,
        duplicate_rate=args.duplicate_rate,
        encoding=args.encoding,
    )
    planted = generate(args.out, params)
    print(json.dumps({"file": str(args.out), **asdict(planted), "rejected": planted.rejected}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
