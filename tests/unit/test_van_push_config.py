"""The van_push section: off by default, complete when on, https only, a deadline the history can hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from phonebank.config import build_config, load_config
from phonebank.errors import ConfigurationError


def test_the_push_is_off_by_default_and_aims_at_vans_own_api() -> None:
    push = load_config().van_push
    assert push.enabled is False
    assert push.api_url == "https://api.securevan.com/v4"
    assert (push.database, push.poll_seconds, push.deadline_minutes) == ("MyCampaign", 60, 240)


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ({"enabled": True}, "needs van_push.application_name"),
        ({"api_url": "http://api.securevan.com/v4"}, "use https"),
        ({"api_url": "api.securevan.com"}, "not a web address"),
        ({"database": "MyVoter"}, "van_push.database"),
        ({"poll_seconds": 0}, "van_push.poll_seconds"),
        ({"poll_seconds": 1, "deadline_minutes": 60}, "over 2000 polls"),
        ({"api_key": "abc"}, "van_push.api_key: Extra inputs are not permitted"),
    ],
    ids=["no application", "http", "no address", "database", "no wait", "too many polls", "a key"],
)
def test_a_push_setting_that_cannot_work_stops_the_run_naming_its_key(
    section: dict[str, Any], words: str
) -> None:
    with pytest.raises(ConfigurationError, match=words):
        build_config({"van_push": section})


def test_a_test_server_on_this_machine_may_be_plain_http() -> None:
    push = build_config({"van_push": {"api_url": "http://127.0.0.1:8123/v4/"}}).van_push
    assert push.api_url == "http://127.0.0.1:8123/v4"


def test_the_readmes_push_example_loads() -> None:
    # Given the README's example of the push's configuration
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    (example,) = [block for block in readme.split("```yaml\n")[1:] if "van_push:" in block.split("```")[0]]

    # When it is laid over the defaults, with the fields the README leaves commented out
    config = build_config(yaml.safe_load(example.split("```")[0]))

    # Then the push is on, with every VAN result's ID, so the bulk-import file is written
    assert config.van_push.enabled and config.van_push.application_name == "my-campaign-phonebank"
    assert config.van_results_without_id == []
