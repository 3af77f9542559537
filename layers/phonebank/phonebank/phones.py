"""Phone numbers: any common written form in, E.164 out, through Google's phonenumbers."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

NANP_COUNTRY_CODE = 1


class InvalidPhone(ValueError):
    pass


def to_e164(raw: str, region: str) -> str:
    """The number in E.164 ('+12025550142'), or InvalidPhone with what a user should write instead."""
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as exc:
        raise InvalidPhone(
            "is not a phone number (write 10 digits with the area code, such as (202) 555-0142)"
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(
            "is not a valid phone number: wrong length or no such area code (write 10 digits with the "
            "area code, or + and the country code)"
        )
    if phonenumbers.region_code_for_number(number) in (None, "001"):
        raise InvalidPhone(
            "is a non-geographic number such as +800, which belongs to no country (write a number of a "
            "country, with its area code)"
        )
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def is_nanp(e164: str) -> bool:
    return e164.startswith("+1") and len(e164) == 12


def national_or_e164(e164: str) -> str:
    """10 digits for a North American number, E.164 for any other: what Organizer reads best."""
    return e164[2:] if is_nanp(e164) else e164


def national_and_country(e164: str) -> tuple[str, str]:
    """VAN's phone and countrycode columns: the national number and the ISO region ('US')."""
    number = phonenumbers.parse(e164, None)
    region = phonenumbers.region_code_for_number(number) or ""
    return str(phonenumbers.national_significant_number(number)), region
