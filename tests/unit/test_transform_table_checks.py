"""A table check refuses exactly what the model refuses, a refused row leaves no file, CSV is csv.writer's."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError, field_validator
from test_transform_mapping import RESULT_IDS
from transform_helpers import AWKWARD_TEXT, call, transform_calls

from phonebank.config import PipelineConfig, build_config
from phonebank.models.interaction import Interaction
from phonebank.models.organizer import OrganizerRow
from phonebank.models.output import OutputRow
from phonebank.models.van import VanBulkRow, VanNamesRow
from phonebank.phones import national_and_country
from phonebank.sinks import CsvFile, encode_row


def _bad_van_id(calls: list[Interaction], monkeypatch: pytest.MonkeyPatch) -> list[Interaction]:
    return [*calls[:-1], calls[-1].model_copy(update={"van_id": "12a"})]


def _negative_duration(calls: list[Interaction], monkeypatch: pytest.MonkeyPatch) -> list[Interaction]:
    return [*calls[:-1], calls[-1].model_copy(update={"duration": -5})]


def _no_effort(calls: list[Interaction], monkeypatch: pytest.MonkeyPatch) -> list[Interaction]:
    return [*calls[:-1], calls[-1].model_copy(update={"effort": None})]


def _country_not_iso(calls: list[Interaction], monkeypatch: pytest.MonkeyPatch) -> list[Interaction]:
    def wrong_for_one(e164: str) -> tuple[str, str]:
        national, country = national_and_country(e164)
        return (national, "can") if e164 == "+14165550199" else (national, country)

    monkeypatch.setattr("phonebank.van_records.national_and_country", wrong_for_one)
    return [*calls[:-1], calls[-1].model_copy(update={"phone": "+14165550199"})]


def _time_with_seconds(calls: list[Interaction], monkeypatch: pytest.MonkeyPatch) -> list[Interaction]:
    monkeypatch.setattr("phonebank.import_times.ORGANIZER_TIME", "%Y-%m-%d %H:%M:%S")
    return calls


def _van_date_day_first(calls: list[Interaction], monkeypatch: pytest.MonkeyPatch) -> list[Interaction]:
    monkeypatch.setattr("phonebank.import_times.VAN_DATE", "%d.%m.%Y")
    return calls


def _instant_without_offset(calls: list[Interaction], monkeypatch: pytest.MonkeyPatch) -> list[Interaction]:
    monkeypatch.setattr("phonebank.import_times.VAN_INSTANT", "%Y-%m-%dT%H:%M:%S")
    return calls


@pytest.mark.parametrize(
    "break_last_call",
    [
        _bad_van_id,
        _negative_duration,
        _no_effort,
        _country_not_iso,
        # The times are checked once an instant or a day, where they are formatted: a format the
        # models refuse still fails the run.
        _time_with_seconds,
        _van_date_day_first,
        _instant_without_offset,
    ],
)
def test_a_row_the_models_refuse_fails_the_run_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, break_last_call: Any
) -> None:
    # Given more calls than one part, the last of which (a bug upstream) makes a row the output
    # models refuse, after a whole part has been written
    config = build_config({"van": {"result_ids": RESULT_IDS}})
    good = [
        call(row, f"OP-{row}", str(row), "+12025550142", datetime(2024, 10, 1, 18, tzinfo=UTC), "Completed",
             "E", "Impactive", "Computer", 60)
        for row in range(2, 112)
    ]  # fmt: skip
    calls = break_last_call(good, monkeypatch)

    # When they are transformed
    # Then the run fails, and no file is left, nor part of one
    assert _refused_leaving_no_file(calls, config, tmp_path) == []


def test_an_unnamed_contact_type_in_the_configuration_fails_the_run_and_leaves_no_file(
    tmp_path: Path,
) -> None:
    # Given a configuration whose VAN contact type is empty, which the by-name file may not hold
    config = build_config({"van": {"contact_type": ""}})
    calls = [call(2, None, "101", "+12025550142", datetime(2024, 10, 1, 18, tzinfo=UTC), "Completed",
                  None, "Impactive", "Computer", 60)]  # fmt: skip

    # When calls are transformed
    # Then the configuration's table, checked once, stops the run before any file appears
    assert _refused_leaving_no_file(calls, config, tmp_path, match="contact_type") == []


def _refused_leaving_no_file(
    calls: list[Interaction], config: PipelineConfig, tmp_path: Path, match: str | None = None
) -> list[Path]:
    """Transform `calls`, which a model must refuse (ValidationError); return the files left behind."""
    with pytest.raises(ValidationError, match=match):
        transform_calls(calls, config, tmp_path, size=100)
    return [path for path in tmp_path.rglob("*") if path.is_file()]


def _organizer_rows(times: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        [("OP-1", "E", time, "2025550142", "Impactive", "Computer", "Answered", "60") for time in times],
        schema=dict.fromkeys(OrganizerRow.model_fields, pl.String),
        orient="row",
    )


def test_a_bad_value_of_a_source_table_refuses_the_rows_that_took_it_and_no_others() -> None:
    # Given a table of times, one of which the Organizer model refuses, and rows that take their
    # times from it: some the bad one, some not
    times = pl.Series(["2024-10-01 14:03", "yesterday"])
    took_it = _organizer_rows(["2024-10-01 14:03", "yesterday"])
    did_not = _organizer_rows(["2024-10-01 14:03", "2024-10-01 14:03"])

    # When each is checked with the table as the source of its times
    # Then the rows that took the bad time are refused, in pydantic's words, and the others are not
    with pytest.raises(ValidationError, match="date_time"):
        OrganizerRow.check_frame(took_it, {"date_time": times})
    OrganizerRow.check_frame(did_not, {"date_time": times})


# Per model, values that break one column's rule each, and values that keep it.
COLUMN_VALUES: dict[type[OutputRow], list[list[Any]]] = {
    OrganizerRow: [
        ["OP-1", "", None],
        ["E", ""],
        ["2024-10-01 14:03", "2024-10-01 14:03:00", "10/01/2024 14:03", ""],
        ["2025550142", "+442079460958", "202555014", "+0123", ""],
        ["Impactive", ""],
        ["Computer", "Phone Dial", "Dialer"],
        ["Answered", "Opt Out", "Voicemail"],
        ["", "0", "75", "075", "-5", "7.5"],
    ],
    VanNamesRow: [
        ["101", "12a", ""],
        ["10/01/2024", "2024-10-01"],
        ["2025550142", "+12025550142", "123"],
        ["Auto Dial", ""],
        ["Canvassed", ""],
    ],
    VanBulkRow: [
        ["101", "x"],
        ["19", ""],
        ["14", "-1"],
        ["2024-10-01T14:03:00-04:00", "2024-10-01T14:03:00", "2024-10-01 14:03:00-04:00"],
        ["", "4242", "None"],
        ["2025550142", ""],
        ["US", "usa", "us"],
    ],
}


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_table_check_refuses_exactly_what_the_model_refuses(data: st.DataObject) -> None:
    # Given a row of cells, each valid or not for its column, alone or repeated (its patterns then
    # asked once per distinct value)
    model = data.draw(st.sampled_from(list(COLUMN_VALUES)))
    cells = tuple(data.draw(st.sampled_from(values)) for values in COLUMN_VALUES[model])
    copies = data.draw(st.sampled_from([1, 10]))

    # When the model is built from it, and when the column rules read it in a table
    try:
        model(**dict(zip(model.model_fields, cells, strict=True)))
        built = True
    except ValidationError:
        built = False
    table = pl.DataFrame([cells] * copies, schema=dict.fromkeys(model.model_fields, pl.String), orient="row")
    try:
        model.check_frame(table)
        checked = True
    except ValidationError:
        checked = False

    # Then both accept it or both refuse it
    assert checked == built


def test_a_model_with_its_own_validators_cannot_check_a_table() -> None:
    # Given an output model whose rule lives in a validator method, not in a field's type
    class Shouting(OutputRow):
        HEADER: ClassVar[list[str]] = ["text"]
        text: str

        @field_validator("text")
        @classmethod
        def _upper(cls, value: str) -> str:
            if not value.isupper():
                raise ValueError("not upper case")
            return value

    # When a table is checked against it
    # Then it refuses, rather than let the table skip that rule
    with pytest.raises(TypeError, match="validators"):
        Shouting.check_frame(pl.DataFrame({"text": ["quiet"]}))


ROWS = st.integers(2, 4).flatmap(
    lambda width: st.lists(st.lists(AWKWARD_TEXT, min_size=width, max_size=width), max_size=6)
)
"""Every file we write has two columns or more: errors.csv's row and errors, then the input's."""


@settings(max_examples=300, deadline=None)
@given(rows=ROWS)
def test_rows_are_encoded_as_csv_writer_writes_them(rows: list[list[str]]) -> None:
    # Given rows whose cells may need quoting, or be empty
    expected = io.StringIO(newline="")
    csv.writer(expected).writerows(rows)

    # When a file encodes and writes them as a table, and each of them alone
    stream = io.BytesIO()
    csv_file = CsvFile(stream, ["a", "b"])
    header_bytes = csv_file.bytes_written
    if rows:
        csv_file.write_frame(pl.DataFrame(rows, orient="row", schema=[str(n) for n in range(len(rows[0]))]))

    # Then they are csv.writer's bytes, row by row alike, and the file counts them exactly
    assert stream.getvalue()[header_bytes:] == expected.getvalue().encode("utf-8")
    assert b"".join(map(encode_row, rows)) == expected.getvalue().encode("utf-8")
    assert (csv_file.records, csv_file.bytes_written) == (len(rows), len(stream.getvalue()))
