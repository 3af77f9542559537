"""Turn validated interactions into Organizer's import and NGP VAN's canvass-result files."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from phonebank.config import PipelineConfig
from phonebank.models.interaction import Interaction
from phonebank.models.organizer import OrganizerRow
from phonebank.models.steps import ValidationReport
from phonebank.models.summary import CONSENT_CHANGING_RESULTS, OutputFile, Summary, System, SystemCounts
from phonebank.models.van import VanBulkRow, VanNamesRow
from phonebank.phones import national_and_country, national_or_e164
from phonebank.sinks import CsvFile, OpenFiles, OutputSink

ORGANIZER_FILE = "organizer/organizer-phone-interactions-{:02d}.csv"
VAN_NAMES_FILE = "van/van-canvass-results-by-name.csv"
VAN_BULK_FILE = "van/van-canvass-results-bulk-import.csv"


def _organizer_date_time(local: datetime) -> str:
    # strftime is several times slower than formatting the fields, once a row.
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


@dataclass
class _SystemTally:
    written: int = 0
    no_id: int = 0
    no_instruction: int = 0
    consent_changing: Counter[str] = field(default_factory=Counter)

    def counts(self) -> SystemCounts:
        return SystemCounts(
            written=self.written, not_sent_no_id=self.no_id, not_sent_no_instruction=self.no_instruction
        )


class _OrganizerFiles:
    """Numbered Organizer files: at most N distinct efforts each, and under the size limit."""

    def __init__(self, sink: OutputSink, files: OpenFiles, max_efforts: int, max_bytes: int) -> None:
        self._sink, self._files = sink, files
        self._max_efforts, self._max_bytes = max_efforts, max_bytes
        self._group_of: dict[str, int] = {}
        self._current: dict[int, tuple[str, CsvFile]] = {}
        self.written: list[tuple[str, CsvFile]] = []

    def write(self, row: OrganizerRow) -> None:
        group = self._group_of.setdefault(row.effort_name, len(self._group_of) // self._max_efforts)
        current = self._current.get(group)
        if current is None:
            current = self._start(group)
        line = current[1].encode(row.to_cells())
        if current[1].records and current[1].bytes_written + len(line) > self._max_bytes:
            self._files.finish(current[0])
            current = self._start(group)
        current[1].write_encoded(line)

    def _start(self, group: int) -> tuple[str, CsvFile]:
        name = ORGANIZER_FILE.format(len(self.written) + 1)
        started = (name, self._files.open_csv(self._sink, name, OrganizerRow.HEADER))
        self._current[group] = started
        self.written.append(started)
        return started


class _Transformer:
    def __init__(self, config: PipelineConfig, sink: OutputSink, files: OpenFiles) -> None:
        self.config = config
        self.zone = config.campaign_zone
        self.tally: dict[System, _SystemTally] = {"organizer": _SystemTally(), "van": _SystemTally()}
        limits = config.limits
        self.organizer = _OrganizerFiles(
            sink, files, limits.organizer_max_efforts_per_file, limits.organizer_max_file_bytes
        )
        self.bulk_enabled = not config.van_results_without_id
        self._sink, self._files = sink, files
        self.van_files: dict[str, CsvFile] = {}
        # The instructions depend on the outcome alone: worked out once, not once a row.
        self._instructions_by_outcome = {
            outcome: self._van_instructions(config, outcome) for outcome in config.outcomes
        }

    def add(self, interaction: Interaction) -> None:
        local = interaction.called_at.astimezone(self.zone)
        self._to_organizer(interaction, local)
        self._to_van(interaction, local)

    def _to_organizer(self, interaction: Interaction, local: datetime) -> None:
        tally = self.tally["organizer"]
        result = self.config.outcomes[interaction.outcome].organizer
        if not interaction.profile_id:
            tally.no_id += 1
            return
        if result is None:
            tally.no_instruction += 1
            return
        assert interaction.effort, "the validator rejects Organizer rows without an effort"
        phone = (
            interaction.phone
            if self.config.organizer_phone_format == "e164"
            else national_or_e164(interaction.phone)
        )
        self.organizer.write(
            OrganizerRow(
                profile_id=interaction.profile_id,
                effort_name=interaction.effort,
                date_time=_organizer_date_time(local),
                phone_number_called=phone,
                service=interaction.service,
                call_type=interaction.call_type,
                call_result=result,
                call_duration=interaction.duration,
            )
        )
        tally.written += 1
        if result in CONSENT_CHANGING_RESULTS:
            tally.consent_changing[result] += 1

    @staticmethod
    def _van_instructions(config: PipelineConfig, outcome: str) -> list[tuple[str, int, str]]:
        """The VAN records one call with `outcome` produces: contact type, its ID, result."""
        van = config.van
        instructions = []
        result = config.outcomes[outcome].van
        if result:
            instructions.append((van.contact_type, van.contact_type_id, result))
        if van.last_called_at.enabled and van.last_called_at.result:
            instructions.append(
                (
                    van.last_called_at.contact_type,
                    van.last_called_at.contact_type_id,
                    van.last_called_at.result,
                )
            )
        return instructions

    def _van_file(self, name: str, header: list[str]) -> CsvFile:
        if name not in self.van_files:
            self.van_files[name] = self._files.open_csv(self._sink, name, header)
        return self.van_files[name]

    def _to_van(self, interaction: Interaction, local: datetime) -> None:
        tally = self.tally["van"]
        instructions = self._instructions_by_outcome[interaction.outcome]
        if not interaction.van_id:
            tally.no_id += 1
            return
        if not instructions:
            tally.no_instruction += 1
            return
        phone, country = national_and_country(interaction.phone)
        for contact_type, contact_type_id, result in instructions:
            self._van_file(VAN_NAMES_FILE, VanNamesRow.HEADER).write(
                VanNamesRow(
                    van_id=interaction.van_id,
                    date_canvassed=f"{local.month:02d}/{local.day:02d}/{local.year:04d}",
                    phone=phone,
                    contact_type=contact_type,
                    result=result,
                ).to_cells()
            )
            if self.bulk_enabled:
                self._van_file(VAN_BULK_FILE, VanBulkRow.HEADER).write(
                    VanBulkRow(
                        vanid=interaction.van_id,
                        contacttypeid=contact_type_id,
                        resultid=self.config.van.result_ids[result],
                        datecanvassed=local.isoformat(timespec="seconds"),
                        canvassedby=self.config.van.canvassed_by,
                        phone=phone,
                        countrycode=country,
                    ).to_cells()
                )
            if result in CONSENT_CHANGING_RESULTS:
                tally.consent_changing[result] += 1
        tally.written += 1


def transform_validated(
    rows: Iterable[Interaction], report: ValidationReport, config: PipelineConfig, sink: OutputSink
) -> Summary:
    """Write every import file for a VALID report's accepted rows; return the run's final summary.

    The counts are checked before the summary is returned: a row lost or counted twice is a bug and
    stops the run (AccountingMismatch) rather than reach a campaign's systems.
    """
    assert report.status == "VALID", "only a VALID report may produce import files"
    with OpenFiles() as files:
        transformer = _Transformer(config, sink, files)
        for interaction in rows:
            transformer.add(interaction)
    outputs: list[tuple[str, CsvFile, System]] = [
        *((name, csv_file, "organizer") for name, csv_file in transformer.organizer.written),
        *((name, csv_file, "van") for name, csv_file in transformer.van_files.items()),
    ]
    notes = []
    if not transformer.bulk_enabled:
        notes.append(
            "The VAN bulk-import file was not written: no VAN result ID is configured for "
            f"{', '.join(config.van_results_without_id)} (van.result_ids). Use the by-name file with "
            "VAN's Bulk Upload wizard instead."
        )
    summary = report.as_summary().model_copy(
        update={
            "systems": {system: tally.counts() for system, tally in transformer.tally.items()},
            "consent_changing": {
                system: dict(tally.consent_changing) for system, tally in transformer.tally.items()
            },
            "files": [
                *report.files,
                *(
                    OutputFile(
                        system=system, name=name, location=sink.location(name), records=csv_file.records
                    )
                    for name, csv_file, system in outputs
                ),
            ],
            "notes": notes,
        }
    )
    return summary.check_accounting()
