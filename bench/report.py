"""The tables printed at the end of a benchmark, read from the results as bench/results/latest.json
holds them: each size's floor against phonebank, each size's tree memory over the next smaller
size's, and what the export ledger adds.
"""

from __future__ import annotations

import itertools
import statistics
from typing import Any

from bench.measure import SAMPLE_INTERVAL_S
from bench.pairs import PLACEMENTS


def table(results: list[dict[str, Any]]) -> str:
    """One line a size and placement; the `tree` columns are phonebank's process tree, sampled (see
    `bench.measure.measure`)."""
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
            tree = compared["memory"]["phonebank"]
            lines.append(
                f"{result['rows']:>10,} {placement:>8} {floor['wall_s']:>8.2f} {phonebank['wall_s']:>12.2f}"
                f" {compared['phonebank_rows_per_s']:>17,.0f} {compared['ratio']:>9.2f}"
                f" {pairs_text(compared['pair_ratios']):>17} {floor['peak_rss_mb']:>13.1f}"
                f" {phonebank['peak_rss_mb']:>17.1f} {tree['tree_peak_rss_mb']:>12.1f}"
                f" {tree['tree_peak_pss_mb']:>12.1f} {phonebank['user_s'] + phonebank['sys_s']:>16.2f}"
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
        f"phonebank's processes summed at one sample every {SAMPLE_INTERVAL_S * 1000:.0f} ms, the most seen, "
        "in a run of its own (the sampling would slow a timed run)"
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
    pss: float = result[placement]["memory"]["phonebank"]["tree_peak_pss_mb"]
    return pss


def pairs_text(ratios: list[float]) -> str:
    """Each pair's ratio as the tables print it: the median and the range, or the one ratio."""
    if len(ratios) == 1:
        return f"{ratios[0]:.1f}"
    return f"{statistics.median(ratios):.1f} ({min(ratios):.1f}-{max(ratios):.1f})"


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
                    f" {ledger['cpu_added']:>+10.1%} {ledger['best']['peak_rss_mb']:>14.1f}"
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
        "CPU added: least user+sys time over phonebank's least; ledger RSS MB: its best run's wait4 peak"
    )
    return "\n".join(lines)
