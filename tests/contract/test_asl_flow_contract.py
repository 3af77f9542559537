"""The state machine's flow: transitions, ends and notifications, retries and catches, all run by moto.

Neither `sam validate --lint` nor cfn-lint reads the ASL file, and moto accepts a dangling `Next` until
an execution reaches it: these checks catch at once what would otherwise fail only on AWS, on one path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from asl_helpers import LAMBDA_SERVICE_ERRORS, transitions_of

pytest_plugins = ["contract_fixtures"]  # template, asl_text, asl, states

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


def _is_terminal(state: dict[str, Any]) -> bool:
    return state["Type"] in {"Succeed", "Fail"} or state.get("End") is True


def _paths(states: dict[str, dict[str, Any]], start: str) -> Iterator[list[str]]:
    """Every path from `start` to a terminal state. A cycle is a test failure, not an endless walk, but
    for a poll loop: back to a Wait state (`cycles` holds each to a deadline), which is not walked twice."""
    stack = [[start]]
    while stack:
        path = stack.pop()
        state = states[path[-1]]
        if _is_terminal(state):
            yield path
        for target in transitions_of(state):
            if target in path:
                assert states[target]["Type"] == "Wait", (
                    f"the state machine loops: {' -> '.join([*path, target])}"
                )
                continue
            stack.append([*path, target])


def _is_lambda_task(state: dict[str, Any]) -> bool:
    resource = str(state.get("Resource", ""))
    return state["Type"] == "Task" and (resource == LAMBDA_INVOKE or ":lambda:" in resource)


def test_every_transition_names_an_existing_state(
    asl: dict[str, Any], states: dict[str, dict[str, Any]]
) -> None:
    # Given every StartAt, Next, Choice Next, Default and Catch Next
    named = [("StartAt", asl["StartAt"])]
    named += [(source, target) for source, state in states.items() for target in transitions_of(state)]

    # Then each names a state of the machine
    dangling = [(source, target) for source, target in named if target not in states]
    assert dangling == []


def test_every_state_is_reachable_from_start(asl: dict[str, Any], states: dict[str, dict[str, Any]]) -> None:
    # Given the states reached by following every transition from StartAt
    reached, frontier = {asl["StartAt"]}, [asl["StartAt"]]
    while frontier:
        for target in transitions_of(states[frontier.pop()]):
            if target in states and target not in reached:
                reached.add(target)
                frontier.append(target)

    # Then none is left out
    assert set(states) - reached == set()


def test_every_non_terminal_state_has_somewhere_to_go(states: dict[str, dict[str, Any]]) -> None:
    # Then a state either ends the execution or hands over (a Choice always has a Default)
    stuck = [name for name, state in states.items() if not _is_terminal(state) and not transitions_of(state)]
    assert stuck == []
    no_default = [
        name for name, state in states.items() if state["Type"] == "Choice" and "Default" not in state
    ]
    assert no_default == [], (
        "a Choice without Default fails with States.NoChoiceMatched on an unexpected status"
    )


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
