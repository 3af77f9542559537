"""The streaming reader: encodings, BOM, delimiters, line ends, quoting, and whole-file failures."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import EVENTS
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
from phonebank.reader import CHUNK_BYTES, ExportReader

LIMIT = 10_000_000


class DataRow(NamedTuple):
    """One row of the file as the reader hands it on: its spreadsheet row number and its cells."""

    number: int
    cells: list[str]


def rows_of(reader: ExportReader) -> list[DataRow]:
    return [
        DataRow(chunk.first_row + offset, list(cells))
        for chunk in reader.chunks()
        for offset, cells in enumerate(chunk.cells.rows())
    ]


def read(data: bytes, max_bytes: int = LIMIT) -> tuple[list[str], list[DataRow]]:
    reader = ExportReader(io.BytesIO(data), max_bytes, len(data))
    return reader.header, rows_of(reader)


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


# Delimiters, line ends and quoting


@pytest.mark.parametrize("delimiter", [",", "\t", ";"], ids=["comma", "tab", "semicolon"])
def test_delimiter_is_detected_from_the_header(delimiter: str) -> None:
    # Given a file in each delimiter, whose values hold the other two delimiters
    value = "Smith, Jr.; aka\tJS"
    data = csv_bytes(["Profile ID", "Caller", "Phone"], [["OP-1", value, "2022013344"]], delimiter=delimiter)

    # When it is read
    reader = ExportReader(io.BytesIO(data), LIMIT)
    rows = rows_of(reader)

    # Then the columns split on that delimiter only
    assert reader.delimiter == delimiter
    assert reader.header == ["Profile ID", "Caller", "Phone"]
    assert rows == [DataRow(2, ["OP-1", value, "2022013344"])]


@pytest.mark.parametrize("newline", ["\r\n", "\n"], ids=["crlf", "lf"])
def test_line_ends_are_not_part_of_the_cells(newline: str) -> None:
    # Given a file with Windows (CRLF) or Unix (LF) line ends
    data = csv_bytes(
        ["Profile ID", "Phone"], [["OP-1", "2022013344"], ["OP-2", "2022013345"]], newline=newline
    )

    # When it is read
    header, rows = read(data)

    # Then no cell keeps a carriage return
    assert header == ["Profile ID", "Phone"]
    assert [row.cells for row in rows] == [["OP-1", "2022013344"], ["OP-2", "2022013345"]]


def test_quoted_commas_stay_in_one_cell() -> None:
    # Given a value with commas, quoted as CSV does
    data = b'Profile ID,Caller,Phone\r\nOP-1,"Smith, Jane, Jr.",2022013344\r\n'

    # When it is read
    _, rows = read(data)

    # Then it is one cell
    assert rows == [DataRow(2, ["OP-1", "Smith, Jane, Jr.", "2022013344"])]


def test_a_header_longer_than_where_it_is_looked_for_first_is_read_whole() -> None:
    # Given a header whose quoted names run over a line break and past the first 64 KiB, then rows
    names = [f"column {number:05d}" for number in range(6000)]
    header = ",".join(names[:3000]) + ',"a name\r\nover two lines",' + ",".join(names[3000:])
    data = (header + "\r\n" + "x\r\n" * 20_000).encode()

    # When it is read
    reader = ExportReader(io.BytesIO(data), LIMIT)

    # Then the header holds every name, the quoted one whole, and the first row is row 2
    assert len(reader.header) == 6001
    assert reader.header[3000] == "a name\r\nover two lines"
    assert rows_of(reader)[0].number == 2


def test_quoted_newlines_keep_spreadsheet_row_numbers() -> None:
    # Given a note that spans three lines inside quotes, then two more rows
    data = (
        b"Profile ID,Notes,Phone\r\n"
        b'OP-1,"line one\r\nline two\r\nline three",2022013344\r\n'
        b"OP-2,plain,2022013345\r\n"
        b'OP-3,"a\nb",2022013346\r\n'
    )

    # When it is read
    _, rows = read(data)

    # Then each row has the number a spreadsheet shows (header = 1), not the line number
    assert [row.number for row in rows] == [2, 3, 4]
    assert rows[0].cells[1] == "line one\r\nline two\r\nline three"
    assert rows[2].cells == ["OP-3", "a\nb", "2022013346"]


def test_error_report_uses_spreadsheet_rows_after_quoted_line_breaks(
    tmp_path: Path, config: PipelineConfig
) -> None:
    # Given a two-line caller note in row 2 and a bad phone in row 3 (line 4 of the file)
    header = [*IMPACTIVE_HEADER, "Notes"]
    data = csv_bytes(
        header, [[*impactive_row(), "call back\r\nafter 6"], [*impactive_row(phone_number="abc"), ""]]
    )

    # When the file is validated
    run = validate_bytes(data, tmp_path, config)

    # Then the bad row is reported as row 3, as a spreadsheet shows it, and the note is kept whole
    assert list(run.errors_by_row()) == [3]
    assert run.only_accepted().row == 2


def test_blank_rows_keep_their_numbers() -> None:
    # Given a blank line between two rows
    data = b"Profile ID,Phone\r\nOP-1,2022013344\r\n\r\nOP-2,2022013345\r\n"

    # When it is read
    _, rows = read(data)

    # Then the row after the blank one is row 4, as in a spreadsheet
    assert [(row.number, row.cells) for row in rows] == [
        (2, ["OP-1", "2022013344"]),
        (3, ["", ""]),
        (4, ["OP-2", "2022013345"]),
    ]


class MadeUpExport:
    """A 100 MB export made up as it is read, counting the bytes handed out."""

    def __init__(self, total: int = 100_000_000) -> None:
        self.served = 0
        self._total = total
        self._pending = b"Profile ID,Phone\r\n"
        self._next = 0

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "the reader asked for the whole file at once"
        parts, length = [self._pending], len(self._pending)
        while length < size and self.served + length < self._total:
            line = b"OP-%09d,2022013344\r\n" % self._next
            self._next += 1
            parts.append(line)
            length += len(line)
        data = b"".join(parts)
        chunk, self._pending = data[:size], data[size:]
        self.served += len(chunk)
        return chunk


def test_rows_are_streamed_in_constant_memory() -> None:
    # Given a 100 MB export that only exists as it is read
    source = MadeUpExport()

    # When the header and the first chunk of rows are read
    reader = ExportReader(source, LIMIT * 100)  # type: ignore[arg-type]
    chunk = next(reader.chunks())
    first, second = chunk.cells.row(0), chunk.cells.row(1)

    # Then they are right, and only a chunk's worth of the file was read to get them
    assert reader.header == ["Profile ID", "Phone"]
    assert (chunk.first_row, first, second) == (
        2,
        ("OP-000000000", "2022013344"),
        ("OP-000000001", "2022013344"),
    )
    assert source.served <= 2 * CHUNK_BYTES


def test_where_threads_overlap_the_stages_a_chunk_is_half_as_large() -> None:
    # Given one export read a chunk at a time, and the same read with its chunks' stages overlapped
    alone, overlapped = MadeUpExport(), MadeUpExport()

    # When the first chunk of each is read
    rows_alone = next(ExportReader(alone, LIMIT * 100).chunks()).cells.height  # type: ignore[arg-type]
    rows_overlapped = next(
        ExportReader(overlapped, LIMIT * 100, overlapped=True).chunks()  # type: ignore[arg-type]
    ).cells.height

    # Then the overlapped chunk holds half the rows, for half the bytes read
    assert rows_overlapped * 2 == pytest.approx(rows_alone, rel=0.01)
    assert overlapped.served <= CHUNK_BYTES < alone.served


# Whole-file failures raised by the reader


def _rows_of(data: bytes, max_bytes: int = LIMIT, *, size_hint: bool = True) -> None:
    rows_of(ExportReader(io.BytesIO(data), max_bytes, len(data) if size_hint else None))


GOOD = csv_bytes(IMPACTIVE_HEADER, [impactive_row()])

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
        _rows_of(data)


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
        _rows_of(data, limit, size_hint=False)


def test_a_file_exactly_at_the_limit_is_read() -> None:
    # Given a file exactly as large as the limit
    # When it is read, with and without its size
    # Then no row is refused
    _rows_of(GOOD, len(GOOD))
    _rows_of(GOOD, len(GOOD), size_hint=False)


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


# The file is read a chunk at a time: what a chunk's edges must not change


@pytest.mark.parametrize("chunk_bytes", [1, 7, 64])
def test_tiny_chunks_read_the_same_rows(chunk_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a UTF-8 file with one Windows-1252 line, a BOM, quoted line breaks, blank lines and
    # a quote inside an unquoted cell
    data = (
        BOM
        + (
            'Profile ID,Notes,Phone\r\nOP-1,"Zoë\r\nNúñez",2022013344\r\n\r\nOP-2,5" tall,2022013345\r\n'
        ).encode()
        + "OP-3,café,2022013346\r\nOP-4,last".encode("cp1252")
    )
    expected = read(data)
    # When it is read in chunks of a few bytes each
    monkeypatch.setattr("phonebank.reader.CHUNK_BYTES", chunk_bytes)
    # Then it reads exactly as in large chunks, and as Python's csv reads it
    assert read(data) == expected
    assert expected[1] == [
        DataRow(2, ["OP-1", "Zoë\r\nNúñez", "2022013344"]),
        DataRow(3, ["", "", ""]),
        DataRow(4, ["OP-2", '5" tall', "2022013345"]),
        DataRow(5, ["OP-3", "caf\ufffd", "2022013346"]),
        DataRow(6, ["OP-4", "last", ""]),
    ]


@pytest.mark.parametrize(
    ("bad_line", "error", "says"),
    [(b"OP-9,,\x81\x8d\x8f\r\n", UndecodableFile, "Line 42 "), (b"OP-9,\x00\r\n", NotText, "Line 42 ")],
)
def test_a_bad_line_in_a_later_chunk_is_named_by_its_line(
    bad_line: bytes, error: type[Exception], says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a bad line 42, well past the first chunk
    monkeypatch.setattr("phonebank.reader.CHUNK_BYTES", 100)
    data = b"Profile ID,Phone\r\n" + b"OP-1,2022013344\r\n" * 40 + bad_line + b"OP-2,2022013345\r\n"
    # When the file is read
    # Then the failure names line 42
    with pytest.raises(error, match=says):
        _rows_of(data)


def test_a_record_still_open_past_a_mebibyte_fails_the_file_naming_its_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a quote in row 3 that never closes, and more than a MiB of lines after it
    monkeypatch.setattr("phonebank.reader.CHUNK_BYTES", 1 << 16)
    data = GOOD + b'OP-2,"never closed\r\n' + b"OP-3,x\r\n" * 200_000
    # When the file is read
    # Then it fails naming row 3, before the rest of the file is held in memory
    with pytest.raises(MalformedCsv, match="Row 3 "):
        _rows_of(data)


def test_a_line_over_a_mebibyte_fails_the_file_without_holding_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a row of 3 MiB with no line end and no quote, read a small chunk at a time
    monkeypatch.setattr("phonebank.reader.CHUNK_BYTES", 1 << 16)
    data = GOOD + b"OP-2," + b"x" * (3 << 20)
    # When the file is read
    # Then it fails naming row 3 and what it found, once the row passes a MiB
    with pytest.raises(MalformedCsv, match="Row 3 runs over 1 MiB without a line end"):
        _rows_of(data)
