"""Measuring one child process: its wall time around it, its CPU time and peak RSS from os.wait4(), and
when asked the memory of its whole process tree, sampled from /proc by a thread of this process while
it runs (never in a run whose time is compared: the sampling slows it).

`measure` runs a command and says what each figure covers; `TreeSampler`, `tree_memory` and
`ProcessTable` are the sampling beneath it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
"""The bench package's folder: the children run from its parent, the repository's root."""
SAMPLE_INTERVAL_S = 0.05
"""How often a running child's process tree is read for its memory."""


@dataclass(frozen=True)
class Measurement:
    """One child process: wall time, CPU time and peak resident memory, its own and its tree's."""

    wall_s: float
    user_s: float
    sys_s: float
    peak_rss_mb: float
    exit_code: int
    load_before: float
    tree_peak_rss_mb: float | None
    tree_peak_pss_mb: float | None
    processes: int | None
    sampler_cpu_s: float | None
    """What sampling the tree cost the bench process: CPU the child may have had to share. The tree
    figures and this are None for a run not sampled (`measure`)."""


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


CHILD_ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
"""A machine that forbids bytecode caches would time each child compiling every module it imports
(~1 s for polars and pydantic) as no installed copy does: the children may write and use them."""


def measure(argv: list[str], log: Path, *, sampled: bool) -> Measurement:
    """Run `argv` with stdout and stderr to `log`, and measure it; `sampled`: its process tree's memory
    too.

    Sampling takes CPU from the run it samples: reading a large process's smaps_rollup walks its page
    tables, 0.2-0.35 s of the bench's CPU in a 1M-row phonebank run, which on two cores phonebank's
    own threads would have had. Unpinned, each of eight alternating pairs took 2-10% longer sampled
    (mean 6%); pinned, where the sampling thread has the other core to itself, no steady difference.
    A timed run is therefore not sampled, and memory comes from a run of its own.

    peak_rss_mb, user_s and sys_s are the kernel's exact figures from wait4(): the CPU times summed
    over the child and the descendants it waited for (a joined worker included), but the peak RSS of
    one process only, the largest of them, never their sum. And Linux starts a child's peak RSS at the
    high-water RSS of the process that spawned it (this one), carried across exec: a child smaller
    than the bench process, such as the floor, reports the bench's peak, not its own.

    The tree_* figures and `processes` (None unless `sampled`) are sampled every SAMPLE_INTERVAL_S over
    the child and all its descendants, so they count what a forked worker adds, and the child's own
    memory only; but a peak shorter than the interval, or most of a child that lives only a few
    intervals, falls between samples: they can miss a peak, never invent one (and a descendant still
    running when the child ends has left the tree). On one process of steady memory the sampled RSS
    meets its own peak.
    """
    load = os.getloadavg()[0]  # another heavy process on the machine shows here and as wall > CPU
    with log.open("wb") as output:
        started = time.perf_counter()
        child = subprocess.Popen(
            argv, stdout=output, stderr=subprocess.STDOUT, cwd=BENCH.parent, env=CHILD_ENVIRONMENT
        )
        sampler = TreeSampler(child.pid) if sampled else None
        with sampler or contextlib.nullcontext():
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
        tree_peak_rss_mb=sampler.peak.rss_mb if sampler else None,
        tree_peak_pss_mb=sampler.peak.pss_mb if sampler else None,
        processes=sampler.peak.processes if sampler else None,
        sampler_cpu_s=sampler.cpu_s if sampler else None,
    )
