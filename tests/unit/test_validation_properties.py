"""Property: whatever a dialer file holds, every row read is counted exactly once, and each rejected
row is in errors.csv exactly once, under its spreadsheet row number; errors.csv reads back in."""

from __future__ import annotations

import csv
import io
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from validation_helpers import NOW, Run, csv_bytes, validate_bytes

from phonebank.config import load_config
from phonebank.models.report import as_typed

NEW_YORK = ZoneInfo("America/New_York")
CONFIG = load_config()

HEADER = [
    "Profile ID", "VAN ID", "Notes", "Phone Number", "Last Called At", "Call Outcome", "Effort Name",
    "Call Type", "Call Duration",
]  # fmt: skip
COLUMN = dict(
    zip(
        ["profile_id", "van_id", "notes", "phone", "called_at", "outcome", "effort", "call_type", "duration"],
        HEADER,
        strict=True,
    )
)

# Every value below is valid by spec section 1; the invalid ones are in MUTATIONS.
AREAS = ["202", "301", "410", "571", "703"]
EXCHANGES = ["201", "330", "555", "744"]
PHONE_FORMS = ["({a}) {e}-{l}", "{a}.{e}.{l}", "+1 {a} {e} {l}", "1{a}{e}{l}", "{a}{e}{l}", "{a}-{e}-{l}"]
OUTCOMES = [
    "Completed", "Talking to Correct Person", "Voicemail", "Answering Machine", "No Answer", "Busy Signal",
    "Wrong Number", "Refused", "Not Home/No Contact", "Deliverability Error", "Dropped", "Moved", "NO_ANSWER",
    "Left Message", "User Busy",
]  # fmt: skip
CALL_TYPES = ["", "Computer", "Phone Dial", "Manual", "Predictive", "personal phone"]
NOTES = st.text(alphabet="abé ,;\t\"'\n", max_size=10)
FIRST, LAST = datetime(2024, 1, 1), NOW.astimezone(NEW_YORK).replace(tzinfo=None) - timedelta(days=1)


def time_forms(moment: datetime) -> list[str]:
    """The same local New York minute in each written form; in an hour the clocks repeat, the earlier
    instant, as the forms without an offset read (`moment` may carry fold=1 from hypothesis)."""
    return [
        f"{moment:%m/%d/%Y %H:%M}",
        f"{moment:%Y-%m-%d %H:%M}",
        f"{moment:%m/%d/%Y %I:%M %p}",
        f"{moment:%Y-%m-%dT%H:%M:%S}",
        moment.replace(tzinfo=NEW_YORK, fold=0).isoformat(),
    ]


@dataclass
class Call:
    """One valid call, as values that can be written several ways."""

    index: int
    profile: bool
    van: bool
    phone: tuple[str, str, str]
    moment: datetime
    outcome: str
    effort: str
    cells: dict[str, str] = field(default_factory=dict)


@st.composite
def valid_calls(draw: st.DrawFn, index: int) -> Call:
    ids = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
    phone = (
        draw(st.sampled_from(AREAS)),
        draw(st.sampled_from(EXCHANGES)),
        f"{draw(st.integers(0, 9999)):04d}",
    )
    moment = draw(st.datetimes(min_value=FIRST, max_value=LAST)).replace(second=0, microsecond=0)
    # Efforts are needed by Organizer rows only; the ID carries the row's index, so no two calls match.
    effort = draw(st.sampled_from(["GOTV", "Persuasion Wave 2"] if ids[0] else ["", "GOTV"]))
    call = Call(index, *ids, phone, moment, draw(st.sampled_from(OUTCOMES)), effort)
    call.cells = written(draw, call)
    return call


def written(draw: st.DrawFn, call: Call) -> dict[str, str]:
    area, exchange, line = call.phone
    return {
        "profile_id": f"OP-{call.index}" if call.profile else "",
        "van_id": str(100_000 + call.index) if call.van else "",
        "notes": draw(NOTES),
        "phone": draw(st.sampled_from(PHONE_FORMS)).format(a=area, e=exchange, l=line),
        "called_at": draw(st.sampled_from(time_forms(call.moment))),
        "outcome": draw(st.sampled_from([call.outcome, call.outcome.upper(), call.outcome.lower()])),
        "effort": call.effort,
        "call_type": draw(st.sampled_from(CALL_TYPES)),
        "duration": draw(st.sampled_from(["", "0", "75", "75.0", "1:15"])),
    }


