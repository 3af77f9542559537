"""What template.yaml, statemachine/pipeline.asl.json and the phonebank package promise each other.

Neither `sam validate --lint` nor cfn-lint reads the ASL file, and moto accepts a dangling `Next` until
an execution reaches it: these checks catch at once what would otherwise fail only on AWS, on one path.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import phonebank
from phonebank.errors import PhonebankError
from phonebank_local.template import ROOT, Template

ASL_FILE = ROOT / "statemachine" / "pipeline.asl.json"
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
# The transient errors of the Lambda service itself that AWS recommends retrying
# (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
LAMBDA_SERVICE_ERRORS = frozenset(
    {
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
    }
)
# The state types and fields the flow may use: ones moto 5.2.5's interpreter executes (DEVELOPERS.md).
# QueryLanguage (JSONata), Assign, ItemBatcher, Output or Arguments fail locally at creation or at run time.
TOP_LEVEL_FIELDS = frozenset({"Comment", "StartAt", "States", "TimeoutSeconds", "Version"})
COMMON_FIELDS = frozenset({"Type", "Comment", "InputPath", "OutputPath", "Next", "End"})
STATE_FIELDS = {
    "Task": COMMON_FIELDS
    | {
        "Resource",
        "Parameters",
        "ResultSelector",
        "ResultPath",
        "Retry",
        "Catch",
        "TimeoutSeconds",
        "HeartbeatSeconds",
    },
    "Choice": frozenset({"Type", "Comment", "InputPath", "OutputPath", "Choices", "Default"}),
    "Pass": COMMON_FIELDS | {"Parameters", "Result", "ResultPath"},
    "Wait": COMMON_FIELDS | {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"},
    "Succeed": frozenset({"Type", "Comment", "InputPath", "OutputPath"}),
    "Fail": frozenset({"Type", "Comment", "Error", "Cause"}),
}
RETRIER_FIELDS = frozenset(
    {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy"}
)
CATCHER_FIELDS = frozenset({"ErrorEquals", "ResultPath", "Next"})
CHOICE_RULE_FIELDS = re.compile(
    r"^(Variable|Next|And|Or|Not|(String|Numeric|Boolean|Timestamp)(Equals|LessThan|GreaterThan|LessThanEquals"
    r"|GreaterThanEquals)(Path)?|StringMatches|Is(Null|Present|Numeric|String|Boolean|Timestamp))$"
)
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
SNS_PUBLISH = "arn:aws:states:::sns:publish"
TASK_RESOURCES = frozenset({LAMBDA_INVOKE, SNS_PUBLISH})
DUPLICATE_DELIVERY_END = "Already Processed"
NOT_A_FILE_END = "Not A File"
# Where every failure ends up: if this publish fails too, nothing is left to tell anyone.
LAST_RESORT_NOTIFICATION = "Notify Pipeline Error"


@pytest.fixture(scope="module")
def asl_text() -> str:
    return ASL_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def asl(asl_text: str) -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(asl_text)
    return definition


@pytest.fixture(scope="module")
def states(asl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = asl["States"]
    return found


@pytest.fixture(scope="module")
def template() -> Template:
    return Template()


def _transitions(state: dict[str, Any]) -> list[str]:
    """Every state this one can hand over to: Next, each choice, Default and each Catch."""
    targets = [state["Next"]] if "Next" in state else []
    targets += [choice["Next"] for choice in state.get("Choices", [])]
    targets += [state["Default"]] if "Default" in state else []
    targets += [catcher["Next"] for catcher in state.get("Catch", [])]
    return targets


def _is_terminal(state: dict[str, Any]) -> bool:
    return state["Type"] in {"Succeed", "Fail"} or state.get("End") is True


def _paths(states: dict[str, dict[str, Any]], start: str) -> Iterator[list[str]]:
    """Every path from `start` to a terminal state. A cycle is a test failure, not an endless walk, but
    for a poll loop: back to a Wait state (`_loops` holds each to a deadline), which is not walked twice."""
    stack = [[start]]
    while stack:
        path = stack.pop()
        state = states[path[-1]]
        if _is_terminal(state):
            yield path
        for target in _transitions(state):
            if target in path:
                assert states[target]["Type"] == "Wait", (
                    f"the state machine loops: {' -> '.join([*path, target])}"
                )
                continue
            stack.append([*path, target])


def _loops(states: dict[str, dict[str, Any]], start: str) -> set[tuple[str, ...]]:
    """Each cycle of the machine, from the state it returns to."""
    found: set[tuple[str, ...]] = set()
    stack = [[start]]
    while stack:
        path = stack.pop()
        for target in _transitions(states[path[-1]]):
            if target in path:
                found.add(tuple(path[path.index(target) :]))
            else:
                stack.append([*path, target])
    return found


def _retriers_and_catchers(states: dict[str, dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        for handler in [*state.get("Retry", []), *state.get("Catch", [])]:
            yield name, handler


def _is_lambda_task(state: dict[str, Any]) -> bool:
    resource = str(state.get("Resource", ""))
    return state["Type"] == "Task" and (resource == LAMBDA_INVOKE or ":lambda:" in resource)


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


def test_every_transition_names_an_existing_state(
    asl: dict[str, Any], states: dict[str, dict[str, Any]]
) -> None:
    # Given every StartAt, Next, Choice Next, Default and Catch Next
    named = [("StartAt", asl["StartAt"])]
    named += [(source, target) for source, state in states.items() for target in _transitions(state)]

    # Then each names a state of the machine
    dangling = [(source, target) for source, target in named if target not in states]
    assert dangling == []


def test_every_state_is_reachable_from_start(asl: dict[str, Any], states: dict[str, dict[str, Any]]) -> None:
    # Given the states reached by following every transition from StartAt
    reached, frontier = {asl["StartAt"]}, [asl["StartAt"]]
    while frontier:
        for target in _transitions(states[frontier.pop()]):
            if target in states and target not in reached:
                reached.add(target)
                frontier.append(target)

    # Then none is left out
    assert set(states) - reached == set()


def test_every_non_terminal_state_has_somewhere_to_go(states: dict[str, dict[str, Any]]) -> None:
    # Then a state either ends the execution or hands over (a Choice always has a Default)
    stuck = [name for name, state in states.items() if not _is_terminal(state) and not _transitions(state)]
    assert stuck == []
    no_default = [
        name for name, state in states.items() if state["Type"] == "Choice" and "Default" not in state
    ]
    assert no_default == [], (
        "a Choice without Default fails with States.NoChoiceMatched on an unexpected status"
    )


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


def test_the_asl_uses_only_what_motos_interpreter_executes(
    asl: dict[str, Any], states: dict[str, dict[str, Any]]
) -> None:
    # Then the machine, each state, each retrier, catcher and choice rule use only supported fields
    assert set(asl) - TOP_LEVEL_FIELDS == set()
    for name, state in states.items():
        assert state["Type"] in STATE_FIELDS, f"{name}: state type {state['Type']} is not run locally"
        assert set(state) - STATE_FIELDS[state["Type"]] == set(), f"{name}: fields moto does not execute"
        if state["Type"] == "Task":
            assert state["Resource"] in TASK_RESOURCES, f"{name}: {state['Resource']} is not run locally"
        for retrier in state.get("Retry", []):
            assert set(retrier) - RETRIER_FIELDS == set(), f"{name}: unsupported Retry fields"
        for catcher in state.get("Catch", []):
            assert set(catcher) - CATCHER_FIELDS == set(), f"{name}: unsupported Catch fields"
        rules = list(state.get("Choices", []))
        while rules:
            rule = rules.pop()
            assert all(CHOICE_RULE_FIELDS.match(field) for field in rule), (
                f"{name}: unsupported choice {rule}"
            )
            rules += [*rule.get("And", []), *rule.get("Or", []), *([rule["Not"]] if "Not" in rule else [])]


def test_every_lambda_task_retries_and_catches(states: dict[str, dict[str, Any]]) -> None:
    # Given the Lambda tasks
    lambda_tasks = {name: state for name, state in states.items() if _is_lambda_task(state)}
    assert len(lambda_tasks) >= 3

    # Then each retries the Lambda service's transient errors and StorageUnavailable, and catches everything
    for name, state in lambda_tasks.items():
        retried = {error for retrier in state.get("Retry", []) for error in retrier["ErrorEquals"]}
        caught = {error for catcher in state.get("Catch", []) for error in catcher["ErrorEquals"]}
        assert LAMBDA_SERVICE_ERRORS | {"StorageUnavailable"} <= retried, f"{name} does not retry them all"
        assert "States.ALL" in caught, f"{name} lets an error end the execution without a notification"


def test_every_task_but_the_last_resort_notification_catches_everything(
    states: dict[str, dict[str, Any]],
) -> None:
    # Given the tasks without a Catch of States.ALL
    uncaught = [
        name
        for name, state in states.items()
        if state["Type"] == "Task"
        and not any("States.ALL" in catcher["ErrorEquals"] for catcher in state.get("Catch", []))
    ]

    # Then only the failure notification itself lets an error end the execution: a result SNS refuses
    # (a subject too long or not ASCII) still ends in an email
    assert uncaught == [LAST_RESORT_NOTIFICATION]
    assert states[LAST_RESORT_NOTIFICATION]["Resource"] == SNS_PUBLISH
    assert "Subject" in states[LAST_RESORT_NOTIFICATION]["Parameters"], "a fixed subject SNS always accepts"


def test_every_path_to_an_end_notifies_except_a_duplicate_delivery_or_no_file(
    asl: dict[str, Any], states: dict[str, dict[str, Any]]
) -> None:
    # Given every path from StartAt to a terminal state, through Choices and Catches alike
    paths = list(_paths(states, asl["StartAt"]))

    # When the paths without an SNS publish state are set apart
    silent = [path for path in paths if not any(states[name].get("Resource") == SNS_PUBLISH for name in path)]

    # Then only the duplicate delivery and a folder marker or empty object end silently, and they succeed
    assert len(paths) > 5
    assert {path[-1] for path in silent} == {DUPLICATE_DELIVERY_END, NOT_A_FILE_END}
    assert states[DUPLICATE_DELIVERY_END]["Type"] == "Succeed"
    assert states[NOT_A_FILE_END]["Type"] == "Succeed"


def test_folder_markers_and_empty_objects_end_before_any_lambda_runs(
    asl: dict[str, Any], states: dict[str, dict[str, Any]]
) -> None:
    # Given the first state of the machine
    first = states[asl["StartAt"]]

    # Then it is a Choice that sends keys ending in / and objects of 0 bytes to the quiet end, the rest on
    assert first["Type"] == "Choice"
    assert {"Variable": "$.detail.object.key", "StringMatches": "*/", "Next": NOT_A_FILE_END} in first[
        "Choices"
    ]
    empty = {
        "And": [
            {"Variable": "$.detail.object.size", "IsPresent": True},
            {"Variable": "$.detail.object.size", "NumericEquals": 0},
        ],
        "Next": NOT_A_FILE_END,
    }
    assert empty in first["Choices"]
    assert len(first["Choices"]) == 2
    assert _is_lambda_task(states[first["Default"]])


def test_a_throttled_lambda_waits_for_its_reserved_concurrency_to_free_up(
    states: dict[str, dict[str, Any]],
) -> None:
    # Given each Lambda task's retrier for the Lambda service's throttling, as reserved concurrency causes
    for name, state in states.items():
        if not _is_lambda_task(state):
            continue
        (throttled,) = [r for r in state["Retry"] if "Lambda.TooManyRequestsException" in r["ErrorEquals"]]
        # Then it is a retrier of its own, first, that waits minutes in all rather than seconds
        assert state["Retry"][0] is throttled, name
        assert throttled["ErrorEquals"] == ["Lambda.TooManyRequestsException"], name
        waits = [
            min(throttled["IntervalSeconds"] * throttled["BackoffRate"] ** n, throttled["MaxDelaySeconds"])
            for n in range(throttled["MaxAttempts"])
        ]
        assert sum(waits) >= 15 * 60, name


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
