"""The van_push section: off by default, complete when on, https only, a deadline the history can hold."""

from __future__ import annotations

from typing import Any

import pytest

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