# Each mutation makes exactly one error, under the column named; a row gets one per field at most.
MUTATIONS: dict[str, list[tuple[str, dict[str, str]]]] = {
    "phone": [("Phone Number", {"phone": "555-0100"}), ("Phone Number", {"phone": "call me"})],
    "called_at": [
        ("Last Called At", {"called_at": "10/32/2024 10:00"}),
        ("Last Called At", {"called_at": "12/31/2099 10:00"}),
        ("Last Called At", {"called_at": ""}),
    ],
    "outcome": [("Call Outcome", {"outcome": "Hung Up"})],
    "duration": [("Call Duration", {"duration": "abc"}), ("Call Duration", {"duration": "-5"})],
    "call_type": [("Call Type", {"call_type": "Robot"})],
    "ids": [
        ("Profile ID / VAN ID", {"profile_id": "", "van_id": ""}),
        ("VAN ID", {"profile_id": "OP-x", "van_id": "12AB", "effort": "GOTV"}),
    ],
    "effort": [("Effort Name", {"profile_id": "OP-y", "effort": ""})],
}


@dataclass
class Row:
    kind: str  # accepted, rejected, duplicate, not_dialed or blank
    cells: list[str]
    columns_in_error: list[str] = field(default_factory=list)
    duplicate_of: int | None = None


@st.composite
def dialer_files(draw: st.DrawFn) -> list[Row]:
    rows: list[Row] = []
    accepted: list[tuple[int, Call]] = []
    for index in range(draw(st.integers(1, 25))):
        kind = draw(st.sampled_from(["accepted", "accepted", "rejected", "duplicate", "not_dialed", "blank"]))
        if kind == "duplicate" and accepted:
            # The same interaction written again, differently: other phone and time forms, other case.
            row_number, original = draw(st.sampled_from(accepted))
            cells = written(draw, original)
            rows.append(Row("duplicate", [cells[key] for key in COLUMN], duplicate_of=row_number))
        elif kind == "rejected":
            call = draw(valid_calls(index))
            fields = draw(st.sets(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=3))
            if "ids" in fields and "effort" in fields:
                fields.discard("effort")
            columns = []
            for name in sorted(fields, key=list(MUTATIONS).index):
                column, change = draw(st.sampled_from(MUTATIONS[name]))
                call.cells.update(change)
                columns.append(column)
            rows.append(Row("rejected", [call.cells[key] for key in COLUMN], columns))
        elif kind == "not_dialed":
            junk = draw(st.sampled_from(["", "??", "-1"]))
            outcome = draw(st.sampled_from(["Not Dialed", "not dialed", "NOT  DIALED"]))
            rows.append(Row("not_dialed", [junk, junk, draw(NOTES), junk, junk, outcome, junk, junk, junk]))
        elif kind == "blank":
            rows.append(Row("blank", draw(st.sampled_from([[], [""] * len(HEADER)]))))
        else:
            call = draw(valid_calls(index))
            rows.append(Row("accepted", [call.cells[key] for key in COLUMN]))
            accepted.append((index + 2, call))
    return rows


def encode(rows: list[Row], delimiter: str, newline: str, encoding: str) -> bytes:
    return csv_bytes(
        HEADER,
        [row.cells for row in rows],
        delimiter=delimiter,
        newline=newline,
        encoding=encoding.removesuffix("-sig"),
        bom=encoding.endswith("-sig"),
    )


