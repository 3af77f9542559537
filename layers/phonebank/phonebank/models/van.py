"""NGP VAN's canvass results: the Bulk Upload wizard's names file and the bulk-import API's IDs file."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from phonebank.models.output import OutputRow

VanIdDigits = Annotated[str, Field(pattern=r"^\d+$")]
"""A VANID, or any other ID VAN gives: a contact type, a result, a user."""

NationalPhone = Annotated[str, Field(pattern=r"^\d{4,14}$")]
"""The national number: 10 digits for North America, no '+1'."""

NorthAmericanPhoneOrNone = Annotated[str, Field(pattern=r"^(\d{10})?$")]
"""10 digits, no '+1'; empty for a number outside North America, which a file without a country
column would show as a US one (`phones.by_name_phone`)."""


class VanNamesRow(OutputRow):
    """For VAN's Bulk Upload wizard, which matches contact types and results by name."""

    HEADER: ClassVar[list[str]] = ["VanID", "Date Canvassed", "Phone", "Contact Type", "Result"]

    van_id: VanIdDigits
    date_canvassed: Annotated[str, Field(pattern=r"^\d{2}/\d{2}/\d{4}$")]
    phone: NorthAmericanPhoneOrNone
    contact_type: Annotated[str, Field(min_length=1)]
    result: Annotated[str, Field(min_length=1)]


class VanBulkRow(OutputRow):
    """For VAN's bulk-import API, mapping type CanvassResults on resource Contacts: IDs, vanid first."""

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
    contacttypeid: VanIdDigits
    resultid: VanIdDigits
    datecanvassed: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")]
    canvassedby: Annotated[str, Field(pattern=r"^\d*$")]
    """The canvasser's VAN user ID, or empty for VAN to fill in."""
    phone: NationalPhone
    countrycode: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
