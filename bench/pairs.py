"""Each size's runs: the generated file, then pairs of children (the floor, then `phonebank run`, and
`phonebank run --ledger` beside each), pinned to one core and unpinned, the best of each compared;
then one more run of the floor and of phonebank each way, sampled for memory.

`bench_size` times one size and `startup` phonebank's start-up on a tiny file; what they return is
what bench/results/latest.json holds for them. Here too are the checks on their figures (counts
against what the generator planted, a child held back, a peak sampled short), the `phonebank`
command the children run, and the domain's fingerprint, taken as each phonebank run starts.
"""

from __future__ import annotations

import hashlib
import json
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.generate import Params, Planted, cached, generate, planted_of
from bench.measure import BENCH, Measurement, measure

DOMAIN = BENCH.parent / "layers" / "phonebank" / "phonebank"
STARTUP_ROWS = 10
BUSY_SHARE = 0.85
"""A child that got less CPU than this share of its wall time was held back by something else running."""
SAMPLED_SHARE = 0.9
SAMPLED_MIN_S = 0.5
"""The floor is one process of flat memory: if it ran SAMPLED_MIN_S or more and its sampled RSS is below
SAMPLED_SHARE of its own wait4() peak, the samples miss peaks and the tree figures are low."""


def phonebank_command() -> str:
    """The `phonebank` script of the environment running the benchmark, else the one on PATH."""
    beside = Path(sys.executable).parent / "phonebank"
    found = str(beside) if beside.exists() else shutil.which("phonebank")
    if found is None:
        raise SystemExit("bench: no `phonebank` command; run `make install` first")
    return found


