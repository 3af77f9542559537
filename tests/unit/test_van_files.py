"""NGP VAN's canvass results: the by-name file for the Bulk Upload wizard, the CanvassResults
bulk-import file (only when every result ID is configured), and the optional Last Called At record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_transform_mapping import RESULT_IDS
from transform_helpers import CALLS_HEADER, dialer_csv, output_files, read_rows, run_pipeline

from phonebank.config import build_config
from phonebank.notify import render

BY_NAME = Path("van/van-canvass-results-by-name.csv")
BULK = Path("van/van-canvass-results-bulk-import.csv")


def _calls(*rows: tuple[str, str]) -> bytes:
    """One call per (VAN ID, outcome), each with its own phone, on 1 October 2024 at 14:03 Eastern."""
    return dialer_csv(
        CALLS_HEADER,
        [
            [f"OP-{n}", van_id, f"+1 (202) 555-01{n:02d}", "10/01/2024 2:03 PM", outcome, "E"]
            for n, (van_id, outcome) in enumerate(rows)
        ],
    )


def _text(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8").splitlines()


def test_with_every_result_id_the_bulk_import_file_has_vans_columns(tmp_path: Path) -> None:
    # Given every VAN result ID and the canvasser's VAN user ID configured
    config = build_config({"van": {"result_ids": RESULT_IDS, "canvassed_by": 4242}})

    # When a completed call and a refusal run
    summary = run_pipeline(_calls(("101200301", "Completed"), ("101200302", "Refused")), tmp_path, config)

    # Then the CanvassResults file has vanid first, Auto Dial = 19, the configured result IDs, the
    # local time with its offset, the canvasser, 10 digits without "+1", and US
    assert _text(tmp_path / BULK) == [
        "vanid,contacttypeid,resultid,datecanvassed,canvassedby,phone,countrycode",
        "101200301,19,14,2024-10-01T14:03:00-04:00,4242,2025550100,US",
        "101200302,19,2,2024-10-01T14:03:00-04:00,4242,2025550101,US",
    ]
    assert summary.notes == []


def test_the_by_name_file_is_always_written(tmp_path: Path) -> None:
    # Given the default configuration (no result IDs)
    config = build_config({})

    # When a completed call and a wrong number run
    run_pipeline(_calls(("101200301", "Completed"), ("101200302", "Wrong Number")), tmp_path, config)

    # Then the Bulk Upload wizard's file names the contact type and result, MM/DD/YYYY, 10 digits
    assert _text(tmp_path / BY_NAME) == [
        "VanID,Date Canvassed,Phone,Contact Type,Result",
        "101200301,10/01/2024,2025550100,Auto Dial,Canvassed",
        "101200302,10/01/2024,2025550101,Auto Dial,Wrong Number",
    ]


@pytest.mark.parametrize(
    ("result_ids", "missing"),
    [
        pytest.param({}, list(RESULT_IDS), id="no IDs"),
        pytest.param({k: v for k, v in RESULT_IDS.items() if k != "Moved"}, ["Moved"], id="one missing"),
    ],
)
def test_without_every_result_id_no_bulk_file_and_the_summary_says_why(
    tmp_path: Path, result_ids: dict[str, int], missing: list[str]
) -> None:
    # Given result IDs for only some of the VAN results in use
    config = build_config({"van": {"result_ids": result_ids}})

    # When a completed call runs (its own result has an ID or not: the file is all or nothing)
    summary = run_pipeline(_calls(("101200301", "Completed")), tmp_path, config)

    # Then only the by-name file is written, and the note names the results without an ID and the
    # setting to fill in, in the summary and in the notification
    assert [path.name for path in output_files(tmp_path, "van")] == [BY_NAME.name]
    assert len(summary.notes) == 1
    note = summary.notes[0]
    assert "bulk-import file was not written" in note
    assert "van.result_ids" in note
    for name in RESULT_IDS:
        assert (name in note) == (name in missing), name
    assert note in render(summary, config)


def test_canvassed_by_is_empty_when_not_configured(tmp_path: Path) -> None:
    # Given result IDs but no canvasser's VAN user ID
    config = build_config({"van": {"result_ids": RESULT_IDS}})

    # When a call runs
    run_pipeline(_calls(("101200301", "Refused")), tmp_path, config)

    # Then canvassedby is left empty for VAN to fill in
    assert [row["canvassedby"] for row in read_rows(tmp_path / BULK)] == [""]


def test_a_canadian_number_keeps_its_country(tmp_path: Path) -> None:
    # Given a call to a Toronto number
    config = build_config({"van": {"result_ids": RESULT_IDS}})
    data = dialer_csv(
        CALLS_HEADER, [["OP-1", "101", "+1 416 555 0199", "2024-10-01 14:03", "Completed", "E"]]
    )

    # When it runs
    run_pipeline(data, tmp_path, config)

    # Then VAN gets its 10 digits and its own country code
    assert [(row["phone"], row["countrycode"]) for row in read_rows(tmp_path / BULK)] == [
        ("4165550199", "CA")
    ]


def test_rows_without_a_van_id_are_counted_not_sent(tmp_path: Path) -> None:
    # Given one call with a VAN ID and two with only a Profile ID
    data = _calls(("101200301", "Completed"), ("", "Completed"), ("", "Refused"))

    # When it runs
    summary = run_pipeline(data, tmp_path, build_config({}))

    # Then VAN gets one record, and two rows count as not sent for lack of an ID
    assert len(read_rows(tmp_path / BY_NAME)) == 1
    assert summary.systems["van"].model_dump() == {
        "written": 1,
        "not_sent_no_id": 2,
        "not_sent_no_instruction": 0,
    }


LAST_CALLED_AT: dict[str, Any] = {
    "van": {
        "result_ids": {**RESULT_IDS, "Phone Attempt": 77},
        "canvassed_by": 4242,
        "last_called_at": {"enabled": True, "result": "Phone Attempt"},
    }
}


def test_last_called_at_adds_one_record_per_attempt(tmp_path: Path) -> None:
    # Given the Last Called At instruction on (contact type Phone, a result the campaign picked)
    config = build_config(LAST_CALLED_AT)

    # When a completed call and a failed one (no Call Outcome instruction) run
    summary = run_pipeline(_calls(("101200301", "Completed"), ("101200302", "Failed")), tmp_path, config)

    # Then each attempt has a Phone record beside its outcome's Auto Dial record, if it has one
    assert _text(tmp_path / BY_NAME)[1:] == [
        "101200301,10/01/2024,2025550100,Auto Dial,Canvassed",
        "101200301,10/01/2024,2025550100,Phone,Phone Attempt",
        "101200302,10/01/2024,2025550101,Phone,Phone Attempt",
    ]
    assert _text(tmp_path / BULK)[1:] == [
        "101200301,19,14,2024-10-01T14:03:00-04:00,4242,2025550100,US",
        "101200301,1,77,2024-10-01T14:03:00-04:00,4242,2025550100,US",
        "101200302,1,77,2024-10-01T14:03:00-04:00,4242,2025550101,US",
    ]
    # and both rows count as written once each: the summary counts rows, the files count records
    assert summary.systems["van"].written == 2
    assert {file.name: file.records for file in summary.files if file.system == "van"} == {
        str(BY_NAME): 3,
        str(BULK): 3,
    }


def test_last_called_at_is_off_by_default(tmp_path: Path) -> None:
    # Given the default configuration
    # When a completed call runs
    run_pipeline(_calls(("101200301", "Completed")), tmp_path, build_config({}))

    # Then it has one VAN record
    assert len(read_rows(tmp_path / BY_NAME)) == 1


def test_last_called_at_without_its_result_id_stops_the_bulk_file(tmp_path: Path) -> None:
    # Given IDs for the Call Outcome results but not for the Last Called At result
    config = build_config(
        {"van": {"result_ids": RESULT_IDS, "last_called_at": {"enabled": True, "result": "Phone Attempt"}}}
    )

    # When a call runs
    summary = run_pipeline(_calls(("101200301", "Completed")), tmp_path, config)

    # Then no bulk file, and the note names the Last Called At result
    assert not (tmp_path / BULK).exists()
    assert "Phone Attempt" in summary.notes[0]
