"""A run that dies half way leaves no half-written file under a final name: a file appears only
once it is complete, and a crash discards every file still being written."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO

import polars as pl
import pytest
from transform_helpers import (
    all_files,
    as_parts,
    interaction,
    organizer_file_problems,
    read_rows,
    valid_report,
)

from phonebank.config import PipelineConfig, build_config
from phonebank.models.interaction import Interaction
from phonebank.pipeline import transform_step
from phonebank.sinks import LocalDirectory, OpenFiles
from phonebank.transform import ImportFiles, transform_validated
from phonebank.validate import VALIDATED_PART


class WorkerKilledError(Exception):
    pass


def _crash_after(count: int, parts: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    for number, part in enumerate(parts):
        if number == count:
            raise WorkerKilledError
        yield part


def _calls(count: int) -> list[Interaction]:
    return [interaction(row, effort=f"Effort {row % 3}") for row in range(2, 2 + count)]


def test_a_file_appears_only_when_its_block_ends(tmp_path: Path) -> None:
    # Given a local output folder
    sink = LocalDirectory(tmp_path)

    # When a file is being written
    with sink.create("van/results.csv") as stream:
        stream.write(b"VanID\r\n")
        # Then nothing is under the final name yet
        assert not (tmp_path / "van" / "results.csv").exists()

    # and afterwards the complete file is, with no temporary file beside it
    assert (tmp_path / "van" / "results.csv").read_bytes() == b"VanID\r\n"
    assert all_files(tmp_path) == ["van/results.csv"]


def test_an_exception_while_writing_leaves_the_previous_file_whole(tmp_path: Path) -> None:
    # Given a complete summary from an earlier run
    sink = LocalDirectory(tmp_path)
    with sink.create("summary.json") as stream:
        stream.write(b'{"status": "SUCCEEDED"}')

    # When a new one fails half way
    with pytest.raises(WorkerKilledError), sink.create("summary.json") as stream:
        stream.write(b'{"stat')
        raise WorkerKilledError

    # Then the earlier file is untouched and no temporary file is left
    assert (tmp_path / "summary.json").read_bytes() == b'{"status": "SUCCEEDED"}'
    assert all_files(tmp_path) == ["summary.json"]


def test_a_crash_in_the_middle_of_a_run_leaves_no_import_file(tmp_path: Path, config: PipelineConfig) -> None:
    # Given 50 calls in parts of 10, whose source dies after the third part
    calls = as_parts(_calls(50), size=10)

    # When they are transformed
    with pytest.raises(WorkerKilledError):
        transform_validated(
            _crash_after(3, calls),
            valid_report(50, config),
            config,
            LocalDirectory(tmp_path),
            LocalDirectory(tmp_path / "work"),
        )

    # Then no Organizer or VAN file exists under any name, final or temporary
    assert all_files(tmp_path) == []


def test_a_crash_after_a_split_leaves_no_file(tmp_path: Path) -> None:
    # Given a size limit that closes an Organizer file every few rows, and a run fed in batches of
    # 15 calls, as the validator feeds it, that dies after its third batch
    config = build_config({"limits": {"organizer_max_file_bytes": 1024}})
    calls = _calls(60)

    # When they are transformed
    with pytest.raises(WorkerKilledError), OpenFiles() as files:
        imports = ImportFiles(config, LocalDirectory(tmp_path), files, LocalDirectory(tmp_path / "work"))
        imports.add_all(Interaction.frame(calls[start : start + 15]) for start in range(0, 45, 15))
        raise WorkerKilledError

    # Then no file is left, not even the Organizer files closed before the crash: an import file
    # without its run's summary could be imported twice
    assert all_files(tmp_path) == []


def test_a_split_run_that_ends_well_commits_every_file(tmp_path: Path) -> None:
    # Given the same size limit and calls, and a run that ends normally
    config = build_config({"limits": {"organizer_max_file_bytes": 1024}})

    # When they are transformed
    with OpenFiles() as files:
        imports = ImportFiles(config, LocalDirectory(tmp_path), files, LocalDirectory(tmp_path / "work"))
        imports.add_all([Interaction.frame(_calls(60))])

    # Then several complete, valid Organizer files hold every call once
    organizer = [name for name in all_files(tmp_path) if name.startswith("organizer/")]
    assert len(organizer) > 1
    ids = []
    for name in organizer:
        assert organizer_file_problems(tmp_path / name) == []
        ids += [row["Profile ID"] for row in read_rows(tmp_path / name)]
    assert sorted(ids) == sorted(f"OP-{row}" for row in range(2, 62))


class _DiskFillsUp:
    """A local folder whose files fail with ENOSPC after `capacity` bytes in all."""

    def __init__(self, root: Path, capacity: int) -> None:
        self._inner = LocalDirectory(root)
        self._left = capacity

    @contextmanager
    def _create(self, name: str) -> Iterator[BinaryIO]:
        with self._inner.create(name) as stream:
            yield _Limited(stream, self)

    def create(self, name: str) -> AbstractContextManager[BinaryIO]:
        return self._create(name)

    def location(self, name: str) -> str:
        return self._inner.location(name)

    def take(self, size: int) -> None:
        if size > self._left:
            raise OSError(28, "No space left on device")
        self._left -= size


class _Limited(io.RawIOBase):
    def __init__(self, stream: BinaryIO, disk: _DiskFillsUp) -> None:
        self._stream, self._disk = stream, disk

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._disk.take(len(data))
        return self._stream.write(data)


def test_a_disk_that_fills_up_leaves_no_file(tmp_path: Path, config: PipelineConfig) -> None:
    # Given an output that fails after 3 kB
    sink = _DiskFillsUp(tmp_path, 3000)

    # When 100 calls are transformed
    with pytest.raises(OSError, match="No space left"):
        transform_validated(as_parts(_calls(100)), valid_report(100, config), config, sink, sink)  # type: ignore[arg-type]

    # Then nothing is left behind
    assert all_files(tmp_path) == []


def test_a_corrupt_validated_part_stops_the_run_before_any_summary(
    tmp_path: Path, config: PipelineConfig
) -> None:
    # Given the validator's parts, the second of which was cut short
    work = LocalDirectory(tmp_path / "work")
    for number, part in enumerate(as_parts(_calls(40), size=20), start=1):
        with work.create(VALIDATED_PART.format(number)) as stream:
            data = io.BytesIO()
            part.write_parquet(data)
            stream.write(data.getvalue()[: None if number == 1 else 100])
    report = valid_report(40, config).model_copy(update={"validated_parts": 2})

    # When the transform step reads them
    with pytest.raises(pl.exceptions.PolarsError):
        transform_step(work, report, config, LocalDirectory(tmp_path / "out"))

    # Then neither an import file nor a summary claims a finished run
    assert not (tmp_path / "out").exists() or all_files(tmp_path / "out") == []


class _RefusesToCommit(LocalDirectory):
    """A folder whose file `refused` cannot be committed (a full disk, a throttled S3 completion)."""

    def __init__(self, root: Path, refused: str) -> None:
        super().__init__(root)
        self.refused = refused

    @contextmanager
    def create(self, name: str) -> Iterator[BinaryIO]:
        with super().create(name) as stream:
            yield stream
            if name == self.refused:
                raise OSError("no space left on device")


def test_a_file_that_cannot_be_committed_discards_the_files_not_yet_committed(tmp_path: Path) -> None:
    # Given three open files, the second of which cannot be committed
    sink = _RefusesToCommit(tmp_path, "b.csv")

    # When the block ends normally and the commits run in order
    with pytest.raises(OSError, match="no space"), OpenFiles() as files:
        for name in ("a.csv", "b.csv", "c.csv"):
            files.open_csv(sink, name, ["header"]).write_encoded(b"value\r\n")

    # Then the file committed before it stays whole, and neither it nor the ones after it appear
    assert all_files(tmp_path) == ["a.csv"]


def test_discarded_files_never_appear(tmp_path: Path) -> None:
    # Given three files written
    sink = LocalDirectory(tmp_path)
    with OpenFiles() as files:
        for name in ("a.csv", "b.csv", "c.csv"):
            files.open_csv(sink, name, ["header"]).write_encoded(b"value\r\n")

        # When the run turns out not to need them, and its block ends normally
        files.discard()

    # Then none appears, and nothing temporary is left
    assert all_files(tmp_path) == []
