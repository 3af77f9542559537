"""What each Lambda does, behind its thin handler: the domain's steps on S3 objects."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache
from pathlib import PurePosixPath
from typing import Annotated, Any

from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel
from pydantic import BaseModel, ConfigDict, Field

from phonebank.config import PipelineConfig, config_from_text, load_config
from phonebank.models.payloads import (
    ArchiveRequest,
    ArchiveResult,
    Run,
    StepResult,
    TransformRequest,
    ValidateRequest,
)
from phonebank.notify import notification_for
from phonebank.pipeline import VALIDATED_ROWS_FILE, InputFile, transform_step, validate_step
from phonebank.storage import ObjectRef, S3Storage

INCOMING, ARCHIVE, FAILED, RUNS, WORK = "incoming/", "archive/", "failed/", "runs/", "work/"
CLAIM_FILE = "_claim"


class Settings(BaseModel):
    """The functions' environment, read once per container by the handler."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")
    config_uri: Annotated[str, Field(alias="PHONEBANK_CONFIG_URI")] = ""
    campaign_timezone: Annotated[str | None, Field(alias="CAMPAIGN_TIMEZONE")] = None
    max_reject_rate: Annotated[float | None, Field(alias="MAX_REJECT_RATE", ge=0, le=1)] = None
    region: Annotated[str | None, Field(alias="AWS_REGION")] = None
    """The functions' own region, which Lambda sets: the bucket's, for the email's console links."""


class Runtime:
    """The S3 client and the configuration, built once per Lambda container."""

    def __init__(self, settings: Settings, storage: S3Storage | None = None) -> None:
        self.settings = settings
        self.storage = storage or S3Storage()

    @property
    def config(self) -> PipelineConfig:
        return _configuration(self.settings, self.storage)


@cache
def _configuration(settings: Settings, storage: S3Storage) -> PipelineConfig:
    overrides: dict[str, Any] = {
        "campaign_timezone": settings.campaign_timezone,
        "limits": {"max_reject_rate": settings.max_reject_rate}
        if settings.max_reject_rate is not None
        else None,
    }
    if not settings.config_uri:
        return load_config(**overrides)
    bucket, _, key = settings.config_uri.removeprefix("s3://").partition("/")
    source = ObjectRef(bucket, key)
    return config_from_text(storage.read_text(source), source.uri, **overrides)


def _relative_to_incoming(key: str) -> PurePosixPath:
    return PurePosixPath(key.removeprefix(INCOMING))


def effort_from_key(key: str) -> str | None:
    """`incoming/<effort name>/file.csv` names the effort for rows that have none."""
    parts = _relative_to_incoming(key).parts
    return parts[0] if len(parts) > 1 else None


def run_for(event: S3EventNotificationEventBridgeModel) -> Run:
    """One run id per uploaded object version: EventBridge may deliver the same event twice."""
    detail = event.detail
    obj = detail.object
    identity = "\n".join([detail.bucket.name, obj.key, obj.version_id or "", obj.sequencer or obj.etag])
    run_id = hashlib.sha256(identity.encode()).hexdigest()[:16]
    name = _relative_to_incoming(obj.key).with_suffix("")
    return Run(
        bucket=detail.bucket.name,
        input_key=obj.key,
        version_id=obj.version_id,
        run_id=run_id,
        prefix=f"{RUNS}{name}/{run_id}/",
        work_prefix=f"{WORK}{name}/{run_id}/",
    )


def validate(request: ValidateRequest, runtime: Runtime) -> StepResult:
    run = run_for(request.event)
    storage = runtime.storage
    claimed_by = storage.claim(ObjectRef(run.bucket, run.prefix + CLAIM_FILE), request.execution_id)
    if claimed_by != request.execution_id:
        return StepResult(status="DUPLICATE", run=run)
    source, size = storage.resolve(ObjectRef(run.bucket, run.input_key, run.version_id))
    run = run.model_copy(update={"input_key": source.key})
    folder = storage.folder(run.bucket, run.prefix)
    upload = InputFile(
        name=source.uri, stream=storage.open(source), size=size, folder_effort=effort_from_key(source.key)
    )
    work = storage.folder(run.bucket, run.work_prefix)
    report = validate_step(upload, runtime.config, folder, work, datetime.now(UTC))
    if report.status == "VALID":
        return StepResult(status="VALID", run=run, report=report)
    summary = report.as_summary()
    return StepResult(
        status=report.status,
        run=run,
        report=report,
        summary=summary,
        notification=notification_for(summary, runtime.config, runtime.settings.region),
    )


def transform(request: TransformRequest, runtime: Runtime) -> StepResult:
    run = request.run
    validated_rows = runtime.storage.folder(run.bucket, run.work_prefix).open(VALIDATED_ROWS_FILE)
    folder = runtime.storage.folder(run.bucket, run.prefix)
    summary = transform_step(validated_rows, request.report, runtime.config, folder)
    return StepResult(
        status=summary.status,
        run=request.run,
        report=request.report,
        summary=summary,
        notification=notification_for(summary, runtime.config, runtime.settings.region),
    )


def archive(request: ArchiveRequest, runtime: Runtime) -> ArchiveResult:
    """Move the input out of incoming/: to archive/ once imported, else to failed/. Never deleted."""
    run = run_for(request.event)
    source, _ = runtime.storage.resolve(ObjectRef(run.bucket, run.input_key, run.version_id))
    folder = ARCHIVE if request.status == "SUCCEEDED" else FAILED
    moved = runtime.storage.move(source, folder + str(_relative_to_incoming(source.key)))
    return ArchiveResult(archived_to=moved.uri)
