"""What the local stack reads from template.yaml, so that it runs what SAM deploys, not a copy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags: !Ref X -> {"Ref": X}, !GetAtt A.B -> {"Fn::GetAtt": [A, B]}."""


def _short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _short_tag)


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, Any]


class Template:
    def __init__(self, path: Path = TEMPLATE) -> None:
        self.path = path
        self.body: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)
        self.resources: dict[str, Any] = self.body["Resources"]

    def parameter_defaults(self) -> dict[str, str]:
        return {name: str(spec.get("Default", "")) for name, spec in self.body.get("Parameters", {}).items()}

    def functions(self) -> list[FunctionSpec]:
        defaults = self.body.get("Globals", {}).get("Function", {})
        specs = []
        for logical_id, resource in self.resources.items():
            if resource["Type"] != "AWS::Serverless::Function":
                continue
            properties = {**defaults, **resource["Properties"]}
            environment = {
                **defaults.get("Environment", {}).get("Variables", {}),
                **resource["Properties"].get("Environment", {}).get("Variables", {}),
            }
            specs.append(
                FunctionSpec(logical_id, ROOT / properties["CodeUri"], properties["Handler"], environment)
            )
        return specs

    def state_machine(self) -> tuple[str, Path, dict[str, Any], dict[str, Any]]:
        """The state machine's logical ID, its ASL file, its DefinitionSubstitutions and its rule pattern."""
        for logical_id, resource in self.resources.items():
            if resource["Type"] == "AWS::Serverless::StateMachine":
                properties = resource["Properties"]
                (event,) = properties["Events"].values()
                return (
                    logical_id,
                    ROOT / properties["DefinitionUri"],
                    properties["DefinitionSubstitutions"],
                    event["Properties"]["Pattern"],
                )
        raise LookupError(f"{self.path} declares no AWS::Serverless::StateMachine")


class Resolver:
    """Just enough of CloudFormation's intrinsic functions for the template's values, locally."""

    def __init__(self, template: Template, physical: dict[str, dict[str, str]]) -> None:
        self.template = template
        self.parameters = template.parameter_defaults()
        self.physical = physical

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        ((function, argument),) = value.items()
        if function == "Ref":
            return (
                self.parameters[argument] if argument in self.parameters else self.physical[argument]["Ref"]
            )
        if function == "Fn::GetAtt":
            return self.physical[argument[0]][argument[1]]
        if function == "Fn::If":
            condition, when_true, when_false = argument
            return self(when_true if self.condition(condition) else when_false)
        if function == "Fn::Sub":
            text = argument
            for name, resolved in {
                **self.parameters,
                **{k: v["Ref"] for k, v in self.physical.items()},
            }.items():
                text = text.replace("${" + name + "}", resolved)
            return text
        raise NotImplementedError(f"the local stack does not resolve {function}")

    def condition(self, name: str) -> bool:
        return bool(self._evaluate(self.template.body["Conditions"][name]))

    def _evaluate(self, expression: Any) -> Any:
        if isinstance(expression, dict):
            ((function, argument),) = expression.items()
            if function == "Fn::Not":
                return not self._evaluate(argument[0])
            if function == "Fn::Equals":
                return self._evaluate(argument[0]) == self._evaluate(argument[1])
            return self(expression)
        return expression
