"""The pipeline's configuration: the bundled defaults, with a campaign's own file laid over them."""

from __future__ import annotations

import json
from datetime import date, time
from functools import cached_property
from importlib.resources import files
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from phonebank.columns import ALIASES, Dialer, normalise_header
from phonebank.columns import Field as ColumnField
from phonebank.errors import ConfigurationError
from phonebank.in_force import SettingInForce, settings_in_force
from phonebank.times import DateOrder

OrganizerCallResult = Literal[
    "Answered", "No Answer", "Refused", "Opt Out", "Wrong Number", "Line Busy", "Number Disconnected"
]
"""The only Call Result values Organizer accepts."""

CallType = Literal["Computer", "Phone Dial"]
"""The only Call Type values Organizer accepts."""


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as America/New_York") from exc
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
"""An IANA time zone name that this Python knows."""


def _written_time(value: Any) -> Any:
    # YAML reads an unquoted 12:00 as the number 720, which pydantic would take as 00:12 UTC.
    if not isinstance(value, str | time):
        raise ValueError('write the time in quotes, such as "12:00"')
    return value


def _without_zone(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError('write a time without a zone, such as "12:00": it is read in the source time zone')
    return value


LocalTime = Annotated[time, BeforeValidator(_written_time), AfterValidator(_without_zone)]
"""A wall-clock time such as 12:00, with no zone of its own."""


def _known_region(code: str) -> str:
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown phone region {code!r}; use a two-letter country code such as US")
    return code


PhoneRegion = Annotated[str, AfterValidator(_known_region)]
"""The country whose numbers may be written without + and a country code."""

Rate = Annotated[float, Field(ge=0, le=1)]
"""A share between 0 and 1."""

VanNumericId = Annotated[int, Field(ge=0)]
"""An ID VAN gave: a contact type, a result, a canvasser. VAN's files hold them as digits."""


FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
"""What a cell that a spreadsheet would run as a formula begins with (OWASP's list for CSV injection)."""


def begins_like_a_formula(text: str) -> bool:
    return text.startswith(FORMULA_LEADS)


def _no_formula(text: str) -> str:
    if begins_like_a_formula(text):
        raise ValueError(
            "begins with =, +, -, @, a tab or a carriage return, which a spreadsheet would run as a formula"
        )
    return text


FreeText = Annotated[str, AfterValidator(_no_formula)]
"""Text written as is into an import file: never what a spreadsheet would run as a formula."""


def match_key(value: str) -> str:
    """How outcomes and call types are compared: case, spaces and punctuation do not count, as in
    headers (`NO_ANSWER` is `No Answer`)."""
    joined = "".join(value.split())
    # Most values are words and spaces: only the others pay for the pattern (~0.6 us a row).
    return joined.casefold() if joined.isalnum() else normalise_header(joined)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutcomeRule(_Strict):
    synonyms: list[str] = []
    organizer: OrganizerCallResult | None = None
    van: str | None = None
    not_dialed: bool = False


class Limits(_Strict):
    max_reject_rate: Rate = 0.05
    max_input_bytes: Annotated[int, Field(gt=0)] = 2_000_000_000
    organizer_max_efforts_per_file: Annotated[int, Field(ge=1)] = 5
    organizer_max_file_bytes: Annotated[int, Field(ge=1024)] = 495_000_000


class LastCalledAtInstruction(_Strict):
    enabled: bool = False
    contact_type: str = "Phone"
    contact_type_id: VanNumericId = 1
    result: str | None = None

    @model_validator(mode="after")
    def _result_when_enabled(self) -> LastCalledAtInstruction:
        if self.enabled and not self.result:
            raise ValueError("last_called_at.enabled needs last_called_at.result (the VAN result to record)")
        return self


class VanSettings(_Strict):
    contact_type: str = "Auto Dial"
    contact_type_id: VanNumericId = 19
    result_ids: dict[str, VanNumericId] = {}
    canvassed_by: VanNumericId | None = None
    last_called_at: LastCalledAtInstruction = LastCalledAtInstruction()


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def web_address(url: str) -> str:
    """An https address; plain http only to this machine (a test server of ours on 127.0.0.1), since
    the push sends the API key and VAN's answers hold people's IDs."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"{url!r} is not a web address such as https://api.securevan.com/v4")
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        raise ValueError("use https (plain http only to 127.0.0.1, for a test server)")
    return url.rstrip("/")


WebAddress = Annotated[str, AfterValidator(web_address)]

VanDatabase = Literal["MyCampaign", "MyVoters"]
"""Which VAN database an API key opens: its password ends in |1 for MyCampaign, |0 for MyVoters."""

_MAX_POLLS = 2000
"""Polls a push may make before its deadline: each is about ten events of the execution's history,
which Step Functions caps at 25,000."""


class VanPushSettings(_Strict):
    """The optional push of the bulk-import file to VAN's API. The IDs it sends are `van`'s; the API key
    is the stack's VanApiKeySecretArn secret, never a configuration value."""

    enabled: bool = False
    application_name: str | None = None
    database: VanDatabase = "MyCampaign"
    api_url: WebAddress = "https://api.securevan.com/v4"
    poll_seconds: Annotated[int, Field(ge=1, le=3600)] = 60
    deadline_minutes: Annotated[float, Field(gt=0, le=23 * 60)] = 240
    source_url_minutes: Annotated[int, Field(ge=5, le=12 * 60)] = 60

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> VanPushSettings:
        if self.enabled and not (self.application_name or "").strip():
            raise ValueError(
                "van_push.enabled needs van_push.application_name (the VAN API application's name)"
            )
        if self.deadline_minutes * 60 / self.poll_seconds > _MAX_POLLS:
            raise ValueError(
                f"van_push.deadline_minutes / poll_seconds allows over {_MAX_POLLS} polls: poll less often"
            )
        return self


class PipelineConfig(_Strict):
    campaign_timezone: TimeZoneName
    source_timezone: TimeZoneName | None = None
    dialer_timezones: dict[Dialer, TimeZoneName] = {}
    default_time: LocalTime
    earliest_call_date: date = date(2000, 1, 1)
    date_order: DateOrder = "MDY"
    default_effort: FreeText | None = None
    columns: dict[ColumnField, list[str]] = {}
    phone_region: PhoneRegion = "US"
    organizer_phone_format: Literal["national10", "e164"] = "national10"
    limits: Limits = Limits()
    outcomes: dict[str, OutcomeRule]
    call_types: dict[CallType, list[str]]
    van: VanSettings = VanSettings()
    van_push: VanPushSettings = VanPushSettings()

    @model_validator(mode="after")
    def _synonyms_are_unambiguous(self) -> PipelineConfig:
        for table, index in (("outcomes", self._outcome_pairs()), ("call_types", self._call_type_pairs())):
            seen: dict[str, str] = {}
            for spelling, canonical in index:
                key = match_key(spelling)
                if not key:
                    raise ValueError(
                        f"{table}: {spelling!r} has no letter or digit, so it would match no value"
                    )
                if seen.get(key, canonical) != canonical:
                    raise ValueError(f"{table}: {spelling!r} means both {seen[key]!r} and {canonical!r}")
                seen[key] = canonical
        return self

    @model_validator(mode="after")
    def _columns_are_unambiguous(self) -> PipelineConfig:
        claimed = {normalise_header(alias): field for field, aliases in ALIASES.items() for alias in aliases}
        for field, aliases in self.columns.items():
            for alias in aliases:
                name = normalise_header(alias)
                if not name:
                    raise ValueError(f"columns.{field}: {alias!r} has no letter or digit, so no header is it")
                if claimed.setdefault(name, field) != field:
                    raise ValueError(
                        f"columns.{field}: {alias!r} already names the {claimed[name]} column "
                        "(headers are compared ignoring case, spaces and punctuation)"
                    )
        return self

    def _outcome_pairs(self) -> list[tuple[str, str]]:
        return [(s, name) for name, rule in self.outcomes.items() for s in [name, *rule.synonyms]]

    def _call_type_pairs(self) -> list[tuple[str, str]]:
        return [(s, name) for name, spellings in self.call_types.items() for s in [name, *spellings]]

    @cached_property
    def outcome_index(self) -> dict[str, str]:
        """Every accepted spelling (as `match_key` gives it) -> its canonical outcome."""
        return {match_key(s): name for s, name in self._outcome_pairs()}

    @cached_property
    def call_type_index(self) -> dict[str, CallType]:
        return {match_key(s): name for name, spellings in self.call_types.items() for s in [name, *spellings]}

    @cached_property
    def not_dialed_outcomes(self) -> frozenset[str]:
        return frozenset(name for name, rule in self.outcomes.items() if rule.not_dialed)

    @cached_property
    def van_results_in_use(self) -> list[str]:
        used = {rule.van for rule in self.outcomes.values() if rule.van}
        if self.van.last_called_at.enabled and self.van.last_called_at.result:
            used.add(self.van.last_called_at.result)
        return sorted(used)

    @property
    def van_results_without_id(self) -> list[str]:
        return [name for name in self.van_results_in_use if name not in self.van.result_ids]

    def source_zone(self, dialer: Dialer) -> ZoneInfo:
        return ZoneInfo(self.dialer_timezones.get(dialer) or self.source_timezone or self.campaign_timezone)

    @cached_property
    def campaign_zone(self) -> ZoneInfo:
        return ZoneInfo(self.campaign_timezone)


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read configuration {path}: {exc.strerror}") from exc
    return parse_mapping(text, str(path))


def parse_mapping(text: str, name: str) -> dict[str, Any]:
    """A configuration file's own keys, before any default is laid under them (the Lambdas lay the file
    over the stack's parameters, and say which set what). `name` (a path or an s3:// URI) says where
    the text came from; a .json name means JSON, else YAML."""
    is_json = PurePosixPath(name).suffix.lower() == ".json"
    try:
        data = json.loads(text) if is_json else yaml.load(text, Loader=yaml.CSafeLoader)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if is_json else "YAML"
        raise ConfigurationError(f"configuration {name} is not valid {kind}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigurationError(
            f"configuration {name} must hold a mapping of keys, not {type(data).__name__}"
        )
    return data


def _lay_over(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _lay_over(merged[key], value)
        else:
            merged[key] = value
    return merged


def bundled_defaults() -> dict[str, Any]:
    # libyaml's safe loader (in PyYAML's wheels): 14 times the pure-Python one's speed, and a Lambda
    # reads the defaults each time it reads its configuration.
    text = files("phonebank").joinpath("defaults.yaml").read_text(encoding="utf-8")
    loaded = yaml.load(text, Loader=yaml.CSafeLoader)
    assert isinstance(loaded, dict)
    return loaded


def build_config(*overrides: dict[str, Any]) -> PipelineConfig:
    """The defaults with each override laid over them in turn; a bad key fails naming the key."""
    data = bundled_defaults()
    for override in overrides:
        data = _lay_over(data, override)
    try:
        return PipelineConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(top level)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from exc


def load_config_in_force(path: Path | None) -> tuple[PipelineConfig, dict[str, SettingInForce]]:
    """As `load_config`, and each reported setting's source: the file, or the bundled defaults."""
    file_values = _read_mapping(path) if path else {}
    config = build_config(file_values)
    return config, settings_in_force(config, [(f"--config {path}", file_values)])


def load_config(path: Path | None = None, **overrides: Any) -> PipelineConfig:
    """The configuration from an optional file, then keyword overrides (e.g. from the environment)."""
    file_values = _read_mapping(path) if path else {}
    return build_config(file_values, {k: v for k, v in overrides.items() if v is not None})


def config_from_text(text: str, name: str, **overrides: Any) -> PipelineConfig:
    """As `load_config`, from a configuration's text already read (from S3, say) and its name."""
    return build_config(parse_mapping(text, name), {k: v for k, v in overrides.items() if v is not None})
