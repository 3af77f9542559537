"""The fast path for clean North American numbers gives exactly phonenumbers' answer, or none at all."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phonebank.phones import (
    InvalidPhone,
    _to_e164_with_phonenumbers,
    nanp_region,
    national_and_country,
    to_e164,
)

FORMS = [
    "({a}) {e}-{l}", "{a}.{e}.{l}", "{a}-{e}-{l}", "{a} {e} {l}", "{a}{e}{l}", "1{a}{e}{l}", "1-{a}-{e}-{l}",
    "1 ({a}) {e}-{l}", "+1 {a} {e} {l}", "+1{a}{e}{l}", "+1 ({a}) {e}-{l}", "+1-{a}-{e}-{l}", "({a}){e}-{l}",
    "({a} {e}-{l}", "{a}) {e}-{l}", "{a}  {e} {l}", "+ 1 {a} {e} {l}", "{a}/{e}-{l}",
]  # fmt: skip


def _outcome(convert: object, raw: str, region: str = "US") -> str | None:
    try:
        return convert(raw, region)  # type: ignore[operator,no-any-return]
    except InvalidPhone:
        return None


def _library_region(national: str) -> str | None:
    number = phonenumbers.PhoneNumber(country_code=1, national_number=int(national))
    return phonenumbers.region_code_for_number(number) if phonenumbers.is_valid_number(number) else None


def test_every_area_code_in_every_form_gets_the_libraries_answer() -> None:
    # Given numbers in every area code 200-999, random exchanges and lines, written in many forms
    sample = random.Random(20241001)
    checked = 0
    for area in range(200, 1000):
        for _ in range(4):
            exchange, line = f"{sample.randrange(1000):03d}", f"{sample.randrange(10000):04d}"
            raw = sample.choice(FORMS).format(a=area, e=exchange, l=line)
            # When both paths read it
            # Then the fast path agrees with phonenumbers, valid or not, and so does the region
            assert _outcome(to_e164, raw) == _outcome(_to_e164_with_phonenumbers, raw), raw
            national = f"{area}{exchange}{line}"
            assert nanp_region(national) == _library_region(national), national
            checked += 1
    assert checked == 3200


@settings(max_examples=300, deadline=None)
@given(
    form=st.sampled_from(FORMS),
    area=st.integers(0, 999),
    exchange=st.integers(0, 999),
    line=st.integers(0, 9999),
    region=st.sampled_from(["US", "CA", "PR", "GB"]),
)
def test_any_number_in_any_form_and_region_gets_the_libraries_answer(
    form: str, area: int, exchange: int, line: int, region: str
) -> None:
    raw = form.format(a=f"{area:03d}", e=f"{exchange:03d}", l=f"{line:04d}")
    assert _outcome(to_e164, raw, region) == _outcome(_to_e164_with_phonenumbers, raw, region)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789()+-. x", min_size=0, max_size=20))
def test_any_string_gets_the_libraries_answer(raw: str) -> None:
    assert _outcome(to_e164, raw) == _outcome(_to_e164_with_phonenumbers, raw)


@pytest.mark.parametrize(
    ("e164", "expected"),
    [("+12025550142", ("2025550142", "US")), ("+14165550142", ("4165550142", "CA")),
     ("+17875550142", ("7875550142", "PR")), ("+442079460958", ("2079460958", "GB"))],
)  # fmt: skip
def test_van_phone_and_country_come_from_the_number(e164: str, expected: tuple[str, str]) -> None:
    assert national_and_country(e164) == expected
