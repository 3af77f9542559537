"""The validator's shortcuts give exactly the answers of what they shortcut."""

from __future__ import annotations

import random
from array import array
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from phonebank.config import load_config
from phonebank.dedupe import FirstRows, StoredKeys, identity_key
from phonebank.models.dialer import DialerRow, RowContext
from phonebank.models.interaction import Call, Interaction

CONFIG = load_config()
CONTEXT = RowContext(CONFIG, CONFIG.campaign_zone, datetime(2026, 1, 1, tzinfo=UTC), "GOTV", "Impactive")

CALLED_AT_CELLS = [
    "10/11/2024 6:07 PM", "2024-10-11 18:07", "2024-10-11", "2030-01-01 10:00", "13/40/2024", "",
    "0204-01-01",
]  # fmt: skip
"""Dates and times as dialers write them, and the ways they go wrong: future, unreal, mistyped year."""

cell_values = {
    "profile_id": st.sampled_from(["", " ", "OP-1", "P 2"]),
    "van_id": st.sampled_from(["", "101234567", "12a", " 42 ", "12²"]),
    "phone": st.sampled_from(["(202) 555-0142", "2025550142", "+44 20 7946 0958", "555-0100", "", "abc"]),
    "called_at": st.sampled_from(CALLED_AT_CELLS),
    "outcome": st.sampled_from(["Completed", "busy signal", "Not Dialed", "Hung Up", "", "VOICEMAIL"]),
    "effort": st.sampled_from(["", "GOTV", " Persuasion "]),
    "service": st.sampled_from(["", "CallHub"]),
    "call_type": st.sampled_from(["", "Manual", "Robot"]),
    "duration": st.sampled_from(["", "75", "1:15", "75.5", "-1", "1:75:00"]),
}


@settings(max_examples=400, deadline=None)
@given(st.fixed_dictionaries(cell_values))
def test_fields_of_agrees_with_the_model(values: dict[str, str]) -> None:
    # Given any row, clean or not
    # When the shortcut and the pydantic model both read it
    shortcut = DialerRow.fields_of(values, CONTEXT)
    try:
        model: dict[str, Any] | None = DialerRow.model_validate(values, context=CONTEXT).model_dump()
    except ValidationError:
        model = None
    # Then they accept the same rows with the same fields, and refuse the same rows
    assert shortcut == model


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 300), max_size=400))
def test_first_rows_remembers_each_identity_like_a_dict(identities: list[int]) -> None:
    # Given identities with repeats, enough to spill the recent ones into sorted runs
    remembered = FirstRows()
    expected: dict[int, int] = {}
    for row, identity in enumerate(identities, start=2):
        key = identity_key((f"profile {identity}",))
        # When each row is offered
        # Then the answer is the row where its identity was first seen
        assert remembered.first_row(key, row) == expected.setdefault(key, row)


def test_first_rows_finds_identities_in_settled_runs(monkeypatch: Any) -> None:
    # Given a tiny recent-keys limit, so that most identities live in the sorted runs
    monkeypatch.setattr("phonebank.dedupe._RECENT_LIMIT", 4)
    remembered = FirstRows()
    for row in range(2, 40):
        remembered.first_row(identity_key((str(row),)), row)
    # When earlier identities come again
    # Then each is found with its first row, and a new one is new
    assert [remembered.first_row(identity_key((str(row),)), 1000 + row) for row in (2, 7, 23, 39)] == [
        2,
        7,
        23,
        39,
    ]
    assert remembered.first_row(identity_key(("new",)), 5000) == 5000


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries(cell_values), st.integers(2, 10**7))
def test_reading_back_our_own_validated_rows_gives_what_validation_would(
    values: dict[str, str], row: int
) -> None:
    # Given an accepted row as the validator writes it
    fields = DialerRow.fields_of(values, CONTEXT)
    if fields is None:
        return
    cells = Call(row, **fields).to_cells()
    # When the transformer reads it back without checking it again
    # Then it is the very interaction that checking would give
    assert Call.from_own_cells(cells) == Interaction.from_cells(cells).to_call()


