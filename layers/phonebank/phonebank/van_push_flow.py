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

import polars as pl
import urllib3

from phonebank.exported import give_back
from phonebank.input_rows import ROW, write_row_report
from phonebank.lambdas import Runtime, ledger_at
from phonebank.models.payloads import Run
from phonebank.models.report import safe_cell, safe_column
from phonebank.models.summary import OutputFile, Summary
from phonebank.models.van_api import BulkImportJob
from phonebank.models.van_push import VAN_ERRORS_FILE, VAN_RESULTS_FILE, VanPushSummary
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
from phonebank.pipeline import SUMMARY_FILE, validated_parts, write_summary
from phonebank.sinks import OpenFiles, OutputSink
from phonebank.storage import ObjectRef, SecretStore, StorageError
from phonebank.transform import VAN_BULK_FILE, VAN_BULK_ROWS_FILE
from phonebank.van_api import VanApi, masked
from phonebank.van_push import (
    ERRORS,
    GIVEN_BACK,
    MISSING,
    PROCESSED,
    REFUSED,
    UNREAD,
    VAN_FILE_LIMIT,
    answer_counts,
    api_key_from_secret,
    id_problems,
    job_request,
    not_recorded_rows,
    record_answers,
    results_table,
)
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

WORK_FOLDER = "van-push/"
NOT_RECORDED_FILE = WORK_FOLDER + "not-recorded-rows.parquet"

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
    run, config = request.run, push.runtime.config
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
    run, plan = request.run, _plan(request.progress)
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
    progress, plan = request.progress, _plan(request.progress)
    assert progress.job_id is not None and progress.deadline is not None, "a job is checked once created"
    job = push.api(plan).job(progress.job_id)
    status = job.status if job is not None else progress.job_status
    if job is not None and job.finished:
        return progress.model_copy(update={"action": "finish", "job_status": status})
    timed_out = push.now() >= progress.deadline
    return progress.model_copy(
        update={"action": "finish" if timed_out else "wait", "job_status": status, "timed_out": timed_out}
    )


def _plan(progress: PushProgress) -> PushPlan:
    assert progress.plan is not None, "the push's steps after Prepare carry its plan"
    return progress.plan


@dataclass
class _Outcome:
    van_push: VanPushSummary
    files: list[OutputFile] = field(default_factory=list)
    not_recorded_rows: str | None = None


def finish(request: FinishRequest, push: PushRuntime) -> PushFinished:
    """The push's result in summary.json and the notification: VAN's counts, van-errors.csv, or why
    there are none."""
    run, progress = request.run, request.progress
    storage, config = push.runtime.storage, push.runtime.config
    if progress.error is not None:
        outcome = _Outcome(_after_error(progress, run))
    elif progress.action == "stop":
        outcome = _Outcome(VanPushSummary(outcome="not_sent", reason=progress.reason, check=progress.check))
    elif progress.timed_out:
        outcome = _Outcome(
            VanPushSummary(
                outcome="timed_out",
                job_id=progress.job_id,
                job_status=progress.job_status,
                records_sent=_plan(progress).records,
                reason=f"VAN had not finished the job {_plan(progress).deadline_minutes:g} minutes after it "
                "was created, so phonebank-sync stopped following it; VAN may still finish it",
                check=JOB_CHECK,
            )
        )
    else:
        outcome = _read_results(request, push)
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


def _read_results(request: FinishRequest, push: PushRuntime) -> _Outcome:
    progress, plan = request.progress, _plan(request.progress)
    assert progress.job_id is not None, "a job's results are read once it has ended"
    api = push.api(plan)
    job = api.job(progress.job_id)
    if job is None or not job.finished:
        return _Outcome(
            VanPushSummary(
                outcome="unknown",
                job_id=progress.job_id,
                job_status=job.status if job else None,
                records_sent=plan.records,
                reason="VAN no longer shows the job as ended",
                check=JOB_CHECK,
            )
        )
    if job.status == "Failed":
        said = "; ".join(masked(e.text or e.code or "") for e in job.errors if e.text or e.code)
        return _Outcome(
            VanPushSummary(
                outcome="failed",
                job_id=job.id,
                job_status=job.status,
                records_sent=plan.records,
                reason=f"VAN said: {said}" if said else "VAN gave no reason",
                check="Check in VAN that the job recorded nothing, then record these calls with the files "
                "below.",
            )
        )
    return _map_results(request, push, api, job)


