"""Time `phonebank run` against the csv floor on the same generated file (`make bench`).

    python -m bench.run --rows 100000 1000000 [5000000]

For each size: generate the dialer file once into bench/data/ (kept, and reused while the
generator's parameters are the same), then run, each in a child process of its own, (a) the floor,
a plain csv.reader + csv.writer copy of the file (`bench.floor`), and (b) `phonebank run FILE --out
DIR` end to end, start-up included. Each child's wall time is taken around it and its peak RSS from
os.wait4(), which reports on that one child only. The table goes to stdout, the details (machine,
parameters, every run, the run's summary counts) to bench/results/latest.json. The floor, a few
seconds, runs three times and its best counts; --repeat N runs phonebank N times, its best counts.
The domain's source is hashed as each phonebank run starts, so that figures from two versions of
the code never mix unseen (another change lands while the benchmark runs: it says so).

Nothing here asserts a time: the figures are for reading, not for failing a build.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.generate import SHAPES, Params, Planted, cached, generate, planted_of

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data"
RESULTS = BENCH / "results" / "latest.json"
DOMAIN = BENCH.parent / "layers" / "phonebank" / "phonebank"
STARTUP_ROWS = 10
FLOOR_REPEAT = 3
BUSY_SHARE = 0.85
"""A child that got less CPU than this share of its wall time was held back by something else running."""


@dataclass(frozen=True)
class Measurement:
    """One child process: wall time, CPU time and peak resident memory."""

    wall_s: float
    user_s: float
    sys_s: float
    peak_rss_mb: float
    exit_code: int
    load_before: float


def measure(argv: list[str], log: Path) -> Measurement:
    """Run `argv` with stdout and stderr to `log`; wait4() gives this child's own rusage."""
    load = os.getloadavg()[0]  # another heavy process on the machine shows here and as wall > CPU
    with log.open("wb") as output:
        started = time.perf_counter()
        child = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT, cwd=BENCH.parent)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return Measurement(
        wall_s=wall,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # Linux reports kilobytes
        exit_code=child.returncode,
        load_before=load,
    )


def phonebank_command() -> str:
    """The `phonebank` script of the environment running the benchmark, else the one on PATH."""
    beside = Path(sys.executable).parent / "phonebank"
    found = str(beside) if beside.exists() else shutil.which("phonebank")
    if found is None:
        raise SystemExit("bench: no `phonebank` command; run `make install` first")
    return found


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


