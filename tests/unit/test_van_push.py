"""The VAN push's rules on values: the IDs against VAN's lists, the key's form, each record's answer."""

from __future__ import annotations

import json

import polars as pl
import pytest
from fake_van import CONTACT_TYPES, RESULT_CODES, RESULT_IDS

from phonebank.config import build_config
from phonebank.models.van_api import ContactType, ResultCode
from phonebank.van_api import VanResultsUnmappable
from phonebank.van_push import (
    MISSING_MESSAGE,
    NO_MESSAGE,
    UNREAD_MESSAGE,
    answer_counts,
    api_key_from_secret,
    id_problems,
    job_request,
    not_recorded_rows,
    record_answers,
    results_table,
)

CODES = [ResultCode.model_validate(code) for code in RESULT_CODES]
TYPES = [ContactType.model_validate(kind) for kind in CONTACT_TYPES]
HEADER = "BulkUploadDataID,ULFileID,PrimaryKey,PrimaryKeyType,CanvassResults_4521\n"


def _config(**van: object) -> object:
    return build_config({"van": {"result_ids": RESULT_IDS, **van}})


def test_ids_that_match_vans_lists_are_no_problem() -> None:
    assert id_problems(_config(), CODES, TYPES) == []  # type: ignore[arg-type]


def test_each_id_another_van_would_read_otherwise_is_named_with_its_key() -> None:
    # Given a result ID that is another result here, one this VAN lacks, and a contact type it lacks
    config = _config(
        result_ids={**RESULT_IDS, "Canvassed": 2, "Moved": 77},
        contact_type_id=37,
        last_called_at={"enabled": True, "result": "Canvassed", "contact_type_id": 19},
    )

    # Then each is named by its configuration key, ID and (where VAN has it) VAN's own name
    assert id_problems(config, CODES, TYPES) == [  # type: ignore[arg-type]
        "result ID 2 (van.result_ids.Canvassed) is 'Refused' in this VAN, not 'Canvassed'",
        "result ID 77 (van.result_ids.Moved) is not one of this VAN's",
        "contact type ID 37 (van.contact_type_id) is not one of this VAN's",
        "contact type ID 19 (van.last_called_at.contact_type_id) is 'Auto Dial' in this VAN, not 'Phone'",
    ]


def test_names_are_compared_as_outcomes_are_ignoring_case_and_punctuation() -> None:
    codes = [*CODES[:-1], ResultCode(result_code_id=25, name="DELIVERABILITY-ERROR")]
    assert id_problems(_config(), codes, TYPES) == []  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("secret", "key"),
    [("abc-123", "abc-123"), (" abc-123\n", "abc-123"), (json.dumps({"api_key": "abc-123"}), "abc-123")],
)
def test_the_secret_holds_the_key_alone_or_as_api_key(secret: str, key: str) -> None:
    assert api_key_from_secret(secret) == key


@pytest.mark.parametrize(
    "secret", ["", "  ", "abc-123|1", "abc-123|0", "{}", json.dumps({"key": "abc"}), "{not json"]
)
def test_a_secret_without_a_plain_key_is_refused_without_quoting_it(secret: str) -> None:
    with pytest.raises(ValueError) as raised:
        api_key_from_secret(secret)
    assert "abc" not in str(raised.value)


def test_the_job_body_is_section_6s_with_the_columns_in_the_files_order() -> None:
    # When the body is made for a file's columns
    body = job_request(["vanid", "contacttypeid", "resultid"], "f.csv", "https://x/f.zip?sig", "run 1")

    # Then it is exactly section 6's, camelCase, the columns in the order given
    assert json.loads(body.model_dump_json(by_alias=True)) == {
        "description": "run 1",
        "file": {
            "columnDelimiter": "csv",
            "columns": [{"name": "vanid"}, {"name": "contacttypeid"}, {"name": "resultid"}],
            "fileName": "f.csv",
            "hasHeader": True,
            "hasQuotes": True,
            "sourceUrl": "https://x/f.zip?sig",
        },
        "actions": [
            {
                "resultFileSizeKbLimit": 5000,
                "resourceType": "Contacts",
                "actionType": "loadMappedFile",
                "mappingTypes": [{"name": "CanvassResults"}],
            }
        ],
    }