def _map_results(request: FinishRequest, push: PushRuntime, api: VanApi, job: BulkImportJob) -> _Outcome:
    run, plan = request.run, _plan(request.progress)
    storage = push.runtime.storage
    folder = storage.folder(run.bucket, run.prefix)
    tables, unread = [], not job.result_files
    for index in range(len(job.result_files)):
        data = api.results_file(job, index, push.now())
        if data is None:
            unread = True
        else:
            tables.append(results_table(data))
    sent = pl.read_csv(
        storage.open(ObjectRef(run.bucket, run.prefix + plan.bulk_file)),
        columns=["vanid"],
        schema_overrides={"vanid": pl.String},
    )
    rows = pl.read_csv(
        storage.open(ObjectRef(run.bucket, run.work_prefix + VAN_BULK_ROWS_FILE)), schema={ROW: pl.Int64}
    )
    answers = record_answers(rows[ROW], sent["vanid"], tables, unread)
    counts = answer_counts(answers)
    files = _save_results(folder, tables)
    not_recorded = not_recorded_rows(answers)
    if not_recorded.height:
        files.append(
            write_row_report(
                folder,
                VAN_ERRORS_FILE,
                storage.open(ObjectRef.from_uri(request.archived_to)),
                push.runtime.config.limits.max_input_bytes,
                not_recorded.select(ROW, ERRORS),
            )
        )
    work = storage.folder(run.bucket, run.work_prefix)
    with work.create(NOT_RECORDED_FILE) as stream:
        not_recorded.write_parquet(stream)
    given_back = _give_back(request, push, not_recorded)
    return _Outcome(
        VanPushSummary(
            outcome="completed_with_errors" if not_recorded.height else "completed",
            job_id=job.id,
            job_status=job.status,
            records_sent=answers.height,
            processed=counts[PROCESSED],
            with_errors=counts[REFUSED],
            missing=counts[MISSING],
            unread=counts[UNREAD],
            rows_not_recorded=not_recorded.height,
            rows_given_back=given_back,
        ),
        files,
        work.location(NOT_RECORDED_FILE),
    )


def _give_back(request: FinishRequest, push: PushRuntime, not_recorded: pl.DataFrame) -> int | None:
    """The calls VAN refused or left out whole are no longer this run's export to VAN in the ledger, so
    that the next upload sends them again; before the summary and the email say so (a retry of Finish
    finds them given back already)."""
    if not push.runtime.settings.ledger_uri:
        return None
    run, rows = request.run, not_recorded.filter(pl.col(GIVEN_BACK))[ROW]
    if not rows.len():
        return 0
    parts = validated_parts(push.runtime.storage.folder(run.bucket, run.work_prefix), request.validated_parts)
    return give_back(ledger_at(push.runtime), run.run_id, "van", parts, rows)


def _save_results(folder: OutputSink, tables: list[pl.DataFrame]) -> list[OutputFile]:
    """VAN's results files as read, beside the run's other files (VAN keeps them 24 hours): each cell
    safe to open in a spreadsheet, as every file we write."""
    written = []
    with OpenFiles() as files:
        for number, table in enumerate(tables, start=1):
            name = VAN_RESULTS_FILE.format(number)
            csv_file = files.open_csv(folder, name, [safe_cell(c) for c in table.columns], bom=True)
            csv_file.write_frame(table.select(safe_column(pl.col(c)).alias(c) for c in table.columns))
            written.append((name, csv_file))
    return [
        OutputFile(system="van", name=name, location=folder.location(name), records=f.records)
        for name, f in written
    ]