def validate(data: bytes, root: str, name: str) -> Run:
    return validate_bytes(data, Path(root) / name, CONFIG)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=dialer_files(),
    delimiter=st.sampled_from([",", "\t", ";"]),
    newline=st.sampled_from(["\r\n", "\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_every_row_is_counted_once_and_every_rejected_row_reported_once(
    rows: list[Row], delimiter: str, newline: str, encoding: str
) -> None:
    # Given a dialer file of valid, invalid, duplicate, not dialed and blank rows, in any encoding,
    # delimiter and line end, with notes that hold quotes, delimiters and line breaks
    data = encode(rows, delimiter, newline, encoding)

    # When it is validated
    with tempfile.TemporaryDirectory() as root:
        run = validate(data, root, "run")
        _check_every_row_counted_once(rows, run)


def _check_every_row_counted_once(rows: list[Row], run: Run) -> None:
    number = {id(row): position + 2 for position, row in enumerate(rows)}
    expected = Counter(row.kind for row in rows)

    # Then every non-blank row is counted exactly once, in the count its content calls for
    counts = run.report.counts
    if expected["blank"] == len(rows):
        assert run.report.status == "FAILED"
        assert run.report.failure is not None
        assert run.report.failure.startswith("HeaderOnly: ")
        return
    assert counts.rows_read == len(rows) - expected["blank"]
    assert counts.accepted == expected["accepted"]
    assert counts.rejected == expected["rejected"]
    assert counts.duplicates == expected["duplicate"]
    assert counts.not_dialed == expected["not_dialed"]
    assert counts.accepted + counts.rejected + counts.duplicates + counts.not_dialed == counts.rows_read

    # And each rejected row is in errors.csv exactly once, under its spreadsheet row (header = 1),
    # with every one of its problems under the right column and its own cells unchanged
    report = run.error_report()
    assert report[0] == ["row", "errors", *HEADER]
    rejected = {number[id(row)]: row for row in rows if row.kind == "rejected"}
    assert [int(cells[0]) for cells in report[1:]] == sorted(rejected)
    for cells in report[1:]:
        row = rejected[int(cells[0])]
        assert sorted(problem.split(":")[0] for problem in cells[1].split("; ")) == sorted(
            row.columns_in_error
        )
        # Cells compared as the reader reads them: a report writes a formula behind an apostrophe.
        assert list(map(as_typed, cells[2:])) == list(map(as_typed, row.cells))

    # And the accepted rows and the duplicates are the ones expected, by row number
    assert [i.row for i in run.accepted()] == [number[id(row)] for row in rows if row.kind == "accepted"]
    duplicates = {number[id(row)]: row.duplicate_of for row in rows if row.kind == "duplicate"}
    assert _duplicates_of(run) == duplicates


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=dialer_files(), delimiter=st.sampled_from([",", "\t", ";"]))
def test_the_error_report_dropped_back_in_reads_as_a_normal_input(rows: list[Row], delimiter: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        # Given the error report of a dialer file
        first = validate(encode(rows, delimiter, "\r\n", "cp1252"), root, "first")
        if first.report.status == "FAILED":
            return

        # When it is dropped back in unchanged
        second = validate((first.reports / "errors.csv").read_bytes(), root, "second")
        _check_read_back(first, second)


def _check_read_back(first: Run, second: Run) -> None:
    first_errors = first.error_report()[1:]

    # Then it reads like any export: its row and errors columns ignored, every row rejected again for
    # the same reasons, under its new row number, and its report does not stack another pair of columns
    if not first_errors:
        assert second.report.failure is not None
        assert second.report.failure.startswith("HeaderOnly: ")
        return
    assert second.report.status != "FAILED", second.report.failure
    assert second.report.counts.rows_read == second.report.counts.rejected == len(first_errors)
    second_errors = second.error_report()
    assert second_errors[0] == ["row", "errors", *HEADER]
    assert [cells[1:] for cells in second_errors[1:]] == [cells[1:] for cells in first_errors]
    assert [int(cells[0]) for cells in second_errors[1:]] == list(range(2, len(first_errors) + 2))


def test_a_fixed_error_report_is_accepted(tmp_path: Path) -> None:
    # Given an error report whose rows the user fixed in a spreadsheet, leaving row and errors as they were
    bad = [
        ["OP-1", "", "", "555-0100", "10/11/2024 18:07", "Completed", "GOTV", "", "75"],
        ["OP-2", "", "", "(202) 201-3344", "10/11/2024 18:07", "Hung Up", "GOTV", "", "75"],
    ]
    first = validate_bytes(csv_bytes(HEADER, bad), tmp_path / "first", CONFIG)
    report = first.error_report()
    report[1][2 + HEADER.index("Phone Number")] = "(202) 201-3399"
    report[2][2 + HEADER.index("Call Outcome")] = "Voicemail"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(report)

    # When it is dropped back in
    second = validate_bytes(buffer.getvalue().encode("utf-8"), tmp_path / "second", CONFIG)

    # Then both rows are accepted, with the fixed values
    assert second.report.counts.accepted == 2
    assert [(i.phone, i.outcome) for i in second.accepted()] == [
        ("+12022013399", "Completed"),
        ("+12022013344", "Answering Machine"),
    ]


def _duplicates_of(run: Run) -> dict[int, int]:
    path = run.reports / "duplicates.csv"
    if not path.exists():
        return {}
    _, *rows = csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    return {int(cells[0]): int(cells[1]) for cells in rows}
