"""docs/formats.md is what the code and the bundled defaults say: it cannot drift from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from phonebank.columns import ALIASES
from phonebank.config import build_config, load_config
from phonebank.formats_doc import formats_markdown
from phonebank.models.organizer import OrganizerRow
from phonebank.models.van import VanBulkRow, VanNamesRow
from phonebank.times import US_LABELS, UTC_LABELS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "formats.md"
REGENERATE = ".venv/bin/python -m phonebank.formats_doc docs/formats.md"


def test_the_committed_doc_is_what_the_code_writes() -> None:
    # Given the committed reference
    committed = DOC.read_text(encoding="utf-8")

    # When it is written again from the code and the bundled defaults
    written = formats_markdown()

    # Then they are the same, byte for byte
    assert committed == written, f"docs/formats.md is stale: run {REGENERATE}"


def test_the_doc_names_every_alias_label_outcome_and_output_column() -> None:
    # Given what the code reads and writes
    config = load_config()
    names = [
        *(alias for aliases in ALIASES.values() for alias in aliases),
        *UTC_LABELS,
        *US_LABELS,
        *(spelling for name, rule in config.outcomes.items() for spelling in [name, *rule.synonyms]),
        *(spelling for spellings in config.call_types.values() for spelling in spellings),
        *OrganizerRow.HEADER,
        *VanNamesRow.HEADER,
        *VanBulkRow.HEADER,
    ]

    # When the doc is written
    doc = formats_markdown()

    # Then each of them is in it
    assert [name for name in names if name not in doc] == []


@pytest.mark.parametrize(
    ("change", "now_says"),
    [
        ({"outcomes": {"Refused": {"synonyms": ["Hung Up"]}}}, "| Refused | `Hung Up` |"),
        ({"date_order": "DMY"}, "`date_order` (`DMY` by default"),
        ({"earliest_call_date": "2010-01-01"}, "`2010-01-01` (`earliest_call_date`)"),
    ],
)
def test_a_change_of_the_defaults_changes_the_doc(change: dict[str, object], now_says: str) -> None:
    # Given defaults changed in one place
    config = build_config(change)

    # When the doc is written from them
    doc = formats_markdown(config)

    # Then it says the new value, and differs from the committed one
    assert now_says in doc
    assert doc != DOC.read_text(encoding="utf-8")
