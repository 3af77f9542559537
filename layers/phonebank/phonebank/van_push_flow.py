"""The VAN push's steps on S3, Secrets Manager and VAN's API, behind the van_push function's handler.

Prepare (is a push configured, do VAN's IDs match) -> Create (zip, presign, POST the job) -> Check,
again after each Wait, until the job ends or the deadline passes -> Finish (read every results file,
write van-errors.csv and the summary, and the notification to send). Any step's error reaches Finish
too, which then asks VAN nothing: it says what happened, and what to check.

With the export ledger, Finish gives back the calls VAN refused or left out whole (`exported.give_back`:
this run's `van` entries for them; its Organizer ones stay), so that uploading them again sends them to
VAN again. Not those whose results file expired unread, nor a call VAN recorded in part: VAN may hold
them.
"""

from __future__ import annotations

import csv
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

import urllib3

from phonebank.lambdas import Runtime
from phonebank.models.payloads import Run
from phonebank.models.summary import Summary
from phonebank.models.van_push import VanPushSummary
from phonebank.models.van_push_payloads import (
    CheckRequest,
    CreateRequest,
    FinishRequest,
    PrepareRequest,
    PushFinished,
    PushPlan,
    PushProgress,
)
from phonebank.notify import notification_for
from phonebank.pipeline import SUMMARY_FILE, write_summary
from phonebank.storage import ObjectRef, SecretStore, StorageError
from phonebank.transform import VAN_BULK_FILE
from phonebank.van_api import VanApi, masked
from phonebank.van_push import (
    VAN_FILE_LIMIT,
    api_key_from_secret,
    id_problems,
    job_request,
)
from phonebank.van_push_results import WORK_FOLDER, Outcome, plan_of, read_results
from phonebank.van_push_text import (
    AUTH_CHECK,
    BUSY_CHECK,
    CREATION_CHECK,
    IDS_CHECK,
    JOB_CHECK,
    NO_SECRET_CHECK,
    OPERATOR_CHECK,
    REFUSED_CHECK,
    SECRET_CHECK,
)

# Errors of a step before any job was created, and what to check for each; any other means VAN may
# have created the job.
_BEFORE_A_JOB = {
    "VanAuthRefused": AUTH_CHECK,
    "VanRequestRefused": REFUSED_CHECK,
    "VanRateLimited": BUSY_CHECK,
    "VanUnavailable": BUSY_CHECK,
}


@dataclass
class PushRuntime:
    """The van_push function's clients, built once per container; `now` is the clock (tests set it)."""

    runtime: Runtime
    secrets: SecretStore = field(default_factory=SecretStore)
    http: urllib3.PoolManager | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def api(self, plan: PushPlan) -> VanApi:
        key = api_key_from_secret(self.secrets.read(self.runtime.settings.van_api_key_secret))
        return VanApi(plan.api_url, plan.application_name, key, plan.database, self.http)


def run_step(
    request: PrepareRequest | CreateRequest | CheckRequest | FinishRequest, push: PushRuntime
) -> PushProgress | PushFinished:
    if isinstance(request, PrepareRequest):
        return prepare(request, push)
    if isinstance(request, CreateRequest):
        return create(request, push)
    if isinstance(request, CheckRequest):
        return check(request, push)
    return finish(request, push)


def _stop(reason: str, check: str, plan: PushPlan | None = None) -> PushProgress:
    return PushProgress(action="stop", reason=reason, check=check, plan=plan)


def _summary(push: PushRuntime, run: Run) -> Summary:
    text = push.runtime.storage.read_text(ObjectRef(run.bucket, run.prefix + SUMMARY_FILE))
    return Summary.model_validate_json(text)


def prepare(request: PrepareRequest, push: PushRuntime) -> PushProgress:
    """Whether to push, and with what: nothing is sent to VAN but the two lists of IDs."""
    run = request.run
    config = push.runtime.config_for(run)
    settings = config.van_push
    if not settings.enabled:
        return PushProgress(action="skip")
    if config.van_results_without_id:
        return _stop(
            "the bulk-import file was not written: no VAN result ID is configured for "
            f"{', '.join(config.van_results_without_id)} (van.result_ids)",
            IDS_CHECK,
        )
    bulk = next((f for f in _summary(push, run).files if f.name == VAN_BULK_FILE), None)
    if bulk is None:
        return PushProgress(action="skip")
    if not push.runtime.settings.van_api_key_secret:
        return _stop(
            "van_push is enabled in the configuration, but the stack has no VanApiKeySecretArn",
            NO_SECRET_CHECK,
        )
    plan = PushPlan(
        application_name=settings.application_name or "",
        database=settings.database,
        api_url=settings.api_url,
        poll_seconds=settings.poll_seconds,
        deadline_minutes=settings.deadline_minutes,
        source_url_minutes=settings.source_url_minutes,
        bulk_file=VAN_BULK_FILE,
        records=bulk.records,
    )
    _, size = push.runtime.storage.resolve(ObjectRef(run.bucket, run.prefix + VAN_BULK_FILE))
    if size > VAN_FILE_LIMIT:
        return _stop(
            f"the bulk-import file is {size / 1e6:,.0f} MB, over the 100 MB VAN takes in one job",
            "Split the export into smaller files and upload each, or record these calls with the files "
            "below.",
            plan,
        )
    try:
        api = push.api(plan)
    except StorageError as exc:
        return _stop(f"the function could not read the API key's secret ({exc.code})", SECRET_CHECK, plan)
    except ValueError as exc:
        return _stop(str(exc), SECRET_CHECK, plan)
    problems = id_problems(config, api.result_codes(), api.contact_types())
    if problems:
        return _stop(f"the configured IDs do not match this VAN: {'; '.join(problems)}", IDS_CHECK, plan)
    return PushProgress(action="send", plan=plan)


