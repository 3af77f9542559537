"""The transform a batch at a time: its files hold exactly the rows the models give one call at a time."""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_transform_mapping import RESULT_IDS
from transform_helpers import AWKWARD_TEXT, WORK, call, transform_calls, valid_report

from phonebank.config import PipelineConfig, build_config, bundled_defaults
from phonebank.models.interaction import Interaction
from phonebank.models.organizer import OrganizerRow
from phonebank.models.output import Cells
from phonebank.models.van import VanBulkRow, VanNamesRow
from phonebank.organizer_files import ORGANIZER_FILE
from phonebank.phones import by_name_phone, national_and_country, national_or_e164
from phonebank.sinks import LocalDirectory, OpenFiles
from phonebank.transform import (
    VAN_BULK_FILE,
    VAN_BULK_ROWS_FILE,
    VAN_NAMES_FILE,
    ImportFiles,
)

NAME_TEXT = st.one_of(st.sampled_from(["OP-1", "Persuasion", "Impactive"]), AWKWARD_TEXT)
# Mostly efforts already seen, so that most batches add rows to files already open.
EFFORTS = st.one_of(st.sampled_from(["GOTV", "Persuasion", "ID"]), NAME_TEXT.filter(bool))
PHONES = ["+12025550142", "+12025550143", "+14165550199", "+18765550100", "+442079460958", "+5491123456789"]
# The campaign's zones: whole hours off UTC, half hours (with and without daylight saving), and
# Lord Howe, whose daylight saving moves the clock by half an hour.
CAMPAIGN_ZONES = ["America/New_York", "America/Los_Angeles", "America/St_Johns", "Asia/Kolkata",
                  "Australia/Lord_Howe", "UTC"]  # fmt: skip
# The clocks calls arrive in: fixed offsets as the validator makes them, and zones with a fold.
OUTCOMES = sorted(build_config({}).outcomes)
CALL_CLOCKS = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=-4)),
        timezone(timedelta(hours=5, minutes=45)),
        ZoneInfo("America/New_York"),
    ]
)


DEFAULTS = bundled_defaults()
"""Read once: build_config reads the bundled YAML each time, which would make the examples slow."""


@st.composite
def configs(draw: st.DrawFn) -> PipelineConfig:
    with_ids = draw(st.booleans())
    return PipelineConfig.model_validate(
        {
            **DEFAULTS,
            "campaign_timezone": draw(st.sampled_from(CAMPAIGN_ZONES)),
            "organizer_phone_format": draw(st.sampled_from(["national10", "e164"])),
            "limits": {
                **DEFAULTS["limits"],
                "organizer_max_efforts_per_file": draw(st.integers(1, 5)),
                "organizer_max_file_bytes": draw(st.sampled_from([1024, 495_000_000])),
            },
            "van": {
                **DEFAULTS["van"],
                # A name the by-name file writes as it is: quoted, when it must be, as csv.writer would.
                "contact_type": draw(
                    st.sampled_from([DEFAULTS["van"]["contact_type"]]) | NAME_TEXT.filter(bool)
                ),
                "result_ids": {**RESULT_IDS, "Phone Attempt": 77} if with_ids else {},
                "canvassed_by": draw(st.sampled_from([None, 4242])),
                "last_called_at": {"enabled": draw(st.booleans()), "result": "Phone Attempt"},
            },
        }
    )


@st.composite
def calls(draw: st.DrawFn) -> list[Any]:
    """Accepted calls as the validator hands them on; their instants often share an hour, a minute or
    the very instant, as a real export's do."""
    starts = draw(
        st.lists(
            st.datetimes(
                datetime(2023, 1, 1), datetime(2025, 12, 31), timezones=CALL_CLOCKS, allow_imaginary=False
            ),
            min_size=1,
            max_size=4,
        )
    )
    # Seconds added to an instant, not to a wall clock, which could step into a skipped hour.
    seconds = st.integers(0, 5400)
    made = []
    for row in range(2, 2 + draw(st.integers(1, 40))):
        profile_id = draw(st.sampled_from(["", f"OP-{row}"]) | NAME_TEXT)
        made.append(Interaction(
            row=row,
            profile_id=profile_id or None,
            van_id=draw(st.sampled_from([None, str(100_000 + row), "7"])),
            phone=draw(st.sampled_from(PHONES)),
            called_at=draw(st.sampled_from(starts)).astimezone(UTC) + timedelta(seconds=draw(seconds)),
            outcome=draw(st.sampled_from(OUTCOMES)),
            effort=draw(EFFORTS) if profile_id else None,
            service=draw(NAME_TEXT),
            call_type=draw(st.sampled_from(["Computer", "Phone Dial"])),
            duration=draw(st.sampled_from([None, 0, 75, 3600])),
        ))  # fmt: skip
    return made


