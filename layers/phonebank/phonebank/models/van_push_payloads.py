"""What the VAN push's states hand each other through Step Functions: no secret, no link, no row value.

The state machine keeps the push's progress at `$.van_push`: a Pass state starts it as
`{"action": "prepare"}`, each step replaces it, and a Catch adds the step's error as `error`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from phonebank.config import VanDatabase
from phonebank.models.payloads import Run
from phonebank.models.van_push import VanPushSummary
from phonebank.notify import Notification

PushAction = Literal["prepare", "skip", "stop", "send", "wait", "finish"]
"""What the state machine does next: skip (no push configured) and notify; stop (a setting or the IDs
refuse it) and report; send: create the job; wait, then check it again; finish: read its results."""


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True)


class PushPlan(_Payload):
    """The settings the push started with, kept for its later steps (a configuration replaced meanwhile
    does not change a job under way). The API key is not one of them."""

    application_name: str
    database: VanDatabase
    api_url: str
    poll_seconds: int
    deadline_minutes: float
    source_url_minutes: int
    bulk_file: str
    records: int


class StepError(_Payload):
    """What a Catch puts in the state: the error's name and its cause (for a Lambda, a JSON text)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)
    error: Annotated[str, Field(alias="Error")]
    cause: Annotated[str | None, Field(alias="Cause")] = None

    @property
    def message(self) -> str:
        """The step's own message: Lambda's cause is `{"errorMessage", "errorType", ...}`."""
        try:
            parsed = json.loads(self.cause or "")
        except ValueError:
            return self.cause or ""
        return str(parsed.get("errorMessage", "")) if isinstance(parsed, dict) else str(parsed)


class PushProgress(_Payload):
    action: PushAction
    plan: PushPlan | None = None
    reason: str | None = None
    check: str | None = None
    job_id: int | None = None
    job_status: str | None = None
    deadline: datetime | None = None
    timed_out: bool = False
    poll_seconds: int | None = None
    """The Wait state's SecondsPath: the configured poll interval."""
    error: StepError | None = None

    def log_fields(self) -> dict[str, Any]:
        """What a log line may say: the push's state, never the key, a link or a row's value."""
        return {
            "action": self.action,
            "job_id": self.job_id,
            "job_status": self.job_status,
            "timed_out": self.timed_out,
            "reason": self.reason,
        }


class PrepareRequest(_Payload):
    step: Literal["prepare"]
    run: Run


class CreateRequest(_Payload):
    step: Literal["create"]
    run: Run
    progress: PushProgress


class CheckRequest(_Payload):
    step: Literal["check"]
    run: Run
    progress: PushProgress


class FinishRequest(_Payload):
    step: Literal["finish"]
    run: Run
    archived_to: str
    """Where Move Input put the input: van-errors.csv lists the input's own cells, read from there."""
    validated_parts: int
    """How many parts of accepted rows the validator wrote (under work/): the keys of the calls that the
    ledger gives back."""
    progress: PushProgress


VanPushRequest = Annotated[
    PrepareRequest | CreateRequest | CheckRequest | FinishRequest, Field(discriminator="step")
]


class PushFinished(_Payload):
    """The run's result once the push is over: the notification to send in place of the transform's."""

    status: Literal["SUCCEEDED"]
    run: Run
    notification: Notification
    van_push: VanPushSummary
    van_push_failed: bool
    """The execution ends failed (VanPushFailed) after the notification, so that the operator hears too."""
    not_recorded_rows: str | None = None
    """The input rows whose VAN records VAN refused or left out (`row`, `kind`, `errors`, `given_back`,
    Parquet): None when no results were read."""

    def log_fields(self) -> dict[str, Any]:
        return self.van_push.model_dump(exclude={"check"})
