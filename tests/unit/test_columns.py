"""Header aliases, dialer detection and the column errors that make a whole file unusable."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from validation_helpers import IMPACTIVE_HEADER, csv_bytes, impactive_row, validate_bytes

from phonebank.columns import ALIASES, Field, column_letter, map_columns, normalise_header
from phonebank.config import PipelineConfig, build_config
from phonebank.errors import DuplicateColumn, MissingColumn, NoHeaderRow

# Spec section 1's alias table, written out by hand: the code's ALIASES must keep every one of them.
SPEC_ALIASES: list[tuple[Field, str]] = [
    ("profile_id", "Profile ID"),
    ("profile_id", "Organizer Profile ID"),
    ("profile_id", "ProfileID"),
    ("van_id", "VAN ID"),
    ("van_id", "VANID"),
    ("van_id", "VanID"),
    ("van_id", "VAN_ID"),
    ("van_id", "MyVoters VAN ID"),
    ("van_id", "MyVoter VAN ID"),
    ("van_id", "MyCampaign VAN ID"),
    ("van_id", "Voter ID"),
    ("phone", "Phone Number Called"),
    ("phone", "Phone Number"),
    ("phone", "Phone"),
    ("phone", "Voter Phone"),
    ("phone", "Number Called"),
    ("phone", "Cell"),
    ("called_at", "Date/Time"),
    ("called_at", "Date"),
    ("called_at", "Date or Date/Time"),
    ("called_at", "Last Called At"),
    ("called_at", "Called At"),
    ("called_at", "Date Contacted"),
    ("called_at", "Date Canvassed"),
    ("called_at", "Call Date"),
    ("date_called", "Date Called"),
    ("time_called", "Time Called (EST)"),
    ("outcome", "Call Outcome"),
    ("outcome", "Call Result"),
    ("outcome", "Result"),
    ("outcome", "Disposition"),
    ("outcome", "Call Disposition"),
    ("outcome", "Canvass Result"),
    ("outcome", "Contact Result"),
    ("effort", "Effort Name"),
    ("effort", "Effort"),
    ("effort", "Phone Bank"),
    ("service", "Service"),
    ("call_type", "Call Type"),
    ("duration", "Call Duration"),
    ("duration", "Duration"),
    ("duration", "Duration (seconds)"),
    ("caller", "Caller"),
    ("caller", "Caller Login"),
    ("caller", "Volunteer"),
    ("voter_id_type", "Voter ID Type"),
]

# The one name the code knows beyond the table: without it a file headed "Time Called" would have its
# times ignored and its calls put at noon.
BEYOND_THE_SPEC: list[tuple[Field, str]] = [("time_called", "Time Called")]

CODE_ALIASES: list[tuple[Field, str]] = [
    (field, alias) for field, aliases in ALIASES.items() for alias in aliases
]

# The fewest columns a file needs, each under a name that is no other field's alias.
MINIMAL: dict[Field, str] = {
    "profile_id": "Profile ID",
    "phone": "Phone",
    "called_at": "Date/Time",
    "outcome": "Result",
}


def header_with(field: Field, alias: str) -> list[str]:
    """A valid header in which `field` is spelled `alias`."""
    columns = dict(MINIMAL)
    if field in ("date_called", "time_called"):
        del columns["called_at"]
        columns["date_called"] = "Date Called"
    columns[field] = alias
    return list(columns.values())


def spellings(alias: str) -> list[str]:
    """How people write the same header: case, spaces and punctuation changed."""
    return [
        alias,
        alias.upper(),
        alias.lower(),
        alias.replace(" ", ""),
        alias.lower().replace(" ", "_"),
        alias.title().replace(" ", "-"),
        f"  {alias}  ",
    ]


@pytest.mark.parametrize(("field", "alias"), CODE_ALIASES, ids=[f"{f}={a}" for f, a in CODE_ALIASES])
def test_every_code_alias_in_every_spelling_finds_its_field(field: Field, alias: str) -> None:
    for spelling in spellings(alias):
        # Given a header that spells the field this way
        header = header_with(field, spelling)

        # When the columns are mapped
        columns = map_columns(header)

        # Then that column gives the field
        assert columns.index[field] == header.index(spelling), spelling


@pytest.mark.parametrize(("field", "alias"), SPEC_ALIASES, ids=[f"{f}={a}" for f, a in SPEC_ALIASES])
def test_every_spec_alias_finds_its_field(field: Field, alias: str) -> None:
    # Given a header using the alias exactly as the spec writes it
    header = header_with(field, alias)

    # When the columns are mapped
    columns = map_columns(header)

    # Then the alias gives the spec's field
    assert columns.index[field] == header.index(alias)


def test_the_codes_aliases_are_the_specs_table() -> None:
    # Given both tables
    # When they are compared name by name
    # Then the code's are exactly the spec's, and the one name beyond it
    assert sorted(CODE_ALIASES) == sorted(SPEC_ALIASES + BEYOND_THE_SPEC)


def test_the_code_knows_no_alias_the_spec_does_not_list_for_another_field() -> None:
    # Given both tables, normalised
    spec = {normalise_header(alias): field for field, alias in SPEC_ALIASES}

    # When the code's aliases are looked up in the spec's
    # Then none of them means a different field there
    clashes = [
        (field, alias) for field, alias in CODE_ALIASES if spec.get(normalise_header(alias), field) != field
    ]
    assert clashes == []


@pytest.mark.parametrize("spelling", ["VAN ID", "vanid", "Van_Id", "V.A.N. I.D.", " van-id ", "VAN\tID"])
def test_headers_match_ignoring_case_space_and_punctuation(spelling: str) -> None:
    # Given the spec's example of one name written several ways
    # When it is normalised
    # Then it is the same name
    assert normalise_header(spelling) == normalise_header("VAN ID")


def test_unknown_columns_are_ignored(tmp_path: Path, config: PipelineConfig) -> None:
    # Given extra columns no alias names, one of them unnamed
    header = ["First Name", *IMPACTIVE_HEADER, "Notes", ""]
    data = csv_bytes(header, [["Ada", *impactive_row(), "call back, maybe", "x"]])

    # When the file is mapped and validated
    columns = map_columns(header)
    run = validate_bytes(data, tmp_path, config)

    # Then they give no field and the row is accepted as if they were not there
    assert {header[i] for i in columns.index.values()} == set(IMPACTIVE_HEADER)
    assert run.report.counts.accepted == 1


# The value of each aliased column reaches the validated row


ROW: dict[Field, str] = {
    "profile_id": "OP-7",
    "phone": "202.201.3344",
    "called_at": "2024-10-11 18:07",
    "outcome": "Voicemail",
    "van_id": "101234567",
    "effort": "GOTV Weekend 1",
    "service": "CallHub",
    "call_type": "Manual",
    "duration": "1:15",
}
EXPECTED = {
    "profile_id": "OP-7",
    "phone": "+12022013344",
    "called_at": "2024-10-11T18:07:00-04:00",
    "outcome": "Answering Machine",
    "van_id": "101234567",
    "effort": "GOTV Weekend 1",
    "service": "CallHub",
    "call_type": "Phone Dial",
    "duration": 75,
}
VALUE_ALIASES = [(field, alias) for field, alias in CODE_ALIASES if field in ROW]


@pytest.mark.parametrize(("field", "alias"), VALUE_ALIASES, ids=[f"{f}={a}" for f, a in VALUE_ALIASES])
def test_each_alias_carries_its_value_into_the_validated_row(
    field: Field, alias: str, tmp_path: Path
) -> None:
    # Given a file where the field's column is named by this alias, in New York time
    columns = {**MINIMAL, field: alias}
    values = {name: ROW[name] for name in columns}
    data = csv_bytes(list(columns.values()), [list(values.values())])

    # When it is validated
    run = validate_bytes(data, tmp_path, build_config({"default_effort": "Default Effort"}))

    # Then the accepted row holds the value read from that column, normalised
    interaction = run.only_accepted()
    actual = getattr(interaction, field)
    expected = datetime.fromisoformat(EXPECTED[field]) if field == "called_at" else EXPECTED[field]
    assert actual == expected


# A campaign's own column names (`columns:` in the configuration)


def test_configured_names_find_their_field_beside_the_built_in_ones() -> None:
    # Given a configuration that adds "Mobile Dialed" to the phone and "Dispo Code" to the outcome
    config = build_config({"columns": {"phone": ["Mobile Dialed"], "outcome": ["Dispo Code"]}})

    # When a header using the new names, and one using built-in names, are mapped with it
    own = map_columns(["Profile ID", "mobile_dialed", "Date/Time", "DISPO CODE"], config.columns)
    built_in = map_columns(list(MINIMAL.values()), config.columns)

    # Then the new names give their fields, and the built-in ones still do
    assert (own.index["phone"], own.index["outcome"]) == (1, 3)
    assert set(built_in.index) == set(MINIMAL)


def test_without_the_configuration_a_campaigns_own_name_is_an_unknown_column() -> None:
    # Given the same header mapped without the configuration's names
    # When it is mapped
    # Then "Mobile Dialed" gives nothing, and the phone is missing
    with pytest.raises(MissingColumn, match="phone"):
        map_columns(["Profile ID", "Mobile Dialed", "Date/Time", "Result"])


def test_a_configured_name_beside_a_built_in_one_of_its_field_is_two_columns_for_one_field() -> None:
    # Given a configured phone name, and a file holding both it and "Phone"
    config = build_config({"columns": {"phone": ["Mobile Dialed"]}})

    # When the header is mapped
    # Then it is two columns for one field, as with two built-in names: we do not pick one
    with pytest.raises(DuplicateColumn, match='B \\("Phone"\\) and E \\("Mobile Dialed"\\)'):
        map_columns([*MINIMAL.values(), "Mobile Dialed"], config.columns)


# Which dialer wrote the file


@pytest.mark.parametrize(
    ("header", "dialer"),
    [
        (list(IMPACTIVE_HEADER), "impactive"),
        (["Profile ID", "Phone", "Date/Time", "Call Outcome"], "impactive"),
        (
            ["Voter ID", "Voter ID Type", "Voter Phone", "Date Called", "Time Called (EST)", "Result"],
            "thrutalk",
        ),
        (["Voter ID", "Voter Phone", "Date Called", "Time Called (EST)", "Result"], "thrutalk"),
        (["Profile ID", "Effort Name", "Date/Time", "Phone Number Called", "Call Result"], "canonical"),
    ],
    ids=["impactive", "impactive-outcome-only", "thrutalk", "thrutalk-no-id-type", "organizer-template"],
)
def test_dialer_is_detected_from_its_columns(header: list[str], dialer: str) -> None:
    # Given the columns a dialer writes
    # When they are mapped
    # Then the dialer is recognised
    assert map_columns(header).dialer == dialer


# Column errors that fail the whole file


def _failure(data: bytes, root: Path, config: PipelineConfig) -> str:
    run = validate_bytes(data, root, config)
    assert run.report.status == "FAILED"
    assert run.report.failure is not None
    return run.report.failure


@pytest.mark.parametrize("field", ["phone", "outcome"])
def test_missing_required_column_names_the_field_and_its_aliases(
    field: Field, tmp_path: Path, config: PipelineConfig
) -> None:
    # Given a header without the field
    header = [name for key, name in MINIMAL.items() if key != field]

    # When it is mapped, and when a file with it is validated
    with pytest.raises(MissingColumn) as raised:
        map_columns(header)
    failure = _failure(csv_bytes(header, [["x"] * len(header)]), tmp_path, config)

    # Then both say which field is missing and every header that would have given it
    for message in (str(raised.value), failure):
        assert field in message
        for alias in ALIASES[field]:
            assert f'"{alias}"' in message
    assert failure.startswith("MissingColumn: ")


def test_missing_date_column_names_the_time_of_call_and_its_aliases() -> None:
    # Given a header with no date/time column
    with pytest.raises(MissingColumn) as raised:
        map_columns(["Profile ID", "Phone", "Result"])

    # Then the message names the call's date and time and every accepted header, ThruTalk's included
    message = str(raised.value)
    assert "date and time" in message
    for alias in [*ALIASES["called_at"], "Date Called", "Time Called (EST)"]:
        assert f'"{alias}"' in message


def test_missing_id_column_names_both_systems_ids() -> None:
    # Given a header with neither an Organizer nor a VAN ID
    with pytest.raises(MissingColumn) as raised:
        map_columns(["Phone", "Date/Time", "Result"])

    # Then the message lists every ID alias of both systems
    message = str(raised.value)
    for alias in [*ALIASES["profile_id"], *ALIASES["van_id"]]:
        assert f'"{alias}"' in message


def test_thrutalk_time_without_its_date_column_is_missing_a_column() -> None:
    # Given "Time Called (EST)" with no "Date Called" beside it
    # When the columns are mapped
    # Then "Date Called" is named as missing
    with pytest.raises(MissingColumn, match='"Date Called"'):
        map_columns(["Voter ID", "Voter Phone", "Time Called (EST)", "Result"])


@pytest.mark.parametrize(
    ("first", "second", "named"),
    [
        ("VAN ID", "van_id", ['"VAN ID"']),
        ("Notes", "NOTES", []),
        ("Effort Name", "effort-name", ['"Effort Name"']),
        ("Caller", "Volunteer", ['"Caller"', '"Volunteer"']),
    ],
    ids=["case-and-punctuation", "unknown-column", "known-column", "two-aliases-of-one-field"],
)
def test_two_headers_for_one_name_fail_naming_both_by_column_letter(
    first: str, second: str, named: list[str], tmp_path: Path, config: PipelineConfig
) -> None:
    # Given two headers that are one name once normalised (or two aliases of one field), after column D
    header = [*MINIMAL.values(), first, second]
    letters = (column_letter(len(MINIMAL)), column_letter(len(MINIMAL) + 1))

    # When the columns are mapped, and when a file with them is validated
    with pytest.raises(DuplicateColumn) as raised:
        map_columns(header)
    failure = _failure(csv_bytes(header, [["x"] * len(header)]), tmp_path, config)

    # Then both columns are named as a spreadsheet labels them, and a header only when it is an alias we know
    for message in (str(raised.value), failure):
        assert f"Columns {letters[0]} " in message
        assert f" {letters[1]} " in message
        for alias in named:
            assert alias in message
        if not named:
            assert first not in message and second not in message
    assert failure.startswith("DuplicateColumn: ")


@pytest.mark.parametrize(
    ("position", "letter"),
    [(0, "A"), (2, "C"), (25, "Z"), (26, "AA"), (51, "AZ"), (52, "BA"), (701, "ZZ"), (702, "AAA")],
)
def test_a_column_is_named_by_its_spreadsheet_letter(position: int, letter: str) -> None:
    assert column_letter(position) == letter


def test_several_unnamed_columns_are_not_duplicates() -> None:
    # Given blank header cells, as trailing commas in a spreadsheet export make
    # When the columns are mapped
    columns = map_columns([*MINIMAL.values(), "", " ", ""])

    # Then they are simply ignored
    assert set(columns.index) == set(MINIMAL)


def test_first_line_of_data_is_no_header(tmp_path: Path, config: PipelineConfig) -> None:
    # Given a file whose first line is a call, not column names
    first_line = impactive_row()

    # When it is mapped and validated
    with pytest.raises(NoHeaderRow, match="no header row"):
        map_columns(first_line)
    failure = _failure(csv_bytes(first_line, [impactive_row(profile_id="OP-2")]), tmp_path, config)

    # Then it fails as having no header, naming what the header must hold
    assert failure.startswith("NoHeaderRow: ")
    assert '"Phone Number Called"' in failure
