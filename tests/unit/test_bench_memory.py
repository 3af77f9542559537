"""bench.measure's process-tree sampler: a forked worker's memory counts; a process gone counts nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# bench/ is no installed package: `python -m bench.run` finds it from the repository's root, as here.
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from bench.measure import ProcessTable, measure, tree_memory  # noqa: E402

WORKER_MB = 50

# The parent forks a worker that writes WORKER_MB of its own (resident, not shared with the parent) and
# holds it ~1 s; after joining the worker, the parent prints its own resident memory. (Not its
# ru_maxrss: Linux carries the high-water RSS of the process that spawned it, here pytest, across exec.)
FORKS_A_WORKER = f"""
import os, time
pid = os.fork()
if pid == 0:
    held = b"x" * ({WORKER_MB} * 1024 * 1024)
    time.sleep(1)
    os._exit(0)
os.waitpid(pid, 0)
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmRSS:")))
"""


def test_a_forked_workers_memory_is_summed_with_its_parents(tmp_path: Path) -> None:
    log = tmp_path / "log"
    run = measure([sys.executable, "-c", FORKS_A_WORKER], log, sampled=True)
    assert run.exit_code == 0, log.read_text()
    parent_mb = int(log.read_text().split()[-1]) / 1024
    assert run.processes == 2
    assert run.tree_peak_rss_mb >= parent_mb + WORKER_MB - 10
    # The worker's block is its own: PSS, which splits shared pages, still counts all of it.
    assert run.tree_peak_pss_mb >= WORKER_MB - 10


def test_a_process_that_ended_counts_nothing() -> None:
    ended = subprocess.Popen([sys.executable, "-c", ""])
    ended.wait()
    assert tree_memory(ended.pid).processes == 0
    assert tree_memory(ended.pid).rss_mb == 0


def test_a_process_table_finds_a_child_started_after_its_first_look() -> None:
    table = ProcessTable()
    before = table.tree(os.getpid())
    with subprocess.Popen([sys.executable, "-c", "input()"], stdin=subprocess.PIPE) as child:
        try:
            after = table.tree(os.getpid())
        finally:
            child.communicate(b"\n")
    assert before[0] == after[0] == os.getpid()
    assert child.pid not in before
    assert child.pid in after


def test_a_run_not_sampled_is_only_timed(tmp_path: Path) -> None:
    # Given a child that holds memory for a moment
    # When it is measured without sampling, as every timed run is
    run = measure([sys.executable, "-c", FORKS_A_WORKER], tmp_path / "log", sampled=False)

    # Then it has its wall and CPU time and its wait4 peak, and no sampler ran beside it
    assert run.exit_code == 0
    assert run.wall_s > 0 and run.peak_rss_mb > 0
    assert (run.tree_peak_rss_mb, run.tree_peak_pss_mb, run.processes, run.sampler_cpu_s) == (None,) * 4
