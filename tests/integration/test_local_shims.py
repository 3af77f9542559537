"""The local stack patches private moto internals: these tests fail loudly when moto changes underneath.

They also tell us when a shim can go: the day moto's own EventBridge rules start Step Functions
executions, `test_moto_alone_still_does_not_start_an_execution_from_a_rule` fails.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import re
import threading
import tomllib
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import moto
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.awslambda.models import LambdaFunction
from moto.events.models import Rule
from moto.s3.responses import S3Response
from moto.stepfunctions.parser.models import StepFunctionsParserBackend, stepfunctions_parser_backends

from phonebank_local import shims
from phonebank_local.stack import ACCOUNT, REGION
from phonebank_local.template import ROOT

PASS_MACHINE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
PATTERN = {"source": ["phonebank.test"], "detail-type": ["Object Created"]}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto with Step Functions executing, a role, a Pass state machine and a rule that targets it."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):  # type: ignore[arg-type]
        role = boto3.client("iam", region_name=REGION).create_role(
            RoleName="shims", AssumeRolePolicyDocument="{}"
        )["Role"]["Arn"]
        sfn = boto3.client("stepfunctions", region_name=REGION)
        machine = sfn.create_state_machine(name="shims", definition=PASS_MACHINE, roleArn=role)[
            "stateMachineArn"
        ]
        events = boto3.client("events", region_name=REGION)
        events.put_rule(Name="to-sfn", EventPattern=json.dumps(PATTERN))
        events.put_targets(Rule="to-sfn", Targets=[{"Id": "sfn", "Arn": machine, "RoleArn": role}])
        yield {"role": role, "machine": machine, "sfn": sfn, "events": events}


def _put_event(events: Any, key: str) -> None:
    entry = {"Source": "phonebank.test", "DetailType": "Object Created", "Detail": json.dumps({"key": key})}
    events.put_events(Entries=[entry])


def _executions(aws: dict[str, Any]) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = aws["sfn"].list_executions(stateMachineArn=aws["machine"])["executions"]
    return listed


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "")
    return buffer.getvalue()


def _parameters(function: Any) -> list[tuple[str, Any]]:
    return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]


def test_the_installed_moto_is_the_one_the_shims_were_written_for() -> None:
    # Given the moto version pyproject.toml pins for development
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    (pin,) = [re.fullmatch(r"moto\[[^]]*\]==([\w.]+)", spec) for spec in dev if spec.startswith("moto")]
    assert pin is not None, "moto must be pinned with == in pyproject.toml: the shims patch its internals"

    # Then the installed moto, the shims' supported version and the pin are one version
    assert moto.__version__ == shims.SUPPORTED_MOTO == pin.group(1)
    shims.check_moto()


def test_check_moto_refuses_another_moto_version(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given another moto version installed
    monkeypatch.setattr(moto, "__version__", "5.2.6")

    # Then the shims refuse to patch it
    with pytest.raises(shims.UnsupportedMoto, match=r"5\.2\.5.*5\.2\.6"):
        shims.check_moto()


def test_the_patched_internals_have_the_signatures_the_shims_assume() -> None:
    # Then moto still has the methods the shims replace, called the way the replacements are written
    assert _parameters(LambdaFunction._invoke_lambda) == [("self", inspect.Parameter.empty), ("event", None)]
    assert _parameters(Rule.send_to_targets) == [
        ("self", inspect.Parameter.empty),
        ("original_event", inspect.Parameter.empty),
        ("transform_input", True),
    ]
    assert inspect.signature(LambdaFunction._invoke_lambda).return_annotation == "tuple[str, bool, str]"
    # And what the bridge calls on a rule and on the Step Functions backend is still there
    assert _parameters(StepFunctionsParserBackend.start_execution)[:4] == [
        ("self", inspect.Parameter.empty),
        ("state_machine_arn", inspect.Parameter.empty),
        ("name", None),
        ("execution_input", None),
    ]
    assert {"account_id", "region_name", "targets", "event_pattern"} <= set(
        inspect.signature(Rule).parameters
    )
    assert stepfunctions_parser_backends[ACCOUNT][REGION] is not None
    # And moto's own Lambda invoke still hands _invoke_lambda the event and unpacks three values
    assert "res, errored, logs = self._invoke_lambda(event=" in inspect.getsource(LambdaFunction.invoke)


def test_within_the_shims_a_lambda_runs_its_handler_in_this_process(aws: dict[str, Any]) -> None:
    # Given a function whose handler echoes its event, and one that fails
    def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"got": event, "function": context.function_name}

    def fail(event: dict[str, Any], context: Any) -> None:
        raise LookupError("no such row")

    client = boto3.client("lambda", region_name=REGION)
    for name in ("echo", "fail"):
        client.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=aws["role"],
            Handler="app.handler",
            Code={"ZipFile": _empty_zip()},
        )

    # When each is invoked within the shims
    with shims.local_lambdas_and_bridge({"echo": echo, "fail": fail}):
        echoed = client.invoke(FunctionName="echo", Payload=json.dumps({"n": 1}))
        failed = client.invoke(FunctionName="fail", Payload="{}")

    # Then the handlers ran: the result is the return value, or the exception by class name
    assert json.loads(echoed["Payload"].read()) == {"got": {"n": 1}, "function": "echo"}
    assert "FunctionError" in failed
    error = json.loads(failed["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("LookupError", "no such row")


def test_within_the_shims_each_matching_event_starts_its_own_execution(aws: dict[str, Any]) -> None:
    # When two events match the rule within the shims
    with shims.local_lambdas_and_bridge({}):
        _put_event(aws["events"], "a.csv")
        _put_event(aws["events"], "b.csv")

    # Then each started an execution of the target, with the event as its input
    executions = _executions(aws)
    assert len(executions) == 2
    inputs = [
        json.loads(aws["sfn"].describe_execution(executionArn=e["executionArn"])["input"]) for e in executions
    ]
    assert sorted(event["detail"]["key"] for event in inputs) == ["a.csv", "b.csv"]


def test_the_shims_are_undone_when_the_block_ends(aws: dict[str, Any]) -> None:
    # Given moto's own methods
    invoke, send, put = LambdaFunction._invoke_lambda, Rule.send_to_targets, S3Response.put_object

    # When the shims' block ends
    with shims.local_lambdas_and_bridge({}):
        assert LambdaFunction._invoke_lambda is not invoke

    # Then moto's own methods are back
    assert LambdaFunction._invoke_lambda is invoke
    assert Rule.send_to_targets is send
    assert S3Response.put_object is put


def test_moto_alone_still_does_not_start_an_execution_from_a_rule(aws: dict[str, Any]) -> None:
    # Given no shim: moto's own EventBridge, and a bucket that sends its events to it
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="shims")
    s3.put_bucket_notification_configuration(
        Bucket="shims", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    aws["events"].put_rule(
        Name="s3-to-sfn", EventPattern=json.dumps({"source": ["aws.s3"], "detail-type": ["Object Created"]})
    )
    aws["events"].put_targets(
        Rule="s3-to-sfn", Targets=[{"Id": "sfn", "Arn": aws["machine"], "RoleArn": aws["role"]}]
    )

    # When an object is created, and an event is put, each matching a rule that targets the state machine
    s3.put_object(Bucket="shims", Key="incoming/a.csv", Body=b"a")
    with contextlib.suppress(NotImplementedError):
        _put_event(aws["events"], "a.csv")

    # Then no execution starts. When this fails, moto bridges EventBridge to Step Functions itself:
    # remove the bridge from phonebank_local/shims.py (and this test).
    assert _executions(aws) == []


def test_within_the_shims_one_of_many_conditional_puts_at_once_wins(aws: dict[str, Any]) -> None:
    # Given moto's PutObject, which checks If-Match / If-None-Match before it stores, as two steps
    assert "if_none_match" in inspect.getsource(S3Response.put_object)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="shims")
    etag = s3.put_object(Bucket="shims", Key="shard", Body=b"v1")["ETag"]
    start = threading.Barrier(16)
    outcomes: list[tuple[str, str]] = []

    def put(condition: dict[str, str], body: bytes) -> None:
        start.wait()
        try:
            s3.put_object(
                Bucket="shims", Key="shard" if "IfMatch" in condition else "new", Body=body, **condition
            )
            outcomes.append(("written", body.decode()))
        except ClientError as refused:
            outcomes.append((refused.response["Error"]["Code"], body.decode()))

    # When, within the shims, eight writers replace the version they read and eight create a new key, at once
    jobs = [({"IfMatch": etag}, f"r{n}".encode()) for n in range(8)]
    jobs += [({"IfNoneMatch": "*"}, f"c{n}".encode()) for n in range(8)]
    threads = [threading.Thread(target=put, args=job) for job in jobs]
    with shims.local_lambdas_and_bridge({}):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    # Then exactly one of each kind was written, as S3 does, and what is stored is the winner's
    written = sorted(body for outcome, body in outcomes if outcome == "written")
    assert [body[0] for body in written] == ["c", "r"]
    assert sum(outcome == "PreconditionFailed" for outcome, _ in outcomes) == 14
    assert s3.get_object(Bucket="shims", Key="shard")["Body"].read().decode() == written[1]
    assert s3.get_object(Bucket="shims", Key="new")["Body"].read().decode() == written[0]
