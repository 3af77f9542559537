"""What the state machine's contract tests share: its file, Lambda's transient errors, transitions, loops."""

from __future__ import annotations

from typing import Any

from phonebank_local.template import ROOT

ASL_FILE = ROOT / "statemachine" / "pipeline.asl.json"
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


def transitions_of(state: dict[str, Any]) -> list[str]:
    """Every state this one can hand over to: Next, each choice, Default and each Catch."""
    targets = [state["Next"]] if "Next" in state else []
    targets += [choice["Next"] for choice in state.get("Choices", [])]
    targets += [state["Default"]] if "Default" in state else []
    targets += [catcher["Next"] for catcher in state.get("Catch", [])]
    return targets


def cycles(states: dict[str, dict[str, Any]], start: str) -> set[tuple[str, ...]]:
    """Each cycle of the machine, from the state it returns to."""
    found: set[tuple[str, ...]] = set()
    stack = [[start]]
    while stack:
        path = stack.pop()
        for target in transitions_of(states[path[-1]]):
            if target in path:
                found.add(tuple(path[path.index(target) :]))
            else:
                stack.append([*path, target])
    return found