ROWS = pl.Series([2, 3, 3, 6, 9])
VAN_IDS = pl.Series(["101", "102", "102", "104", "105"])


def _results(*lines: str) -> pl.DataFrame:
    return results_table((HEADER + "".join(line + "\n" for line in lines)).encode())


def test_each_record_is_answered_by_its_place_and_absent_ones_are_missing() -> None:
    # Given results for four of five records, over two files: processed, refused, without a message
    first = _results("1,9,101,VanID,Processed", "3,9,102,VanID,Invalid Result")
    second = _results("2,9,102,VanID,Processed", "5,9,105,VanID,")

    # When they are mapped to the records sent
    answers = record_answers(ROWS, VAN_IDS, [first, second], unread=False)

    # Then each record has its kind and message, in the file's order, with its input row
    assert answers.rows() == [
        (1, 2, "processed", None),
        (2, 3, "processed", None),
        (3, 3, "refused", "Invalid Result"),
        (4, 6, "missing", MISSING_MESSAGE),
        (5, 9, "refused", NO_MESSAGE),
    ]
    assert answer_counts(answers) == {"processed": 2, "refused": 2, "missing": 1, "unread": 0}
    # And an input row is listed once, with every message of its records VAN did not record; its call
    # is given back to the ledger only when VAN recorded none of its records (row 3's other one is)
    assert not_recorded_rows(answers).rows() == [
        (3, "refused", "Invalid Result", False),
        (6, "missing", MISSING_MESSAGE, True),
        (9, "refused", NO_MESSAGE, True),
    ]


def test_absent_records_are_unread_not_missing_when_a_results_file_could_not_be_read() -> None:
    answers = record_answers(ROWS, VAN_IDS, [_results("1,9,101,VanID,Processed")], unread=True)
    assert answers["kind"].to_list() == ["processed", "unread", "unread", "unread", "unread"]
    # And no unread row's call is given back to the ledger: VAN may have recorded it
    assert not_recorded_rows(answers)["given_back"].to_list() == [False, False, False]
    assert set(answers["errors"].drop_nulls()) == {UNREAD_MESSAGE}


def test_a_record_named_twice_is_refused_if_either_answer_refuses_it() -> None:
    answers = record_answers(
        ROWS,
        VAN_IDS,
        [_results("1,9,101,VanID,Processed"), _results("1,9,101,VanID,Duplicate record")],
        False,
    )
    assert answers.row(0) == (1, 2, "refused", "Duplicate record")


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("6,9,105,VanID,Processed", "no data row"),
        ("0,9,101,VanID,Processed", "no data row"),
        ("x,9,101,VanID,Processed", "no data row"),
        ("2,9,101,VanID,Processed", "another VAN ID"),
    ],
    ids=["past the end", "zero", "not a number", "another VAN ID at that place"],
)
def test_results_that_do_not_line_up_with_the_records_sent_are_refused(line: str, words: str) -> None:
    with pytest.raises(VanResultsUnmappable, match=words) as raised:
        record_answers(ROWS, VAN_IDS, [_results(line)], unread=False)
    # And no VAN ID is quoted
    assert "101" not in str(raised.value) and "105" not in str(raised.value)


def test_a_primary_key_of_another_type_is_taken_by_place() -> None:
    answers = record_answers(ROWS, VAN_IDS, [_results("2,9,777,ContactsContactID,Processed")], unread=False)
    assert answers.row(1)[2] == "processed"


@pytest.mark.parametrize(
    "data",
    [b"VanID,Result\n1,Processed\n", b"BulkUploadDataID,ULFileID,PrimaryKey,PrimaryKeyType\n1,9,101,VanID\n"],
    ids=["other columns", "no message column"],
)
def test_a_results_file_of_another_shape_is_refused(data: bytes) -> None:
    with pytest.raises(VanResultsUnmappable, match="does not begin with BulkUploadDataID"):
        results_table(data)


def test_a_sidecar_and_a_file_of_different_lengths_are_refused() -> None:
    with pytest.raises(VanResultsUnmappable, match="different numbers of records"):
        record_answers(ROWS, VAN_IDS.head(3), [], unread=False)
