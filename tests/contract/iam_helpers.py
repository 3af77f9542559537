"""What the IAM contract tests share: the policy statements template.yaml gives its functions."""

from __future__ import annotations

from typing import Any

from phonebank_local.template import Template


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_statements(
    resource: dict[str, Any], config_key: bool = True, van_api_key: bool = True
) -> list[dict[str, Any]]:
    """A SAM resource's inline policy statements, with `!If [HasConfigKey | HasVanApiKey, ...]` decided."""
    found = []
    for policy in resource["Properties"].get("Policies", []):
        if "Statement" not in policy:
            continue
        for written in policy["Statement"]:
            statement = written
            if "Fn::If" in written:
                condition, when_true, when_false = written["Fn::If"]
                assert condition in {"HasConfigKey", "HasVanApiKey"}
                holds = config_key if condition == "HasConfigKey" else van_api_key
                statement = when_true if holds else when_false
            if statement != {"Ref": "AWS::NoValue"}:
                found.append(statement)
    return found


def every_policy_statement(template: Template) -> list[dict[str, Any]]:
    return [
        statement
        for resource in template.resources.values()
        if resource["Type"] in {"AWS::Serverless::Function", "AWS::Serverless::StateMachine"}
        for statement in policy_statements(resource)
    ]