def _one_at_a_time(calls: list[Any], config: PipelineConfig) -> tuple[list[Cells], list[Cells], list[Cells]]:
    """Each call's rows as the output models give them, one model a row, with the standard library's
    own date formatting."""
    organizer, names, bulk = [], [], []
    van = config.van
    for one in calls:
        local = one.called_at.astimezone(config.campaign_zone)
        result = config.outcomes[one.outcome].organizer
        if one.profile_id and result:
            phone = one.phone if config.organizer_phone_format == "e164" else national_or_e164(one.phone)
            organizer.append(
                OrganizerRow(
                    profile_id=one.profile_id,
                    effort_name=one.effort,
                    date_time=f"{local:%Y-%m-%d %H:%M}",
                    phone_number_called=phone,
                    service=one.service,
                    call_type=one.call_type,
                    call_result=result,
                    call_duration="" if one.duration is None else str(one.duration),
                ).to_cells()
            )
        instructions = [(van.contact_type, van.contact_type_id, config.outcomes[one.outcome].van)]
        if van.last_called_at.enabled:
            instructions.append((van.last_called_at.contact_type, van.last_called_at.contact_type_id,
                                 van.last_called_at.result))  # fmt: skip
        if not one.van_id:
            continue
        national, country = national_and_country(one.phone)
        for contact_type, contact_type_id, van_result in instructions:
            if not van_result:
                continue
            names.append(
                VanNamesRow(
                    van_id=one.van_id,
                    date_canvassed=f"{local:%m/%d/%Y}",
                    phone=by_name_phone(one.phone) or "",
                    contact_type=contact_type,
                    result=van_result,
                ).to_cells()
            )
            if not config.van_results_without_id:
                record = VanBulkRow(
                    vanid=one.van_id,
                    contacttypeid=str(contact_type_id),
                    resultid=str(van.result_ids[van_result]),
                    datecanvassed=local.isoformat(timespec="seconds"),
                    canvassedby="" if van.canvassed_by is None else str(van.canvassed_by),
                    phone=national,
                    countrycode=country,
                )
                bulk.append([str(one.row), *record.to_cells()])
    return organizer, names, bulk


def _csv_bytes(rows: list[Cells]) -> bytes:
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    return text.getvalue().encode("utf-8")


def _expected_files(calls: list[Any], config: PipelineConfig) -> dict[str, bytes]:
    """Every file the calls make, the Organizer rows split as seed 002 and the limits say, a row at a
    time: an effort's file is the one for its group of N efforts in order of appearance, and a row
    that would take a file with rows over the size limit starts a new one."""
    organizer, names, bulk = _one_at_a_time(calls, config)
    limits = config.limits
    files = {VAN_NAMES_FILE: _csv_bytes([VanNamesRow.HEADER, *names])} if names else {}
    if bulk:
        # Each record's input row, first in `bulk`, goes to the row map the VAN push maps results with:
        # a working file, in the run's work folder, not beside the import files.
        files[VAN_BULK_FILE] = _csv_bytes([VanBulkRow.HEADER, *(record[1:] for record in bulk)])
        files[f"{WORK}/{VAN_BULK_ROWS_FILE}"] = _csv_bytes([["row"], *(record[:1] for record in bulk)])
    header = _csv_bytes([OrganizerRow.HEADER])
    group_of: dict[str, int] = {}
    file_of: dict[int, str] = {}
    started = 0
    for row in organizer:
        group = group_of.setdefault(row[1], len(group_of) // limits.organizer_max_efforts_per_file)
        line = _csv_bytes([row])
        name = file_of.get(group)
        if name is None or (
            files[name] != header and len(files[name] + line) > limits.organizer_max_file_bytes
        ):
            started += 1
            name = file_of[group] = ORGANIZER_FILE.format(started)
            files[name] = header
        files[name] += line
    return files


def _files_in(out: Path) -> dict[str, bytes]:
    return {str(path.relative_to(out)): path.read_bytes() for path in out.rglob("*.csv")}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs(), calls=calls(), data=st.data())
