"""The functions read the campaign's configuration from the bucket (the ConfigKey parameter)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest

from phonebank.errors import ConfigurationError
from phonebank.lambdas import Runtime, Settings
from phonebank.models.payloads import Run
from phonebank.models.van_push_payloads import PrepareRequest
from phonebank.storage import S3Storage
from phonebank.van_push_flow import PushRuntime, prepare
from phonebank_local.stack import BUCKET

from .moto_helpers import Function, impactive_csv, load_event, read, upload


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


def test_the_file_wins_over_the_stacks_parameters_which_are_defaults_under_it(s3: Any) -> None:
    # Given a file setting the limit, and the MaxRejectRate and CampaignTimezone parameters both set
    runtime = _runtime(
        s3,
        "config/limit.yaml",
        "limits:\n  max_reject_rate: 0.2\n",
        MAX_REJECT_RATE=0.1,
        CAMPAIGN_TIMEZONE="America/Chicago",
    )
    # When a function builds its configuration
    config = runtime.config
    # Then the campaign's file decides the limit, and the parameter the zone the file does not name
    assert config.limits.max_reject_rate == 0.2
    assert config.campaign_timezone == "America/Chicago"
    # And the values in force say where each came from
    assert runtime.in_force is not None
    fields = runtime.in_force.log_fields()
    assert fields["max_reject_rate_from"] == "ConfigKey file"
    assert fields["campaign_timezone_from"] == "stack parameter"


def test_without_a_file_or_parameters_the_bundled_defaults_hold_and_say_so() -> None:
    # Given no ConfigKey and no parameters
    runtime = Runtime(Settings(), S3Storage(object()))
    # When a function builds its configuration
    config = runtime.config
    # Then the defaults hold, and the log fields name them as the source
    assert runtime.in_force is not None
    assert runtime.in_force.log_fields() == {
        "config_version": "(no ConfigKey)",
        "campaign_timezone": config.campaign_timezone,
        "campaign_timezone_from": "bundled defaults",
        "max_reject_rate": str(config.limits.max_reject_rate),
        "max_reject_rate_from": "bundled defaults",
        "date_order": "MDY",
        "date_order_from": "bundled defaults",
    }


def test_a_replaced_configuration_takes_effect_on_the_next_run_of_a_warm_function(s3: Any) -> None:
    # Given a warm function's runtime that has read the configuration once
    key = "config/phonebank.yaml"
    runtime = _runtime(s3, key, "default_effort: Before\n")
    first = runtime.config
    assert first.default_effort == "Before"
    # And, read again with nothing changed, the same parsed configuration (no new parse)
    assert runtime.config is first

    # When the object is replaced in the bucket
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"default_effort: After\n")

    # Then the same runtime's next run uses the new one
    assert runtime.config.default_effort == "After"


def test_each_run_logs_the_configuration_in_force(s3: Any) -> None:
    # Given a runtime that reports each run's configuration, as the handlers' logger does
    heard: list[dict[str, Any]] = []
    s3.put_object(Bucket=BUCKET, Key="config/c.yaml", Body=b"campaign_timezone: America/Denver\n")
    runtime = Runtime(
        Settings(PHONEBANK_CONFIG_URI=f"s3://{BUCKET}/config/c.yaml", MAX_REJECT_RATE=0.1),
        S3Storage(s3),
        on_config=lambda in_force: heard.append(in_force.log_fields()),
    )
    version = s3.head_object(Bucket=BUCKET, Key="config/c.yaml")["VersionId"]

    # When two runs read it
    _ = runtime.config
    _ = runtime.config

    # Then each run reported the version and where each value came from
    expected = {
        "config_version": version,
        "campaign_timezone": "America/Denver",
        "campaign_timezone_from": "ConfigKey file",
        "max_reject_rate": "0.1",
        "max_reject_rate_from": "stack parameter",
        "date_order": "MDY",
        "date_order_from": "bundled defaults",
    }
    assert heard == [expected, expected]


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


def test_the_validate_handler_logs_the_configuration_in_force_once_a_run(
    s3: Any, monkeypatch: pytest.MonkeyPatch, function_logs: Callable[[], list[str]]
) -> None:
    # Given the validator deployed with a ConfigKey whose file sets the limit, under MaxRejectRate
    s3.put_object(Bucket=BUCKET, Key="config/c.yaml", Body=b"limits:\n  max_reject_rate: 0.3\n")
    monkeypatch.setenv("PHONEBANK_CONFIG_URI", f"s3://{BUCKET}/config/c.yaml")
    validate = Function("ValidateFunction")
    event = upload(s3, "incoming/calls.csv", impactive_csv(5, 0))

    # When it validates an upload
    result = validate({**load_event("validate-upload.json"), "event": event, "execution_id": "execution-1"})

    # Then one JSON log line says which values were in force and where each came from
    logged = [json.loads(line) for line in function_logs() if line.startswith("{")]
    (in_force,) = [entry for entry in logged if entry.get("message") == "configuration in force"]
    assert in_force["max_reject_rate"] == "0.3"
    assert in_force["max_reject_rate_from"] == "ConfigKey file"
    assert in_force["campaign_timezone_from"] == "stack parameter"
    assert in_force["config_version"] == s3.head_object(Bucket=BUCKET, Key="config/c.yaml")["VersionId"]
    # And the report the run's summary is made from says so too
    assert result["report"]["in_force"]["limits.max_reject_rate"] == {
        "value": "0.3",
        "source": "ConfigKey file",
    }
    assert result["report"]["in_force"]["campaign_timezone"]["source"] == "stack parameter"


def test_without_versioning_a_replaced_file_is_told_by_its_etag(s3: Any) -> None:
    # Given a configuration in a bucket without versioning, read once by a warm runtime
    s3.create_bucket(Bucket="unversioned")
    s3.put_object(Bucket="unversioned", Key="c.yaml", Body=b"default_effort: Before\n")
    runtime = Runtime(Settings(PHONEBANK_CONFIG_URI="s3://unversioned/c.yaml"), S3Storage(s3))
    assert runtime.config.default_effort == "Before"

    # When the object is replaced
    s3.put_object(Bucket="unversioned", Key="c.yaml", Body=b"default_effort: After\n")

    # Then the next run sees the new one, known by its ETag
    assert runtime.config.default_effort == "After"
    assert runtime.in_force is not None
    assert runtime.in_force.version == s3.head_object(Bucket="unversioned", Key="c.yaml")["ETag"]


def _validated_under(s3: Any, monkeypatch: pytest.MonkeyPatch, key: str, body: bytes) -> dict[str, Any]:
    """Validate Upload's result for a small upload, with the ConfigKey object `key` holding `body`."""
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    monkeypatch.setenv("PHONEBANK_CONFIG_URI", f"s3://{BUCKET}/{key}")
    event = upload(s3, "incoming/calls.csv", impactive_csv(5, 0))
    request = {**load_event("validate-upload.json"), "event": event, "execution_id": "execution-1"}
    return Function("ValidateFunction")(request)


