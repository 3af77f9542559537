"""Configuration: the bundled defaults, a campaign's YAML or JSON file over them, and loud failures."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from phonebank.columns import normalise_header
from phonebank.config import build_config, load_config, match_key
from phonebank.errors import ConfigurationError

# Spec section 1, "Canonical outcomes and default mappings", written out: synonyms, Organizer, VAN.
SPEC_OUTCOMES: dict[str, tuple[set[str], str | None, str | None]] = {
    "Completed": ({"Talking to Correct Person"}, "Answered", "Canvassed"),
    "Answered": (set(), "Answered", None),
    "No Language in Common": ({"Language Barrier"}, "Answered", "Other Language"),
    "Wrong Number": ({"Fax"}, "Wrong Number", "Wrong Number"),
    "Refused": (set(), "Refused", "Refused"),
    "Deceased": (set(), "Answered", "Deceased"),
    "Moved": (set(), "Answered", "Moved"),
    "Answering Machine": (
        {"Voicemail", "Left Message", "Machine Left Message", "Machine"},
        "No Answer",
        "Not Home",
    ),
    "No Answer": (set(), "No Answer", "Not Home"),
    "Busy": ({"Busy Signal", "Line Busy", "User Busy"}, "Line Busy", "Not Home"),
    "Not Home": ({"Not Home/No Contact"}, "Answered", "Not Home"),
    "Disconnected": ({"Number Disconnected"}, "Number Disconnected", "Deliverability Error"),
    "Opt Out": ({"Do Not Call"}, "Opt Out", None),
    "Deliverability Error": (set(), None, "Deliverability Error"),
    "Failed": (set(), None, None),
    "Dropped": (set(), None, None),
    "Not Dialed": (set(), None, None),
}


def test_bundled_defaults_work_without_a_file() -> None:
    # Given no configuration file
    # When the configuration is loaded
    config = load_config()

    # Then it holds the spec's defaults
    assert config.campaign_timezone == "America/New_York"
    assert config.source_zone("canonical").key == "America/New_York"
    assert config.source_zone("thrutalk").key == "America/New_York"
    assert config.default_time == time(12, 0)
    assert config.default_effort is None
    assert config.date_order == "MDY"
    assert config.columns == {}
    assert config.phone_region == "US"
    assert config.limits.max_reject_rate == 0.05
    assert config.limits.organizer_max_efforts_per_file == 5
    assert config.limits.organizer_max_file_bytes < 500_000_000


def test_bundled_outcomes_are_the_specs_table() -> None:
    # Given the bundled defaults
    config = load_config()

    # When their outcomes are read
    table = {name: (set(rule.synonyms), rule.organizer, rule.van) for name, rule in config.outcomes.items()}

    # Then they are the spec's table, in its order, and only "Not Dialed" means no call was placed
    assert table == SPEC_OUTCOMES
    assert list(table) == list(SPEC_OUTCOMES)
    assert config.not_dialed_outcomes == {"Not Dialed"}


def test_bundled_call_types_are_the_specs_synonyms() -> None:
    # Given the bundled defaults
    config = load_config()

    # When the call types are read
    # Then each spec synonym maps to its Organizer value
    assert {k: set(v) - {k} for k, v in config.call_types.items()} == {
        "Computer": {"Dialer", "Predictive", "Power", "Preview"},
        "Phone Dial": {"Manual", "Personal Phone"},
    }


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_file_is_laid_over_the_defaults(tmp_path: Path) -> None:
    # Given a campaign's YAML file that changes a few keys, nested ones included
    path = _write(
        tmp_path / "campaign.yaml",
        "campaign_timezone: America/Chicago\n"
        'default_time: "09:30"\n'
        "default_effort: Fall Persuasion\n"
        "limits:\n"
        "  max_reject_rate: 0.1\n"
        "outcomes:\n"
        "  Answering Machine:\n"
        "    synonyms: [Voicemail, Left Message]\n",
    )

    # When it is loaded
    config = load_config(path)

    # Then those keys change and every other key keeps its default
    assert config.campaign_timezone == "America/Chicago"
    assert config.default_time == time(9, 30)
    assert config.default_effort == "Fall Persuasion"
    assert config.limits.max_reject_rate == 0.1
    assert config.limits.max_input_bytes == load_config().limits.max_input_bytes
    assert config.outcome_index["leftmessage"] == "Answering Machine"
    assert config.outcomes["Answering Machine"].organizer == "No Answer"
    assert config.outcome_index["talkingtocorrectperson"] == "Completed"


def test_json_file_is_laid_over_the_defaults(tmp_path: Path) -> None:
    # Given the same kind of file in JSON
    settings = {
        "source_timezone": "America/Denver",
        "van": {"result_ids": {"Canvassed": 14}, "canvassed_by": 7},
    }
    path = _write(tmp_path / "campaign.json", json.dumps(settings))

    # When it is loaded
    config = load_config(path)

    # Then its values are used and the rest are the defaults
    assert config.source_zone("canonical").key == "America/Denver"
    assert config.source_zone("thrutalk").key == "America/New_York"
    assert config.van.result_ids == {"Canvassed": 14}
    assert config.van.canvassed_by == 7
    assert config.van.contact_type_id == 19


def test_an_empty_file_means_the_defaults(tmp_path: Path) -> None:
    # Given an empty YAML file
    # When it is loaded
    # Then the configuration is the bundled one
    assert load_config(_write(tmp_path / "empty.yaml", "")) == load_config()


BAD_SETTINGS: dict[str, tuple[dict[str, Any], str]] = {
    "unknown top-level key": ({"campaign_timezon": "America/Chicago"}, "campaign_timezon"),
    "unknown nested key": ({"limits": {"max_reject_rat": 0.1}}, "limits.max_reject_rat"),
    "unknown time zone": ({"campaign_timezone": "Mars/Olympus_Mons"}, "campaign_timezone"),
    "unknown dialer zone value": ({"dialer_timezones": {"thrutalk": "Eastern"}}, "dialer_timezones.thrutalk"),
    "unknown dialer": ({"dialer_timezones": {"ThruTalk": "America/New_York"}}, "dialer_timezones.ThruTalk"),
    "rate above 1": ({"limits": {"max_reject_rate": 1.5}}, "limits.max_reject_rate"),
    "negative size": ({"limits": {"max_input_bytes": -1}}, "limits.max_input_bytes"),
    "negative VAN result ID": ({"van": {"result_ids": {"Canvassed": -14}}}, "van.result_ids.Canvassed"),
    "negative canvasser": ({"van": {"canvassed_by": -7}}, "van.canvassed_by"),
    "not an organizer result": (
        {"outcomes": {"Completed": {"organizer": "Talked"}}},
        "outcomes.Completed.organizer",
    ),
    "unknown outcome key": (
        {"outcomes": {"Completed": {"synonym": ["Talked"]}}},
        "outcomes.Completed.synonym",
    ),
    "unknown call type": ({"call_types": {"Robot": ["Auto"]}}, "call_types.Robot"),
    "time not a time": ({"default_time": "noon"}, "default_time"),
    "time with a zone": ({"default_time": "12:00+05:00"}, "default_time"),
    "unknown phone region": ({"phone_region": "USA"}, "phone_region"),
    "phone format": ({"organizer_phone_format": "dashes"}, "organizer_phone_format"),
    "synonym of two outcomes": (
        {"outcomes": {"Refused": {"synonyms": ["Voicemail"]}}},
        "outcomes: 'Voicemail'",
    ),
    "date order not MDY or DMY": ({"date_order": "YMD"}, "date_order"),
    "columns of an unknown field": ({"columns": {"mobile": ["Mobile Dialed"]}}, "columns.mobile"),
    "a column name two fields claim": (
        {"columns": {"phone": ["Mobile Dialed"], "outcome": ["mobile_dialed"]}},
        "columns.outcome: 'mobile_dialed' already names the phone column",
    ),
    "a column name that is another field's built-in": (
        {"columns": {"phone": ["Call-Result"]}},
        "columns.phone: 'Call-Result' already names the outcome column",
    ),
    "a column name of punctuation only": ({"columns": {"phone": ["#"]}}, "columns.phone: '#'"),
    "a default effort that is a formula": ({"default_effort": "=1+1"}, "default_effort"),
    "a default effort behind a tab": ({"default_effort": "\tGOTV"}, "default_effort"),
    "a synonym that is another outcome once punctuation goes": (
        {"outcomes": {"Refused": {"synonyms": ["Voice-mail"]}}},
        "'Voicemail' means both 'Refused' and 'Answering Machine'",
    ),
    "a synonym of punctuation only": ({"outcomes": {"Refused": {"synonyms": ["??"]}}}, "outcomes: '??'"),
    "second instruction without result": (
        {"van": {"last_called_at": {"enabled": True}}},
        "last_called_at.result",
    ),
}


@pytest.mark.parametrize(("settings", "key"), BAD_SETTINGS.values(), ids=BAD_SETTINGS.keys())
def test_a_bad_key_or_value_fails_naming_the_key(settings: dict[str, Any], key: str, tmp_path: Path) -> None:
    # Given a configuration file with one wrong key or value
    path = _write(tmp_path / "campaign.json", json.dumps(settings))

    # When it is loaded
    # Then it fails loudly, naming the key
    with pytest.raises(ConfigurationError, match="invalid configuration") as raised:
        load_config(path)
    assert key in str(raised.value)


def test_unquoted_yaml_time_fails_instead_of_becoming_minutes(tmp_path: Path) -> None:
    # Given YAML's trap: an unquoted 12:00 is the number 720 (base 60), which would read as 00:12 UTC
    path = _write(tmp_path / "campaign.yaml", "default_time: 12:00\n")

    # When it is loaded
    # Then it fails, naming the key and how to write it
    with pytest.raises(ConfigurationError, match=r'default_time: .*quotes, such as "12:00"'):
        load_config(path)


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("campaign.yaml", "limits: [1, 2\n", "not valid YAML"),
        ("campaign.json", '{"limits": ', "not valid JSON"),
        ("campaign.yaml", "- a list\n- not keys\n", "mapping of keys"),
    ],
    ids=["broken-yaml", "broken-json", "not-a-mapping"],
)
def test_a_file_that_is_not_a_mapping_fails(name: str, text: str, says: str, tmp_path: Path) -> None:
    # Given a configuration file that cannot be read as keys and values
    # When it is loaded
    # Then it fails, saying why
    with pytest.raises(ConfigurationError, match=says):
        load_config(_write(tmp_path / name, text))


def test_a_missing_file_fails(tmp_path: Path) -> None:
    # Given a configuration path that does not exist
    # When it is loaded
    # Then it fails naming the path
    with pytest.raises(ConfigurationError, match=r"nowhere\.yaml"):
        load_config(tmp_path / "nowhere.yaml")


def test_keyword_overrides_win_over_the_file(tmp_path: Path) -> None:
    # Given a file and an override given by keyword (as the environment gives one)
    path = _write(tmp_path / "campaign.yaml", "default_effort: From File\n")

    # When both are loaded
    config = load_config(path, default_effort="From Environment", campaign_timezone=None)

    # Then the keyword wins and a None keyword changes nothing
    assert config.default_effort == "From Environment"
    assert config.campaign_timezone == "America/New_York"


def test_build_config_lays_overrides_in_order() -> None:
    # Given two overrides of the same key
    # When they are built in turn
    # Then the last one wins
    assert build_config({"default_effort": "A"}, {"default_effort": "B"}).default_effort == "B"


def test_configured_columns_are_kept_beside_the_built_in_ones() -> None:
    # Given a campaign naming its dialer's own phone column, and repeating a built-in name of it
    config = build_config({"columns": {"phone": ["Mobile Dialed", "Cell"], "van_id": ["Voter File VANID"]}})

    # When it is loaded
    # Then its names are kept per field, for the header mapping to add to the built-in ones
    assert config.columns == {"phone": ["Mobile Dialed", "Cell"], "van_id": ["Voter File VANID"]}


def test_no_two_bundled_spellings_meet_once_punctuation_is_ignored() -> None:
    # Given the bundled outcomes and call types
    config = load_config()

    # When every spelling is compared as values are (case, spaces and punctuation ignored)
    outcome_spellings = [s for name, rule in config.outcomes.items() for s in [name, *rule.synonyms]]
    call_type_spellings = [s for name, spellings in config.call_types.items() for s in {name, *spellings}]

    # Then each one is a key of its own, so none means two things
    assert len(config.outcome_index) == len(outcome_spellings)
    assert len(config.call_type_index) == len(call_type_spellings)


@given(st.text())
@example("Not Home/No Contact")
@example("NO_ANSWER")
@example("İ Busy")
def test_values_are_matched_as_headers_are(value: str) -> None:
    # Given any text
    # When its outcome key and its header name are taken
    # Then they are the same: case, spaces and punctuation count in neither
    assert match_key(value) == normalise_header(value)
