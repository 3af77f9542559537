"""What the push to NGP VAN's bulk-import API did, as summary.json and the notification say it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from phonebank.errors import AccountingMismatch

PushOutcome = Literal["completed", "completed_with_errors", "failed", "timed_out", "not_sent", "unknown"]
"""completed: VAN recorded every record; completed_with_errors: some records refused, missing from the
results or in a results file that expired before it was read (van-errors.csv lists their rows);
failed: VAN's job failed; timed_out: not finished by the deadline; not_sent: stopped before any job
was created (a setting, the IDs, the key); unknown: the job (or its creation) was lost track of."""

VAN_ERRORS_FILE = "van-errors.csv"
"""The input rows whose calls VAN's bulk-import job did not record, with VAN's message."""
VAN_RESULTS_FILE = "van/van-import-results-{:02d}.csv"
"""Each results file VAN gave, as read: VAN deletes them 24 hours after the job ends."""

NEEDS_ATTENTION: frozenset[PushOutcome] = frozenset({"failed", "timed_out", "not_sent", "unknown"})

Records = Annotated[int, Field(ge=0)]


class VanPushSummary(BaseModel):
    """VAN's counts are of records (a call may be two: its outcome and Last Called At); `rows_not_recorded`
    counts the input rows van-errors.csv lists."""

    model_config = ConfigDict(frozen=True)
    outcome: PushOutcome
    job_id: int | None = None
    job_status: str | None = None
    records_sent: Records = 0
    processed: Records = 0
    with_errors: Records = 0
    missing: Records = 0
    unread: Records = 0
    rows_not_recorded: Records = 0
    rows_given_back: Records | None = None
    """Of those, the rows whose calls the export ledger gave back for VAN (VAN refused or left out all
    their records), which the next upload sends to VAN again; None without a ledger."""
    reason: str | None = None
    """Why it stopped or failed, in words a person reads; no personal value."""
    check: str | None = None
    """What to check before trying again."""

    @property
    def needs_attention(self) -> bool:
        return self.outcome in NEEDS_ATTENTION

    @model_validator(mode="after")
    def _records_add_up(self) -> VanPushSummary:
        answered = self.processed + self.with_errors + self.missing + self.unread
        if self.outcome.startswith("completed") and answered != self.records_sent:
            raise AccountingMismatch(
                f"VAN's answers: processed {self.processed} + with errors {self.with_errors} + missing "
                f"{self.missing} + unread {self.unread} != records sent {self.records_sent}"
            )
        if self.outcome == "completed" and answered != self.processed:
            raise AccountingMismatch("a push with records VAN did not record is completed_with_errors")
        return self
