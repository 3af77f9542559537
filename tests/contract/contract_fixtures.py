"""What the contract tests read, as fixtures: template.yaml and the state machine's definition. Loaded
by the tests that name this module in pytest_plugins.

A plugin rather than a conftest.py: tests/contract is no package, and a conftest.py of its own would
take the name `conftest` from tests/conftest.py, which the unit tests import.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from asl_helpers import ASL_FILE

from phonebank_local.template import Template


@pytest.fixture(scope="module")
def template() -> Template:
    return Template()


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
