"""summary.json and the notification: what happened to every input row, and where the files are."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from phonebank.errors import AccountingMismatch, InputFileError
from phonebank.in_force import SettingInForce
from phonebank.models.van_push import VanPushSummary

Count = Annotated[int, Field(ge=0)]
"""A number of rows or records."""

Status = Literal["SUCCEEDED", "REJECTED", "FAILED"]
System = Literal["organizer", "van"]

CONSENT_CHANGING_RESULTS = ("Wrong Number", "Number Disconnected", "Opt Out", "Deceased", "Moved")
_INPUT_FILE_ERRORS = frozenset(error.__name__ for error in InputFileError.__subclasses__())


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class RowCounts(_Model):
    """Every row read is exactly one of accepted, rejected, duplicate or not dialed."""

    rows_read: Count = 0
    accepted: Count = 0
    rejected: Count = 0
    duplicates: Count = 0
    not_dialed: Count = 0

    @property
    def reject_rate(self) -> float:
        return self.rejected / self.rows_read if self.rows_read else 0.0

    def check(self) -> None:
        parts = self.accepted + self.rejected + self.duplicates + self.not_dialed
        if parts != self.rows_read:
            raise AccountingMismatch(
                f"rows read {self.rows_read} != accepted {self.accepted} + rejected {self.rejected} "
                f"+ duplicates {self.duplicates} + not dialed {self.not_dialed}"
            )


def _absent(value: object) -> bool:
    return value is None


class SystemCounts(_Model):
    """Every accepted row, for one system, is written, not sent (no ID, or no instruction), or, with the
    export ledger, already exported by an earlier run."""

    written: Count = 0
    not_sent_no_id: Count = 0
    not_sent_no_instruction: Count = 0
    already_exported: Count | None = Field(default=None, exclude_if=_absent)
    """None (and not in summary.json) when no ledger was consulted."""

    @property
    def total(self) -> int:
        return (
            self.written + self.not_sent_no_id + self.not_sent_no_instruction + (self.already_exported or 0)
        )


class ErrorReason(_Model):
    reason: str
    count: Count


class OutputFile(_Model):
    system: Literal["organizer", "van", "report"]
    name: str
    location: str
    records: Count


class EarlierExport(_Model):
    """Calls of this run that an earlier run's import files already hold, for one system."""

    system: System
    run_id: str
    input: str
    calls: Count


class LedgerRecord(_Model):
    """What the export ledger did for a run: where it is, the run it recorded, what it left out."""

    location: str
    run_id: str
    already_exported: list[EarlierExport] = []


class Summary(_Model):
    status: Status
    input: str
    dialer: str | None = None
    counts: RowCounts = RowCounts()
    max_reject_rate: float
    by_outcome: dict[str, Count] = {}
    by_effort: dict[str, Count] = {}
    consent_changing: dict[System, dict[str, Count]] = {}
    top_errors: list[ErrorReason] = []
    systems: dict[System, SystemCounts] = {}
    files: list[OutputFile] = []
    notes: list[str] = []
    failure: str | None = None
    in_force: dict[str, SettingInForce] = {}
    """The settings the run used, each with where it came from (`in_force.REPORTED_SETTINGS`)."""
    van_push: VanPushSummary | None = Field(default=None, exclude_if=_absent)
    """What the push to VAN's bulk-import API did, when it is configured (`van_push` in the config)."""
    ledger: LedgerRecord | None = Field(default=None, exclude_if=_absent)
    """None (and not in summary.json) when no ledger was consulted."""

    @property
    def reject_rate(self) -> float:
        return self.counts.reject_rate

    @property
    def failure_type(self) -> str | None:
        """The failure's error name (EmptyFile, DuplicateColumn, ...), which `failure` begins with."""
        return self._failure_parts()[0]

    @property
    def failure_reason(self) -> str | None:
        """The failure as a person reads it: the sentence, without the error name in front."""
        return self._failure_parts()[1]

    def _failure_parts(self) -> tuple[str | None, str | None]:
        # The validator reports "EmptyFile: The file is empty..." and scripts may match the name in
        # summary.json; a person is shown only the sentence.
        if not self.failure:
            return None, None
        name, _, text = self.failure.partition(": ")
        return (name, text) if name in _INPUT_FILE_ERRORS else (None, self.failure)

    def check_accounting(self) -> Summary:
        """Raise AccountingMismatch unless every row and every accepted row per system is counted once."""
        self.counts.check()
        for system, counts in self.systems.items():
            if counts.total != self.counts.accepted:
                raise AccountingMismatch(
                    f"{system}: written {counts.written} + not sent or already exported "
                    f"{counts.total - counts.written} != accepted {self.counts.accepted}"
                )
        return self
