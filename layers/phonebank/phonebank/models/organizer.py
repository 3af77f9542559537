"""Organizer's phone-interaction import (seed 002): the exact columns and the values it accepts."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from phonebank.config import CallType, OrganizerCallResult

OrganizerDateTime = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")]
"""YYYY-MM-DD HH:MM in the campaign's time zone."""

OrganizerPhone = Annotated[str, Field(pattern=r"^(\d{10}|\+[1-9]\d{6,14})$")]
"""10 digits for a North American number, E.164 for any other."""

OpenText = Annotated[str, Field(min_length=1)]
"""Any text, not empty."""


class OrganizerRow(BaseModel):
    """One interaction; a row that does not validate here is never written."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)
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

    profile_id: OpenText = Field(alias="Profile ID")
    effort_name: OpenText = Field(alias="Effort Name")
    date_time: OrganizerDateTime = Field(alias="Date/Time")
    phone_number_called: OrganizerPhone = Field(alias="Phone Number Called")
    service: str = Field(alias="Service")
    call_type: CallType = Field(alias="Call Type")
    call_result: OrganizerCallResult = Field(alias="Call Result")
    call_duration: Annotated[int, Field(ge=0)] | None = Field(alias="Call Duration")

    def to_cells(self) -> list[str]:
        return [
            self.profile_id,
            self.effort_name,
            self.date_time,
            self.phone_number_called,
            self.service,
            self.call_type,
            self.call_result,
            "" if self.call_duration is None else str(self.call_duration),
        ]
