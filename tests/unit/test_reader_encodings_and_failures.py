"""The streaming reader's bytes: encodings, BOM, the files it refuses whole, and the size limit."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EVENTS
from reader_helpers import GOOD, LIMIT, DataRow, read, read_all_rows
from validation_helpers import BOM, IMPACTIVE_HEADER, csv_bytes, impactive_row, validate_bytes

from phonebank.config import PipelineConfig, build_config
from phonebank.errors import (
    EmptyFile,
    FileTooLarge,
    HeaderOnly,
    InputFileError,
    MalformedCsv,
    NoHeaderRow,
    NotText,
    UndecodableFile,
)
from phonebank.reader import ExportReader

# Encodings and BOM


@pytest.mark.parametrize("bom", [False, True], ids=["utf8", "utf8-bom"])
def test_utf8_with_or_without_bom_reads_the_same(bom: bool) -> None:
    # Given a UTF-8 export with accented names, with and without Excel's byte order mark
    data = csv_bytes(["Profile ID", "First Name"], [["OP-1", "Zoë Núñez"]], bom=bom)

    # When it is read
    header, rows = read(data)

    # Then the BOM is not part of the first column name and the accents survive
    assert header == ["Profile ID", "First Name"]
    assert rows == [DataRow(2, ["OP-1", "Zoë Núñez"])]


def test_windows_1252_reads_accents_and_smart_quotes() -> None:
    # Given what Excel's "CSV" writes on Windows: cp1252 bytes, e.g. ç = 0xE7, a curly apostrophe = 0x92
    data = csv_bytes(
        ["Profile ID", "First Name"], [["OP-1", "François"], ["OP-2", "O’Brien"]], encoding="cp1252"
    )
    assert b"\xe7" in data and b"\x92" in data

    # When it is read
    _, rows = read(data)

    # Then every character is the one the user typed
    assert [row.cells[1] for row in rows] == ["François", "O’Brien"]


def not_utf8_rows(data: bytes) -> dict[str, list[int]]:
    """For each column where a cell is not UTF-8, the spreadsheet rows holding one."""
    marked: dict[str, list[int]] = {}
    for chunk in ExportReader(io.BytesIO(data), LIMIT, len(data)).chunks():
        for name, mask in chunk.not_utf8.items():
            marked.setdefault(name, []).extend(chunk.first_row + i for i, bad in enumerate(mask) if bad)
    return marked


@pytest.mark.parametrize("order", ["utf8-first", "stray-byte-first", "utf8-after-plain-rows"])
def test_a_utf8_file_with_a_stray_byte_stays_utf8_and_marks_that_row(
    order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a UTF-8 file with accented names and one Windows-1252 byte (0xF1, ñ), before or after the
    # first UTF-8 sequence, far enough apart that they land in different chunks (the last: the
    # sequence in a chunk polars reads whole, past the rows read with the header)
    monkeypatch.setattr("phonebank.reader.CHUNK_BYTES", 64)
    stray = b"OP-2,A\xf1o\r\n"
    filler = b"".join(b"OP-%d,plain\r\n" % n for n in range(3, 40))
    good = "OP-40,Año\r\n".encode()
    stray_first = order == "stray-byte-first"
    body = {
        "utf8-first": good + filler + stray,
        "stray-byte-first": stray + filler + good,
        "utf8-after-plain-rows": filler + good + filler.replace(b"OP-", b"OP-1") + stray,
    }[order]
    data = b"Profile ID,Notes\r\n" + body

    # When it is read
    _, rows = read(data)

    # Then the file is read as UTF-8: the good name intact, the stray byte shown as U+FFFD and its row marked
    notes = {row.cells[0]: row.cells[1] for row in rows}
    assert notes["OP-40"] == "Año"
    assert notes["OP-2"] == "A\ufffdo"
    stray_row = 2 if stray_first else len(rows) + 1
    assert not_utf8_rows(data) == {"column_2": [stray_row]}


def test_a_windows_1252_file_is_never_marked() -> None:
    # Given a Windows-1252 file: accents, but no valid UTF-8 sequence anywhere
    data = "Profile ID,Notes\r\nOP-1,Año\r\nOP-2,François\r\n".encode("cp1252")

    # When it is read
    _, rows = read(data)

    # Then every row reads as Windows-1252 and none is marked
    assert [row.cells[1] for row in rows] == ["Año", "François"]
    assert not_utf8_rows(data) == {}


def test_thrutalk_sample_in_windows_1252_reads_its_accented_names() -> None:
    # Given the ThruTalk sample, which is Windows-1252 and not valid UTF-8
    data = (EVENTS / "thrutalk-sample.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    # When it is read
    header, rows = read(data)

    # Then its names read as cp1252 text would
    first_names = {row.cells[header.index("Voter First Name")] for row in rows}
    assert "André" in first_names
    assert "François" in first_names


# Whole-file failures raised by the reader


READER_FAILURES = {
    "empty": (b"", EmptyFile, "empty"),
    "nul bytes": (GOOD.replace(b"OP-1", b"OP\x00-1"), NotText, "binary"),
    "xlsx": (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, NotText, "Excel"),
    "old xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, NotText, "Excel"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", NotText, "PDF"),
    "utf-16 le": (("\ufeff" + GOOD.decode()).encode("utf-16-le"), NotText, "UTF-16"),
    "utf-16 be": (("\ufeff" + GOOD.decode()).encode("utf-16-be"), NotText, "UTF-16"),
    "utf-16 no bom": (GOOD.decode().encode("utf-16-le"), NotText, "binary"),
    "undecodable": (GOOD + b"OP-2,,\x81\x8d\x8f,,,\r\n", UndecodableFile, "Line 3"),
    "bare cr line ends": (GOOD.replace(b"\r\n", b"\r"), MalformedCsv, "carriage return"),
    "unclosed quote": (GOOD + b'OP-2,"never closed\r\n' + b"OP-3,x\r\n" * 20_000, MalformedCsv, "Row 3"),
}


@pytest.mark.parametrize(("data", "error", "says"), READER_FAILURES.values(), ids=READER_FAILURES.keys())
def test_reader_failures_raise_their_named_exception(data: bytes, error: type[Exception], says: str) -> None:
    # Given a file that is not a readable CSV
    # When it is read to the end
    # Then the reader raises the named exception, with a message that says what is wrong
    with pytest.raises(error, match=says):
        read_all_rows(data)


def test_a_file_over_the_limit_fails_before_any_byte_is_read() -> None:
    # Given a size above the configured limit
    class Unreadable:
        def read(self, size: int = -1) -> bytes:
            raise AssertionError("read although the size alone says no")

        def __iter__(self) -> Iterator[bytes]:
            raise AssertionError("read although the size alone says no")

    # When the stream is opened with that size
    # Then it fails at once, naming the limit
    with pytest.raises(FileTooLarge, match="1,000 bytes"):
        ExportReader(Unreadable(), 1_000, 1_001)  # type: ignore[arg-type]


def test_a_file_over_the_limit_without_a_size_fails_while_streaming() -> None:
    # Given a stream whose size is not known up front, 10 rows past a limit of 5 rows
    data = csv_bytes(IMPACTIVE_HEADER, [impactive_row(profile_id=f"OP-{n}") for n in range(15)])
    limit = len(data) * 6 // 16

    # When it is read without a size
    # Then it fails once the bytes read pass the limit
    with pytest.raises(FileTooLarge):
        read_all_rows(data, limit, size_hint=False)


def test_a_file_exactly_at_the_limit_is_read() -> None:
    # Given a file exactly as large as the limit
    # When it is read, with and without its size
    # Then no row is refused
    read_all_rows(GOOD, len(GOOD))
    read_all_rows(GOOD, len(GOOD), size_hint=False)


# The same failures through validate_upload: a FAILED report and no output file


def _small_limit(limit: int) -> PipelineConfig:
    return build_config({"limits": {"max_input_bytes": limit}})


UPLOAD_FAILURES = {
    **{name: (data, error) for name, (data, error, _) in READER_FAILURES.items()},
    "only blank lines": (b"\r\n\r\n  \r\n", EmptyFile),
    "bom only": (BOM, EmptyFile),
    "header only": (csv_bytes(IMPACTIVE_HEADER, []), HeaderOnly),
    "header and blank rows": (csv_bytes(IMPACTIVE_HEADER, [[], [""] * 7]), HeaderOnly),
    "no header": (csv_bytes(impactive_row(), [impactive_row(profile_id="OP-2")]), NoHeaderRow),
    "blank first line": (b"\r\n" + GOOD, NoHeaderRow),
}


@pytest.mark.parametrize(("data", "error"), UPLOAD_FAILURES.values(), ids=UPLOAD_FAILURES.keys())
def test_unreadable_file_gives_a_failed_report_and_writes_nothing(
    data: bytes, error: type[InputFileError], tmp_path: Path, config: PipelineConfig
) -> None:
    # Given a file that cannot be read as a dialer export
    # When it is validated
    run = validate_bytes(data, tmp_path, config)

    # Then the report is FAILED, names the exception, and no half-written file is left behind
    assert run.report.status == "FAILED"
    assert run.report.failure is not None
    assert run.report.failure.startswith(f"{error.__name__}: ")
    assert run.report.counts.rows_read == 0
    assert list(tmp_path.rglob("*.*")) == []


@pytest.mark.parametrize("known_size", [True, False], ids=["size-known", "size-unknown"])
def test_upload_over_the_size_limit_is_failed(known_size: bool, tmp_path: Path) -> None:
    # Given a configured limit smaller than the upload
    data = csv_bytes(IMPACTIVE_HEADER, [impactive_row(profile_id=f"OP-{n}") for n in range(50)])
    config = _small_limit(len(data) // 2)

    # When it is validated, with its size given up front or not
    run = validate_bytes(data, tmp_path, config, known_size=known_size)

    # Then it fails as too large, and the rows read before the limit leave no file behind
    assert run.report.status == "FAILED"
    assert run.report.failure is not None
    assert run.report.failure.startswith("FileTooLarge: ")
    assert list(tmp_path.rglob("*.*")) == []
