"""Time the Lambdas' path against the csv floor on the same generated file (`make bench`).

    python -m bench.run --rows 100000 1000000 [5000000] [--shape thrutalk]

For each size: generate the dialer file once into bench/data/ (kept, and reused while the
generator's parameters are the same), then run, each in a child process of its own, (a) the floor,
a plain csv.reader + csv.writer copy of the file (`bench.floor`), and (b) `phonebank run FILE --out
DIR` end to end, start-up included: the Lambdas' two steps, the validator's Parquet parts handed to
the transformer through a temporary folder instead of S3, and (c) the same with the export ledger,
`phonebank run FILE --out DIR --ledger LEDGER` into an empty ledger folder (every call written and
recorded: the first upload); `--ledger-again` adds (d), the same file again into the ledger (c) left
(every call already exported: a second upload). Each set runs twice over: pinned to one core
(`taskset -c 0` for every command), and unpinned. Each child's wall time is taken around it, its
CPU time and peak RSS from os.wait4(); then one more run of (a) and of (b) each way has the memory
of its whole process tree sampled while it runs, apart from the timed runs, which the sampling would
slow (`bench.measure` says what each figure covers). The table goes to stdout, the details (machine,
parameters, every run, the run's summary counts) to bench/results/latest.json. --repeat N runs N
pairs, the floor then phonebank back to back: the best of each is compared (the least disturbed run
of each, as timeit takes), and each pair's own ratio is reported too, as this machine's speed drifts
between minutes and between its two vCPUs.
The domain's source is hashed as each phonebank run starts, so that figures from two versions of
the code never mix unseen (another change lands while the benchmark runs: it says so).

The pieces: `bench.measure` measures one child and its process tree, `bench.pairs` runs each size's
pairs and checks their figures, `bench.report` makes the tables; this module is the command line.

Nothing here asserts a time: the figures are for reading, not for failing a build.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.generate import SHAPES, Params
from bench.measure import BENCH
from bench.pairs import DOMAIN, STARTUP_ROWS, bench_size, startup
from bench.report import ledger_table, memory_growth, table

DATA = BENCH / "data"
RESULTS = BENCH / "results" / "latest.json"


def machine() -> dict[str, Any]:
    model = ""
    memory_kb = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model or platform.processor(),
        "memory_gb": round(memory_kb / 1024**2, 1),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }


def git_state() -> dict[str, Any]:
    """The commit measured, and whether the domain package had uncommitted changes (read-only git)."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=BENCH.parent, capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return ""
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "domain_uncommitted": bool(git("status", "--porcelain", "--", str(DOMAIN))),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000], help="sizes to time")
    parser.add_argument(
        "--shape", choices=SHAPES, default="impactive", help="the dialer's columns (impactive)"
    )
    parser.add_argument("--seed", type=int, default=Params.seed, help=f"generator seed ({Params.seed})")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="pairs of runs per size, the floor then phonebank; the best of each is compared (3)",
    )
    parser.add_argument(
        "--ledger-again",
        action="store_true",
        help="also time the same file again into the ledger the first --ledger run left",
    )
    parser.add_argument("--data", type=Path, default=DATA, help="where generated files are kept (bench/data)")
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="the JSON written (bench/results/latest.json)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.repeat < 1 or any(rows < 1 for rows in args.rows):
        raise SystemExit("bench: --rows and --repeat must be positive")
    args.data.mkdir(parents=True, exist_ok=True)
    base = Params(rows=args.rows[0], shape=args.shape, seed=args.seed)
    code = git_state()  # before the runs: the commit the children start from
    start = startup(base, args.data)
    results = [
        bench_size(Params(**{**asdict(base), "rows": rows}), args.data, args.repeat, args.ledger_again)
        for rows in args.rows
    ]
    if git_state() != code:
        print("bench: WARNING the commit or the domain's state changed during the benchmark", file=sys.stderr)
    code["domain_fingerprints"] = sorted(
        {start["domain_fingerprint"]}
        | {version for result in results for version in result["domain_fingerprints"]}
    )
    info = machine()
    report = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "code": code,
        "params": {k: v for k, v in asdict(base).items() if k != "rows"},
        "repeat": args.repeat,
        "startup": start,
        "results": results,
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    dirty = " + uncommitted domain changes" if code["domain_uncommitted"] else ""
    print(
        f"{info['cpu_model']}, {info['nproc']} cores, {info['memory_gb']} GB; Python {info['python']}; "
        f"commit {code['commit'] or '?'}{dirty} (domain {', '.join(code['domain_fingerprints'])}); "
        f"{args.shape} files, seed {args.seed}"
    )
    print(table(results))
    for line in memory_growth(results):
        print(line)
    print(ledger_table(results))
    print(
        f"phonebank start-up ({STARTUP_ROWS} rows): {start['phonebank']['wall_s']:.2f} s, "
        f"{start['phonebank']['peak_rss_mb']:.1f} MB peak RSS"
    )
    if len(code["domain_fingerprints"]) > 1:
        print("WARNING: the domain's source changed during the benchmark; the sizes measured different code")
    for result in results:
        if result["checks"]:
            differences = "; ".join(result["checks"])
            print(f"{result['rows']:,} rows: {differences}")
    print(f"details: {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
