"""What each Lambda does, behind its thin handler: the domain's steps on S3 objects."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Annotated, Any

from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel
from pydantic import BaseModel, ConfigDict, Field

from phonebank.config import PipelineConfig, begins_like_a_formula, build_config, parse_mapping
from phonebank.exported import LedgerRun
from phonebank.heap import keep_freed_blocks
from phonebank.in_force import SettingInForce, settings_in_force
from phonebank.ledger import Ledger
from phonebank.ledger_store import S3LedgerStore
from phonebank.models.payloads import (
    ArchiveRequest,
    ArchiveResult,
    Run,
    StepResult,
    TransformRequest,
    ValidateRequest,
)
from phonebank.notify import notification_for
from phonebank.pipeline import InputFile, transform_step, validate_step
from phonebank.storage import ObjectRef, S3Storage, StorageError, key_spellings

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
    van_api_key_secret: Annotated[str, Field(alias="VAN_API_KEY_SECRET")] = ""
    """The VAN push function's only: the ARN of the secret holding VAN's API key (never the key)."""
    ledger_uri: Annotated[str, Field(alias="PHONEBANK_LEDGER_URI")] = ""
    """The export ledger's S3 prefix (the transform's, and the VAN push's to give calls back; template.yaml
    always sets it)."""


@dataclass(frozen=True)
class ConfigurationInForce:
    """A configuration, the ConfigKey object version it came from, and where its settings came from."""

    config: PipelineConfig
    version: str
    settings: dict[str, SettingInForce]
    version_id: str | None = None
    """The object's S3 VersionId, where the bucket keeps versions: what a run's later steps read again."""

    def log_fields(self) -> dict[str, Any]:
        """What a log line may say of it: the settings and their sources, no row data, no personal data."""
        fields: dict[str, Any] = {"config_version": self.version or "(no ConfigKey)"}
        for name, setting in self.settings.items():
            key = name.rpartition(".")[2]
            fields[key], fields[f"{key}_from"] = setting.value, setting.source
        return fields


class Runtime:
    """The S3 client, built once per Lambda container, and the configuration, read again for each run."""

    def __init__(
        self,
        settings: Settings,
        storage: S3Storage | None = None,
        on_config: Callable[[ConfigurationInForce], None] | None = None,
    ) -> None:
        """`on_config` hears of the configuration each run uses: the handlers log it."""
        keep_freed_blocks()
        self.settings = settings
        self.storage = storage or S3Storage()
        self.on_config = on_config
        self.in_force: ConfigurationInForce | None = None

    @property
    def config(self) -> PipelineConfig:
        """The ConfigKey object as it is now: a warm container sees a replaced one on its next run, and
        parses an unchanged one (the same version, or ETag where there is none) only once."""
        if not self.settings.config_uri:
            return self._read(None, "")
        return self._read(*self.storage.current(ObjectRef.from_uri(self.settings.config_uri)))

    def config_for(self, run: Run) -> PipelineConfig:
        """The configuration `run`'s validator read (`Run.config_version`), though the ConfigKey object
        was replaced since: the files, the email and the VAN push follow the settings its summary lists.
        A run that pinned no version (no ConfigKey, or a bucket without versions) reads it as it is now."""
        if run.config_version is None or not self.settings.config_uri:
            return self.config
        config_key = ObjectRef.from_uri(self.settings.config_uri)
        return self._read(replace(config_key, version_id=run.config_version), run.config_version)

    def _read(self, source: ObjectRef | None, version: str) -> PipelineConfig:
        if self.in_force is None or self.in_force.version != version:
            text = self.storage.read_text(source) if source else None
            self.in_force = _configuration(self.settings, text, source, version)
        if self.on_config:
            self.on_config(self.in_force)
        return self.in_force.config


FILE, PARAMETER = "ConfigKey file", "stack parameter"


def _configuration(
    settings: Settings, text: str | None, source: ObjectRef | None, version: str
) -> ConfigurationInForce:
    """The stack's parameters are defaults under the campaign's ConfigKey file: the file is the campaign's
    own, more specific choice, and `phonebank run --config` reads the same file the same way."""
    parameters: dict[str, Any] = {}
    if settings.campaign_timezone is not None:
        parameters["campaign_timezone"] = settings.campaign_timezone
    if settings.max_reject_rate is not None:
        parameters["limits"] = {"max_reject_rate": settings.max_reject_rate}
    from_file = parse_mapping(text, source.uri if source else "") if text is not None else {}
    config = build_config(parameters, from_file)
    return ConfigurationInForce(
        config,
        version,
        settings_in_force(config, [(PARAMETER, parameters), (FILE, from_file)]),
        source.version_id if source else None,
    )


# S3 keys are not paths: these parts name no folder a person made.
_NOT_A_NAME = frozenset({"", ".", ".."})


def _run_name(key: str) -> str:
    """`incoming/<folders>/<file>.csv` -> `<folders>/<file>`, the name runs/, work/ and archive/ use."""
    parts = [part for part in key.removeprefix(INCOMING).split("/") if part not in _NOT_A_NAME]
    return str(PurePosixPath(*parts).with_suffix("")) if parts else "unnamed"


def effort_from_key(key: str) -> str | None:
    """`incoming/<effort name>/file.csv` names the effort for rows that have none; a folder that is no
    name (`incoming//x.csv`, `incoming/../x.csv`) or would run as a formula in a spreadsheet names none."""
    parts = key.removeprefix(INCOMING).split("/")
    if len(parts) < 2 or parts[0] in _NOT_A_NAME or begins_like_a_formula(parts[0]):
        return None
    return parts[0]


def run_for(event: S3EventNotificationEventBridgeModel) -> Run:
    """One run id per uploaded object version: EventBridge may deliver the same event twice."""
    detail = event.detail
    obj = detail.object
    identity = "\n".join([detail.bucket.name, obj.key, obj.version_id or "", obj.sequencer or obj.etag])
    run_id = hashlib.sha256(identity.encode()).hexdigest()[:16]
    name = _run_name(obj.key)
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
    folder = storage.folder(run.bucket, run.prefix)
    upload = InputFile(
        name=source.uri, stream=storage.open(source), size=size, folder_effort=effort_from_key(source.key)
    )
    work = storage.folder(run.bucket, run.work_prefix)
    config = runtime.config
    in_force = runtime.in_force
    run = run.model_copy(
        update={"input_key": source.key, "config_version": in_force.version_id if in_force else None}
    )
    settings = in_force.settings if in_force else None
    report = validate_step(upload, config, folder, work, datetime.now(UTC), in_force=settings)
    if report.status == "VALID":
        return StepResult(status="VALID", run=run, report=report)
    summary = report.as_summary()
    return StepResult(
        status=report.status,
        run=run,
        report=report,
        summary=summary,
        notification=notification_for(summary, config, runtime.settings.region),
    )


def transform(request: TransformRequest, runtime: Runtime) -> StepResult:
    run = request.run
    work = runtime.storage.folder(run.bucket, run.work_prefix)
    folder = runtime.storage.folder(run.bucket, run.prefix)
    config = runtime.config_for(run)
    summary = transform_step(work, request.report, config, folder, _ledger_run(run, runtime))
    return StepResult(
        status=summary.status,
        run=request.run,
        report=request.report,
        summary=summary,
        notification=notification_for(summary, config, runtime.settings.region),
    )


def _ledger_run(run: Run, runtime: Runtime) -> LedgerRun | None:
    """The run in the stack's ledger; the upload is still in incoming/ (Move Input comes after), and
    already-exported.csv reads the very version the validator read."""
    if not runtime.settings.ledger_uri:
        return None
    storage = runtime.storage
    upload = ObjectRef(run.bucket, run.input_key, run.version_id)
    return LedgerRun(ledger_at(runtime), run.run_id, lambda: storage.open(upload))


def ledger_at(runtime: Runtime) -> Ledger:
    """The stack's export ledger (PHONEBANK_LEDGER_URI)."""
    return Ledger(S3LedgerStore.at(runtime.storage, runtime.settings.ledger_uri))


def archive(request: ArchiveRequest, runtime: Runtime) -> ArchiveResult:
    """Move the uploaded version out of incoming/: to archive/ once imported, else to failed/.

    Under the run's own name, as its outputs are under runs/: a newer upload of the same key, processed
    by its own run, is never overwritten by an older one, nor hidden by the move.
    """
    run = run_for(request.event)
    storage = runtime.storage
    folder = ARCHIVE if request.status == "SUCCEEDED" else FAILED
    try:
        source, _ = storage.resolve(ObjectRef(run.bucket, run.input_key, run.version_id))
    except StorageError:
        # A retried step whose first attempt moved the version finds the copy it made instead.
        for key in key_spellings(run.input_key):
            moved = ObjectRef(run.bucket, _moved_key(folder, key, run.run_id))
            if storage.exists(moved):
                return ArchiveResult(archived_to=moved.uri)
        raise
    moved = storage.move(source, _moved_key(folder, source.key, run.run_id))
    return ArchiveResult(archived_to=moved.uri)


def _moved_key(folder: str, key: str, run_id: str) -> str:
    return f"{folder}{_run_name(key)}/{run_id}/{PurePosixPath(key).name}"
