"""The floor: what plain Python's csv module needs to read a file and write every row back out.

    python -m bench.floor INPUT OUTPUT [--encoding utf-8]

Any pipeline that reads each row with csv.reader and writes one with csv.writer does at least this
much work; `bench.run` times `phonebank run` against it on the same file.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path


def copy_rows(source: Path, target: Path, encoding: str = "utf-8") -> int:
    """Read `source` row by row and write each row to `target`; return the rows copied, header included."""
    rows = 0
    with (
        source.open(encoding=encoding, newline="") as incoming,
        target.open("w", encoding="utf-8", newline="") as outgoing,
    ):
        writer = csv.writer(outgoing)
        for row in csv.reader(incoming):
            writer.writerow(row)
            rows += 1
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--encoding", default="utf-8")
    args = parser.parse_args(argv)
    print(copy_rows(args.source, args.target, args.encoding))
    return 0


if __name__ == "__main__":
    sys.exit(main())
