"""`phonebank local FILE`: the whole flow on the local stack, as the README describes the command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from phonebank.cli import main

from .moto_helpers import EVENTS, IMPACTIVE_SAMPLE, impactive_csv

EXAMPLE_CONFIG = EVENTS / "campaign-config.example.yaml"


def _local(source: Path, out: Path, *options: str) -> int:
    return main(["local", str(source), "--out", str(out), *options])


def _run_folders(out: Path, name: str) -> list[Path]:
    return sorted(path for path in (out / "runs" / name).iterdir() if path.is_dir())


def _summary(out: Path, name: str) -> dict[str, Any]:
    (run,) = _run_folders(out, name)
    loaded: dict[str, Any] = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    return loaded


def test_the_configuration_given_is_the_one_the_functions_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the README's example configuration: every VAN result has an ID, and the Last Called At
    # instruction is on
    # When the sample runs on the local stack without it, and with it
    assert _local(IMPACTIVE_SAMPLE, tmp_path / "defaults") == 0
    assert _local(IMPACTIVE_SAMPLE, tmp_path / "example", "--config", str(EXAMPLE_CONFIG)) == 0
    printed = capsys.readouterr().out

    # Then only with it is the bulk-import file written
    without, example = (
        _summary(tmp_path / "defaults", "impactive-sample"),
        _summary(tmp_path / "example", "impactive-sample"),
    )
    bulk = "van/van-canvass-results-bulk-import.csv"
    assert bulk not in {file["name"] for file in without["files"]}
    assert bulk in {file["name"] for file in example["files"]}
    # And it was read where the deployed stack reads it: the object ConfigKey names
    assert "config/campaign-config.example.yaml" in printed
    # And the email counts VAN calls and the records of the file: with Last Called At, one more record for
    # each call that has a result of its own
    van = example["systems"]["van"]["written"]
    (by_name,) = [file for file in example["files"] if file["name"] == "van/van-canvass-results-by-name.csv"]
    assert van < by_name["records"] <= 2 * van
    assert f"NGP VAN: {van} calls written, as {by_name['records']} records in the by-name file" in printed


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [(impactive_csv(20, 10), 1, "REJECTED"), (b"\r\n\r\n", 2, "FAILED")],
    ids=["rejected", "blank lines only"],
)
def test_a_rejected_or_unreadable_file_prints_one_line_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: bytes, code: int, status: str
) -> None:
    # Given a file with too many bad rows, or one of blank lines only
    source = tmp_path / "calls.csv"
    source.write_bytes(body)

    # When it runs on the local stack
    exit_code = _local(source, tmp_path / "out")

    # Then stderr holds one line saying how the run ended, and none of the interpreter's internals
    err = capsys.readouterr().err
    assert exit_code == code
    assert err.count("\n") == 1
    assert err.startswith(f"phonebank: the run ended {status}. ")
    # And the interpreter's record of the Fail state is in the stack's log instead
    logs = (tmp_path / "out" / "lambda-logs.jsonl").read_text(encoding="utf-8").splitlines()
    assert any(json.loads(line).get("logger", "").startswith("moto.stepfunctions") for line in logs)


def test_an_empty_file_is_refused_before_it_is_uploaded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an empty file, which starts no run on AWS (the rule only takes objects with bytes)
    source = tmp_path / "calls.csv"
    source.write_bytes(b"")

    # When it is run on the local stack
    exit_code = _local(source, tmp_path / "out")

    # Then one line says why nothing runs, at once, rather than a wait for a run that never starts
    err = capsys.readouterr().err
    assert exit_code == 2
    assert err == "phonebank: the file is empty: an empty upload starts no run. Export the calls again.\n"


def test_a_second_run_of_a_file_replaces_the_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the sample run once into a folder, and another input's run beside it
    out = tmp_path / "out"
    other = tmp_path / "other.csv"
    other.write_bytes(impactive_csv(3, 0))
    assert _local(other, out) == 0
    assert _local(IMPACTIVE_SAMPLE, out) == 0
    (first,) = _run_folders(out, "impactive-sample")

    # When it runs again (a new upload, so a new run id)
    assert _local(IMPACTIVE_SAMPLE, out) == 0

    # Then only the newest run of that file is there, named in the output, and the other input's run stays
    (second,) = _run_folders(out, "impactive-sample")
    assert second != first
    assert f"copied to {second}/" in capsys.readouterr().out
    assert len(_run_folders(out, "other")) == 1
