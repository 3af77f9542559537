"""The state machine's payloads: what each Lambda takes and returns (JSON through Step Functions)."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel
from pydantic import BaseModel, ConfigDict, Field

from phonebank.models.steps import ValidationReport
from phonebank.models.summary import Summary
from phonebank.notify import Notification

RunId = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
"""The same for every delivery of one uploaded object version, different for every other upload."""

StepStatus = Literal["VALID", "SUCCEEDED", "REJECTED", "FAILED", "DUPLICATE"]


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True)


class Run(_Payload):
    """One run: which uploaded object, the S3 prefix of what it writes for people, and the prefix of
    its working files (the validated rows, with phones and IDs), which the bucket expires."""

    bucket: str
    input_key: str
    version_id: str | None
    run_id: RunId
    prefix: str
    work_prefix: str
    config_version: str | None = None
    """The ConfigKey object's VersionId that the validator read, which every later step of the run
    reads again; None without a ConfigKey or in a bucket without versions."""


class ValidateRequest(_Payload):
    event: S3EventNotificationEventBridgeModel
    execution_id: str


class StepResult(_Payload):
    """What a step returns: the run, its status, and for a finished run the notification to send."""

    status: StepStatus
    run: Run
    report: ValidationReport | None = None
    summary: Summary | None = None
    notification: Notification | None = None


class TransformRequest(_Payload):
    run: Run
    report: ValidationReport


class ArchiveRequest(_Payload):
    """Where to move the input: the upload event again, so that it works even when no step returned."""

    event: S3EventNotificationEventBridgeModel
    status: StepStatus


class ArchiveResult(_Payload):
    archived_to: str
