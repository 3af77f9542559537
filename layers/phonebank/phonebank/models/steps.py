"""What the pipeline's steps hand each other (and the Lambda handlers return to Step Functions)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from phonebank.in_force import SettingInForce
from phonebank.models.summary import ErrorReason, OutputFile, RowCounts, Summary

ValidationStatus = Literal["VALID", "REJECTED", "FAILED"]


class ValidationReport(BaseModel):
    """The validator's result: the counts so far, and whether the transform may run."""

    model_config = ConfigDict(frozen=True)
    status: ValidationStatus
    input: str
    dialer: str | None = None
    counts: RowCounts = RowCounts()
    max_reject_rate: float
    top_errors: list[ErrorReason] = []
    by_outcome: dict[str, int] = {}
    by_effort: dict[str, int] = {}
    files: list[OutputFile] = []
    failure: str | None = None
    in_force: dict[str, SettingInForce] = {}
    validated_parts: int = 0
    """How many Parquet parts of accepted rows the transformer reads (`validate.VALIDATED_PART`)."""

    def as_summary(self) -> Summary:
        """The final summary of a run that stops here (REJECTED or FAILED), or the start of one."""
        return Summary(
            status="SUCCEEDED" if self.status == "VALID" else self.status,
            input=self.input,
            dialer=self.dialer,
            counts=self.counts,
            max_reject_rate=self.max_reject_rate,
            by_outcome=self.by_outcome,
            by_effort=self.by_effort,
            top_errors=self.top_errors,
            files=self.files,
            failure=self.failure,
            in_force=self.in_force,
        )
