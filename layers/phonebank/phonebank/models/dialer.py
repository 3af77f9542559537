"""A dialer export's row: the raw cells in, a normalised call interaction out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo
from pydantic_core import PydanticCustomError

from phonebank.config import CallType, PipelineConfig, begins_like_a_formula, match_key
from phonebank.phones import InvalidPhone, to_e164
from phonebank.times import DateInOtherOrder, InvalidTimestamp, parse_call_time


@dataclass(frozen=True)
class RowContext:
    """What validating a row needs beyond the row: the run's settings and clock."""

    config: PipelineConfig
    source_zone: ZoneInfo
    now: datetime
    fallback_effort: str | None
    service: str


def _context(info: ValidationInfo) -> RowContext:
    context = info.context
    assert isinstance(context, RowContext), "validate dialer rows with context=RowContext(...)"
    return context


def _problem(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def _cell(value: Any) -> str | None:
    text = str(value).strip()
    return text or None


def _required(value: Any, what: str) -> str:
    text = _cell(value)
    if text is None:
        raise _problem("missing", f"is empty, {what} is required")
    return text


# Each field's rule takes the row's context directly, so that a whole column can ask it of each
# distinct cell (`phonebank.columnar`); the model wraps the same functions.


def _phone(value: Any, context: RowContext) -> str:
    try:
        return to_e164(_required(value, "the number called"), context.config.phone_region)
    except InvalidPhone as exc:
        raise _problem("phone", str(exc)) from exc


_FORMULA = (
    "begins with =, +, -, @, a tab or a carriage return, which a spreadsheet would run as a formula "
    "(write it without that first character)"
)


def _free_text(value: Any) -> str | None:
    """A cell written as is into an import file: never what a spreadsheet would run."""
    text = _cell(value)
    if text is not None and begins_like_a_formula(text):
        raise _problem("formula", _FORMULA)
    return text


def _call_instant(value: Any, context: RowContext) -> datetime:
    config = context.config
    try:
        instant = parse_call_time(
            _required(value, "the date of the call"),
            context.source_zone,
            config.default_time,
            config.date_order,
        )
    except DateInOtherOrder as exc:
        raise _problem("date_order", str(exc)) from exc
    except InvalidTimestamp as exc:
        raise _problem("timestamp", str(exc)) from exc
    if instant > context.now:
        raise _problem("future", "is in the future, a call result must be for a call already made")
    earliest = context.config.earliest_call_date
    if instant.date() < earliest:
        raise _problem(
            "too_old", f"is before {earliest.isoformat()}, so its year looks mistyped (earliest_call_date)"
        )
    return instant


def _outcome(value: Any, context: RowContext) -> str:
    config = context.config
    canonical = config.outcome_index.get(match_key(_required(value, "the call's outcome")))
    if canonical is None:
        # Each outcome with the synonyms in force: a configuration's list replaces the default one.
        accepted = ", ".join(" or ".join([name, *rule.synonyms]) for name, rule in config.outcomes.items())
        raise _problem(
            "outcome", f"is not an outcome we know (accepted, with the synonyms in force: {accepted})"
        )
    return canonical


def _call_type(value: Any, context: RowContext) -> CallType:
    text = _cell(value)
    if text is None:
        return "Computer"
    call_type = context.config.call_type_index.get(match_key(text))
    if call_type is None:
        raise _problem(
            "call_type", "is not a call type we know (accepted: Computer, Phone Dial, or empty for Computer)"
        )
    return call_type


LONGEST_CALL = 86_400
_DURATION_FORMS = "write whole seconds such as 75, or minutes:seconds such as 1:15"


def _duration(value: Any, context: RowContext) -> int | None:
    text = _cell(value)
    if text is None:
        return None
    # str methods rather than a pattern: each is linear in the cell, however long.
    whole, point, fraction = text.partition(".")
    parts = whole.split(":")
    if (
        len(parts) > 3
        or not all(part.isdecimal() for part in parts)
        or (point and (len(parts) > 1 or fraction.strip("0")))
    ):
        raise _problem("duration", f"is not a duration ({_DURATION_FORMS})")
    # int() of thousands of digits raises, leading zeros included: more than 6 others is over a day.
    significant = [part.lstrip("0") or "0" for part in parts]
    if any(len(part) > 6 for part in significant):
        raise _problem("duration", f"is longer than a day, {LONGEST_CALL:,} seconds ({_DURATION_FORMS})")
    hours, minutes, seconds = (0,) * (3 - len(parts)) + tuple(map(int, significant))
    if len(parts) > 1 and (seconds >= 60 or (len(parts) == 3 and minutes >= 60)):
        raise _problem("duration", "has 60 or more seconds after the colon (write 1:15 or 75)")
    total = hours * 3600 + minutes * 60 + seconds
    if total > LONGEST_CALL:
        raise _problem("duration", f"is longer than a day, {LONGEST_CALL:,} seconds ({_DURATION_FORMS})")
    return total


def _profile_id(value: Any, context: RowContext) -> str | None:
    return _free_text(value)


def _van_id(value: Any, context: RowContext) -> str | None:
    text = _cell(value)
    if text is not None and not (text.isascii() and text.isdigit()):
        raise _problem("van_id", "is not a VAN ID (a VAN ID is a whole number such as 101234567)")
    return text


def _service(value: Any, context: RowContext) -> str:
    return _free_text(value) or context.service


def _effort(value: Any, context: RowContext) -> str | None:
    text = _free_text(value)
    if text is not None:
        return text
    # The configuration refuses such a default_effort when it loads: this one is the upload folder's.
    fallback = context.fallback_effort
    if fallback is not None and begins_like_a_formula(fallback):
        raise _problem(
            "formula",
            "is empty, and the effort name the upload folder (incoming/<effort name>/, or --effort) gives "
            "begins with =, +, -, @, a tab or a carriage return, which a spreadsheet would run as a formula "
            "(rename the folder, or fill in the effort)",
        )
    return fallback


FieldRule = Callable[[Any, RowContext], Any]


def _in_context(rule: FieldRule) -> BeforeValidator:
    def validate(value: Any, info: ValidationInfo) -> Any:
        return rule(value, _context(info))

    return BeforeValidator(validate)


ProfileId = Annotated[str | None, _in_context(_profile_id)]
"""Organizer's Profile ID: open text that no spreadsheet would run; an empty cell is None."""

VanId = Annotated[str | None, _in_context(_van_id)]
"""NGP VAN's VANID: digits only; an empty cell is None."""

E164Phone = Annotated[str, _in_context(_phone)]
"""A valid phone number, written in E.164."""

CallInstant = Annotated[datetime, _in_context(_call_instant)]
"""When the call was made: an aware datetime, never in the future."""

CanonicalOutcome = Annotated[str, _in_context(_outcome)]
"""One of the configuration's canonical outcomes, reached through its synonyms."""

DialerCallType = Annotated[CallType, _in_context(_call_type)]
"""Computer or Phone Dial; empty means Computer."""

DurationSeconds = Annotated[int | None, _in_context(_duration)]
"""Whole seconds from 0 to a day, written as seconds or as m:ss."""

ServiceName = Annotated[str, _in_context(_service)]
"""The row's service, else the detected dialer's name."""

EffortName = Annotated[str | None, _in_context(_effort)]
"""The row's effort, else the S3 folder's, else the configured default."""


class DialerRow(BaseModel):
    """One call attempt as the dialer exported it, checked and normalised."""

    model_config = ConfigDict(frozen=True)

    profile_id: ProfileId
    van_id: VanId
    phone: E164Phone
    called_at: CallInstant
    outcome: CanonicalOutcome
    effort: EffortName
    service: ServiceName
    call_type: DialerCallType
    duration: DurationSeconds


FIELD_RULES: dict[str, FieldRule] = {
    "profile_id": _profile_id, "van_id": _van_id, "phone": _phone, "called_at": _call_instant,
    "outcome": _outcome, "effort": _effort, "service": _service, "call_type": _call_type,
    "duration": _duration,
}  # fmt: skip
