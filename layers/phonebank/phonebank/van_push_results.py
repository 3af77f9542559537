"""Finish's reading of a VAN push that ran: the job's results files, each record's answer mapped back
to the input's rows, van-errors.csv, and with the export ledger the calls given back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from phonebank.config import PipelineConfig
from phonebank.exported import give_back
from phonebank.input_rows import ROW, write_row_report
from phonebank.lambdas import ledger_at
from phonebank.models.report import safe_cell, safe_column
from phonebank.models.summary import OutputFile
from phonebank.models.van_api import BulkImportJob
from phonebank.models.van_push import VAN_ERRORS_FILE, VAN_RESULTS_FILE, VanPushSummary
from phonebank.models.van_push_payloads import FinishRequest, PushPlan, PushProgress
from phonebank.pipeline import validated_parts
from phonebank.sinks import OpenFiles, OutputSink
from phonebank.storage import ObjectRef
from phonebank.transform import VAN_BULK_ROWS_FILE
from phonebank.van_api import VanApi, masked
from phonebank.van_push import (
    ERRORS,
    GIVEN_BACK,
    MISSING,
    PROCESSED,
    REFUSED,
    UNREAD,
    answer_counts,
    not_recorded_rows,
    record_answers,
    results_table,
)
from phonebank.van_push_text import JOB_CHECK

if TYPE_CHECKING:
    from phonebank.van_push_flow import PushRuntime

WORK_FOLDER = "van-push/"
"""The push's own folder under the run's work/ prefix: the zip lent to VAN, the rows VAN did not record."""
NOT_RECORDED_FILE = WORK_FOLDER + "not-recorded-rows.parquet"


@dataclass
class Outcome:
    """What Finish says of the push: its summary, the files it wrote, and where the rows VAN did not
    record are kept (named in the execution's result)."""

    van_push: VanPushSummary
    files: list[OutputFile] = field(default_factory=list)
    not_recorded_rows: str | None = None


def plan_of(progress: PushProgress) -> PushPlan:
    """The push's plan, which every step after Prepare carries."""
    assert progress.plan is not None, "the push's steps after Prepare carry its plan"
    return progress.plan


def read_results(request: FinishRequest, push: PushRuntime, config: PipelineConfig) -> Outcome:
    progress, plan = request.progress, plan_of(request.progress)
    assert progress.job_id is not None, "a job's results are read once it has ended"
    api = push.api(plan)
    job = api.job(progress.job_id)
    if job is None or not job.finished:
        return Outcome(
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
        return Outcome(
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
    return _map_results(request, push, api, job, config)


def _map_results(
    request: FinishRequest, push: PushRuntime, api: VanApi, job: BulkImportJob, config: PipelineConfig
) -> Outcome:
    run, plan = request.run, plan_of(request.progress)
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
                config.limits.max_input_bytes,
                not_recorded.select(ROW, ERRORS),
            )
        )
    work = storage.folder(run.bucket, run.work_prefix)
    with work.create(NOT_RECORDED_FILE) as stream:
        not_recorded.write_parquet(stream)
    given_back = _give_back(request, push, not_recorded)
    return Outcome(
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
