"""The VAN push in template.yaml and the state machine: who may read the API key, and the poll loop.

No local run can show a grant too broad, or a loop that would poll VAN forever on AWS.
"""

from __future__ import annotations

import re
from typing import Any, get_args

from asl_helpers import cycles, transitions_of
from iam_helpers import as_list, every_policy_statement, policy_statements

from phonebank.models.van_push_payloads import PushFinished, PushProgress, VanPushRequest
from phonebank_local.template import Template

pytest_plugins = ["contract_fixtures"]  # template, asl_text, asl, states

PUSH_FUNCTION = "${VanPushFunctionArn}"
RETRIED = {"VanRateLimited", "VanUnavailable"}
NEVER_RETRIED = {"VanAuthRefused", "VanRequestRefused", "VanOutcomeUnknown", "VanResultsUnmappable"}


def _push_tasks(states: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        name: state
        for name, state in states.items()
        if state["Type"] == "Task" and state["Parameters"].get("FunctionName") == PUSH_FUNCTION
    }


def test_the_api_key_is_a_secrets_arn_parameter_empty_by_default(template: Template) -> None:
    # Given the parameter and its condition
    parameter = template.body["Parameters"]["VanApiKeySecretArn"]
    pattern = re.compile(parameter["AllowedPattern"])

    # Then no push is the default, and only a secret's ARN (or nothing) is accepted: never a key itself
    assert parameter["Default"] == ""
    assert template.body["Conditions"]["HasVanApiKey"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "VanApiKeySecretArn"}, ""]}]
    }
    assert pattern.fullmatch("")
    assert pattern.fullmatch("arn:aws:secretsmanager:us-east-1:123456789012:secret:phonebank/van-key-AbCdEf")
    assert not pattern.fullmatch("0a1b2c3d-4e5f-6789-abcd-ef0123456789")
    # And no parameter takes a key or a password
    assert [
        name for name in template.body["Parameters"] if re.search(r"key$|password|token", name, re.I)
    ] == ["ConfigKey"]


def test_only_the_push_function_may_read_the_secret_and_only_that_one(template: Template) -> None:
    # Given every statement of every role, and each function's environment
    secret_statements = [
        statement
        for statement in every_policy_statement(template)
        if any(action.startswith("secretsmanager:") for action in as_list(statement["Action"]))
    ]
    push = template.resources["VanPushFunction"]

    # Then one statement reads one secret: the parameter's, with GetSecretValue alone
    assert secret_statements == [
        {
            "Sid": "ReadTheVanApiKey",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": {"Ref": "VanApiKeySecretArn"},
        }
    ]
    assert secret_statements[0] in policy_statements(push)
    # And without the parameter the function may read no secret at all
    assert not [s for s in policy_statements(push, van_api_key=False) if s["Sid"] == "ReadTheVanApiKey"]
    # And the function is told where the secret is, never what it holds; no other function is told
    assert push["Properties"]["Environment"]["Variables"] == {
        "VAN_API_KEY_SECRET": {"Ref": "VanApiKeySecretArn"},
        "PHONEBANK_LEDGER_URI": {"Fn::Sub": "s3://${UploadBucket}/ledger/"},
    }
    others = [spec for spec in template.functions() if spec.logical_id != "VanPushFunction"]
    assert all("VAN_API_KEY_SECRET" not in spec.environment for spec in others)


def test_the_presigned_link_can_lend_only_a_read_of_the_pushs_own_work_files(template: Template) -> None:
    # Given the push function's statements that allow reading objects
    reads = [
        s
        for s in policy_statements(template.resources["VanPushFunction"])
        if "s3:GetObject" in as_list(s["Action"])
    ]
    # Then what a link it signs could lend is a read of the run's files, the archived input, the
    # configuration, the bulk-import file's row map, the validated rows and the ledger's day shards
    # (to give back the calls VAN did not record), or its own zip: no listing, nothing outside those
    resources = {str(resource) for s in reads for resource in as_list(s["Resource"])}
    assert resources == {
        str({"Fn::Sub": "${UploadBucket.Arn}/" + prefix})
        for prefix in (
            "runs/*",
            "archive/*",
            "work/*/van-push/*",
            "work/*/van-bulk-import-rows.csv",
            "work/*/validated-rows/*",
            "ledger/shards/*",
            "${ConfigKey}",
        )
    }
    actions = {
        a for s in policy_statements(template.resources["VanPushFunction"]) for a in as_list(s["Action"])
    }
    assert not {a for a in actions if a.startswith("s3:") and ("Delete" in a or "List" in a)}


def test_every_push_state_calls_a_step_the_handler_knows(states: dict[str, dict[str, Any]]) -> None:
    # Given the Lambda tasks of the push and the request models' step names
    tasks = _push_tasks(states)
    known = {
        get_args(model.model_fields["step"].annotation)[0] for model in get_args(get_args(VanPushRequest)[0])
    }

    # Then each asks for one of them, and all four are used
    assert (
        {task["Parameters"]["Payload"]["step"] for task in tasks.values()}
        == known
        == {
            "prepare",
            "create",
            "check",
            "finish",
        }
    )


