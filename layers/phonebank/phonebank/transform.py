"""Turn validated interactions into Organizer's import and NGP VAN's canvass-result files.

The accepted rows come a part at a time (the validator's Parquet parts). Each part's import rows are
built as columns, checked against the output models (`OutputRow.check_frame`) and written with one
encoding a file. A column whose values come from a smaller table (the times of the part's distinct
instants, the configuration's results and IDs) is checked on that table. What depends on one value
alone and has no column form (a foreign number's VAN phone and country) is asked once per distinct
value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from phonebank.columnar import north_american, tally_in_order
from phonebank.config import PipelineConfig
from phonebank.import_times import PartTimes, part_times
from phonebank.models.organizer import OrganizerRow
from phonebank.models.steps import ValidationReport
from phonebank.models.summary import CONSENT_CHANGING_RESULTS, OutputFile, Summary, System, SystemCounts
from phonebank.models.van import VanBulkRow, VanNamesRow
from phonebank.organizer_files import OrganizerFiles
from phonebank.overlap import read_ahead, write_behind
from phonebank.sinks import CsvFile, OpenFiles, OutputSink, any_quoted
from phonebank.van_records import (
    RESULT,
    by_name_phone,
    id_text,
    van_instructions,
    van_phone_and_country,
    van_records,
)

VAN_NAMES_FILE = "van/van-canvass-results-by-name.csv"
VAN_BULK_FILE = "van/van-canvass-results-bulk-import.csv"
VAN_BULK_ROWS_FILE = "van-bulk-import-rows.csv"
"""A working file, in the run's work folder (not for people, expired with the validated rows): the
input's spreadsheet row of each record of the bulk-import file, in the same order, so that VAN's answer
for a record (the VAN push) leads back to the row it came from."""


def _instructed(config: PipelineConfig) -> dict[System, list[str]]:
    """The outcomes each system has an instruction for."""
    return {
        "organizer": sorted(
            outcome for outcome, rule in config.outcomes.items() if rule.organizer is not None
        ),
        "van": sorted(outcome for outcome in config.outcomes if van_instructions(config, outcome)),
    }


def sent_to(config: PipelineConfig) -> dict[System, pl.Expr]:
    """Which accepted calls each system's files take, the export ledger aside: those with the system's
    ID and an instruction for their outcome, as `ImportFiles` sorts them."""
    instructed = _instructed(config)
    return {
        "organizer": pl.col("profile_id").is_not_null() & pl.col("outcome").is_in(instructed["organizer"]),
        "van": pl.col("van_id").is_not_null() & pl.col("outcome").is_in(instructed["van"]),
    }


@dataclass
class _SystemTally:
    written: int = 0
    no_id: int = 0
    no_instruction: int = 0
    results: Counter[str] = field(default_factory=Counter)
    already_exported: int | None = None

    def counts(self) -> SystemCounts:
        return SystemCounts(
            written=self.written,
            not_sent_no_id=self.no_id,
            not_sent_no_instruction=self.no_instruction,
            already_exported=self.already_exported,
        )

    def consent_changing(self) -> dict[str, int]:
        return {result: n for result, n in self.results.items() if result in CONSENT_CHANGING_RESULTS}


@dataclass(frozen=True)
class TimedPart:
    """A part's calls, each with its times' texts joined (`PartTimes.by_instant`), and those times."""

    calls: pl.DataFrame
    times: PartTimes


class ImportFiles:
    """Every import file of one run, fed accepted calls a part at a time, in input order.

    Create it inside an `OpenFiles` block; ask for the summary once the block has committed the files.
    """

    def __init__(
        self,
        config: PipelineConfig,
        sink: OutputSink,
        files: OpenFiles,
        work: OutputSink,
        exported: dict[System, pl.Series] | None = None,
    ) -> None:
        """`work`: the run's working folder, where the bulk-import file's row map goes. `exported`: with
        the export ledger, the rows (spreadsheet row numbers) whose call an earlier run already exported
        to each system: counted, not written."""
        self._config = config
        self._exported = exported
        self._sink, self._files, self._work = sink, files, work
        limits = config.limits
        self._organizer = OrganizerFiles(
            sink, files, limits.organizer_max_efforts_per_file, limits.organizer_max_file_bytes
        )
        self._van_files: dict[str, CsvFile] = {}
        self._bulk_rows: CsvFile | None = None
        self._tally: dict[System, _SystemTally] = {"organizer": _SystemTally(), "van": _SystemTally()}
        if exported is not None:
            for tally in self._tally.values():
                tally.already_exported = 0
        self._bulk_enabled = not config.van_results_without_id
        self._organizer_results = {outcome: rule.organizer for outcome, rule in config.outcomes.items()}
        self._organizer_result_names = pl.Series(
            [result for result in self._organizer_results.values() if result is not None], dtype=pl.String
        )
        self._sent_to = sent_to(config)
        self._van_records = van_records(config)
        # The by-name file's contact types and results are this table's: plain where none needs quotes.
        self._names_plain = VanNamesRow.PLAIN_COLUMNS | {
            name for name in ("contact_type", RESULT) if not any_quoted(self._van_records.select(name))
        }

    def add_all(self, parts: Iterable[pl.DataFrame]) -> None:
        """Every part of accepted calls (`Interaction`'s columns) in order, each file's rows of a part
        checked against their model before any is written. Where there are cores (`phonebank.overlap`),
        the next part is read and timed, and this one's VAN files written, each in a thread of its own
        while its Organizer files are."""
        with write_behind(self._add_van) as add_van:
            for part in read_ahead(map(self._timed, read_ahead(iter(parts)))):
                add_van(part)
                self._add_organizer(part)

    def _timed(self, calls: pl.DataFrame) -> TimedPart:
        times = part_times(calls, self._config.campaign_timezone, bulk=self._bulk_enabled)
        calls = calls.join(times.by_instant, on="called_at", how="left", maintain_order="left")
        return TimedPart(calls, times)

    def _add_organizer(self, part: TimedPart) -> None:
        calls, times = part.calls, part.times
        columns = [
            pl.col("profile_id"),
            pl.col("effort").alias("effort_name"),
            pl.col("date_time"),
            self._organizer_phone().alias("phone_number_called"),
            pl.col("service"),
            pl.col("call_type"),
            pl.col("outcome")
            .replace_strict(self._organizer_results, return_dtype=pl.String)
            .alias("call_result"),
            _seconds_text(pl.col("duration")).alias("call_duration"),
        ]
        sent = self._sent("organizer", calls, "profile_id", columns)
        if sent is None:
            return
        rows = sent.drop("row")
        sources = {
            "date_time": times.by_instant["date_time"],
            "call_result": self._organizer_result_names,
            # The text of each distinct duration: the column's values, found among a few numbers.
            "call_duration": calls.select(_seconds_text(pl.col("duration").unique())).to_series(),
        }
        OrganizerRow.check_frame(rows, sources)
        self._organizer.write(rows)
        tally = self._tally["organizer"]
        tally.written += rows.height
        tally.results.update(tally_in_order(rows["call_result"]))

    def _organizer_phone(self) -> pl.Expr:
        phone = pl.col("phone")
        if self._config.organizer_phone_format != "national10":
            return phone
        # `phones.national_or_e164`: 10 digits for a North American number.
        return pl.when(north_american(phone)).then(phone.str.slice(2)).otherwise(phone)

    def _add_van(self, part: TimedPart) -> None:
        calls, times = part.calls, part.times
        columns = ["van_id", "phone", "outcome", "date_canvassed"]
        if self._bulk_enabled:
            columns.append("datecanvassed")
        sent = self._sent("van", calls, "van_id", [pl.col(name) for name in columns])
        if sent is None:
            return
        if self._bulk_enabled:
            sent = van_phone_and_country(sent)
        # `left_right`: a call's records follow each other in its instructions' order (its outcome's,
        # then Last Called At's), as the files list them.
        records = sent.join(self._van_records, on="outcome", how="inner", maintain_order="left_right")
        names = records.select(
            pl.col("van_id"),
            pl.col("date_canvassed"),
            by_name_phone().alias("phone"),
            pl.col("contact_type"),
            pl.col(RESULT),
        )
        table = self._van_records
        VanNamesRow.check_frame(
            names,
            {
                "date_canvassed": times.van_dates,
                "contact_type": table["contact_type"],
                RESULT: table[RESULT],
            },
        )
        self._van_file(VAN_NAMES_FILE, VanNamesRow.HEADER).write_frame(names, plain=self._names_plain)
        if self._bulk_enabled:
            canvassed_by = id_text(self._config.van.canvassed_by) or ""
            bulk = records.select(
                pl.col("van_id").alias("vanid"),
                pl.col("contact_type_id").alias("contacttypeid"),
                pl.col("result_id").alias("resultid"),
                pl.col("datecanvassed"),
                pl.lit(canvassed_by).alias("canvassedby"),
                pl.col("national").alias("phone"),
                pl.col("country").alias("countrycode"),
            )
            sources = {
                "contacttypeid": table["contact_type_id"],
                "resultid": table["result_id"],
                "datecanvassed": times.by_instant["datecanvassed"],
                "canvassedby": pl.Series([canvassed_by]),
            }
            VanBulkRow.check_frame(bulk, sources)
            self._van_file(VAN_BULK_FILE, VanBulkRow.HEADER).write_frame(bulk, plain=VanBulkRow.PLAIN_COLUMNS)
            if self._bulk_rows is None:
                self._bulk_rows = self._files.open_csv(self._work, VAN_BULK_ROWS_FILE, ["row"])
            # An integer's digits: nothing to quote.
            self._bulk_rows.write_frame(records.select(pl.col("row").cast(pl.String)), plain=["row"])
        tally = self._tally["van"]
        tally.written += sent.height
        tally.results.update(tally_in_order(names[RESULT]))

    def _sent(
        self, system: System, calls: pl.DataFrame, id_column: str, columns: list[pl.Expr]
    ) -> pl.DataFrame | None:
        """The calls `system`'s files take (`sent_to`), as `columns` and each call's row, or None for
        none; those without the system's ID, or without an instruction for their outcome, are counted."""
        sent = calls.select(self._sent_to[system]).to_series()
        tally = self._tally[system]
        with_id = calls.height - calls[id_column].null_count()
        tally.no_id += calls.height - with_id
        instructed = int(sent.sum())
        tally.no_instruction += with_id - instructed
        if not instructed:
            # A part without the system's calls may lack their columns' times (`part_times`).
            return None
        # The columns the files are not built from stay behind: filtering them would copy them for nothing.
        needed = dict.fromkeys(["row", *(name for column in columns for name in column.meta.root_names())])
        taken = calls.select(list(needed)).filter(sent).select(pl.col("row"), *columns)
        fresh = self._not_exported_yet(system, taken)
        return fresh if fresh.height else None

    def _not_exported_yet(self, system: System, sent: pl.DataFrame) -> pl.DataFrame:
        """The calls no earlier run exported to `system`; the others are counted as already exported."""
        if self._exported is None or not sent.height:
            return sent
        rows = self._exported[system]
        # Only the exported rows within this part's range: the whole list may be a million rows long.
        near = rows.filter(rows.is_between(sent["row"].min(), sent["row"].max()))
        if not near.len():
            return sent
        fresh = sent.filter(~pl.col("row").is_in(near.implode()))
        self._tally[system].already_exported = (
            (self._tally[system].already_exported or 0) + sent.height - fresh.height
        )
        return fresh

    def _van_file(self, name: str, header: list[str]) -> CsvFile:
        if name not in self._van_files:
            self._van_files[name] = self._files.open_csv(self._sink, name, header)
        return self._van_files[name]

    def summary(self, report: ValidationReport) -> Summary:
        """The run's final summary, its counts checked (AccountingMismatch): call it once the
        `OpenFiles` block has committed the files."""
        outputs: list[tuple[str, CsvFile, System]] = [
            *((name, csv_file, "organizer") for name, csv_file in self._organizer.written),
            *((name, csv_file, "van") for name, csv_file in self._van_files.items()),
        ]
        notes = []
        if not self._bulk_enabled:
            notes.append(
                "The VAN bulk-import file was not written: no VAN result ID is configured for "
                f"{', '.join(self._config.van_results_without_id)} (van.result_ids). Use the by-name "
                "file with VAN's Bulk Upload wizard instead."
            )
        summary = report.as_summary().model_copy(
            update={
                "systems": {system: tally.counts() for system, tally in self._tally.items()},
                "consent_changing": {
                    system: tally.consent_changing() for system, tally in self._tally.items()
                },
                "files": [
                    *report.files,
                    *(
                        OutputFile(
                            system=system,
                            name=name,
                            location=self._sink.location(name),
                            records=csv_file.records,
                        )
                        for name, csv_file, system in outputs
                    ),
                ],
                "notes": notes,
            }
        )
        return summary.check_accounting()


def _seconds_text(seconds: pl.Expr) -> pl.Expr:
    """Whole seconds as Organizer's Call Duration writes them: empty when the dialer did not say."""
    return seconds.cast(pl.String).fill_null("")


def transform_validated(
    parts: Iterable[pl.DataFrame],
    report: ValidationReport,
    config: PipelineConfig,
    sink: OutputSink,
    work: OutputSink,
) -> Summary:
    """Write every import file for a VALID report's accepted rows to `sink` (and the bulk-import file's
    row map to `work`); return the run's final summary.

    The counts are checked before the summary is returned: a row lost or counted twice is a bug and
    stops the run (AccountingMismatch) rather than reach a campaign's systems.
    """
    assert report.status == "VALID", "only a VALID report may produce import files"
    with OpenFiles() as files:
        imports = ImportFiles(config, sink, files, work)
        imports.add_all(parts)
    return imports.summary(report)
