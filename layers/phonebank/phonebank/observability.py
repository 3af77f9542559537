"""Logs and metrics for the Lambdas: counts and names of things, never a phone number or a name."""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from phonebank.errors import PhonebankError
from phonebank.models.payloads import StepResult

Handler = TypeVar("Handler", bound=Callable[..., Any])


class UnexpectedError(PhonebankError):
    """A bug, reported by its type alone: the original message may quote a row's values."""


def record_step(logger: Logger, metrics: Metrics, step: str, result: StepResult) -> None:
    summary = result.summary
    counts = summary.counts if summary else result.report.counts if result.report else None
    logger.info(
        f"{step} finished",
        extra={
            "status": result.status,
            "run_id": result.run.run_id,
            "counts": counts.model_dump() if counts else None,
        },
    )
    if step == "validate" and counts is not None:
        metrics.add_metric(name="RowsRead", unit=MetricUnit.Count, value=counts.rows_read)
        metrics.add_metric(name="RowsRejected", unit=MetricUnit.Count, value=counts.rejected)
    if result.status == "FAILED":
        metrics.add_metric(name="FilesFailed", unit=MetricUnit.Count, value=1)
    if result.status == "REJECTED":
        metrics.add_metric(name="FilesRejected", unit=MetricUnit.Count, value=1)
    if result.status == "DUPLICATE":
        metrics.add_metric(name="DuplicateDeliveries", unit=MetricUnit.Count, value=1)
    if summary is not None:
        for system, system_counts in summary.systems.items():
            metrics.add_metric(
                name=f"RowsWritten{system.capitalize()}", unit=MetricUnit.Count, value=system_counts.written
            )
            if system_counts.already_exported is not None:
                metrics.add_metric(
                    name=f"RowsAlreadyExported{system.capitalize()}",
                    unit=MetricUnit.Count,
                    value=system_counts.already_exported,
                )


def without_row_data_in_errors(logger: Logger) -> Callable[[Handler], Handler]:
    """Let the pipeline's own errors through; replace any other by its type, logging where it came from.

    An unexpected exception (a pydantic error on a bug, say) may quote the row it choked on, and both
    the Lambda runtime and Step Functions would carry that message into logs and the email.
    """

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                return handler(*args, **kwargs)
            except PhonebankError:
                raise
            except Exception as exc:
                where = "".join(traceback.format_tb(exc.__traceback__))
                logger.error("unexpected error", extra={"error_type": type(exc).__name__, "traceback": where})
                raise UnexpectedError(f"unexpected {type(exc).__name__}: see the function's log") from None

        return wrapped  # type: ignore[return-value]

    return decorate
