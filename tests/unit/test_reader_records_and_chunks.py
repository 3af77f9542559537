"""The streaming reader's records: delimiters, line ends, quoting, row numbers, and chunk edges."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from reader_helpers import GOOD, LIMIT, DataRow, read, read_all_rows, rows_of
from validation_helpers import BOM, IMPACTIVE_HEADER, csv_bytes, impactive_row, validate_bytes

from phonebank.config import PipelineConfig
from phonebank.errors import MalformedCsv, NotText, UndecodableFile
from phonebank.reader import CHUNK_BYTES, OVERLAPPED_SHARE, ExportReader

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


def test_where_threads_overlap_the_stages_a_chunk_is_three_quarters_as_large() -> None:
    # Given one export read a chunk at a time, and the same read with its chunks' stages overlapped
    alone, overlapped = MadeUpExport(), MadeUpExport()

    # When the first chunk of each is read
    rows_alone = next(ExportReader(alone, LIMIT * 100).chunks()).cells.height  # type: ignore[arg-type]
    rows_overlapped = next(
        ExportReader(overlapped, LIMIT * 100, overlapped=True).chunks()  # type: ignore[arg-type]
    ).cells.height

    # Then the overlapped chunk holds three quarters of the rows, for three quarters of the bytes read
    assert rows_overlapped == pytest.approx(rows_alone * OVERLAPPED_SHARE, rel=0.01)
    assert overlapped.served <= CHUNK_BYTES < alone.served


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
        read_all_rows(data)


def test_a_record_still_open_past_a_mebibyte_fails_the_file_naming_its_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a quote in row 3 that never closes, and more than a MiB of lines after it
    monkeypatch.setattr("phonebank.reader.CHUNK_BYTES", 1 << 16)
    data = GOOD + b'OP-2,"never closed\r\n' + b"OP-3,x\r\n" * 200_000
    # When the file is read
    # Then it fails naming row 3, before the rest of the file is held in memory
    with pytest.raises(MalformedCsv, match="Row 3 "):
        read_all_rows(data)


def test_a_line_over_a_mebibyte_fails_the_file_without_holding_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a row of 3 MiB with no line end and no quote, read a small chunk at a time
    monkeypatch.setattr("phonebank.reader.CHUNK_BYTES", 1 << 16)
    data = GOOD + b"OP-2," + b"x" * (3 << 20)
    # When the file is read
    # Then it fails naming row 3 and what it found, once the row passes a MiB
    with pytest.raises(MalformedCsv, match="Row 3 runs over 1 MiB without a line end"):
        read_all_rows(data)