def test_a_configuration_replaced_during_a_run_leaves_the_run_on_the_version_it_began_with(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an upload validated under a ConfigKey file that writes Organizer's phones in E.164
    key = "config/c.yaml"
    validated = _validated_under(s3, monkeypatch, key, b"organizer_phone_format: e164\n")
    assert validated["run"]["config_version"] == s3.head_object(Bucket=BUCKET, Key=key)["VersionId"]

    # When the file is replaced by one that writes ten digits before Build Import Files runs
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"organizer_phone_format: national10\n")
    request = {name: validated[name] for name in load_event("build-import-files.json")}
    result = Function("TransformFunction")(request)

    # Then the Organizer file keeps the format of the version the run's validation read
    organizer = read(s3, result["run"]["prefix"] + "organizer/organizer-phone-interactions-01.csv")
    phones = pl.read_csv(organizer, infer_schema=False)["Phone Number Called"]
    assert phones.len() == 5
    assert phones.str.starts_with("+1").all()


def test_the_van_push_follows_the_configuration_version_of_its_run(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a run validated under a ConfigKey file that leaves the VAN push off
    key = "config/c.yaml"
    validated = _validated_under(s3, monkeypatch, key, b"default_effort: Phones\n")
    # And the file then replaced by one that turns the push on without VAN's result IDs
    turned_on = b"van_push:\n  enabled: true\n  application_name: phonebank-sync-test\n"
    s3.put_object(Bucket=BUCKET, Key=key, Body=turned_on)
    push = PushRuntime(Runtime(Settings(PHONEBANK_CONFIG_URI=f"s3://{BUCKET}/{key}"), S3Storage(s3)))
    run = Run(**validated["run"])

    # When the push prepares for that run
    progress = prepare(PrepareRequest(step="prepare", run=run), push)

    # Then it reads the run's version, in which the push is off, not the file as it is now
    assert progress.action == "skip"
    # And without the run's version the file as it is now would have stopped it: no result IDs
    unpinned = run.model_copy(update={"config_version": None})
    assert prepare(PrepareRequest(step="prepare", run=unpinned), push).action == "stop"


def test_a_run_that_pinned_no_version_reads_the_configuration_as_it_is_now(s3: Any) -> None:
    # Given a configuration in a bucket without versioning: a run can pin no version of it
    s3.create_bucket(Bucket="unversioned")
    s3.put_object(Bucket="unversioned", Key="c.yaml", Body=b"default_effort: Before\n")
    runtime = Runtime(Settings(PHONEBANK_CONFIG_URI="s3://unversioned/c.yaml"), S3Storage(s3))
    assert runtime.config.default_effort == "Before"
    assert runtime.in_force is not None
    assert runtime.in_force.version_id is None
    run = Run(
        bucket="unversioned",
        input_key="incoming/calls.csv",
        version_id=None,
        run_id="0123456789abcdef",
        prefix="runs/calls/0123456789abcdef/",
        work_prefix="work/calls/0123456789abcdef/",
    )

    # When the object is replaced during the run
    s3.put_object(Bucket="unversioned", Key="c.yaml", Body=b"default_effort: After\n")

    # Then the run's later steps read the new one: there is no other to read
    assert runtime.config_for(run).default_effort == "After"
