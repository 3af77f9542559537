"""The cyclic collector runs rarely while a file's rows are worked through, and as before after."""

from __future__ import annotations

import gc
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from transform_helpers import interaction, valid_report
from validation_helpers import IMPACTIVE_HEADER, NOW, csv_bytes, impactive_row

from phonebank.collector import ROWS_THRESHOLD, collecting_rarely
from phonebank.config import PipelineConfig
from phonebank.models.interaction import Call
from phonebank.sinks import LocalDirectory
from phonebank.transform import ImportFiles, transform_validated
from phonebank.validate import InputFile, validate_upload


@pytest.fixture
def default_thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_the_threshold_is_raised_inside_and_restored_after_even_on_failure(
    default_thresholds: tuple[int, int, int],
) -> None:
    # Given the collector's default thresholds
    # When a block runs collecting rarely, and fails
    inside = None
    with pytest.raises(RuntimeError), collecting_rarely():
        inside = gc.get_threshold()
        raise RuntimeError("a file's failure")

    # Then the first threshold was raised inside, the others kept, and all are as before after it
    assert inside == (ROWS_THRESHOLD, 10, 10)
    assert gc.get_threshold() == default_thresholds


def test_validation_and_the_transform_work_through_the_rows_collecting_rarely(
    tmp_path: Path,
    config: PipelineConfig,
    default_thresholds: tuple[int, int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a small file, and the thresholds seen by the step that takes each batch of accepted rows
    seen: list[int] = []
    data = csv_bytes(IMPACTIVE_HEADER, [impactive_row(profile_id=f"OP-{n}") for n in range(5)])

    def accept(calls: Sequence[Call]) -> None:
        seen.append(gc.get_threshold()[0])

    add = ImportFiles.add

    def add_and_look(self: ImportFiles, calls: Sequence[Call]) -> None:
        seen.append(gc.get_threshold()[0])
        add(self, calls)

    monkeypatch.setattr(ImportFiles, "add", add_and_look)

    # When the file is validated with the batches handed on, and accepted rows are transformed apart
    upload = InputFile(name="upload.csv", stream=io.BytesIO(data), size=len(data))
    report = validate_upload(upload, config, LocalDirectory(tmp_path / "v"), None, NOW, accept=accept)
    transform_validated([interaction(2)], valid_report(1, config), config, LocalDirectory(tmp_path / "t"))

    # Then both worked collecting rarely, and the thresholds are back as they were
    assert report.status == "VALID"
    assert seen == [ROWS_THRESHOLD, ROWS_THRESHOLD]
    assert gc.get_threshold() == default_thresholds
