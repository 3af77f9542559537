"""What template.yaml and the phonebank package promise the state machine, and the bucket that starts it."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from asl_helpers import ASL_FILE, LAMBDA_SERVICE_ERRORS

import phonebank
from phonebank.errors import PhonebankError
from phonebank_local.template import ROOT, Template

pytest_plugins = ["contract_fixtures"]  # template, asl_text, asl, states

PACKAGE_DIR = Path(phonebank.__file__).parent

# Step Functions' own error names (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):
# a typo such as "States.All" would never match anything.
STATES_ERRORS = frozenset(
    {
        "States.ALL",
        "States.DataLimitExceeded",
        "States.ExceedToleratedFailureThreshold",
        "States.HeartbeatTimeout",
        "States.Http.Socket",
        "States.IntrinsicFailure",
        "States.ItemReaderFailed",
        "States.NoChoiceMatched",
        "States.ParameterPathFailure",
        "States.Permissions",
        "States.ResultPathMatchFailure",
        "States.ResultWriterFailed",
        "States.Runtime",
        "States.TaskFailed",
        "States.Timeout",
    }
)


def _retriers_and_catchers(states: dict[str, dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        for handler in [*state.get("Retry", []), *state.get("Catch", [])]:
            yield name, handler


def _exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class the phonebank package defines, by name, from its modules' syntax trees."""
    classes: dict[str, type[BaseException]] = {}
    for source in PACKAGE_DIR.rglob("*.py"):
        module_name = ".".join(source.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                defined = getattr(importlib.import_module(module_name), node.name, None)
                if isinstance(defined, type) and issubclass(defined, BaseException):
                    classes[node.name] = defined
    return classes


def _raised_in(source: str) -> set[str]:
    """The class names in every `raise X`, `raise X(...)` and `raise module.X(...)` of one module."""
    raised: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name):
                raised.add(target.id)
            elif isinstance(target, ast.Attribute):
                raised.add(target.attr)
    return raised


def _raised_names() -> set[str]:
    return {
        name
        for source in PACKAGE_DIR.rglob("*.py")
        for name in _raised_in(source.read_text(encoding="utf-8"))
    }


def test_every_placeholder_has_a_substitution_and_every_substitution_is_used(
    asl_text: str, template: Template
) -> None:
    # Given the ASL's ${X} placeholders and the template's DefinitionSubstitutions
    placeholders = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", asl_text))
    _, asl_path, substitutions, _ = template.state_machine()

    # Then the template points at this ASL file and the two sets are the same
    assert asl_path == ASL_FILE
    assert placeholders, "the ASL names no function or topic: the substitution check would prove nothing"
    assert placeholders - set(substitutions) == set(), "placeholders without a DefinitionSubstitutions key"
    assert set(substitutions) - placeholders == set(), "DefinitionSubstitutions keys the ASL never uses"


def test_every_error_matched_is_a_states_error_a_lambda_service_error_or_raised_by_the_code(
    states: dict[str, dict[str, Any]],
) -> None:
    # Given the error names in every Retry and Catch, and the package's raised exception classes
    named = {error for _, handler in _retriers_and_catchers(states) for error in handler["ErrorEquals"]}
    classes, raised = _exception_classes(), _raised_names()

    # When the names that are neither Step Functions' own nor the Lambda service's are set apart
    code_errors = named - STATES_ERRORS - LAMBDA_SERVICE_ERRORS

    # Then each is an exception class of the package that some code raises
    assert all(not name.startswith("States.") for name in code_errors), (
        f"unknown States.* name in {code_errors}"
    )
    assert all(not name.startswith("Lambda.") for name in code_errors), (
        f"unknown Lambda.* name in {code_errors}"
    )
    assert code_errors - set(classes) == set(), "errors matched that no phonebank exception class is named"
    assert code_errors - raised == set(), "errors matched that the phonebank package never raises"
    # And each is a PhonebankError, which the handlers let through under its own name (any other
    # exception reaches Step Functions as UnexpectedError, so the name in the ASL would never match)
    assert [name for name in code_errors if not issubclass(classes[name], PhonebankError)] == []


def test_the_raised_names_detector_sees_raises_and_only_raises() -> None:
    # Given a module that defines, mentions, catches and raises exception classes
    source = (
        "class Defined(Exception): ...\n"
        "mentioned = Mentioned\n"
        "try:\n    raise Bare\nexcept Caught:\n    raise\n"
        "raise Called('message') from None\n"
        "raise errors.Qualified()\n"
    )

    # When the detector reads it
    raised = _raised_in(source)

    # Then it finds only the raised ones, however they are spelled
    assert raised == {"Bare", "Called", "Qualified"}
    # And on the package it finds the transient error storage.py raises
    assert "StorageUnavailable" in _raised_names()


def test_the_functions_run_python_3_11_with_the_phonebank_layer(template: Template) -> None:
    # Given the template's functions, with the Globals they inherit
    defaults = template.body["Globals"]["Function"]
    functions = {
        logical_id: {**defaults, **resource["Properties"]}
        for logical_id, resource in template.resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
    }

    # Then there are the four, each on python3.11 with the layer built from layers/phonebank
    assert set(functions) == {"ValidateFunction", "TransformFunction", "ArchiveFunction", "VanPushFunction"}
    layer = template.resources["PhonebankLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/phonebank"
    assert layer["Metadata"]["BuildMethod"] == "python3.11"
    for logical_id, properties in functions.items():
        assert properties["Runtime"] == "python3.11", logical_id
        assert {"Ref": "PhonebankLayer"} in properties["Layers"], logical_id
        assert (ROOT / properties["CodeUri"] / "app.py").is_file(), logical_id


def test_the_bucket_is_versioned_encrypted_private_and_sends_events_to_eventbridge(
    template: Template,
) -> None:
    # Given the upload bucket
    bucket = template.resources["UploadBucket"]["Properties"]

    # Then it has EventBridge notifications, versioning, default encryption and every public access block
    assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }


def test_the_bucket_policy_denies_every_request_without_tls(template: Template) -> None:
    # Given the policies attached to the upload bucket
    policies = [
        resource["Properties"]["PolicyDocument"]
        for resource in template.resources.values()
        if resource["Type"] == "AWS::S3::BucketPolicy"
        and resource["Properties"]["Bucket"] == {"Ref": "UploadBucket"}
    ]

    # Then one statement denies every S3 action on the bucket and its objects when SecureTransport is false
    denials = [
        statement
        for policy in policies
        for statement in policy["Statement"]
        if statement["Effect"] == "Deny"
        and statement["Principal"] == "*"
        and statement["Action"] in ("s3:*", ["s3:*"])
        and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denials) == 1
    assert denials[0]["Resource"] == [
        {"Fn::GetAtt": ["UploadBucket", "Arn"]},
        {"Fn::Sub": "${UploadBucket.Arn}/*"},
    ]


def test_the_rule_starts_the_pipeline_only_for_objects_created_under_incoming(template: Template) -> None:
    # Given the state machine's EventBridge rule pattern
    _, _, _, pattern = template.state_machine()

    # Then it matches S3 Object Created events of the upload bucket under incoming/ only
    assert pattern["source"] == ["aws.s3"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"]["name"] == [{"Ref": "UploadBucket"}]
    assert pattern["detail"]["object"]["key"] == [{"prefix": "incoming/"}]
    # And only for objects with bytes in them: folder markers and empty files start nothing
    assert pattern["detail"]["object"]["size"] == [{"numeric": [">", 0]}]