@pytest.mark.parametrize(("recent", "block"), [(8, 2), (16, 3), (64, 256)])
def test_first_rows_answers_like_a_dict_across_runs_and_blocks(
    recent: int, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given runs of `recent` keys on disk, read in blocks of `block`
    monkeypatch.setattr("phonebank.dedupe._RECENT_LIMIT", recent)
    monkeypatch.setattr("phonebank.dedupe._BLOCK", block)
    sample = random.Random(recent * 1000 + block)
    expected: dict[int, int] = {}
    # When 2,000 rows of 700 identities are offered in random order
    with FirstRows() as remembered:
        for row in range(2, 2002):
            key = identity_key((f"person {sample.randrange(700)}",))
            # Then every answer is the row where the identity was first seen
            assert remembered.first_row(key, row) == expected.setdefault(key, row)


@pytest.mark.parametrize("bitmap_bits", [1024, 1 << 27], ids=["keys-sharing-bytes", "full-size"])
def test_first_rows_of_whole_batches_answers_like_a_dict(
    bitmap_bits: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a bitmap so small that a batch's keys share its bytes (or the real one), runs of 16
    # recent keys, and batches of up to 60 rows of 300 identities: repeats within a batch and across
    monkeypatch.setattr("phonebank.dedupe._BITMAP_BITS", bitmap_bits)
    monkeypatch.setattr("phonebank.dedupe._RECENT_LIMIT", 16)
    sample = random.Random(bitmap_bits)
    expected: dict[int, int] = {}
    with FirstRows() as remembered:
        row = 2
        for _ in range(80):
            size = sample.randrange(1, 60)
            keys = [identity_key((f"person {sample.randrange(300)}",)) for _ in range(size)]
            rows = list(range(row, row + size))
            row += size
            # When a batch is offered at once
            # Then each answer is the row where the identity was first seen, in this batch or before
            assert remembered.first_rows(keys, rows) == [
                expected.setdefault(key, at) for key, at in zip(keys, rows, strict=True)
            ]


def test_keys_settled_on_demand_are_still_found_and_handed_over() -> None:
    # Given keys offered, then moved to disk before the recent-keys limit (settle), then more keys
    with FirstRows(parts=4) as remembered:
        early = [identity_key((f"early {n}",)) for n in range(50)]
        remembered.first_rows(early, list(range(2, 52)))
        remembered.settle()
        remembered.settle()  # nothing recent: no empty run
        late = identity_key(("late",))
        remembered.first_row(late, 60)

        # When the early keys come again, and every key is handed over
        again = remembered.first_rows(early, list(range(100, 150)))
        handed = {
            key: row
            for keys in remembered.stored_keys()
            for key, row in zip(keys.keys(), keys.rows, strict=True)
        }

        # Then each is found with its first row, and the handed keys are the early and the late ones
        assert again == list(range(2, 52))
        assert handed == {**dict(zip(early, range(2, 52), strict=True)), late: 60}


@pytest.mark.parametrize("parts", [1, 2])
def test_first_rows_hands_over_every_key_and_looks_up_without_remembering(
    parts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given keys spread over settled runs and the recent dict, some offered twice
    monkeypatch.setattr("phonebank.dedupe._RECENT_LIMIT", 16)
    with FirstRows(parts=parts) as remembered:
        expected: dict[int, int] = {}
        for row in range(2, 200):
            key = identity_key((f"person {row % 150}",))
            expected.setdefault(key, remembered.first_row(key, row))

        # When its keys are handed over (to the first process, by a second) and looked up
        stored = list(remembered.stored_keys())
        handed = {key: row for keys in stored for key, row in zip(keys.keys(), keys.rows, strict=True)}
        found = {row: first for keys in stored for row, first in remembered.seen_before(keys).items()}
        never = identity_key(("never offered",))
        unknown = remembered.seen_before(
            StoredKeys(array("Q", [never >> 32]), array("I", [never & 0xFFFFFFFF]), array("I", [7]))
        )

        # Then they are every key with its first row, each found where it was first seen, an unknown
        # key found nowhere, and none of it remembered
        assert handed == expected
        assert found == {row: row for row in expected.values()}
        assert unknown == {}
        assert remembered.first_row(never, 500) == 500
