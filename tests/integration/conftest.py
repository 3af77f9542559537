"""Fixtures for tests on moto: a versioned upload bucket, the functions, what they log, and a VAN push."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from moto import mock_aws

from phonebank_local.stack import BUCKET, LOCAL_ENVIRONMENT, REGION
from phonebank_local.template import Resolver, Template

from .moto_helpers import CurrentStdout, Function
from .van_push_helpers import PushRun, pushed_run


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A versioned upload bucket on moto, and the functions' environment as template.yaml declares it."""
    environment = dict(LOCAL_ENVIRONMENT)
    template = Template()
    resolve = Resolver(template, {"UploadBucket": {"Ref": BUCKET, "Arn": f"arn:aws:s3:::{BUCKET}"}})
    for spec in template.functions():
        environment.update({name: str(resolve(value)) for name, value in spec.environment.items()})
    assert environment["POWERTOOLS_METRICS_NAMESPACE"]
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


@pytest.fixture
def functions(s3: Any) -> Callable[[str], Function]:
    return Function


@pytest.fixture
def function_logs(s3: Any, capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], list[str]]]:
    """Every line the functions write to stdout during the test: their JSON logs and EMF metrics.

    Powertools gives every Logger of a service the handler of the first one made in the process,
    writing to the stdout of that moment: point it at the test's stdout while the test runs.
    """
    handler = Logger().logger_handler
    assert isinstance(handler, logging.StreamHandler)
    previous, handler.stream = handler.stream, CurrentStdout()

    def lines() -> list[str]:
        return [line for line in capsys.readouterr().out.splitlines() if line.strip()]

    yield lines
    handler.stream = previous


@pytest.fixture
def push_run(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[PushRun]:
    scenario, extra = request.param
    yield from pushed_run(tmp_path, scenario, **extra)
