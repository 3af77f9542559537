"""Profile `phonebank run` in-process on a generated file: where the time goes, and what memory holds.

    python -m bench.profiling --rows 100000                 # cProfile: top functions by own and total time
    python -m bench.profiling --rows 100000 --tool pyinstrument
    python -m bench.profiling --rows 20000 --tool memory    # tracemalloc: Python's heap as validation ends

The profiles are written to bench/results/ (profile-<rows>.prof for snakeviz or pstats,
profile-<rows>.html for pyinstrument). Profilers slow the run down: read shares, not seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import pstats
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.generate import SHAPES, Params
from bench.pairs import ensure_file
from bench.run import DATA, RESULTS


def _domain(module: str) -> Any:
    """A phonebank module, imported at run time: mypy checks bench/ without the domain's own typing."""
    return importlib.import_module(f"phonebank.{module}")


def _run(path: Path) -> int:
    with tempfile.TemporaryDirectory(dir=DATA, prefix=".profile-") as out:
        exit_code: int = _domain("cli").main(["run", str(path), "--out", out])
        return exit_code


def _quiet(action: Callable[[], int]) -> int:
    """`phonebank run` prints its summary; keep it out of the profile's report."""
    real, sys.stdout = sys.stdout, io.StringIO()
    try:
        return action()
    finally:
        sys.stdout = real


def with_cprofile(path: Path, rows: int, top: int) -> None:
    profiler = cProfile.Profile()
    started = time.perf_counter()
    _quiet(lambda: profiler.runcall(_run, path))
    print(f"cProfile: {rows:,} rows in {time.perf_counter() - started:.1f} s (profiled)")
    target = RESULTS.parent / f"profile-{rows}.prof"
    profiler.dump_stats(target)
    stats = pstats.Stats(profiler)
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]  # pstats keeps it, undeclared
    raw: dict[Any, tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    for title, column in (("own time (tottime)", 2), ("total time (cumtime)", 3)):
        print(f"\nTop {top} by {title}, share of the whole run:")
        ranked = sorted(raw.items(), key=lambda item: item[1][column], reverse=True)[:top]
        for (file, line, function), (_, calls, own, cumulative, _) in ranked:
            where = f"{_short(file)}:{line}({function})"
            shares = f"{100 * own / total:5.1f}% own {100 * cumulative / total:5.1f}% total"
            print(f"  {shares} {calls:>10,} calls  {where}")
    print(f"\nfull profile: {target} (python -m pstats {target})")


def _short(file: str) -> str:
    for marker in ("site-packages/", "layers/phonebank/", "lib/python3.11/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def with_pyinstrument(path: Path, rows: int) -> None:
    from pyinstrument import Profiler  # noqa: PLC0415  (a development dependency)

    profiler = Profiler(interval=0.001)
    profiler.start()
    _quiet(lambda: _run(path))
    profiler.stop()
    target = RESULTS.parent / f"profile-{rows}.html"
    target.write_text(profiler.output_html(), encoding="utf-8")
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"full profile: {target}")


def with_tracemalloc(path: Path, rows: int, top: int) -> None:
    """Snapshot Python's heap as validation ends, when everything it remembers across rows is still
    alive. polars' tables live outside it: `make bench` measures the whole process."""
    snapshots: list[tracemalloc.Snapshot] = []
    remembered: list[int] = []
    checker_class = _domain("validate")._ChunkChecker
    original: Callable[..., Any] = checker_class.report

    def report(self: Any, *args: Any) -> Any:
        snapshots.append(tracemalloc.take_snapshot())
        remembered.append(sum(run.height for run in self._first_rows._runs))
        return original(self, *args)

    checker_class.report = report
    tracemalloc.start()
    try:
        _quiet(lambda: _run(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        checker_class.report = original
    if not snapshots:
        print("tracemalloc: validation did not reach its end; nothing to show")
        return
    statistics = snapshots[0].statistics("lineno")
    alive = sum(stat.size for stat in statistics)
    print(
        f"tracemalloc: {rows:,} rows; Python heap peak {peak / 1024**2:.1f} MB; "
        f"alive when validation ends {alive / 1024**2:.1f} MB ({alive / rows:.0f} bytes per input row)"
    )
    if remembered:
        print(f"duplicate detection remembers {remembered[0]:,} identities' keys")
    print(f"\nTop {top} allocation sites alive when validation ends:")
    for stat in statistics[:top]:
        frame = stat.traceback[0]
        where = f"{_short(frame.filename)}:{frame.lineno}"
        print(f"  {stat.size / 1024**2:8.2f} MB {stat.count:>10,} blocks  {where}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profiling", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="size of the generated file (100000)")
    parser.add_argument(
        "--shape", choices=SHAPES, default="impactive", help="the dialer's columns (impactive)"
    )
    parser.add_argument("--tool", choices=("cprofile", "pyinstrument", "memory"), default="cprofile")
    parser.add_argument("--top", type=int, default=25, help="lines to show (25)")
    args = parser.parse_args(argv)
    DATA.mkdir(parents=True, exist_ok=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    path, _ = ensure_file(Params(rows=args.rows, shape=args.shape), DATA)
    if args.tool == "cprofile":
        with_cprofile(path, args.rows, args.top)
    elif args.tool == "pyinstrument":
        with_pyinstrument(path, args.rows)
    else:
        with_tracemalloc(path, args.rows, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
