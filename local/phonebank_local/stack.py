"""The template's resources on moto, in this process: bucket, topic, functions, rule, state machine."""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO
from unittest import mock

import boto3
from aws_lambda_powertools import Logger
from moto import mock_aws

from phonebank_local.shims import Handler, local_lambdas_and_bridge
from phonebank_local.template import Resolver, Template

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "phonebank-local-uploads"
CONFIG_FOLDER = "config/"
INTERPRETER_LOGGER = "moto.stepfunctions.parser"
LOCAL_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
}


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "")
    return buffer.getvalue()


def _resolve_deep(value: Any, resolve: Resolver) -> Any:
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith(("Ref", "Fn::")):
        return resolve(value)
    if isinstance(value, dict):
        return {key: _resolve_deep(item, resolve) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve_deep(item, resolve) for item in value]
    return value


def _load_handler(spec_dir: Path, handler: str, unique_name: str) -> Handler:
    module_name, function_name = handler.rsplit(".", 1)
    spec = importlib.util.spec_from_file_location(unique_name, spec_dir / f"{module_name}.py")
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    loaded: Handler = getattr(module, function_name)
    return loaded


class _JsonLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"level": record.levelname, "logger": record.name, "message": record.getMessage()})


class LocalStack:
    """`with LocalStack() as stack:` the whole pipeline, as template.yaml declares it, on moto."""

    def __init__(
        self,
        parameters: dict[str, str] | None = None,
        template: Template | None = None,
        log: TextIO | None = None,
        config: Path | None = None,
        secrets: dict[str, str] | None = None,
    ) -> None:
        """`secrets`: a parameter naming a secret (VanApiKeySecretArn) -> the secret's text, stored in the
        local Secrets Manager and the parameter set to its ARN, as an operator would deploy it."""
        self.template = template or Template()
        self.parameters = parameters or {}
        self.log = log
        self.config = config
        self.secrets = secrets or {}
        self.handlers: dict[str, Handler] = {}
        self._exit = ExitStack()

    def __enter__(self) -> LocalStack:
        try:
            self._start()
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._exit.close()

    def _start(self) -> None:
        self._exit.enter_context(mock.patch.dict(os.environ, LOCAL_ENVIRONMENT))
        self._exit.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        self.s3: Any = boto3.client("s3", region_name=REGION)
        self.sns: Any = boto3.client("sns", region_name=REGION)
        self.sqs: Any = boto3.client("sqs", region_name=REGION)
        self.sfn: Any = boto3.client("stepfunctions", region_name=REGION)
        role = boto3.client("iam", region_name=REGION).create_role(
            RoleName="phonebank-local", AssumeRolePolicyDocument="{}"
        )["Role"]["Arn"]
        physical = {"UploadBucket": self._create_bucket(), "NotificationTopic": self._create_topic()}
        resolver = Resolver(self.template, physical)
        resolver.parameters.update(self.parameters)
        secrets = boto3.client("secretsmanager", region_name=REGION)
        for parameter, text in self.secrets.items():
            created = secrets.create_secret(Name=f"phonebank-local/{parameter}", SecretString=text)
            resolver.parameters[parameter] = created["ARN"]
        if self.config is not None:
            # Where the deployed stack reads it: the ConfigKey object, named to the functions by the
            # template's own PHONEBANK_CONFIG_URI.
            resolver.parameters["ConfigKey"] = CONFIG_FOLDER + self.config.name
            self.upload(CONFIG_FOLDER + self.config.name, self.config.read_bytes())
        for spec in self.template.functions():
            environment = {name: str(resolver(value)) for name, value in spec.environment.items()}
            arn = boto3.client("lambda", region_name=REGION).create_function(
                FunctionName=spec.logical_id,
                Runtime="python3.11",
                Role=role,
                Handler=spec.handler,
                Code={"ZipFile": _empty_zip()},
                Environment={"Variables": environment},
            )["FunctionArn"]
            physical[spec.logical_id] = {"Ref": spec.logical_id, "Arn": arn}
            os.environ.update(environment)
            self.handlers[spec.logical_id] = _load_handler(
                spec.code_dir, spec.handler, f"phonebank_local_{spec.logical_id}_{id(self)}"
            )
        self._send_function_logs_to(self.log or sys.stdout)
        self._send_interpreter_logs_to(self.log or sys.stdout)
        self.state_machine_arn = self._create_state_machine(resolver, role)
        self._exit.enter_context(local_lambdas_and_bridge(self.handlers))

    def _send_function_logs_to(self, stream: TextIO) -> None:
        """Powertools gives every Logger of a service the handler of the first one made in the process,
        writing to the stdout of that moment: point it at this stack's log while the stack is up."""
        handler = Logger().logger_handler
        if isinstance(handler, logging.StreamHandler):
            previous, handler.stream = handler.stream, stream
            self._exit.callback(setattr, handler, "stream", previous)

    def _send_interpreter_logs_to(self, stream: TextIO) -> None:
        """moto's Step Functions interpreter logs every Fail state it runs (a REJECTED or FAILED file
        ends in one) as an ERROR with about 1 KB of its own internals, and has no handler: Python's
        last resort printed it on stderr. Keep it in this stack's log, one JSON line a record."""
        interpreter = logging.getLogger(INTERPRETER_LOGGER)
        handler = logging.StreamHandler(stream)
        handler.setFormatter(_JsonLine())
        interpreter.addHandler(handler)
        propagate, interpreter.propagate = interpreter.propagate, False
        self._exit.callback(setattr, interpreter, "propagate", propagate)
        self._exit.callback(interpreter.removeHandler, handler)

    def _create_bucket(self) -> dict[str, str]:
        self.s3.create_bucket(Bucket=BUCKET)
        self.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        self.s3.put_bucket_notification_configuration(
            Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        return {"Ref": BUCKET, "Arn": f"arn:aws:s3:::{BUCKET}"}

    def _create_topic(self) -> dict[str, str]:
        topic_arn = self.sns.create_topic(Name="phonebank-sync")["TopicArn"]
        self.inbox_url = self.sqs.create_queue(QueueName="phonebank-inbox")["QueueUrl"]
        inbox_arn = self.sqs.get_queue_attributes(QueueUrl=self.inbox_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn)
        return {"Ref": topic_arn, "TopicName": "phonebank-sync"}

    def _create_state_machine(self, resolver: Resolver, role: str) -> str:
        logical_id, asl_path, substitutions, pattern = self.template.state_machine()
        definition = asl_path.read_text(encoding="utf-8")
        for name, value in substitutions.items():
            definition = definition.replace("${" + name + "}", str(resolver(value)))
        arn: str = self.sfn.create_state_machine(name=logical_id, definition=definition, roleArn=role)[
            "stateMachineArn"
        ]
        events = boto3.client("events", region_name=REGION)
        events.put_rule(Name="UploadCreated", EventPattern=json.dumps(_resolve_deep(pattern, resolver)))
        events.put_targets(Rule="UploadCreated", Targets=[{"Id": "pipeline", "Arn": arn, "RoleArn": role}])
        return arn

    def upload(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    def executions(self) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = self.sfn.list_executions(stateMachineArn=self.state_machine_arn)[
            "executions"
        ]
        return sorted(listed, key=lambda execution: execution["startDate"])

    def wait_for_executions(self, count: int = 1, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Every execution once `count` have started and none is still running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            executions = self.executions()
            if len(executions) >= count and all(e["status"] != "RUNNING" for e in executions):
                return [self.sfn.describe_execution(executionArn=e["executionArn"]) for e in executions]
            time.sleep(0.1)
        raise TimeoutError(f"{count} execution(s) did not finish within {timeout} s")

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.sfn.get_execution_history(executionArn=execution_arn)["events"]
        return events

    def notifications(self) -> list[dict[str, Any]]:
        """Every SNS message published so far: subject, message and attributes, as the email has them."""
        received: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.inbox_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not batch:
                return received
            for message in batch:
                envelope = json.loads(message["Body"])
                received.append(
                    {
                        "subject": envelope.get("Subject"),
                        "message": envelope["Message"],
                        "attributes": {
                            k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()
                        },
                    }
                )
                self.sqs.delete_message(QueueUrl=self.inbox_url, ReceiptHandle=message["ReceiptHandle"])

    def object_keys(self, prefix: str = "") -> Iterator[str]:
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    def read(self, key: str) -> bytes:
        body: bytes = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        return body
