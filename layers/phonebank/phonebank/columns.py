"""Which input column holds which field: header aliases, the dialer's shape, and file-level checks."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from phonebank.errors import DuplicateColumn, MissingColumn, NoHeaderRow

Field = Literal[
    "profile_id",
    "van_id",
    "voter_id_type",
    "phone",
    "called_at",
    "date_called",
    "time_called",
    "outcome",
    "effort",
    "service",
    "call_type",
    "duration",
    "caller",
]
Dialer = Literal["impactive", "thrutalk", "canonical"]

ALIASES: dict[Field, tuple[str, ...]] = {
    "profile_id": ("Profile ID", "Organizer Profile ID", "ProfileID"),
    "van_id": (
        "VAN ID", "VANID", "VanID", "VAN_ID", "MyVoters VAN ID", "MyVoter VAN ID", "MyCampaign VAN ID",
        "Voter ID",
    ),
    "voter_id_type": ("Voter ID Type",),
    "phone": ("Phone Number Called", "Phone Number", "Phone", "Voter Phone", "Number Called", "Cell"),
    "called_at": (
        "Date/Time", "Date", "Date or Date/Time", "Last Called At", "Called At", "Date Contacted",
        "Date Canvassed", "Call Date",
    ),
    "date_called": ("Date Called",),
    # "Time Called" too: without it such a file's times would be ignored and its calls put at noon.
    "time_called": ("Time Called (EST)", "Time Called"),
    "outcome": (
        "Call Outcome", "Call Result", "Result", "Disposition", "Call Disposition", "Canvass Result",
        "Contact Result",
    ),
    "effort": ("Effort Name", "Effort", "Phone Bank"),
    "service": ("Service",),
    "call_type": ("Call Type",),
    "duration": ("Call Duration", "Duration", "Duration (seconds)"),
    "caller": ("Caller", "Caller Login", "Volunteer"),
}  # fmt: skip
"""Spec section 1's table; a campaign's configuration (`columns:`) may add names, never take one away."""

DIALER_NAMES: dict[Dialer, str] = {"impactive": "Impactive", "thrutalk": "ThruTalk", "canonical": ""}

_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")


def normalise_header(header: str) -> str:
    """'VAN ID', 'vanid' and 'Van_Id' are one name: case, spaces and punctuation do not count."""
    return _NOT_ALPHANUMERIC.sub("", header).casefold()


_FIELD_BY_HEADER: dict[str, Field] = {
    normalise_header(alias): field for field, aliases in ALIASES.items() for alias in aliases
}
_ALIAS_BY_HEADER: dict[str, str] = {
    normalise_header(alias): alias for aliases in ALIASES.values() for alias in reversed(aliases)
}


@dataclass(frozen=True)
class ColumnMap:
    """Where each known field sits in the file's rows, and the header the user gave it."""

    headers: tuple[str, ...]
    index: dict[Field, int]
    dialer: Dialer

    def header_of(self, field: Field) -> str:
        return self.headers[self.index[field]]

    @property
    def service_name(self) -> str:
        return DIALER_NAMES[self.dialer]


def column_letter(position: int) -> str:
    """A column as a spreadsheet labels it (0 -> "A", 26 -> "AA"): a header cell may be a phone
    number or a name when the file has no header row, so a failure never quotes one we do not know."""
    letters = ""
    number = position + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _known_as(name: str) -> str:
    alias = _ALIAS_BY_HEADER.get(name)
    return f' (both "{alias}")' if alias else ""


def _accepted(field: Field) -> str:
    return ", ".join(f'"{alias}"' for alias in ALIASES[field])


def map_columns(headers: Sequence[str], configured: Mapping[Field, Sequence[str]] | None = None) -> ColumnMap:
    """Find every known field's column; raise for what makes the whole file unusable. `configured`:
    the configuration's own names per field (`columns:`), added to the built-in ones."""
    field_by_header, alias_by_header = _FIELD_BY_HEADER, _ALIAS_BY_HEADER
    if configured:
        # The configuration refused any name that two fields claim, so none replaces a built-in one.
        own = {
            normalise_header(alias): (field, alias)
            for field, aliases in configured.items()
            for alias in aliases
        }
        field_by_header = {**{name: field for name, (field, _) in own.items()}, **_FIELD_BY_HEADER}
        alias_by_header = {**{name: alias for name, (_, alias) in own.items()}, **_ALIAS_BY_HEADER}
    seen: dict[str, int] = {}
    index: dict[Field, int] = {}
    for position, header in enumerate(headers):
        name = normalise_header(header)
        if not name:
            continue
        if name in seen:
            raise DuplicateColumn(
                f"Columns {column_letter(seen[name])} and {column_letter(position)} have the same name once "
                f"case, spaces and punctuation are ignored{_known_as(name)}. Rename or remove one of them."
            )
        seen[name] = position
        field = field_by_header.get(name)
        if field is None:
            continue
        if field in index:
            first = normalise_header(headers[index[field]])
            raise DuplicateColumn(
                f'Columns {column_letter(index[field])} ("{alias_by_header[first]}") and '
                f'{column_letter(position)} ("{alias_by_header[name]}") both give the '
                f"{field.replace('_', ' ')}. Keep the one you mean and rename or remove the other."
            )
        index[field] = position
    if not index:
        raise NoHeaderRow(
            "The first line holds no column name we know, so the file has no header row. Add one naming "
            f"at least the phone ({_accepted('phone')}), the time ({_accepted('called_at')}), the outcome "
            f"({_accepted('outcome')}) and an ID ({_accepted('profile_id')} or {_accepted('van_id')})."
        )
    _require(index)
    return ColumnMap(headers=tuple(headers), index=index, dialer=_dialer_of(index, seen))


def _dialer_of(index: dict[Field, int], seen: dict[str, int]) -> Dialer:
    if "date_called" in index or "voter_id_type" in index:
        return "thrutalk"
    if normalise_header("Last Called At") in seen or normalise_header("Call Outcome") in seen:
        return "impactive"
    return "canonical"


def _require(index: dict[Field, int]) -> None:
    if "time_called" in index and "date_called" not in index:
        raise MissingColumn(
            f'Column "Date Called" is missing: {_accepted("time_called")} needs it beside it.'
        )
    if "date_called" in index and "called_at" in index:
        raise DuplicateColumn(
            'The file has both a date/time column and a "Date Called" column. Keep one of them.'
        )
    for field in ("phone", "outcome"):
        if field not in index:
            raise MissingColumn(f"Required column {field} is missing. Accepted headers: {_accepted(field)}.")
    if "called_at" not in index and "date_called" not in index:
        raise MissingColumn(
            "Required column for the call's date and time is missing. Accepted headers: "
            f'{_accepted("called_at")}, or "Date Called" with "Time Called (EST)".'
        )
    if "profile_id" not in index and "van_id" not in index:
        raise MissingColumn(
            f"An ID column is required: Organizer's ({_accepted('profile_id')}) or NGP VAN's "
            f"({_accepted('van_id')})."
        )
