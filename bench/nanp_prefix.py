"""Check that phonenumbers decides a 10-digit NANP number (+1) on its first few digits alone.

    python -m bench.nanp_prefix            # prints the prefix length, or where the claim fails

If every pattern that phonenumbers' metadata uses for country code 1 (each region's national number
patterns and leading digits) leaves the digits after position k free, then is_valid_number,
region_code_for_number and number_type of +1 numbers are functions of the first k national digits:
a cache keyed by those k digits gives exactly phonenumbers' answer. The check expands each regex
into fixed-length sequences of digit sets (the metadata uses only literals, classes, alternation and
fixed repeats) and looks at which positions each sequence constrains; a construct it does not know
makes it fail, never pass. It reads the installed metadata, so it must run again when phonenumbers
is upgraded (a test in the suite, not a one-off).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

try:
    import re._constants as sre_constants  # type: ignore[import-not-found,unused-ignore]
    import re._parser as sre_parse  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Python < 3.11
    import sre_constants  # type: ignore[no-redef,unused-ignore]
    import sre_parse  # type: ignore[no-redef,unused-ignore]

NATIONAL_LENGTH = 10
DIGITS = frozenset("0123456789")
DESCS = (
    "general_desc",
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
)
Sequence = tuple[frozenset[str], ...]


class Unsupported(ValueError):
    pass


def _class(items: list[tuple[Any, Any]]) -> frozenset[str]:
    chars: set[str] = set()
    for op, value in items:
        if op is sre_constants.LITERAL:
            chars.add(chr(value))
        elif op is sre_constants.RANGE:
            chars.update(chr(code) for code in range(value[0], value[1] + 1))
        elif op is sre_constants.CATEGORY and value is sre_constants.CATEGORY_DIGIT:
            chars.update(DIGITS)  # only ASCII digits matter: the national number is ASCII
        else:
            raise Unsupported(f"character class item {op} {value}")
    return frozenset(chars & DIGITS)


def _expand(items: Any, limit: int) -> Iterator[Sequence]:
    """Every sequence of digit sets (no longer than `limit`) that the parsed items can match."""
    if not items:
        yield ()
        return
    head, rest = items[0], items[1:]
    for first in _expand_one(head, limit):
        for tail in _expand(rest, limit - len(first)):
            yield first + tail


def _expand_one(item: tuple[Any, Any], limit: int) -> Iterator[Sequence]:
    op, value = item
    if op is sre_constants.LITERAL:
        if limit >= 1:
            yield (frozenset(chr(value)) & DIGITS,)
    elif op is sre_constants.IN:
        if limit >= 1:
            yield (_class(value),)
    elif op is sre_constants.BRANCH:
        for alternative in value[1]:
            yield from _expand(alternative, limit)
    elif op is sre_constants.SUBPATTERN:
        yield from _expand(value[-1], limit)
    elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
        low, high, body = value
        if high is sre_constants.MAXREPEAT:
            high = limit
        for count in range(low, min(high, limit) + 1):
            yield from _expand(list(body) * count, limit)
    else:
        raise Unsupported(f"regex construct {op}")


def decided_by(pattern: str, *, prefix_match: bool = False) -> int:
    """How many leading digits of a 10-digit string decide whether `pattern` matches it.

    fullmatch: a sequence of another length never matches; one of length 10 is decided by its last
    constrained position. re.match (leading digits): a sequence decides on its own length.
    """
    decided = 0
    for sequence in _expand(list(sre_parse.parse(pattern)), NATIONAL_LENGTH):
        if any(not chars for chars in sequence):
            continue  # a non-digit or empty class: matches no national number
        if prefix_match:
            decided = max(decided, len(sequence))
        elif len(sequence) == NATIONAL_LENGTH:
            constrained = [position for position, chars in enumerate(sequence) if chars != DIGITS]
            decided = max(decided, constrained[-1] + 1 if constrained else 0)
    return decided


def nanp_prefix_length() -> tuple[int, str]:
    """The longest prefix any NANP pattern needs, and which pattern needs it."""
    worst, where = 0, ""
    for region in COUNTRY_CODE_TO_REGION_CODE[1]:
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is None:
            raise Unsupported(f"no metadata for region {region}")
        patterns = [(desc, getattr(metadata, desc)) for desc in DESCS]
        checks = [
            (f"{region}.{name}", desc.national_number_pattern, False)
            for name, desc in patterns
            if desc is not None and desc.national_number_pattern
        ]
        if metadata.leading_digits:
            checks.append((f"{region}.leading_digits", metadata.leading_digits, True))
        for label, pattern, prefix_match in checks:
            length = decided_by(pattern, prefix_match=prefix_match)
            if length > worst:
                worst, where = length, f"{label}: {pattern[:120]}"
    return worst, where


def main() -> int:
    try:
        length, where = nanp_prefix_length()
    except Unsupported as exc:
        print(f"not proven: the metadata uses a construct this check does not read ({exc})")
        return 1
    version = phonenumbers.__version__
    print(f"phonenumbers {version}: +1 numbers are decided by their first {length} national digits")
    print(f"(the longest need comes from {where})")
    return 0 if length < NATIONAL_LENGTH else 1


if __name__ == "__main__":
    sys.exit(main())
