"""The configuration example the README shows must load and do what the README says."""

from __future__ import annotations

from pathlib import Path

from phonebank.config import load_config

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"


def test_readme_shows_the_example_configuration_verbatim() -> None:
    # Given the example file and the README
    example = (EVENTS / "campaign-config.example.yaml").read_text(encoding="utf-8").split("\n", 1)[1]
    # Then the README quotes the file's keys unchanged
    assert example in (ROOT / "README.md").read_text(encoding="utf-8")


def test_example_configuration_maps_left_message_and_enables_the_bulk_file() -> None:
    # When the example is laid over the defaults
    config = load_config(EVENTS / "campaign-config.example.yaml")
    # Then the new synonym, the VAN mapping and every result ID are in effect
    assert config.outcome_index["leftmessage"] == "Answering Machine"
    assert config.outcomes["Opt Out"].van == "Do Not Call"
    assert config.van_results_without_id == []
    assert config.van.last_called_at.enabled
