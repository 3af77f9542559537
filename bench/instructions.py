"""Count the instructions `phonebank run` executes on a generated file, under valgrind's callgrind.

    python -m bench.instructions --rows 100000 [--shape thrutalk]

This machine's speed drifts by up to twice within minutes, so seconds from two hours never compare.
An instruction count does: callgrind gives the same total run after run (within 0.05%), whatever the
machine is doing, so two versions of the code can be compared in any hour by the work they do. It
counts work, not time: under valgrind the threads take turns, so what they overlap, what memory
costs and what the threads cost in hand-overs are not in it, and `make bench` stays the measure of
speed. The run is pinned to one core (`taskset -c 0`), as the pinned benchmark is. A 10-row run is
counted too, and taken off as the start-up; each file is run once outside valgrind first, so that
writing the bytecode caches is not counted. Runs ~60x slower than natively: 100,000 rows take about
a minute. Each run's profile goes to bench/results/callgrind-<rows>.out (for callgrind_annotate).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench.generate import SHAPES, Params
from bench.measure import CHILD_ENVIRONMENT
from bench.pairs import STARTUP_ROWS, domain_fingerprint, ensure_file, phonebank_command
from bench.run import DATA, RESULTS

_SUMMARY = "summary:"


def instructions_in(profile: Path) -> int:
    """The instructions a callgrind profile counted in all: its `summary:` line."""
    for line in profile.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(_SUMMARY):
            return int(line.removeprefix(_SUMMARY).split()[0])
    raise ValueError(f"{profile}: no '{_SUMMARY}' line, so callgrind did not finish")


def phonebank_run(input_file: Path, out: Path) -> list[str]:
    return [phonebank_command(), "run", str(input_file), "--out", str(out)]


def callgrind_command(profile: Path, input_file: Path, out: Path) -> list[str]:
    """`phonebank run` pinned to one core under callgrind, its profile to `profile`."""
    callgrind = ["taskset", "-c", "0", "valgrind", "--tool=callgrind", f"--callgrind-out-file={profile}"]
    return [*callgrind, *phonebank_run(input_file, out)]


def _in_scratch(command_into: Callable[[Path], list[str]]) -> subprocess.CompletedProcess[str]:
    """`command_into(out)` run to its end, `out` a folder removed afterwards."""
    with tempfile.TemporaryDirectory(dir=DATA, prefix=".callgrind-") as scratch:
        command = command_into(Path(scratch) / "out")
        return subprocess.run(command, env=CHILD_ENVIRONMENT, capture_output=True, text=True, check=False)


def count(input_file: Path, rows: int) -> int:
    profile = RESULTS.parent / f"callgrind-{rows}.out"
    done = _in_scratch(lambda out: callgrind_command(profile, input_file, out))
    if done.returncode != 0:
        raise SystemExit(f"bench: callgrind of {rows:,} rows failed:\n{done.stderr[-2000:]}")
    return instructions_in(profile)


def warm_up(*input_files: Path) -> None:
    """A run of each file outside valgrind first: a checkout's first run compiles every module it imports
    and writes their bytecode caches, ~0.3 G instructions that no later run executes; and a larger file
    imports modules a tiny one does not (phonenumbers' metadata of each other country it meets)."""
    for input_file in input_files:
        _in_scratch(partial(phonebank_run, input_file))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.instructions", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rows", type=int, default=100_000, help="size of the generated file (100000)")
    parser.add_argument(
        "--shape", choices=SHAPES, default="impactive", help="the dialer's columns (impactive)"
    )
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None or shutil.which("taskset") is None:
        raise SystemExit(
            "bench: counting instructions needs valgrind and taskset (Debian's valgrind, util-linux)"
        )
    DATA.mkdir(parents=True, exist_ok=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    startup_file, _ = ensure_file(Params(rows=STARTUP_ROWS, shape=args.shape), DATA)
    input_file, _ = ensure_file(Params(rows=args.rows, shape=args.shape), DATA)
    fingerprint = domain_fingerprint()
    warm_up(startup_file, input_file)
    startup = count(startup_file, STARTUP_ROWS)
    total = count(input_file, args.rows)
    work = total - startup
    print(f"domain {fingerprint}; {args.shape} files; pinned to one core, under callgrind")
    print(f"{args.rows:>12,} rows  {total:>16,} instructions")
    print(f"{STARTUP_ROWS:>12,} rows  {startup:>16,} instructions (the start-up)")
    print(f"{'the rows':>12}  {work:>16,} instructions, {work / args.rows:,.0f} a row")
    return 0


if __name__ == "__main__":
    sys.exit(main())
