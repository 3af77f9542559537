"""The layering the brief asks for, checked on the source: one S3 module, no environment in the domain."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from phonebank_local.template import Template

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "phonebank" / "phonebank"
AWS_CLIENT_MODULES = {"boto3", "botocore", "smart_open"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", _modules(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_only_the_storage_module_talks_to_aws(module: Path) -> None:
    imported = _imported(ast.parse(module.read_text(encoding="utf-8")))
    if module.name != "storage.py":
        assert not imported & AWS_CLIENT_MODULES, f"{module.name} imports {imported & AWS_CLIENT_MODULES}"


@pytest.mark.parametrize("module", _modules(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_the_package_never_reads_the_environment(module: Path) -> None:
    # The handlers read Settings from os.environ once; everything below them takes arguments.
    tree = ast.parse(module.read_text(encoding="utf-8"))
    reads = [
        node.lineno
        for node in ast.walk(tree)
        if (isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"})
        or (isinstance(node, ast.Name) and node.id in {"environ", "getenv"})
    ]
    assert reads == [], f"{module.name} reads the environment at lines {reads}"


def test_the_checks_see_the_storage_module() -> None:
    storage = PACKAGE / "storage.py"
    assert storage in _modules()
    assert "boto3" in _imported(ast.parse(storage.read_text(encoding="utf-8")))


def test_the_command_line_starts_without_the_aws_clients() -> None:
    # Given a fresh interpreter (boto3 alone takes a fifth of `phonebank run`'s start, and a local run
    # never reaches AWS)
    # When the command line's module is imported
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, phonebank.cli; print(sorted(set(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # Then no AWS client module came with it
    assert not {name for name in AWS_CLIENT_MODULES if f"'{name}'" in imported}


FULL_VCPU_MB = 1769
"""Lambda gives CPU in proportion to memory: 1,769 MB is one whole vCPU, what `make bench` pins to."""


@pytest.mark.parametrize(
    ("function", "at_least"), [("ValidateFunction", FULL_VCPU_MB), ("TransformFunction", FULL_VCPU_MB)]
)
def test_the_row_steps_get_the_core_the_benchmark_measured_them_on(function: str, at_least: int) -> None:
    # Given the template's functions, their own settings laid over the globals
    template = Template()
    memory = {**template.body["Globals"]["Function"], **template.resources[function]["Properties"]}[
        "MemorySize"
    ]
    # Then the steps that read every row have a whole vCPU, and memory well above their measured peak
    assert memory >= at_least