def domain_fingerprint() -> str:
    """A hash of the domain package's source: figures from two versions of the code never mix unseen."""
    digest = hashlib.sha256()
    for path in sorted(DOMAIN.rglob("*")):
        if path.suffix in {".py", ".yaml"} and path.is_file():
            digest.update(str(path.relative_to(DOMAIN)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


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


def ensure_file(params: Params, data: Path) -> tuple[Path, Planted]:
    path = data / params.file_name()
    if cached(path, params):
        print(f"bench: reusing {path}", file=sys.stderr)
    else:
        print(f"bench: generating {params.rows:,} {params.shape} rows into {path} ...", file=sys.stderr)
        started = time.perf_counter()
        generate(path, params)
        print(f"bench: generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path, planted_of(path)


def _summary_counts(out: Path) -> dict[str, Any]:
    try:
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {"status": summary.get("status"), **summary.get("counts", {})}


def _checks(rows: int, planted: Planted, counts: dict[str, Any]) -> list[str]:
    """Where phonebank's counts differ from what the generator planted (an accident is no failure)."""
    problems = []
    if counts.get("status") != "SUCCEEDED":
        problems.append(f"status {counts.get('status')}, not SUCCEEDED")
    if counts.get("rows_read") != rows:
        problems.append(f"rows_read {counts.get('rows_read')} != {rows}")
    if counts.get("rejected") != planted.rejected:
        problems.append(f"rejected {counts.get('rejected')} != {planted.rejected} planted")
    if counts.get("not_dialed") != planted.not_dialed:
        problems.append(f"not_dialed {counts.get('not_dialed')} != {planted.not_dialed} planted")
    # Two random calls to one person can land on the same minute with the same outcome: a few more
    # duplicates than planted are the data's, not a bug.
    if counts.get("duplicates", 0) < planted.duplicates:
        problems.append(f"duplicates {counts.get('duplicates')} < {planted.duplicates} planted")
    return problems


def _best(runs: list[Measurement]) -> Measurement:
    return min(runs, key=lambda run: run.wall_s)


def bench_size(params: Params, data: Path, repeat: int) -> dict[str, Any]:
    path, planted = ensure_file(params, data)
    floors: list[Measurement] = []
    phonebanks: list[Measurement] = []
    counts: dict[str, Any] = {}
    fingerprints: set[str] = set()
    with tempfile.TemporaryDirectory(dir=data, prefix=".run-") as scratch:
        work = Path(scratch)
        for attempt in range(1, repeat + 1):
            print(f"bench: {params.rows:,} rows, run {attempt}/{repeat}: floor ...", file=sys.stderr)
            floor_command = [sys.executable, "-m", "bench.floor", str(path), str(work / "floor.csv")]
            for _ in range(FLOOR_REPEAT):  # seconds at most, and the ratio's denominator: take the best
                floors.append(measure([*floor_command, "--encoding", params.encoding], work / "floor.log"))
            print(f"bench:   floor {_best(floors).wall_s:.2f} s; phonebank run ...", file=sys.stderr)
            out = work / f"phonebank-{attempt}"
            # The child imports the domain as it starts: the source then is the code measured.
            fingerprints.add(domain_fingerprint())
            phonebanks.append(
                measure([phonebank_command(), "run", str(path), "--out", str(out)], work / "phonebank.log")
            )
            print(f"bench:   phonebank {phonebanks[-1].wall_s:.2f} s", file=sys.stderr)
            counts = _summary_counts(out)
            if floors[-1].exit_code or phonebanks[-1].exit_code:
                log = (work / "phonebank.log").read_text(errors="replace")[-2000:]
                print(
                    f"bench: a child failed (floor {floors[-1].exit_code}, phonebank "
                    f"{phonebanks[-1].exit_code}):\n{log}",
                    file=sys.stderr,
                )
            shutil.rmtree(out, ignore_errors=True)
    floor, phonebank = _best(floors), _best(phonebanks)
    checks = _checks(params.rows, planted, counts)
    for name, run in (("floor", floor), ("phonebank", phonebank)):
        share = (run.user_s + run.sys_s) / run.wall_s
        if share < BUSY_SHARE:
            checks.append(
                f"{name} had {share:.0%} of a core (the machine was busy?): its time is pessimistic"
            )
    if len(fingerprints) > 1:
        checks.append("the domain's source changed between runs of this size: run again")
    for problem in checks:
        print(f"bench: WARNING {params.rows:,} rows: {problem}", file=sys.stderr)
    return {
        "rows": params.rows,
        "file": str(path.relative_to(BENCH.parent)) if path.is_relative_to(BENCH.parent) else str(path),
        "file_mb": round(path.stat().st_size / 1024**2, 1),
        "planted": {**asdict(planted), "rejected": planted.rejected},
        "phonebank_counts": counts,
        "count_checks": checks,
        "floor": asdict(floor),
        "phonebank": asdict(phonebank),
        "floor_rows_per_s": params.rows / floor.wall_s,
        "phonebank_rows_per_s": params.rows / phonebank.wall_s,
        "ratio": phonebank.wall_s / floor.wall_s,
        "domain_fingerprints": sorted(fingerprints),
        "all_runs": {"floor": [asdict(m) for m in floors], "phonebank": [asdict(m) for m in phonebanks]},
    }


def startup(params: Params, data: Path) -> dict[str, Any]:
    """`phonebank run` on a tiny file: the interpreter, the imports and the configuration alone."""
    path, _ = ensure_file(Params(**{**asdict(params), "rows": STARTUP_ROWS}), data)
    with tempfile.TemporaryDirectory(dir=data, prefix=".run-") as scratch:
        work = Path(scratch)
        fingerprint = domain_fingerprint()
        run = measure([phonebank_command(), "run", str(path), "--out", str(work / "out")], work / "log")
    return {"rows": STARTUP_ROWS, "domain_fingerprint": fingerprint, "phonebank": asdict(run)}


def table(results: list[dict[str, Any]]) -> str:
    header = (
        f"{'rows':>10} {'floor s':>8} {'floor rows/s':>13} {'phonebank s':>12} {'phonebank rows/s':>17}"
        f" {'ratio b/a':>9} {'floor RSS MB':>13} {'phonebank RSS MB':>17} {'phonebank CPU s':>16}"
    )
    lines = [header, "-" * len(header)]
    for result in results:
        floor, phonebank = result["floor"], result["phonebank"]
        lines.append(
            f"{result['rows']:>10,} {floor['wall_s']:>8.2f} {result['floor_rows_per_s']:>13,.0f}"
            f" {phonebank['wall_s']:>12.2f} {result['phonebank_rows_per_s']:>17,.0f}"
            f" {result['ratio']:>9.1f} {floor['peak_rss_mb']:>13.1f} {phonebank['peak_rss_mb']:>17.1f}"
            f" {phonebank['user_s'] + phonebank['sys_s']:>16.2f}"
        )
    return "\n".join(lines)


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
        default=1,
        help="phonebank runs per size, the fastest reported (1); the floor runs 3x as many",
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
        bench_size(Params(**{**asdict(base), "rows": rows}), args.data, args.repeat) for rows in args.rows
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
    print(
        f"phonebank start-up ({STARTUP_ROWS} rows): {start['phonebank']['wall_s']:.2f} s, "
        f"{start['phonebank']['peak_rss_mb']:.1f} MB peak RSS"
    )
    if len(code["domain_fingerprints"]) > 1:
        print("WARNING: the domain's source changed during the benchmark; the sizes measured different code")
    for result in results:
        if result["count_checks"]:
            differences = "; ".join(result["count_checks"])
            print(f"{result['rows']:,} rows: {differences}")
    print(f"details: {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
