"""`phonebank check|run|local`: the pipeline on a file, from a terminal."""

from __future__ import annotations

import argparse
import io
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from phonebank.config import PipelineConfig, load_config_in_force
from phonebank.errors import PhonebankError
from phonebank.exported import LedgerRun
from phonebank.heap import keep_freed_blocks
from phonebank.in_force import SettingInForce
from phonebank.ledger import RUN_ID, Ledger
from phonebank.ledger_store import FolderLedgerStore
from phonebank.models.summary import Summary
from phonebank.notify import render
from phonebank.pipeline import (
    OUTPUT_PATTERNS,
    InputFile,
    run_both_steps,
    validate_step,
    write_summary,
)
from phonebank.sinks import LocalDirectory

EXIT_OK, EXIT_REJECTED, EXIT_FAILED = 0, 1, 2

InForce = dict[str, SettingInForce]


class _Progress:
    """Passes reads through to the CSV reader and draws a bar on stderr as the bytes go by."""

    def __init__(self, stream: BinaryIO, total: int) -> None:
        self._stream, self._total, self._done, self._shown = stream, max(total, 1), 0, -1
        self._ended = False

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._done += len(data)
        self._draw(self._done * 100 // self._total, finished=not data)
        return data

    def tell(self) -> int:
        return self._stream.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """The reader looks ahead once when a file's encoding needs it; the bar follows it back."""
        self._done = self._stream.seek(offset, whence)
        return self._done

    def _draw(self, percent: int, *, finished: bool) -> None:
        if percent != self._shown or (finished and not self._ended):
            self._shown, self._ended = percent, finished
            sys.stderr.write(f"\r[{'#' * (percent // 4):<25}] {percent:3d}%" + ("\n" if finished else ""))


def _open_input(path: Path, effort: str | None) -> tuple[InputFile, BinaryIO]:
    stream = path.open("rb")
    size = path.stat().st_size
    source: BinaryIO = stream
    if sys.stderr.isatty():
        source = _Progress(stream, size)  # type: ignore[assignment]
    return InputFile(name=str(path), stream=source, size=size, folder_effort=effort), stream


def _output_folder(path: Path) -> LocalDirectory:
    """The folder without an earlier run's files: a stale import beside a new summary may be imported."""
    out = LocalDirectory(path)
    out.remove(OUTPUT_PATTERNS)
    return out


def _check(args: argparse.Namespace, config: PipelineConfig, in_force: InForce) -> int:
    out = _output_folder(args.out)
    upload, stream = _open_input(args.file, args.effort)
    with stream:
        report = validate_step(upload, config, out, None, datetime.now(UTC), in_force=in_force)
    summary = report.as_summary()
    if report.status == "VALID":
        summary = summary.model_copy(update={"notes": ["Checked only: no import file was built."]})
        write_summary(out, summary)
    print(render(summary, config))
    if report.status == "FAILED":
        return _failed(summary)
    return EXIT_REJECTED if report.counts.rejected else EXIT_OK


def _run(args: argparse.Namespace, config: PipelineConfig, in_force: InForce) -> int:
    out = _output_folder(args.out)
    upload, stream = _open_input(args.file, args.effort)
    with stream:
        summary = run_both_steps(
            upload, config, out, datetime.now(UTC), in_force=in_force, ledger=_ledger_run(args)
        )
    print(render(summary, config))
    if summary.status == "FAILED":
        return _failed(summary)
    return EXIT_REJECTED if summary.status == "REJECTED" else EXIT_OK


def _ledger_run(args: argparse.Namespace) -> LedgerRun | None:
    """`--ledger PATH`: a run of its own id in the folder's ledger. Without it no ledger is consulted,
    so that trying a file twice gives the same files twice."""
    if args.ledger is None:
        return None
    path: Path = args.file
    return LedgerRun(Ledger(FolderLedgerStore(args.ledger)), uuid.uuid4().hex[:16], lambda: path.open("rb"))


def _void(args: argparse.Namespace) -> int:
    ledger = Ledger(FolderLedgerStore(args.ledger))
    if not RUN_ID.fullmatch(args.run_id) or args.run_id not in ledger.runs():
        _complain(f"no run {args.run_id} in the ledger {args.ledger} (its notification names its run id)")
        return EXIT_FAILED
    ledger.void(args.run_id)
    print(f"Run {args.run_id} is void in the ledger {args.ledger}: the next upload exports its calls again.")
    return EXIT_OK


def _local(args: argparse.Namespace, config: PipelineConfig, in_force: InForce) -> int:
    from phonebank_local.demo import run_demo  # noqa: PLC0415  (moto is a development dependency)

    return run_demo(args.file, args.out, effort=args.effort, config=args.config)


def _failed(summary: Summary) -> int:
    _complain(summary.failure_reason)
    return EXIT_FAILED


def _complain(problem: object) -> None:
    # One stderr line, so that a script's log holds the whole problem: a YAML error can hold line breaks.
    print(f"phonebank: {' '.join(str(problem).split())}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="phonebank", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text, default_out in (
        ("check", "validate a dialer export and write errors.csv and summary.json", "phonebank-check"),
        ("run", "validate and build the Organizer and NGP VAN import files", "phonebank-output"),
        (
            "local",
            "run the whole AWS flow on a local moto stack and print the notification",
            "phonebank-local",
        ),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("file", type=Path, help="the dialer's results CSV")
        command.add_argument(
            "--out", type=Path, default=Path(default_out), help=f"output folder ({default_out})"
        )
        command.add_argument("--config", type=Path, help="a YAML or JSON file laid over the bundled defaults")
        command.add_argument(
            "--effort", help="the effort name for rows that have none (like incoming/<effort>/)"
        )
        if name == "run":
            command.add_argument(
                "--ledger",
                type=Path,
                help="an export ledger folder: write no call an earlier run with it exported (off without)",
            )
    void = commands.add_parser(
        "void", help="say that a run's files were never imported: the ledger releases its calls"
    )
    void.add_argument("run_id", help="the run's id, as its notification gives it")
    void.add_argument("--ledger", type=Path, required=True, help="the ledger folder the run used")
    return parser


def main(argv: list[str] | None = None) -> int:
    keep_freed_blocks()
    args = _parser().parse_args(argv)
    if args.command == "void":
        return _void(args)
    commands = {"check": _check, "run": _run, "local": _local}
    try:
        if not args.file.is_file():
            raise PhonebankError(f"no such file: {args.file}")
        return commands[args.command](args, *load_config_in_force(args.config))
    except (PhonebankError, OSError) as exc:
        _complain(exc)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