def domain_fingerprint() -> str:
    """A hash of the domain package's source: figures from two versions of the code never mix unseen."""
    digest = hashlib.sha256()
    for path in sorted(DOMAIN.rglob("*")):
        if path.suffix in {".py", ".yaml"} and path.is_file():
            digest.update(str(path.relative_to(DOMAIN)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


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


def _ledger_bytes(ledger: Path) -> int:
    """The ledger folder's size: its shards and its markers (one small file each)."""
    return sum(path.stat().st_size for path in ledger.rglob("*") if path.is_file())


def _written(out: Path) -> int:
    """The calls a run wrote, over both systems: what its ledger records."""
    try:
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    return sum(int(counts.get("written", 0)) for counts in summary.get("systems", {}).values())


def _best(runs: list[Measurement]) -> Measurement:
    return min(runs, key=lambda run: run.wall_s)


PLACEMENTS: dict[str, list[str]] = {"pinned": ["taskset", "-c", "0"], "unpinned": []}
"""How each pair runs: both on one core (what a 1,769 MB Lambda gets), and both free to use the
machine's cores (polars' threads may use two)."""


def bench_size(params: Params, data: Path, repeat: int, ledger_again: bool = False) -> dict[str, Any]:
    path, planted = ensure_file(params, data)
    result: dict[str, Any] = {"rows": params.rows, "shape": params.shape}
    counts: dict[str, Any] = {}
    fingerprints: set[str] = set()
    ledger_size: dict[str, int] = {}
    with tempfile.TemporaryDirectory(dir=data, prefix=".run-") as scratch:
        work = Path(scratch)
        floor_command = [sys.executable, "-m", "bench.floor", str(path), str(work / "floor.csv")]
        floor_command += ["--encoding", params.encoding]
        run_command = [phonebank_command(), "run", str(path)]
        for placement, prefix in PLACEMENTS.items():
            floors: list[Measurement] = []
            phonebanks: list[Measurement] = []
            ledgers: dict[str, list[Measurement]] = {"ledger": [], **({"again": []} if ledger_again else {})}
            for attempt in range(1, repeat + 1):
                print(
                    f"bench: {params.rows:,} rows, {placement}, pair {attempt}/{repeat}: floor ...",
                    file=sys.stderr,
                )
                floors.append(measure([*prefix, *floor_command], work / "floor.log", sampled=False))
                print(f"bench:   floor {floors[-1].wall_s:.2f} s; phonebank run ...", file=sys.stderr)
                out = work / f"phonebank-{attempt}"
                # The child imports the domain as it starts: the source then is the code measured.
                fingerprints.add(domain_fingerprint())
                command = [*prefix, *run_command, "--out", str(out)]
                phonebanks.append(measure(command, work / "phonebank.log", sampled=False))
                print(f"bench:   phonebank {phonebanks[-1].wall_s:.2f} s", file=sys.stderr)
                counts = _summary_counts(out)
                _tell_if_failed("the floor", floors[-1], work / "floor.log")
                _tell_if_failed("phonebank run", phonebanks[-1], work / "phonebank.log")
                shutil.rmtree(out, ignore_errors=True)
                ledger = work / f"ledger-{attempt}"
                for name, runs in ledgers.items():
                    fingerprints.add(domain_fingerprint())
                    ledger_command = [*command, "--ledger", str(ledger)]
                    runs.append(measure(ledger_command, work / f"{name}.log", sampled=False))
                    print(f"bench:   phonebank --ledger ({name}) {runs[-1].wall_s:.2f} s", file=sys.stderr)
                    _tell_if_failed(f"phonebank --ledger ({name})", runs[-1], work / f"{name}.log")
                    if name == "ledger":
                        ledger_size = {"bytes": _ledger_bytes(ledger), "interactions": _written(out)}
                    shutil.rmtree(out, ignore_errors=True)
                shutil.rmtree(ledger, ignore_errors=True)
            result[placement] = _compared(floors, phonebanks, params.rows)
            fingerprints.add(domain_fingerprint())
            result[placement]["memory"] = _memory([*prefix, *floor_command], [*prefix, *run_command], work)
            result[placement]["ledger"] = {
                name: _with_ledger(phonebanks, runs) for name, runs in ledgers.items()
            }
    checks = _checks(params.rows, planted, counts)
    for placement in PLACEMENTS:
        checks += [f"{placement}: {problem}" for problem in _measurement_checks(result[placement], placement)]
    if len(fingerprints) > 1:
        checks.append("the domain's source changed between runs of this size: run again")
    for problem in checks:
        print(f"bench: WARNING {params.rows:,} rows: {problem}", file=sys.stderr)
    return {
        **result,
        "ledger_size": ledger_size,
        "planted": asdict(planted),
        "phonebank_counts": counts,
        "checks": checks,
        "domain_fingerprints": sorted(fingerprints),
    }


def _measurement_checks(compared: dict[str, Any], placement: str) -> list[str]:
    """Where a measurement says less than it seems to: a child held back, or a peak sampled short."""
    checks = []
    floor, phonebank = compared["floor"], compared["phonebank"]
    for name, run in (("floor", floor), ("phonebank", phonebank)):
        share = (run["user_s"] + run["sys_s"]) / run["wall_s"]
        # Unpinned, phonebank may use more than one core: only a pinned run is held to one core's share.
        if share < BUSY_SHARE and (placement == "pinned" or name == "floor"):
            checks.append(
                f"{name} had {share:.0%} of a core (the machine was busy?): its time is pessimistic"
            )
    # A child's wait4() peak starts at this process's own high-water RSS (see `measure`), which stays put
    # while the children run (the file was generated before): a child's peak no higher is this process's.
    spawner_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    memory = compared["memory"]
    for name, run in (("floor", floor), ("phonebank", phonebank)):
        if run["peak_rss_mb"] <= spawner_mb:
            checks.append(
                f"{name}'s wait4 peak RSS ({run['peak_rss_mb']:.1f} MB) is the bench process's, not its own: "
                f"its sampled {memory[name]['tree_peak_rss_mb']:.1f} MB is the figure"
            )
    sampled = memory["floor"]
    if (
        sampled["peak_rss_mb"] > spawner_mb
        and sampled["wall_s"] >= SAMPLED_MIN_S
        and sampled["tree_peak_rss_mb"] / sampled["peak_rss_mb"] < SAMPLED_SHARE
    ):
        checks.append(
            f"the floor's sampled RSS ({sampled['tree_peak_rss_mb']:.1f} MB) missed its peak "
            f"({sampled['peak_rss_mb']:.1f} MB): the tree figures are low"
        )
    return checks


def _compared(floors: list[Measurement], phonebanks: list[Measurement], rows: int) -> dict[str, Any]:
    floor, phonebank = _best(floors), _best(phonebanks)
    return {
        "floor": asdict(floor),
        "phonebank": asdict(phonebank),
        "floor_rows_per_s": rows / floor.wall_s,
        "phonebank_rows_per_s": rows / phonebank.wall_s,
        "ratio": phonebank.wall_s / floor.wall_s,
        "pair_ratios": [b.wall_s / a.wall_s for a, b in zip(floors, phonebanks, strict=True)],
        "all_runs": {"floor": [asdict(m) for m in floors], "phonebank": [asdict(m) for m in phonebanks]},
    }


def _memory(floor_command: list[str], run_command: list[str], work: Path) -> dict[str, Any]:
    """One more run of the floor and of phonebank, each sampled for its process tree's memory. Their
    times are not compared: the sampling slows the run it samples (`bench.measure.measure`)."""
    out = work / "phonebank-memory"
    runs = {
        "floor": measure(floor_command, work / "floor.log", sampled=True),
        "phonebank": measure([*run_command, "--out", str(out)], work / "phonebank.log", sampled=True),
    }
    shutil.rmtree(out, ignore_errors=True)
    for name, run in runs.items():
        _tell_if_failed(f"the {name}'s memory run", run, work / f"{name}.log")
    return {name: asdict(run) for name, run in runs.items()}


def _tell_if_failed(what: str, run: Measurement, log: Path) -> None:
    """A child that failed, said with the end of its log: its figures measure a failure, not the job."""
    if run.exit_code:
        tail = log.read_text(errors="replace")[-2000:]
        print(f"bench: {what} failed (exit {run.exit_code}):\n{tail}", file=sys.stderr)


def _cpu(run: Measurement) -> float:
    return run.user_s + run.sys_s


def _with_ledger(phonebanks: list[Measurement], ledgers: list[Measurement]) -> dict[str, Any]:
    """What the ledger adds: its best run over phonebank's best, each set's own ratio, and the least CPU
    time over phonebank's least (what a machine others share disturbs least)."""
    best = _best(ledgers)
    return {
        "best": asdict(best),
        "added": best.wall_s / _best(phonebanks).wall_s - 1,
        "cpu_added": min(map(_cpu, ledgers)) / min(map(_cpu, phonebanks)) - 1,
        "pair_added": [c.wall_s / b.wall_s - 1 for b, c in zip(phonebanks, ledgers, strict=True)],
        "all_runs": [asdict(m) for m in ledgers],
    }


def startup(params: Params, data: Path) -> dict[str, Any]:
    """`phonebank run` on a tiny file: the interpreter, the imports and the configuration alone."""
    path, _ = ensure_file(Params(**{**asdict(params), "rows": STARTUP_ROWS}), data)
    with tempfile.TemporaryDirectory(dir=data, prefix=".run-") as scratch:
        work = Path(scratch)
        fingerprint = domain_fingerprint()
        command = [phonebank_command(), "run", str(path), "--out", str(work / "out")]
        run = measure(command, work / "log", sampled=False)
    return {"rows": STARTUP_ROWS, "domain_fingerprint": fingerprint, "phonebank": asdict(run)}
