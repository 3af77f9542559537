"""Phone numbers: any common written form in, E.164 out, through Google's phonenumbers.

phonenumbers costs ~60 us a number. Most dialer exports hold clean 10-digit US numbers: a column's
vector form (`phonebank.columnar`) decides those with the very patterns phonenumbers' metadata holds
(`us_patterns`), and `tests/unit/test_vector_forms.py` holds it to `to_e164` over every area code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, NumberParseException, PhoneMetadata, PhoneNumberFormat

NANP_COUNTRY_CODE = 1
_NANP_LENGTH = 10

# Only forms whose digits phonenumbers reads as exactly this area code, exchange and line: an
# optional +1 or 1, balanced parentheses, one space, dot or dash between groups.
_CLEAN_NANP = re.compile(
    r"(?:\+?1[ .-]?)?(?:\((?P<area_in_parens>[2-9]\d\d)\)|(?P<area>[2-9]\d\d))[ .-]?(?P<exchange>\d{3})[ .-]?"
    r"(?P<line>\d{4})",
    re.ASCII,  # phonenumbers reads other scripts' digits too, but writes E.164 in ASCII: it decides those
)


class InvalidPhone(ValueError):
    pass


@dataclass(frozen=True)
class _Region:
    code: str
    leading_digits: re.Pattern[str] | None
    general: re.Pattern[str] | None
    any_type: re.Pattern[str] | None

    def has_type(self, national: str) -> bool:
        """phonenumbers' `_number_type_helper(national, metadata) != UNKNOWN`, for a 10-digit number."""
        return bool(self.general and self.any_type and self.general.fullmatch(national)
                    and self.any_type.fullmatch(national))  # fmt: skip


def _pattern_for_ten_digits(*descs: object) -> str | None:
    """One pattern matching what any of `descs` matches for a 10-digit number (`_is_number_matching_desc`)."""
    patterns = [
        desc.national_number_pattern  # type: ignore[attr-defined]
        for desc in descs
        if desc is not None
        and desc.national_number_pattern  # type: ignore[attr-defined]
        and (not desc.possible_length or _NANP_LENGTH in desc.possible_length)  # type: ignore[attr-defined]
    ]
    return "|".join(f"(?:{pattern})" for pattern in patterns) if patterns else None


def _region_patterns(code: str) -> tuple[str | None, str | None, str | None]:
    """A North American region's leading digits, general pattern and any-type pattern, as text."""
    metadata = PhoneMetadata.metadata_for_region(code.upper(), None)
    if metadata is None:
        return None, None, None
    types = [
        metadata.premium_rate, metadata.toll_free, metadata.shared_cost, metadata.voip,
        metadata.personal_number, metadata.pager, metadata.uan, metadata.voicemail, metadata.fixed_line,
    ]  # fmt: skip
    if not metadata.same_mobile_and_fixed_line_pattern:
        types.append(metadata.mobile)
    return (
        metadata.leading_digits,
        _pattern_for_ten_digits(metadata.general_desc),
        _pattern_for_ten_digits(*types),
    )


def _compiled(pattern: str | None) -> re.Pattern[str] | None:
    return re.compile(pattern) if pattern else None


@cache
def _nanp_regions() -> tuple[_Region, ...]:
    regions = []
    for code in COUNTRY_CODE_TO_REGION_CODE[NANP_COUNTRY_CODE]:
        if PhoneMetadata.metadata_for_region(code.upper(), None) is None:
            continue
        leading, general, any_type = map(_compiled, _region_patterns(code))
        regions.append(_Region(code=code, leading_digits=leading, general=general, any_type=any_type))
    return tuple(regions)


@cache
def fast_path_applies(region: str) -> bool:
    """Whether a 10-digit number may be read as North American: the region is one of the NANP's."""
    return phonenumbers.country_code_for_region(region) == NANP_COUNTRY_CODE


def nanp_region(national: str) -> str | None:
    """The region of a valid 10-digit North American number, None if invalid: exactly what
    `region_code_for_number` then `is_valid_number_for_region` decide for +1 and these digits."""
    for region in _nanp_regions():
        if region.leading_digits is not None:
            if region.leading_digits.match(national):
                return region.code if region.has_type(national) else None
        elif region.has_type(national):
            return region.code
    return None


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


@cache
def us_patterns() -> tuple[str, str, str]:
    """For vector forms (Rust's regex, no look-around): `_CLEAN_NANP`, then the US region's general and
    any-type patterns for 10 digits, each matched whole. A number both match is valid, and its region
    is the US: the first region `nanp_region` asks. Read as text, not compiled here: a run that needs
    no other region compiles none."""
    assert COUNTRY_CODE_TO_REGION_CODE[NANP_COUNTRY_CODE][0] == "US"
    leading, general, any_type = _region_patterns("US")
    assert leading is None and general and any_type
    clean = _CLEAN_NANP.pattern.replace(r"\d", "[0-9]")
    return f"^(?:{clean})$", f"^(?:{general})$", f"^(?:{any_type})$"


def is_nanp(e164: str) -> bool:
    return e164.startswith("+1") and len(e164) == 12


def national_or_e164(e164: str) -> str:
    """10 digits for a North American number, E.164 for any other: what Organizer reads best."""
    return e164[2:] if is_nanp(e164) else e164


def by_name_phone(e164: str) -> str | None:
    """VAN's by-name file's Phone: 10 digits for a North American number; None for any other, since
    the file has no country column and a UK number's digits would read as a US one. The row is then
    written without a phone, which VAN's Bulk Upload wizard accepts (spec section 3)."""
    return e164[2:] if is_nanp(e164) else None


def national_and_country(e164: str) -> tuple[str, str]:
    """VAN's phone and countrycode columns: the national number and the ISO region ('US')."""
    if is_nanp(e164):
        region = nanp_region(e164[2:])
        if region is not None:
            return e164[2:], region
    number = phonenumbers.parse(e164, None)
    return str(phonenumbers.national_significant_number(number)), phonenumbers.region_code_for_number(
        number
    ) or ""
