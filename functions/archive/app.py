"""Move Input: out of incoming/, to archive/ or failed/; the input is never deleted."""

import os
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from phonebank.lambdas import Runtime, Settings, archive
from phonebank.models.payloads import ArchiveRequest
from phonebank.observability import without_row_data_in_errors

logger, tracer = Logger(), Tracer()
runtime = Runtime(Settings.model_validate(dict(os.environ)))


@logger.inject_lambda_context(correlation_id_path="event.detail.object.key")
@tracer.capture_lambda_handler
@without_row_data_in_errors(logger)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = archive(ArchiveRequest.model_validate(event), runtime)
    logger.info("input moved", extra={"archived_to": result.archived_to})
    return result.model_dump(mode="json")
