"""VAN's by-name file has no country column: only North American numbers go in its Phone column."""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat

from phonebank.phones import by_name_phone, to_e164

EXAMPLES = sorted(
    (region, phonenumbers.format_number(number, PhoneNumberFormat.E164))
    for region in phonenumbers.SUPPORTED_REGIONS
    if (number := phonenumbers.example_number(region)) is not None
)


@pytest.mark.parametrize(("region", "e164"), EXAMPLES, ids=[region for region, _ in EXAMPLES])
def test_only_a_north_american_number_has_a_by_name_phone(region: str, e164: str) -> None:
    # Given a valid number of any country, in E.164 as the validator writes it
    # When the by-name file's Phone is asked for
    phone = by_name_phone(e164)

    # Then a North American one is its 10 digits, and any other country's has none
    if phonenumbers.country_code_for_region(region) == 1:
        assert phone == e164.removeprefix("+1")
        assert phone.isascii() and phone.isdigit() and len(phone) == 10
    else:
        assert phone is None


@pytest.mark.parametrize(
    ("written", "phone"),
    [
        ("(202) 201-3344", "2022013344"),
        ("+1 416 555 0199", "4165550199"),
        ("+1 876 555 0123", "8765550123"),
        ("+44 20 7946 0958", None),
        ("+33 1 23 45 67 89", None),
        ("+52 55 1234 5678", None),
    ],
)
def test_a_uk_number_is_never_written_as_ten_digits(written: str, phone: str | None) -> None:
    # Given numbers as people write them: US, Canadian, Jamaican, and the UK number of issue 13
    # When each is validated, then its by-name Phone is asked for
    # Then the North American ones are 10 digits, and the others none (not 2079460958)
    assert by_name_phone(to_e164(written, "US")) == phone
