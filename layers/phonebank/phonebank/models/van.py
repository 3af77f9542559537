"""NGP VAN's canvass results: the Bulk Upload wizard's names file and the bulk-import API's IDs file."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

VanIdDigits = Annotated[str, Field(pattern=r"^\d+$")]
"""A VANID."""

NationalPhone = Annotated[str, Field(pattern=r"^\d{4,14}$")]
"""The national number: 10 digits for North America, no '+1'."""


class VanNamesRow(BaseModel):
    """For VAN's Bulk Upload wizard, which matches contact types and results by name."""

    model_config = ConfigDict(frozen=True)
    HEADER: ClassVar[list[str]] = ["VanID", "Date Canvassed", "Phone", "Contact Type", "Result"]

    van_id: VanIdDigits
    date_canvassed: Annotated[str, Field(pattern=r"^\d{2}/\d{2}/\d{4}$")]
    phone: NationalPhone
    contact_type: Annotated[str, Field(min_length=1)]
    result: Annotated[str, Field(min_length=1)]

    def to_cells(self) -> list[str]:
        return [self.van_id, self.date_canvassed, self.phone, self.contact_type, self.result]


class VanBulkRow(BaseModel):
    """For VAN's bulk-import API, mapping type CanvassResults on resource Contacts: IDs, vanid first."""

    model_config = ConfigDict(frozen=True)
    HEADER: ClassVar[list[str]] = [
        "vanid",
        "contacttypeid",
        "resultid",
        "datecanvassed",
        "canvassedby",
        "phone",
        "countrycode",
    ]

    vanid: VanIdDigits
    contacttypeid: int
    resultid: int
    datecanvassed: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")]
    canvassedby: int | None
    phone: NationalPhone
    countrycode: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]

    def to_cells(self) -> list[str]:
        return [
            self.vanid,
            str(self.contacttypeid),
            str(self.resultid),
            self.datecanvassed,
            "" if self.canvassedby is None else str(self.canvassedby),
            self.phone,
            self.countrycode,
        ]
