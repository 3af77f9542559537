"""A run with the export ledger: claim its calls, write only those no earlier run exported, list the
others in already-exported.csv, then commit; on any failure, release the claim.

The import files, already-exported.csv and summary.json are all written before the commit, which is
the run's last act: a run that stops earlier has recorded nothing, and its email says to import none
of its files.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

import polars as pl

from phonebank.config import PipelineConfig
from phonebank.errors import AccountingMismatch
from phonebank.input_rows import write_row_report
from phonebank.ledger import (
    BY_INPUT,
    BY_RUN,
    DAY,
    KEY,
    ROW,
    SYSTEM,
    SYSTEM_TYPE,
    WANTED_SCHEMA,
    Claim,
    Ledger,
    day_of,
    interaction_keys,
    key_texts,
    keys_of,
)
from phonebank.models.steps import ValidationReport
from phonebank.models.summary import EarlierExport, LedgerRecord, OutputFile, Summary, System
from phonebank.overlap import read_ahead
from phonebank.sinks import OpenFiles, OutputSink
from phonebank.transform import ImportFiles, sent_to

ALREADY_EXPORTED_FILE = "already-exported.csv"
SYSTEM_LABELS: dict[str, str] = {"organizer": "Organizer", "van": "NGP VAN"}
BOTH_SYSTEMS = "Organizer and NGP VAN"
"""How already-exported.csv names each system, and both."""
SYSTEMS: tuple[System, ...] = ("organizer", "van")

__all__ = ["ALREADY_EXPORTED_FILE", "LedgerRun", "give_back", "transform_recorded"]


@dataclass(frozen=True)
class LedgerRun:
    """A run's place in the ledger: the ledger, the run's id, and its input to read again for the report."""

    ledger: Ledger
    run_id: str
    open_input: Callable[[], BinaryIO]


def transform_recorded(
    parts: Callable[[], Iterable[pl.DataFrame]],
    report: ValidationReport,
    config: PipelineConfig,
    sink: OutputSink,
    work: OutputSink,
    *,
    run: LedgerRun,
    write_summary: Callable[[OutputSink, Summary], None],
) -> Summary:
    """`transform_validated` with the ledger: `parts` gives the validated parts from the start, twice
    (once for the keys, once for the files)."""
    wanted = _wanted(parts(), config)
    claimed = {system: int(wanted[SYSTEM].eq(system).sum()) for system in SYSTEMS}
    claim = run.ledger.claim(run.run_id, report.input, wanted)
    del wanted  # a quarter of a gigabyte at five million rows, not needed while the files are written
    try:
        exported = {system: claim.held.filter(pl.col(SYSTEM) == system)[ROW] for system in SYSTEMS}
        with OpenFiles() as files:
            imports = ImportFiles(config, sink, files, work, exported)
            imports.add_all(parts())
        summary = imports.summary(report)
        _check_against_the_claim(summary, claimed, claim)
        if claim.held.height:
            listed = _report(sink, claim, run, config.limits.max_input_bytes)
            summary = summary.model_copy(update={"files": [*summary.files, listed]})
        summary = summary.model_copy(update={"ledger": _record(claim, run)})
        write_summary(sink, summary)
        run.ledger.commit(claim)
    except BaseException:
        # Whatever stopped the run, its claim must not hold calls whose files nobody will import. If
        # this fails too, the claim's lease runs out instead.
        with contextlib.suppress(Exception):
            run.ledger.release(claim)
        raise
    return summary


def give_back(
    ledger: Ledger, run_id: str, system: System, parts: Iterable[pl.DataFrame], rows: pl.Series
) -> int:
    """The calls of these spreadsheet `rows` are no longer recorded as exported to `system` by run
    `run_id` (the VAN push: calls VAN did not record): their keys from the run's validated `parts`, its
    entries taken out of the ledger. Returns how many calls were given back."""
    wanted = rows.cast(pl.Int64).implode()
    found = [part.filter(pl.col(ROW).is_in(wanted)) for part in parts]
    calls = pl.concat(found) if found else pl.DataFrame()
    if not calls.height:
        return 0
    ledger.give_back(run_id, system, calls.select(interaction_keys(calls), day_of(calls)))
    return calls.height


def _wanted(parts: Iterable[pl.DataFrame], config: PipelineConfig) -> pl.DataFrame:
    """Each call's key, row and day, once for each system whose files would take it, in order of day
    (so that the claim takes each day's share as a slice, not a copy). Built a part at a time into
    each day's pieces, which are put in order without being copied: the whole is held once, at 29
    bytes an entry."""
    sent = sent_to(config)
    pieces: dict[int, list[pl.DataFrame]] = {}
    # Where there are cores, the next part is read and its key texts built while this one's are hashed.
    for part, texts in read_ahead(map(_with_key_texts, read_ahead(iter(parts)))):
        keyed = part.select(
            ROW, keys_of(texts), day_of(part), *(sent[system].alias(system) for system in SYSTEMS)
        )
        entries = pl.concat(
            [
                keyed.filter(system).select(pl.lit(system, dtype=SYSTEM_TYPE).alias(SYSTEM), ROW, KEY, DAY)
                for system in SYSTEMS
            ]
        )
        for (day,), piece in entries.partition_by(DAY, as_dict=True).items():
            pieces.setdefault(day, []).append(piece)
    in_order = [piece for day in sorted(pieces) for piece in pieces[day]]
    return pl.concat(in_order, rechunk=False) if in_order else pl.DataFrame(schema=WANTED_SCHEMA)


def _with_key_texts(part: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    return part, key_texts(part)


def _check_against_the_claim(summary: Summary, claimed: dict[System, int], claim: Claim) -> None:
    """The files hold exactly the calls the run claimed: a call written but not recorded would be
    exported again by the next upload, one recorded but not written never."""
    for system in SYSTEMS:
        held = claim.held.filter(pl.col(SYSTEM) == system).height
        written = summary.systems[system].written
        if written != claimed[system] - held:
            raise AccountingMismatch(
                f"{system}: {written} calls written, but the ledger recorded {claimed[system] - held}"
            )


def _report(sink: OutputSink, claim: Claim, run: LedgerRun, max_bytes: int) -> OutputFile:
    """One line per row and run that exported it, naming the systems: a call sent to both systems by
    one earlier run is one line, as it is one row of the input."""
    held = claim.held  # sorted by row, then system: a row's Organizer line comes before its VAN line
    same_call = (pl.col(ROW) == pl.col(ROW).shift(-1)) & (pl.col(BY_RUN) == pl.col(BY_RUN).shift(-1))
    label = pl.col(SYSTEM).cast(pl.String).replace_strict(SYSTEM_LABELS, return_dtype=pl.String)
    wanted = held.with_columns(
        pl.when(same_call.fill_null(False)).then(pl.lit(BOTH_SYSTEMS)).otherwise(label).alias(SYSTEM),
        same_call.shift(1).fill_null(False).alias("_told"),
    ).filter(~pl.col("_told"))
    with contextlib.closing(run.open_input()) as source:
        return write_row_report(
            sink, ALREADY_EXPORTED_FILE, source, max_bytes, wanted.select(ROW, SYSTEM, BY_RUN, BY_INPUT)
        )


def _record(claim: Claim, run: LedgerRun) -> LedgerRecord:
    earlier = (
        claim.held.group_by(SYSTEM, BY_RUN, BY_INPUT)
        .agg(pl.len().alias("calls"))
        .sort(SYSTEM, "calls", BY_RUN, descending=[False, True, False])
    )
    return LedgerRecord(
        location=run.ledger.location,
        run_id=run.run_id,
        already_exported=[
            EarlierExport(system=system, run_id=run_id, input=name, calls=calls)
            for system, run_id, name, calls in earlier.iter_rows()
        ],
    )
