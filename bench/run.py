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
(`taskset -c 0` for every command), and unpinned. Each child's wall time is taken around it,
its CPU time and peak RSS from os.wait4(), and the memory of its whole process tree is sampled
while it runs (`measure` says what each figure covers). The table goes to stdout, the details (machine,
parameters, every run, the run's summary counts) to bench/results/latest.json. --repeat N runs N
pairs, the floor then phonebank back to back: the best of each is compared (the least disturbed run
of each, as timeit takes), and each pair's own ratio is reported too, as this machine's speed drifts
between minutes and between its two vCPUs.
The domain's source is hashed as each phonebank run starts, so that figures from two versions of
the code never mix unseen (another change lands while the benchmark runs: it says so).

Nothing here asserts a time: the figures are for reading, not for failing a build.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
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
BUSY_SHARE = 0.85
"""A child that got less CPU than this share of its wall time was held back by something else running."""
SAMPLE_INTERVAL_S = 0.05
"""How often a running child's process tree is read for its memory."""
SAMPLED_SHARE = 0.9
SAMPLED_MIN_S = 0.5
"""The floor is one process of flat memory: if it ran SAMPLED_MIN_S or more and its sampled RSS is below
SAMPLED_SHARE of its own wait4() peak, the samples miss peaks and the tree figures are low."""


@dataclass(frozen=True)
class Measurement:
    """One child process: wall time, CPU time and peak resident memory, its own and its tree's."""

    wall_s: float
    user_s: float
    sys_s: float
    peak_rss_mb: float
    exit_code: int
    load_before: float
    tree_peak_rss_mb: float
    tree_peak_pss_mb: float
    processes: int
    sampler_cpu_s: float
    """What sampling the tree cost the bench process: CPU the child may have had to share."""


@dataclass(frozen=True)
class TreeMemory:
    """A process tree's resident memory summed over its processes, and how many there were."""

    rss_mb: float = 0.0
    pss_mb: float = 0.0
    processes: int = 0


_GONE = (FileNotFoundError, ProcessLookupError, PermissionError)
"""What reading /proc raises for a process that ended (or changed hands) since it was listed."""


def _proc(path: str) -> bytes:
    # One os.read, not pathlib: a first look reads every process's stat, and pathlib's layers cost
    # ~2.5x the kernel's work. The fields read here all sit in the first few hundred bytes.
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 16384)
    finally:
        os.close(fd)


class ProcessTable:
    """Which process is whose child: a process's /proc/<pid>/stat is read once, not at every look.

    A process outside the tree stays outside: a parent that dies hands its children to init, not to
    one of ours (unless one of ours made itself a subreaper, which phonebank doesn't). A process in the
    tree may leave it that way, so the tree's own are read again at every look.
    """

    def __init__(self) -> None:
        # Keyed by the pid and its /proc directory's inode, new for each process: a pid that ended and
        # was taken again is a new process, read afresh.
        self._parents: dict[tuple[int, int], int] = {}
        self._tree: set[int] = set()

    def tree(self, root: int) -> list[int]:
        """`root` and all its descendants at this moment, `root` first."""
        # /proc/<pid>/task/<tid>/children would name the tree's processes without the scan, but only on
        # kernels built with CONFIG_PROC_CHILDREN (not this benchmark machine's).
        parents = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            key = (pid, entry.inode())
            parent = None if pid in self._tree else self._parents.get(key)
            if parent is None:
                try:
                    stat = _proc(f"/proc/{pid}/stat")
                except _GONE:
                    continue
                # The command's name, in parentheses, may hold spaces and parentheses itself: the
                # fields that follow the last ")" are the state, then the parent's pid.
                parent = int(stat[stat.rindex(b")") + 1 :].split()[1])
            parents[key] = parent
        self._parents = parents  # the processes that ended drop out
        children: dict[int, list[int]] = {}
        for (pid, _), parent in parents.items():
            children.setdefault(parent, []).append(pid)
        tree, pending = [], [root]
        while pending:
            pid = pending.pop()
            tree.append(pid)
            pending.extend(children.get(pid, []))
        self._tree = set(tree)
        return tree


def _kilobytes(text: bytes, field: bytes) -> int | None:
    for line in text.splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return None


