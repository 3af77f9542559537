"""Build Import Files: the Organizer and NGP VAN files from the validated rows, and the summary."""

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from phonebank.lambdas import Runtime, Settings, transform
from phonebank.models.payloads import TransformRequest
from phonebank.observability import record_step, without_row_data_in_errors

logger, tracer, metrics = Logger(), Tracer(), Metrics()
runtime = Runtime(
    Settings.model_validate(dict(os.environ)),
    on_config=lambda in_force: logger.info("configuration in force", extra=in_force.log_fields()),
)


@logger.inject_lambda_context(correlation_id_path="run.input_key")
@tracer.capture_lambda_handler
@without_row_data_in_errors(logger)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = transform(TransformRequest.model_validate(event), runtime)
    record_step(logger, metrics, "transform", result)
    return result.model_dump(mode="json")
