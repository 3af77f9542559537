"""The export ledger's key of a call: XXH3-128 of its identity, stable across versions."""

from __future__ import annotations

from datetime import timedelta

import xxhash
from ledger_helpers import CALLED_AT, a_call

from phonebank.ledger import interaction_keys
from phonebank.models.interaction import Interaction


def test_the_key_is_xxh3_128_of_the_identity_as_text_whatever_polars_version_reads_it() -> None:
    # Given XXH3-128 as its specification defines it (xxHash's own test vector: the empty input)
    assert xxhash.xxh3_128_hexdigest(b"") == "99aa06d3014798d86001c324468d497f"
    # And a known call, and its identity written out by hand: microseconds since 1970 UTC, E.164 phone,
    # Profile ID, VAN ID, outcome, effort, joined by NUL
    known = a_call(2)
    text = b"1728684420000000\x00+13015550101\x00OP-1\x00100200301\x00Completed\x00GOTV Weekend 1"

    # When the ledger keys it
    (key,) = interaction_keys(Interaction.frame([known])).to_list()

    # Then the key is that text's XXH3-128, the digest as 16 little-endian bytes, and it is this one
    assert key == int.from_bytes(xxhash.xxh3_128_digest(text), "little", signed=True)
    assert key.to_bytes(16, "little", signed=True).hex() == "f6f243daedd45bfac940c41d59a94730"


def test_a_missing_id_and_every_field_of_the_identity_change_the_key() -> None:
    # Given one call and the same call with each identity field changed, or an ID missing
    variants = [
        a_call(2),
        a_call(2, profile_id=None),
        a_call(2, van_id=None),
        a_call(2, phone="+13015550102"),
        a_call(2, called_at=CALLED_AT + timedelta(microseconds=1)),
        a_call(2, outcome="No Answer"),
        a_call(2, effort="GOTV Weekend 2"),
        a_call(2, effort=None),
    ]
    # When each is keyed
    keys = interaction_keys(Interaction.frame(variants)).to_list()
    # Then no two share a key, and what is no part of the identity (row, duration) changes nothing
    assert len(set(keys)) == len(variants)
    same = interaction_keys(Interaction.frame([a_call(9, duration=1, service="ThruTalk")])).to_list()
    assert same == keys[:1]