def tree_memory(root: int, table: ProcessTable | None = None) -> TreeMemory:
    """One sample of the tree under `root`: VmRSS summed, Pss summed, live processes counted.

    RSS counts a page a parent shares with the worker it forked (copy-on-write, not yet written) once
    in each, so the sum overstates; PSS splits each page among the processes sharing it, so the sum
    counts it once: what the machine really lends the run.
    """
    rss_kb = pss_kb = processes = 0
    for pid in (table or ProcessTable()).tree(root):
        try:
            rss = _kilobytes(_proc(f"/proc/{pid}/status"), b"VmRSS:")
            # The kernel walks the page tables for this one: ~1 ms for 80 MB resident, the most of a
            # sample's cost (Measurement.sampler_cpu_s).
            pss = _kilobytes(_proc(f"/proc/{pid}/smaps_rollup"), b"Pss:")
        except _GONE:
            continue  # it ended between the listing and the reading: it holds nothing now
        if rss is None or pss is None:
            continue  # a zombie (ended, not yet waited for) has given its memory back
        rss_kb += rss
        pss_kb += pss
        processes += 1
    return TreeMemory(rss_mb=rss_kb / 1024, pss_mb=pss_kb / 1024, processes=processes)


class TreeSampler:
    """Samples the tree under `root` every `interval_s` from a thread of this process, while open.

    `peak` keeps the most seen at one sample of each figure (the three maxima may come from different
    samples), `cpu_s` what the sampling cost. The bench process, not the child, does the reading, so
    the child runs the code measured and nothing else.
    """

    def __init__(self, root: int, interval_s: float = SAMPLE_INTERVAL_S) -> None:
        self.root = root
        self.interval_s = interval_s
        self.peak = TreeMemory()
        self.cpu_s = 0.0
        self._table = ProcessTable()
        self._stop = threading.Event()
        self._failure: Exception | None = None
        self._thread = threading.Thread(target=self._sample, name=f"tree-sampler-{root}", daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        # A sampler that broke must not pass its partial peaks off as the tree's.
        if self._failure is not None:
            raise RuntimeError(f"bench: sampling the process tree of {self.root} failed") from self._failure

    def _sample(self) -> None:
        started = time.thread_time()
        try:
            while True:
                now, peak = tree_memory(self.root, self._table), self.peak
                self.peak = TreeMemory(
                    rss_mb=max(peak.rss_mb, now.rss_mb),
                    pss_mb=max(peak.pss_mb, now.pss_mb),
                    processes=max(peak.processes, now.processes),
                )
                if self._stop.wait(self.interval_s):
                    return
        except Exception as error:
            self._failure = error
        finally:
            self.cpu_s = time.thread_time() - started


_CHILD_ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
"""A machine that forbids bytecode caches would time each child compiling every module it imports
(~1 s for polars and pydantic) as no installed copy does: the children may write and use them."""


def measure(argv: list[str], log: Path) -> Measurement:
    """Run `argv` with stdout and stderr to `log`, and measure it.

    peak_rss_mb, user_s and sys_s are the kernel's exact figures from wait4(): the CPU times summed
    over the child and the descendants it waited for (a joined worker included), but the peak RSS of
    one process only, the largest of them, never their sum. And Linux starts a child's peak RSS at the
    high-water RSS of the process that spawned it (this one), carried across exec: a child smaller
    than the bench process, such as the floor, reports the bench's peak, not its own.

    The tree_* figures and `processes` are sampled every SAMPLE_INTERVAL_S over the child and all its
    descendants, so they count what a forked worker adds, and the child's own memory only; but a peak
    shorter than the interval, or most of a child that lives only a few intervals, falls between
    samples: they can miss a peak, never invent one (and a descendant still running when the child
    ends has left the tree). On one process of steady memory the sampled RSS meets its own peak.
    """
    load = os.getloadavg()[0]  # another heavy process on the machine shows here and as wall > CPU
    with log.open("wb") as output:
        started = time.perf_counter()
        child = subprocess.Popen(
            argv, stdout=output, stderr=subprocess.STDOUT, cwd=BENCH.parent, env=_CHILD_ENVIRONMENT
        )
        with TreeSampler(child.pid) as sampler:
            # WNOWAIT leaves the ended child a zombie, its pid still its own until wait4() below: the
            # sampler can't meet an unrelated process that took the pid over.
            os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
            wall = time.perf_counter() - started
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return Measurement(
        wall_s=wall,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # Linux reports kilobytes
        exit_code=child.returncode,
        load_before=load,
        tree_peak_rss_mb=sampler.peak.rss_mb,
        tree_peak_pss_mb=sampler.peak.pss_mb,
        processes=sampler.peak.processes,
        sampler_cpu_s=sampler.cpu_s,
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
        for placement, prefix in PLACEMENTS.items():
            floors: list[Measurement] = []
            phonebanks: list[Measurement] = []
            ledgers: dict[str, list[Measurement]] = {"ledger": [], **({"again": []} if ledger_again else {})}
            for attempt in range(1, repeat + 1):
                print(
                    f"bench: {params.rows:,} rows, {placement}, pair {attempt}/{repeat}: floor ...",
                    file=sys.stderr,
                )
                floor_command = [sys.executable, "-m", "bench.floor", str(path), str(work / "floor.csv")]
                floors.append(
                    measure([*prefix, *floor_command, "--encoding", params.encoding], work / "floor.log")
                )
                print(f"bench:   floor {floors[-1].wall_s:.2f} s; phonebank run ...", file=sys.stderr)
                out = work / f"phonebank-{attempt}"
                # The child imports the domain as it starts: the source then is the code measured.
                fingerprints.add(domain_fingerprint())
                command = [*prefix, phonebank_command(), "run", str(path), "--out", str(out)]
                phonebanks.append(measure(command, work / "phonebank.log"))
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
                ledger = work / f"ledger-{attempt}"
                for name, runs in ledgers.items():
                    fingerprints.add(domain_fingerprint())
                    runs.append(measure([*command, "--ledger", str(ledger)], work / f"{name}.log"))
                    print(f"bench:   phonebank --ledger ({name}) {runs[-1].wall_s:.2f} s", file=sys.stderr)
                    if runs[-1].exit_code:
                        log = (work / f"{name}.log").read_text(errors="replace")[-2000:]
                        print(f"bench: phonebank --ledger failed:\n{log}", file=sys.stderr)
                    if name == "ledger":
                        ledger_size = {"bytes": _ledger_bytes(ledger), "interactions": _written(out)}
                    shutil.rmtree(out, ignore_errors=True)
                shutil.rmtree(ledger, ignore_errors=True)
            result[placement] = _compared(floors, phonebanks, params.rows)
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
    for name, run in (("floor", floor), ("phonebank", phonebank)):
        if run["peak_rss_mb"] <= spawner_mb:
            checks.append(
                f"{name}'s wait4 peak RSS ({run['peak_rss_mb']:.1f} MB) is the bench process's, not its own: "
                f"its sampled {run['tree_peak_rss_mb']:.1f} MB is the figure"
            )
    sampled_share = floor["tree_peak_rss_mb"] / floor["peak_rss_mb"]
    if (
        floor["peak_rss_mb"] > spawner_mb
        and floor["wall_s"] >= SAMPLED_MIN_S
        and sampled_share < SAMPLED_SHARE
    ):
        checks.append(
            f"the floor's sampled RSS ({floor['tree_peak_rss_mb']:.1f} MB) missed its peak "
            f"({floor['peak_rss_mb']:.1f} MB): the tree figures are low"
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


def ledger_table(results: list[dict[str, Any]]) -> str:
    """The export ledger's cost: `phonebank run --ledger` against `phonebank run`, and its size."""
    lines = [
        f"{'rows':>10} {'cores':>8} {'run':>6} {'phonebank s':>12} {'--ledger s':>11} {'added':>7}"
        f" {'pairs added':>20} {'CPU added':>10} {'ledger RSS MB':>14}"
    ]
    lines.append("-" * len(lines[0]))
    for result in results:
        for placement in PLACEMENTS:
            compared = result[placement]
            for name, ledger in compared["ledger"].items():
                added = ledger["pair_added"]
                pairs = f"{statistics.median(added):+.1%} ({min(added):+.1%}..{max(added):+.1%})"
                lines.append(
                    f"{result['rows']:>10,} {placement:>8} {name:>6} {compared['phonebank']['wall_s']:>12.2f}"
                    f" {ledger['best']['wall_s']:>11.2f} {ledger['added']:>+7.1%} {pairs:>20}"
                    f" {ledger['cpu_added']:>+10.1%} {ledger['best']['tree_peak_rss_mb']:>14.1f}"
                )
        size = result.get("ledger_size", {})
        if size.get("interactions"):
            per_million = size["bytes"] / size["interactions"] * 1_000_000 / 1024**2
            lines.append(
                f"{result['rows']:>10,} rows: the ledger holds {size['interactions']:,} calls (both systems)"
                f" in {size['bytes'] / 1024**2:.1f} MB: {per_million:.1f} MB a million"
            )
    lines.append(
        "run ledger: into an empty ledger (every call recorded); again: the same file once more (every call "
        "already exported); added: best over phonebank's best, pairs added: each set's own, median (range); "
        "CPU added: least user+sys time over phonebank's least"
    )
    return "\n".join(lines)


def startup(params: Params, data: Path) -> dict[str, Any]:
    """`phonebank run` on a tiny file: the interpreter, the imports and the configuration alone."""
    path, _ = ensure_file(Params(**{**asdict(params), "rows": STARTUP_ROWS}), data)
    with tempfile.TemporaryDirectory(dir=data, prefix=".run-") as scratch:
        work = Path(scratch)
        fingerprint = domain_fingerprint()
        run = measure([phonebank_command(), "run", str(path), "--out", str(work / "out")], work / "log")
    return {"rows": STARTUP_ROWS, "domain_fingerprint": fingerprint, "phonebank": asdict(run)}


def table(results: list[dict[str, Any]]) -> str:
    """One line a size and placement; the `tree` columns are phonebank's process tree, sampled (see
    `measure`)."""
    header = (
        f"{'rows':>10} {'cores':>8} {'floor s':>8} {'phonebank s':>12} {'phonebank rows/s':>17}"
        f" {'ratio b/a':>9} {'pairs b/a':>17} {'floor RSS MB':>13} {'phonebank RSS MB':>17}"
        f" {'tree RSS MB':>12} {'tree PSS MB':>12} {'phonebank CPU s':>16}"
    )
    lines = [header, "-" * len(header)]
    for result in results:
        for placement in PLACEMENTS:
            compared = result[placement]
            floor, phonebank = compared["floor"], compared["phonebank"]
            lines.append(
                f"{result['rows']:>10,} {placement:>8} {floor['wall_s']:>8.2f} {phonebank['wall_s']:>12.2f}"
                f" {compared['phonebank_rows_per_s']:>17,.0f} {compared['ratio']:>9.2f}"
                f" {_pairs(compared['pair_ratios']):>17} {floor['peak_rss_mb']:>13.1f}"
                f" {phonebank['peak_rss_mb']:>17.1f} {phonebank['tree_peak_rss_mb']:>12.1f}"
                f" {phonebank['tree_peak_pss_mb']:>12.1f} {phonebank['user_s'] + phonebank['sys_s']:>16.2f}"
            )
    lines.append(
        "cores: pinned runs both commands on one core (taskset -c 0), unpinned lets both use every core"
    )
    lines.append(
        "ratio b/a: phonebank's best run over the floor's; pairs b/a: each pair's own ratio, the median "
        "(lowest-highest)"
    )
    lines.append(
        "RSS MB: one process's peak, from wait4, and no less than the bench process's own; tree RSS/PSS MB: "
        f"phonebank's processes summed at one sample every {SAMPLE_INTERVAL_S * 1000:.0f} ms, the most seen"
    )
    return "\n".join(lines)


def memory_growth(results: list[dict[str, Any]]) -> list[str]:
    """For each size after the smallest, its sampled tree PSS over the next smaller size's, pinned and
    unpinned: what memory the extra rows cost (by design only the duplicates' keys grow with a file)."""
    by_rows = sorted(results, key=lambda result: int(result["rows"]))
    lines = []
    for smaller, larger in itertools.pairwise(by_rows):
        ratios = ", ".join(
            f"{placement} {_pss(larger, placement) / _pss(smaller, placement):.2f}"
            for placement in PLACEMENTS
        )
        lines.append(f"tree PSS at {larger['rows']:,} rows over {smaller['rows']:,}: {ratios}")
    return lines


def _pss(result: dict[str, Any], placement: str) -> float:
    pss: float = result[placement]["phonebank"]["tree_peak_pss_mb"]
    return pss


def _pairs(ratios: list[float]) -> str:
    if len(ratios) == 1:
        return f"{ratios[0]:.1f}"
    return f"{statistics.median(ratios):.1f} ({min(ratios):.1f}-{max(ratios):.1f})"


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
