"""A dialer export's row: the raw cells in, a normalised call interaction out."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import add
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo
from pydantic_core import PydanticCustomError

from phonebank.config import FORMULA_LEADS, CallType, PipelineConfig, begins_like_a_formula, match_key
from phonebank.phones import InvalidPhone, to_e164, us_e164_column
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


# Each field's rule takes the row's context directly, so that `DialerRow.fields_of` can apply the
# rules to a clean row without pydantic's machinery; the model wraps the same functions.


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
        accepted = ", ".join(config.outcomes)
        raise _problem(
            "outcome", f"is not an outcome we know (accepted: {accepted}, or a configured synonym)"
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

    @classmethod
    def fields_of(cls, values: dict[str, str], context: RowContext) -> dict[str, Any] | None:
        """The row's fields by the model's own rules, without its machinery: None when any rule
        refuses, and then `model_validate` reports every problem. Most rows are clean, and pydantic's
        per-field overhead would cost more than the rules themselves."""
        try:
            return {name: rule(values[name], context) for name, rule in FIELD_RULES.items()}
        except PydanticCustomError:
            return None


class _AskTheCellRule:
    """A column rule's answer for a cell it cannot decide alone."""


ASK_THE_CELL_RULE = _AskTheCellRule()

ColumnRule = Callable[[Sequence[str], RowContext, dict[str, Any]], list[Any] | None]
"""cells, the run's context, and a dict the rule may keep answers in for the rest of the run."""


def _profile_id_column(cells: Sequence[str], context: RowContext, memo: dict[str, Any]) -> list[Any] | None:
    return [
        ASK_THE_CELL_RULE if text.startswith(FORMULA_LEADS) else text or None
        for text in map(str.strip, cells)
    ]


def _van_id_column(cells: Sequence[str], context: RowContext, memo: dict[str, Any]) -> list[Any] | None:
    texts = list(map(str.strip, cells))
    # One check of the joined column says whether every cell is digits or empty.
    joined = "".join(texts)
    if joined.isascii() and (joined.isdigit() or not joined):
        return [text or None for text in texts]
    return None


def _phone_column(cells: Sequence[str], context: RowContext, memo: dict[str, Any]) -> list[Any] | None:
    e164s = us_e164_column(list(map(str.strip, cells)), context.config.phone_region)
    return [ASK_THE_CELL_RULE if e164 is None else e164 for e164 in e164s]


# A date and a time of day, no offset: the hour as the cell writes it, its minutes and seconds, and
# AM or PM if the cell says. The column is matched as one text, a cell a line: space before AM/PM
# never takes a line end, which would read the next cell as this one's AM or PM.
_WITH_A_TIME = re.compile(
    r"^(?:(\d{1,2}/\d{1,2}/\d{4} \d{1,2}|\d{4}-\d{2}-\d{2}[ T]\d{2})"
    r":([0-5]\d)(?::([0-5]\d))?([^\S\n]*[AaPp]\.?[Mm]\.?)?|.*)$",
    re.MULTILINE | re.ASCII,
)
_INTO_THE_HOUR = {
    (f"{minute:02d}", seconds): timedelta(minutes=minute, seconds=int(seconds or 0))
    for minute in range(60)
    for seconds in ["", *(f"{second:02d}" for second in range(60))]
}
_LAST_SECOND = timedelta(minutes=59, seconds=59)
_SAMPLE = 8


def _called_at_column(cells: Sequence[str], context: RowContext, memo: dict[str, Any]) -> list[Any] | None:
    """Most calls in a file are in a few hours: a cell's instant is its hour's, plus its minutes and
    seconds, wherever the rule takes the whole hour alike."""
    # The column's pass costs ~2 us a cell that it does not answer: a few cells say if it would pay.
    if not any(map(_with_a_time, cells[:_SAMPLE])):
        return None
    text = "\n".join(map(str.strip, cells))
    if text.count("\n") != len(cells) - 1:
        return None
    found = _WITH_A_TIME.findall(text)
    if found.count(("", "", "", "")) == len(found):
        return None
    hours, minutes, seconds, halves = zip(*found, strict=True)
    keys = list(map(add, hours, halves))
    if new := set(keys).difference(memo):
        parts = dict(zip(keys, zip(hours, halves, strict=True), strict=True))
        for key in new:
            hour, half = parts[key]
            memo[key] = _start_of_even_hour(hour, half, context) if hour else None
    starts = list(map(memo.__getitem__, keys))
    into_the_hour = map(_INTO_THE_HOUR.get, zip(minutes, seconds, strict=True))
    if None not in starts:  # every cell answered: map() adds in C
        return list(map(add, starts, into_the_hour))
    return [
        ASK_THE_CELL_RULE if start is None else start + offset
        for start, offset in zip(starts, into_the_hour, strict=True)
    ]


def _with_a_time(cell: str) -> bool:
    match = _WITH_A_TIME.fullmatch(cell.strip())
    return bool(match and match[1])


def _start_of_even_hour(hour: str, half: str, context: RowContext) -> datetime | None:
    """The instant of `hour`:00:00 when the rule takes :00:00 and :59:59 alike, that far apart: then
    no second of the hour is in the future or before the earliest date, and none falls on a clock
    change (an offset changes at most once within an hour, as far as the zone database reaches). None
    otherwise: each cell asks the rule."""
    try:
        start = _call_instant(f"{hour}:00{half}", context)
        end = _call_instant(f"{hour}:59:59{half}", context)
    except PydanticCustomError:
        return None
    return start if end - start == _LAST_SECOND else None


COLUMN_RULES: dict[str, ColumnRule] = {
    "profile_id": _profile_id_column,
    "van_id": _van_id_column,
    "phone": _phone_column,
    "called_at": _called_at_column,
}
"""A whole column's answers at once, for rules with a cheaper form than one call a cell: None when
every cell needs its own rule, ASK_THE_CELL_RULE where one does (the rule then says what is wrong)."""

FIELD_RULES: dict[str, FieldRule] = {
    "profile_id": _profile_id, "van_id": _van_id, "phone": _phone, "called_at": _call_instant,
    "outcome": _outcome, "effort": _effort, "service": _service, "call_type": _call_type,
    "duration": _duration,
}  # fmt: skip
