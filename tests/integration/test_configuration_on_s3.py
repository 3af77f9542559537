"""The functions read the campaign's configuration from the bucket (the ConfigKey parameter)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from phonebank.errors import ConfigurationError
from phonebank.lambdas import Runtime, Settings
from phonebank.storage import S3Storage
from phonebank_local.stack import BUCKET


def _runtime(s3: Any, key: str, body: str, **settings: Any) -> Runtime:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode("utf-8"))
    return Runtime(Settings(PHONEBANK_CONFIG_URI=f"s3://{BUCKET}/{key}", **settings), S3Storage(s3))


@pytest.mark.parametrize(
    ("key", "body"),
    [
        ("config/phonebank.yaml", "limits:\n  max_reject_rate: 0.2\ndefault_effort: Weekend\n"),
        ("config/phonebank.json", '{"limits": {"max_reject_rate": 0.2}, "default_effort": "Weekend"}'),
    ],
)
def test_a_configuration_in_the_bucket_is_laid_over_the_defaults(s3: Any, key: str, body: str) -> None:
    # Given a campaign configuration in the bucket, as YAML or as JSON
    # When a function builds its configuration
    config = _runtime(s3, key, body).config
    # Then the file's values hold and everything else keeps its default
    assert config.limits.max_reject_rate == 0.2
    assert config.default_effort == "Weekend"
    assert config.campaign_timezone == "America/New_York"


def test_the_functions_environment_wins_over_the_file(s3: Any) -> None:
    # Given a file and the MaxRejectRate parameter both setting the limit
    runtime = _runtime(s3, "config/limit.yaml", "limits:\n  max_reject_rate: 0.2\n", MAX_REJECT_RATE=0.1)
    # Then the stack's parameter decides
    assert runtime.config.limits.max_reject_rate == 0.1


@pytest.mark.parametrize(
    ("key", "body", "says"),
    [
        ("config/bad-key.yaml", "limits:\n  max_reject_rat: 0.2\n", "limits.max_reject_rat"),
        ("config/bad.json", "{not json", f"s3://{BUCKET}/config/bad.json is not valid JSON"),
    ],
)
def test_a_bad_configuration_in_the_bucket_fails_naming_the_problem(
    s3: Any, key: str, body: str, says: str
) -> None:
    # Given a configuration with a misspelt key, or one that does not parse
    runtime = _runtime(s3, key, body)
    # When a function builds its configuration, then it stops, saying what and where
    with pytest.raises(ConfigurationError, match=re.escape(says)):
        _ = runtime.config
