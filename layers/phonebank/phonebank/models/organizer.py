"""Organizer's phone-interaction import (seed 002): the exact columns and the values it accepts."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from phonebank.config import CallType, OrganizerCallResult
from phonebank.models.output import OutputRow

OrganizerDateTime = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")]
"""YYYY-MM-DD HH:MM in the campaign's time zone."""

OrganizerPhone = Annotated[str, Field(pattern=r"^(\d{10}|\+[1-9]\d{6,14})$")]
"""10 digits for a North American number, E.164 for any other."""

OpenText = Annotated[str, Field(min_length=1)]
"""Any text, not empty."""

WholeSecondsOrEmpty = Annotated[str, Field(pattern=r"^(0|[1-9]\d*)?$")]
"""A call's duration in whole seconds, empty when the dialer did not say."""


class OrganizerRow(OutputRow):
    """One interaction; a row that does not validate here is never written."""

    HEADER: ClassVar[list[str]] = [
        "Profile ID",
        "Effort Name",
        "Date/Time",
        "Phone Number Called",
        "Service",
        "Call Type",
        "Call Result",
        "Call Duration",
    ]

    profile_id: OpenText
    effort_name: OpenText
    date_time: OrganizerDateTime
    phone_number_called: OrganizerPhone
    service: str
    call_type: CallType
    call_result: OrganizerCallResult
    call_duration: WholeSecondsOrEmpty
