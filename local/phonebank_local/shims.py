"""The three gaps of moto 5.2 that the local stack closes, kept here and nowhere else.

1. Lambda code runs in Docker in moto (no Docker here): `LambdaFunction._invoke_lambda` is replaced
   by a call to the real handler, in this process.
2. An EventBridge rule with a Step Functions target does nothing in moto 5.2: `Rule.send_to_targets`
   is wrapped to start the execution.
3. moto honours a PutObject's If-Match and If-None-Match, but checks them and then stores the object
   as two steps: two functions running at once (two uploads claiming in the export ledger) could both
   pass the check, where S3 lets one write win and refuses the other. Not seen in practice (16 threads
   racing, 30 times: one winner each time), but only the interpreter's timing prevents it, so
   `S3Response.put_object` is wrapped in a lock, which makes each put whole.

All are private moto internals, so the moto version is pinned in pyproject.toml and checked here:
`tests/integration/test_local_shims.py` fails loudly when moto changes underneath them.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import moto
from moto.awslambda.models import LambdaFunction
from moto.events.models import Rule
from moto.s3.responses import S3Response
from moto.stepfunctions.parser.models import stepfunctions_parser_backends

SUPPORTED_MOTO = "5.2.5"
Handler = Callable[[dict[str, Any], Any], Any]

_log = logging.getLogger(__name__)


class UnsupportedMoto(RuntimeError):
    pass


def check_moto() -> None:
    if moto.__version__ != SUPPORTED_MOTO:
        raise UnsupportedMoto(
            f"the local stack patches moto {SUPPORTED_MOTO} internals, "
            f"but moto {moto.__version__} is installed"
        )
    for owner, name in (
        (LambdaFunction, "_invoke_lambda"),
        (Rule, "send_to_targets"),
        (S3Response, "put_object"),
    ):
        if not callable(getattr(owner, name, None)):
            raise UnsupportedMoto(f"moto no longer has {owner.__name__}.{name}")


@dataclass(frozen=True)
class LambdaContext:
    """What Powertools reads from a Lambda context."""

    function_name: str
    aws_request_id: str = "local-request"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = ""
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def _invoke_in_process(handlers: dict[str, Handler]) -> Callable[..., tuple[str, bool, str]]:
    def invoke(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        payload = json.loads(event) if isinstance(event, str | bytes) else (event or {})
        context = LambdaContext(function.function_name, invoked_function_arn=function.function_arn)
        try:
            return json.dumps(handlers[function.function_name](payload, context)), False, ""
        except Exception as exc:  # a Lambda reports any exception as its result, by class name
            error = {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": []}
            return json.dumps(error), True, traceback.format_exc()

    return invoke


def _bridge_to_step_functions(original: Callable[..., None]) -> Callable[..., None]:
    def send_to_targets(rule: Rule, event: Any, transform_input: bool = True) -> None:
        if not rule.event_pattern.matches_event(event):
            return
        others = [target for target in rule.targets if not target["Arn"].startswith("arn:aws:states:")]
        for target in rule.targets:
            if target not in others:
                try:
                    backend = stepfunctions_parser_backends[rule.account_id][rule.region_name]
                    # EventBridge names each execution it starts; moto would name them all "None", so
                    # every event after the first would be refused as a duplicate (or silently merged).
                    backend.start_execution(
                        target["Arn"], name=str(uuid.uuid4()), execution_input=json.dumps(event, default=str)
                    )
                except Exception:  # moto swallows a target's errors: say so before it does
                    _log.exception("could not start the state machine for an EventBridge event")
                    raise
        if others:
            narrowed = copy.copy(rule)
            narrowed.targets = others
            original(narrowed, event, transform_input)

    return send_to_targets


def _one_put_at_a_time(original: Callable[..., Any]) -> Callable[..., Any]:
    lock = threading.Lock()

    def put_object(response: S3Response) -> Any:
        with lock:
            return original(response)

    return put_object


@contextlib.contextmanager
def local_lambdas_and_bridge(handlers: dict[str, Handler]) -> Iterator[None]:
    """Within the block, Lambda functions named in `handlers` run in-process, rules start executions
    and a conditional PutObject is checked and stored at once."""
    check_moto()
    original_invoke = LambdaFunction._invoke_lambda
    original_send = Rule.send_to_targets
    original_put = S3Response.put_object
    LambdaFunction._invoke_lambda = _invoke_in_process(handlers)  # type: ignore[method-assign]
    Rule.send_to_targets = _bridge_to_step_functions(original_send)  # type: ignore[method-assign]
    S3Response.put_object = _one_put_at_a_time(original_put)  # type: ignore[method-assign]
    try:
        yield
    finally:
        LambdaFunction._invoke_lambda = original_invoke  # type: ignore[method-assign]
        Rule.send_to_targets = original_send  # type: ignore[method-assign]
        S3Response.put_object = original_put  # type: ignore[method-assign]
