"""Organizer's phone-interaction import files: numbered, each with at most N distinct efforts (so that
a data manager imports one effort's calls in few files) and under Organizer's size limit."""

from __future__ import annotations

import polars as pl

from phonebank.models.organizer import OrganizerRow
from phonebank.sinks import CsvFile, OpenFiles, OutputSink, encode_frame, encode_row

ORGANIZER_FILE = "organizer/organizer-phone-interactions-{:02d}.csv"


class OrganizerFiles:
    """Numbered Organizer files: at most N distinct efforts each, and under the size limit."""

    def __init__(self, sink: OutputSink, files: OpenFiles, max_efforts: int, max_bytes: int) -> None:
        self._sink, self._files = sink, files
        self._max_efforts, self._max_bytes = max_efforts, max_bytes
        self._group_of: dict[str, int] = {}
        self._current: dict[int, CsvFile] = {}
        self.written: list[tuple[str, CsvFile]] = []

    def write(self, rows: pl.DataFrame) -> None:
        """Each row to its effort's file, in order. When each file's share of the rows fits whole
        under the size limit, the shares are written at once (a new effort's file started in the
        order the efforts first appear, as row by row would); else row by row, starting a new file
        where one is full."""
        efforts = rows["effort_name"]
        groups = efforts.replace_strict(self._group_of, default=None, return_dtype=pl.Int64)
        # Past the first parts, every effort has its group: only a new one is looked for.
        if groups.null_count():
            for effort in efforts.filter(groups.is_null()).unique(maintain_order=True).to_list():
                self._group_of[effort] = len(self._group_of) // self._max_efforts
            groups = efforts.replace_strict(self._group_of, return_dtype=pl.Int64)
        in_order = groups.unique(maintain_order=True).to_list()
        if len(in_order) == 1:
            shares = {in_order[0]: rows}
        else:
            shares = {group: rows.filter(groups == group) for group in in_order}
        encoded = {
            group: encode_frame(share, plain=OrganizerRow.PLAIN_COLUMNS) for group, share in shares.items()
        }
        if all(self._fits(group, len(data)) for group, data in encoded.items()):
            for group, data in encoded.items():
                self._file_of(group).write_encoded(data, records=shares[group].height)
            return
        for row, group in zip(rows.iter_rows(), groups.to_list(), strict=True):
            self._write_line(group, encode_row(row))

    def _fits(self, group: int, size: int) -> bool:
        current = self._current.get(group)
        written = current.bytes_written if current is not None else len(encode_row(OrganizerRow.HEADER))
        return written + size <= self._max_bytes

    def _write_line(self, group: int, line: bytes) -> None:
        current = self._file_of(group)
        if current.records and current.bytes_written + len(line) > self._max_bytes:
            current = self._start(group)
        current.write_encoded(line)

    def _file_of(self, group: int) -> CsvFile:
        return self._current.get(group) or self._start(group)

    def _start(self, group: int) -> CsvFile:
        name = ORGANIZER_FILE.format(len(self.written) + 1)
        started = self._files.open_csv(self._sink, name, OrganizerRow.HEADER)
        self._current[group] = started
        self.written.append((name, started))
        return started
