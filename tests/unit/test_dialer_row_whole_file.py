"""Spec section 1's row rules that need the whole file: IDs, Voter ID Type, effort, not dialed, duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest
from dialer_row_helpers import THRUTALK_HEADER, thrutalk_row
from validation_helpers import IMPACTIVE_HEADER, Run, csv_bytes, impactive_row, validate_bytes

from phonebank.config import PipelineConfig, build_config

# Row rules that need the whole file: IDs, Voter ID Type, effort, several errors, not dialed, duplicates


def _impactive(
    rows: list[list[str]], root: Path, config: PipelineConfig, *, folder_effort: str | None = None
) -> Run:
    return validate_bytes(csv_bytes(IMPACTIVE_HEADER, rows), root, config, folder_effort=folder_effort)


def test_a_row_needs_at_least_one_id(tmp_path: Path, config: PipelineConfig) -> None:
    # Given rows with both IDs, only a Profile ID, only a VAN ID, and neither
    rows = [
        impactive_row(profile_id="OP-1", van_id="101"),
        impactive_row(profile_id="OP-2", van_id=""),
        impactive_row(profile_id="", van_id="103"),
        impactive_row(profile_id="", van_id=""),
    ]

    # When the file is validated
    run = _impactive(rows, tmp_path, config)

    # Then the first three are accepted, each for the systems its IDs name, and the last is an error
    accepted = {i.row: (i.profile_id, i.van_id) for i in run.accepted()}
    assert accepted == {2: ("OP-1", "101"), 3: ("OP-2", None), 4: (None, "103")}
    assert run.errors_by_row() == {5: "Profile ID / VAN ID: empty, a row needs at least one ID"}


@pytest.mark.parametrize("id_type", ["VAN", "VANID", "vanid", "MyCampaign VAN", "", "  "])
def test_voter_id_is_a_van_id_when_its_type_is_van_or_empty(
    id_type: str, tmp_path: Path, config: PipelineConfig
) -> None:
    # Given a ThruTalk row whose Voter ID Type is VAN in some spelling, or empty
    # When the file is validated
    run = validate_bytes(csv_bytes(THRUTALK_HEADER, [thrutalk_row(id_type=id_type)]), tmp_path, config)

    # Then the Voter ID is the row's VAN ID
    assert run.only_accepted().van_id == "200300401"


def test_voter_id_without_a_type_column_is_a_van_id(tmp_path: Path, config: PipelineConfig) -> None:
    # Given a file with Voter ID and no Voter ID Type column
    header = [name for name in THRUTALK_HEADER if name != "Voter ID Type"]
    row = thrutalk_row()
    del row[1]

    # When it is validated
    run = validate_bytes(csv_bytes(header, [row]), tmp_path, config)

    # Then the Voter ID is the VAN ID
    assert run.only_accepted().van_id == "200300401"


def test_voter_id_of_another_type_is_ignored_and_the_error_says_why(
    tmp_path: Path, config: PipelineConfig
) -> None:
    # Given a ThruTalk row whose Voter ID is a DWID, and one whose Voter ID is empty
    rows = [thrutalk_row(voter_id="88123", id_type="DWID"), thrutalk_row(voter_id="", id_type="DWID")]

    # When the file is validated
    errors = validate_bytes(csv_bytes(THRUTALK_HEADER, rows), tmp_path, config).errors_by_row()

    # Then the first says its ID was ignored because of its type, without quoting the type's cell; the
    # second that it is empty
    assert errors[2].startswith("Voter ID: ")
    assert "the row's Voter ID Type is not VAN" in errors[2] and "DWID" not in errors[2]
    assert "; " not in errors[2]
    assert errors[3] == "Voter ID: empty, a row needs at least one ID"


def test_voter_id_of_another_type_beside_a_profile_id_is_an_organizer_row(
    tmp_path: Path, config: PipelineConfig
) -> None:
    # Given a row with a Profile ID and a Voter ID that is a DWID
    header = ["Profile ID", "Effort Name", *THRUTALK_HEADER]
    data = csv_bytes(header, [["OP-9", "GOTV", *thrutalk_row(voter_id="88123", id_type="DWID")]])

    # When the file is validated
    interaction = validate_bytes(data, tmp_path, config).only_accepted()

    # Then the row goes to Organizer only: the DWID is not taken for a VAN ID
    assert (interaction.profile_id, interaction.van_id) == ("OP-9", None)


def test_effort_comes_from_the_row_then_the_folder_then_the_configuration(tmp_path: Path) -> None:
    # Given rows with and without an effort, a folder effort and a configured default
    rows = [
        impactive_row(profile_id="OP-1", effort_name="Row Effort"),
        impactive_row(profile_id="OP-2", effort_name=""),
    ]
    configured = build_config({"default_effort": "Configured Effort"})

    # When the file is validated with the folder's effort, and without it
    with_folder = _impactive(rows, tmp_path / "a", configured, folder_effort="Folder Effort")
    without_folder = _impactive(rows, tmp_path / "b", configured)

    # Then the row's effort wins, then the folder's, then the configuration's
    assert [i.effort for i in with_folder.accepted()] == ["Row Effort", "Folder Effort"]
    assert [i.effort for i in without_folder.accepted()] == ["Row Effort", "Configured Effort"]


def test_a_file_with_formula_leading_cells_rejects_those_rows_only(
    tmp_path: Path, config: PipelineConfig
) -> None:
    # Given a file whose Profile IDs mostly are clean and two begin like a formula (the column at once
    # answers the clean ones), and one row whose effort does
    rows = [
        *(impactive_row(profile_id=f"OP-{n}", van_id=str(100 + n)) for n in range(10)),
        impactive_row(profile_id="=HYPERLINK(1)", van_id="201"),
        impactive_row(profile_id=" @SUM(A1)", van_id="202"),
        impactive_row(profile_id="OP-99", van_id="203", effort_name="-GOTV"),
    ]

    # When the file is validated
    run = _impactive(rows, tmp_path, config)

    # Then exactly those three rows are rejected, each under its column, saying why
    errors = run.errors_by_row()
    assert sorted(errors) == [12, 13, 14]
    assert errors[12].startswith("Profile ID: begins with =, +, -, @, a tab or a carriage return")
    assert errors[13].startswith("Profile ID: begins with =, +, -, @")
    assert errors[14].startswith("Effort Name: begins with =, +, -, @")
    assert run.report.counts.accepted == 10


def test_organizer_row_without_any_effort_is_an_error(tmp_path: Path, config: PipelineConfig) -> None:
    # Given no folder effort, no configured effort, an Organizer row and a VAN-only row without one
    rows = [impactive_row(profile_id="OP-1", effort_name=""), impactive_row(profile_id="", effort_name="")]

    # When the file is validated
    run = _impactive(rows, tmp_path, config)

    # Then the Organizer row is an error naming where an effort can come from; VAN needs none
    errors = run.errors_by_row()
    assert list(errors) == [2]
    assert errors[2].startswith("Effort Name: empty")
    assert "incoming/<effort name>/" in errors[2]
    assert [i.row for i in run.accepted()] == [3]


def test_file_without_an_effort_column_takes_the_folders(tmp_path: Path, config: PipelineConfig) -> None:
    # Given an Organizer-shaped file with no effort column, uploaded under incoming/Phone Bank 3/
    data = csv_bytes(
        ["Profile ID", "Date/Time", "Phone Number Called", "Call Result"],
        [["OP-1", "10/11/2024", "2022013344", "Answered"]],
    )

    # When it is validated with and without that folder
    with_folder = validate_bytes(data, tmp_path / "a", config, folder_effort="Phone Bank 3")
    without = validate_bytes(data, tmp_path / "b", config)

    # Then the folder's effort is used, and without it the row is an error under "Effort Name"
    assert with_folder.only_accepted().effort == "Phone Bank 3"
    assert without.errors_by_row()[2].startswith("Effort Name: empty")


def test_every_problem_of_a_row_is_reported_in_one_cell(tmp_path: Path, config: PipelineConfig) -> None:
    # Given one row wrong in six ways, no folder and no configured effort
    row = impactive_row(
        profile_id="", van_id="", phone_number="555-0100", last_called_at="10/32/2024 18:07",
        call_outcome="Hung Up", call_duration="abc",
    )  # fmt: skip

    # When the file is validated
    run = _impactive([row], tmp_path, config)

    # Then its error cell lists each problem under its column, joined by "; "
    parts = run.errors_by_row()[2].split("; ")
    assert [part.split(":")[0] for part in parts] == [
        "Phone Number", "Last Called At", "Call Outcome", "Call Duration", "Profile ID / VAN ID",
    ]  # fmt: skip
    assert run.report.counts.rejected == 1


def test_not_dialed_rows_are_counted_whatever_else_they_hold(tmp_path: Path, config: PipelineConfig) -> None:
    # Given "Not Dialed" rows (any case) whose other fields are empty or wrong
    rows = [
        impactive_row(call_outcome="Not Dialed", phone_number="", profile_id="", van_id=""),
        impactive_row(call_outcome="not  dialed", last_called_at="never", call_duration="abc"),
        impactive_row(),
    ]

    # When the file is validated
    run = _impactive(rows, tmp_path, config)

    # Then they are not dialed, neither rejected nor accepted
    counts = run.report.counts
    assert (counts.rows_read, counts.not_dialed, counts.rejected, counts.accepted) == (3, 2, 0, 1)


def test_a_duplicate_is_the_same_interaction_in_any_written_form(
    tmp_path: Path, config: PipelineConfig
) -> None:
    # Given a row, then the same call written differently (phone, time, outcome spelling, caller-only
    # fields), then the same call with another outcome
    rows = [
        impactive_row(
            phone_number="(202) 201-3344", last_called_at="11/03/2024 01:30", call_outcome="Voicemail"
        ),
        impactive_row(
            phone_number="+1 202 201 3344", last_called_at="2024-11-03T01:30:00-04:00",
            call_outcome="answering machine", call_duration="99",
        ),
        impactive_row(phone_number="2022013344", last_called_at="11/03/2024 01:30", call_outcome="No Answer"),
    ]  # fmt: skip

    # When the file is validated
    run = _impactive(rows, tmp_path, config)

    # Then the second is a duplicate of the first (even in the repeated DST hour); the third is not
    counts = run.report.counts
    assert (counts.accepted, counts.duplicates) == (2, 1)
    assert [i.row for i in run.accepted()] == [2, 4]
    duplicates = (run.reports / "duplicates.csv").read_text(encoding="utf-8").splitlines()
    assert duplicates[1].startswith("3,2,")