def test_van_rate_limits_and_outages_are_retried_and_refusals_are_not(
    states: dict[str, dict[str, Any]],
) -> None:
    # Given the push's tasks that talk to VAN (the error report asks VAN nothing)
    talking = {name: s for name, s in _push_tasks(states).items() if name != "Report VAN Push Error"}
    assert len(talking) == 4

    for name, state in talking.items():
        retried = {error for retrier in state["Retry"] for error in retrier["ErrorEquals"]}
        # Then 429s and VAN's outages are retried with backoff, from 1 s (moto really sleeps)
        (van,) = [r for r in state["Retry"] if set(r["ErrorEquals"]) == RETRIED]
        assert van["IntervalSeconds"] == 1 and van["BackoffRate"] >= 2 and van["MaxAttempts"] >= 5, name
        # And a refusal, or a job's creation with no clear answer, goes straight to the report
        assert not retried & NEVER_RETRIED, name
        assert "States.ALL" not in retried, name
        (catcher,) = state["Catch"]
        assert catcher["ErrorEquals"] == ["States.ALL"]
        assert catcher["ResultPath"] == "$.van_push.error"


def test_the_only_loop_polls_van_through_a_wait_the_step_leaves(states: dict[str, dict[str, Any]]) -> None:
    # Given every cycle of the machine
    loops = cycles(states, "Is It A File?")

    # Then there is one: wait, check, and back only when the step says "wait"
    assert loops == {("Wait For VAN", "Check VAN Import Job", "Has VAN Finished?")}
    wait, choice = states["Wait For VAN"], states["Has VAN Finished?"]
    # And the wait is the configured poll interval, carried in the push's progress, not a constant
    assert wait["SecondsPath"] == "$.van_push.poll_seconds" and "Seconds" not in wait
    assert choice["Choices"] == [
        {"Variable": "$.van_push.action", "StringEquals": "wait", "Next": "Wait For VAN"}
    ]
    assert choice["Default"] == "Finish VAN Push"
    # And no Wait sits anywhere else, so no other state can wait without end
    assert [name for name, s in states.items() if s["Type"] == "Wait"] == ["Wait For VAN"]


def test_the_push_runs_only_for_an_imported_file_after_it_is_archived(
    states: dict[str, dict[str, Any]],
) -> None:
    # Given the state after Move Input
    move = states["Move Input"]
    gate = states[move["Next"]]

    # Then Move Input keeps where it put the input (van-errors.csv reads it there)
    assert move["ResultPath"] == "$.archived"
    assert move["ResultSelector"] == {"archived_to.$": "$.Payload.archived_to"}
    # And only a SUCCEEDED run goes on to the push; any other is notified as before
    assert gate["Type"] == "Choice"
    assert gate["Choices"] == [
        {"Variable": "$.result.status", "StringEquals": "SUCCEEDED", "Next": "Start VAN Push"}
    ]
    assert gate["Default"] == "Notify Result"


def test_the_push_ends_in_the_result_notification_and_a_failed_push_fails_the_execution(
    states: dict[str, dict[str, Any]],
) -> None:
    # Given the two steps that end the push, and the choice after the notification
    ends = {name: states[name] for name in ("Finish VAN Push", "Report VAN Push Error")}
    after = states["Was The File Imported?"]

    # Then each hands the notification on in place of the transform's, with fields the step returns
    for name, state in ends.items():
        assert state["ResultPath"] == "$.result", name
        assert state["Next"] == "Notify Result", name
        selected = {key.removesuffix(".$") for key in state["ResultSelector"]}
        assert selected <= set(PushFinished.model_fields), name
        assert {"status", "notification", "van_push_failed"} <= selected, name
    # And a report that fails too ends in the pipeline-error email
    assert [c["Next"] for c in ends["Report VAN Push Error"]["Catch"]] == ["Notify Pipeline Error"]
    assert ends["Finish VAN Push"]["Catch"][0]["Next"] == "Report VAN Push Error"
    # And after the email a push that needs attention fails the execution (the operator's alarm), first
    first = after["Choices"][0]
    assert first["Next"] == "VAN Push Did Not Finish"
    assert {"Variable": "$.result.van_push_failed", "IsPresent": True} in first["And"]
    assert states["VAN Push Did Not Finish"] == {
        **states["VAN Push Did Not Finish"],
        "Type": "Fail",
        "Error": "VanPushFailed",
    }
    # And a skipped push and a stopped one leave the loop without creating a job
    decide = states["What Does The VAN Push Do?"]
    assert {c["StringEquals"]: c["Next"] for c in decide["Choices"]} == {
        "skip": "Notify Result",
        "send": "Create VAN Import Job",
    }
    assert decide["Default"] == "Finish VAN Push"
    assert "Create VAN Import Job" not in transitions_of(states["Check VAN Import Job"])


def test_each_step_of_the_loop_hands_on_the_whole_progress(states: dict[str, dict[str, Any]]) -> None:
    # Given the steps whose result is the push's progress (lambda:invoke wraps it in Payload)
    for name in ("Prepare VAN Push", "Create VAN Import Job", "Check VAN Import Job"):
        state = states[name]
        # Then every field of the progress model is kept at $.van_push, and nothing else
        assert state["ResultSelector"] == {
            f"{field}.$": f"$.Payload.{field}" for field in PushProgress.model_fields
        }
        assert state["ResultPath"] == "$.van_push", name