def test_the_files_hold_exactly_the_rows_the_models_give_one_call_at_a_time(
    config: PipelineConfig, calls: list[Any], data: st.DataObject
) -> None:
    # Given accepted calls, a configuration, and batches of any size
    cuts = sorted(data.draw(st.sets(st.integers(1, len(calls) - 1))) if len(calls) > 1 else set())
    batches = [calls[start:end] for start, end in zip([0, *cuts], [*cuts, len(calls)], strict=True)]

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        # When they are transformed a batch at a time
        with OpenFiles() as files:
            imports = ImportFiles(config, LocalDirectory(out), files, LocalDirectory(out / WORK))
            imports.add_all(Interaction.frame(batch) for batch in batches)
        summary = imports.summary(valid_report(len(calls), config))

        # Then every file is, byte for byte, the rows the models give one call at a time, split
        # into the same Organizer files
        assert _files_in(out) == _expected_files(calls, config)
        assert summary.systems["organizer"].written == len(_one_at_a_time(calls, config)[0])


@pytest.mark.parametrize("batch_rows", [1, 7, 64])
def test_a_batch_that_would_overfill_a_file_splits_it_where_one_row_at_a_time_would(
    tmp_path: Path, batch_rows: int
) -> None:
    # Given 200 calls for three efforts, a limit of about fifteen rows a file and two efforts a
    # file, fed in batches
    config = build_config({"limits": {"organizer_max_file_bytes": 1024, "organizer_max_efforts_per_file": 2}})
    calls = [
        call(row, f"OP-{row}", None, "+12025550142", datetime(2024, 10, 1, 18, tzinfo=UTC), "Completed",
             f"Effort {row % 3}", "Impactive", "Computer", row)
        for row in range(2, 202)
    ]  # fmt: skip

    # When they are transformed
    with OpenFiles() as files:
        imports = ImportFiles(config, LocalDirectory(tmp_path), files, LocalDirectory(tmp_path / WORK))
        imports.add_all(
            Interaction.frame(calls[start : start + batch_rows]) for start in range(0, len(calls), batch_rows)
        )

    # Then the files are those one row at a time gives, byte for byte, names and all
    assert _files_in(tmp_path) == _expected_files(calls, config)


def test_a_part_without_one_systems_ids_leaves_that_systems_files_to_the_other_parts(tmp_path: Path) -> None:
    # Given parts of calls with VANIDs alone, then profile IDs alone, then both, with a bulk-import file
    config = build_config({"van": {"result_ids": RESULT_IDS}})
    ids = [(None, "101"), ("OP-3", None), ("OP-4", "104")]
    calls = [
        call(row, profile_id, van_id, "+12025550142", datetime(2024, 10, 1, 18, row, tzinfo=UTC), "Completed",
             "E" if profile_id else None, "Impactive", "Computer", 60)
        for row, (profile_id, van_id) in enumerate(ids, start=2)
    ]  # fmt: skip

    # When they are transformed a part a call
    transform_calls(calls, config, tmp_path, size=1)

    # Then every file holds the rows one call at a time gives
    assert _files_in(tmp_path) == _expected_files(calls, config)


# A clock change inside an hour: St. John's moved its clocks at 00:01 until 2011, so an hour of a
# caller's clock may hold instants on both sides of it (and, in the autumn, on two local dates).
ODD_CLOCKS = [
    pytest.param("America/St_Johns", datetime(2009, 3, 8, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
                 id="St Johns spring 00:01"),
    pytest.param("America/St_Johns", datetime(2009, 11, 1, tzinfo=timezone(timedelta(hours=-2, minutes=-30))),
                 id="St Johns autumn 00:01"),
    pytest.param("Australia/Lord_Howe", datetime(2024, 4, 7, 1, tzinfo=timezone(timedelta(hours=11))),
                 id="Lord Howe half-hour fall back"),
    pytest.param("America/New_York", datetime(2024, 11, 3, 1, tzinfo=ZoneInfo("America/New_York")),
                 id="New York fold"),
    pytest.param("Asia/Kolkata", datetime(2024, 11, 3, 23, tzinfo=UTC), id="half-hour zone at midnight"),
]  # fmt: skip


@pytest.mark.parametrize(("campaign_zone", "start"), ODD_CLOCKS)
def test_calls_around_a_clock_change_keep_their_own_local_time(
    tmp_path: Path, campaign_zone: str, start: datetime
) -> None:
    # Given calls every 30 seconds through an hour of the caller's clock that holds a clock change
    # of the campaign's zone, or is a fraction of an hour off it
    config = build_config({"campaign_timezone": campaign_zone, "van": {"result_ids": RESULT_IDS}})
    calls = [
        call(row, f"OP-{row}", str(row), "+12025550142", start + timedelta(seconds=30 * row), "Completed",
             "E", "Impactive", "Computer", None)
        for row in range(2, 122)
    ]  # fmt: skip

    # When they are transformed
    transform_calls(calls, config, tmp_path, size=100)

    # Then every date and time is the instant's own in the campaign's zone
    assert _files_in(tmp_path) == _expected_files(calls, config)
