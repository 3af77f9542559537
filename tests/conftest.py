"""Shared fixtures: the repository's paths and the bundled configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from phonebank.config import PipelineConfig, load_config

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"


@pytest.fixture
def config() -> PipelineConfig:
    return load_config()
