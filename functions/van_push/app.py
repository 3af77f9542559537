"""Push To NGP VAN: each step of the push (prepare, create, check, finish), the state machine's loop."""

import os
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter

from phonebank.lambdas import Runtime, Settings
from phonebank.models.van_push_payloads import VanPushRequest
from phonebank.observability import without_row_data_in_errors
from phonebank.van_push_flow import PushRuntime, run_step

logger, tracer = Logger(), Tracer()
push = PushRuntime(
    Runtime(
        Settings.model_validate(dict(os.environ)),
        on_config=lambda in_force: logger.info("configuration in force", extra=in_force.log_fields()),
    )
)
requests: TypeAdapter[Any] = TypeAdapter(VanPushRequest)


@logger.inject_lambda_context(correlation_id_path="run.input_key")
@tracer.capture_lambda_handler(capture_response=False)
@without_row_data_in_errors(logger)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = requests.validate_python(event)
    result = run_step(request, push)
    logger.info(f"van push {request.step} done", extra=result.log_fields())
    return result.model_dump(mode="json")