def create(request: CreateRequest, push: PushRuntime) -> PushProgress:
    """Zip the file under work/, lend VAN a short-lived link to it, and create the job: once."""
    run, plan = request.run, plan_of(request.progress)
    storage = push.runtime.storage
    name = PurePosixPath(plan.bulk_file).name
    archive = ObjectRef(run.bucket, f"{run.work_prefix}{WORK_FOLDER}{name}.zip")
    source = storage.open(ObjectRef(run.bucket, run.prefix + plan.bulk_file))
    header = source.readline()
    with (
        storage.folder(run.bucket, run.work_prefix).create(archive.key.removeprefix(run.work_prefix)) as out,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zipped,
        zipped.open(name, "w") as member,
    ):
        member.write(header)
        shutil.copyfileobj(source, member, 1024 * 1024)
    columns = next(csv.reader([header.decode("utf-8")]))
    url = storage.presigned_url(archive, plan.source_url_minutes * 60)
    job_id = push.api(plan).create_job(job_request(columns, name, url, f"phonebank-sync run {run.run_id}"))
    return PushProgress(
        action="wait",
        plan=plan,
        job_id=job_id,
        job_status="Created",
        deadline=push.now() + timedelta(minutes=plan.deadline_minutes),
        poll_seconds=plan.poll_seconds,
    )


def check(request: CheckRequest, push: PushRuntime) -> PushProgress:
    """Ask VAN once; the state machine waits between asks. VAN may not show a new job at once."""
    progress, plan = request.progress, plan_of(request.progress)
    assert progress.job_id is not None and progress.deadline is not None, "a job is checked once created"
    job = push.api(plan).job(progress.job_id)
    status = job.status if job is not None else progress.job_status
    if job is not None and job.finished:
        return progress.model_copy(update={"action": "finish", "job_status": status})
    timed_out = push.now() >= progress.deadline
    return progress.model_copy(
        update={"action": "finish" if timed_out else "wait", "job_status": status, "timed_out": timed_out}
    )


def finish(request: FinishRequest, push: PushRuntime) -> PushFinished:
    """The push's result in summary.json and the notification: VAN's counts, van-errors.csv, or why
    there are none."""
    run, progress = request.run, request.progress
    storage, config = push.runtime.storage, push.runtime.config_for(run)
    if progress.error is not None:
        outcome = Outcome(_after_error(progress, run))
    elif progress.action == "stop":
        outcome = Outcome(VanPushSummary(outcome="not_sent", reason=progress.reason, check=progress.check))
    elif progress.timed_out:
        plan = plan_of(progress)
        outcome = Outcome(
            VanPushSummary(
                outcome="timed_out",
                job_id=progress.job_id,
                job_status=progress.job_status,
                records_sent=plan.records,
                reason=f"VAN had not finished the job {plan.deadline_minutes:g} minutes after it "
                "was created, so phonebank-sync stopped following it; VAN may still finish it",
                check=JOB_CHECK,
            )
        )
    else:
        outcome = read_results(request, push, config)
    summary = _summary(push, run)
    summary = summary.model_copy(
        update={"van_push": outcome.van_push, "files": [*summary.files, *outcome.files]}
    ).check_accounting()
    write_summary(storage.folder(run.bucket, run.prefix), summary)
    return PushFinished(
        status="SUCCEEDED",
        run=run,
        notification=notification_for(summary, config, push.runtime.settings.region),
        van_push=outcome.van_push,
        van_push_failed=outcome.van_push.needs_attention,
        not_recorded_rows=outcome.not_recorded_rows,
    )


def _after_error(progress: PushProgress, run: Run) -> VanPushSummary:
    assert progress.error is not None
    name, message = progress.error.error, masked(progress.error.message) or progress.error.error
    records = progress.plan.records if progress.plan else 0
    if progress.job_id is not None:
        return VanPushSummary(
            outcome="unknown",
            job_id=progress.job_id,
            job_status=progress.job_status,
            records_sent=records,
            reason=f"phonebank-sync lost track of the job ({name}: {message})",
            check=JOB_CHECK,
        )
    if progress.action == "send" and name not in _BEFORE_A_JOB:
        return VanPushSummary(
            outcome="unknown",
            records_sent=records,
            reason=f"phonebank-sync could not tell whether VAN created the job ({name}: {message})",
            check=CREATION_CHECK.format(run_id=run.run_id),
        )
    return VanPushSummary(
        outcome="not_sent", reason=f"{name}: {message}", check=_BEFORE_A_JOB.get(name, OPERATOR_CHECK)
    )
