"""Every output of the sample exports, byte for byte, against files checked by hand against the spec.

To regenerate after an intended change, run
    PHONEBANK_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_golden.py
then read `git diff tests/golden` line by line against docs before committing it (tests/golden/README.md).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import EVENTS, ROOT
from test_transform_mapping import RESULT_IDS
from transform_helpers import NOW, run_pipeline

from phonebank.config import build_config

GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("PHONEBANK_UPDATE_GOLDEN") == "1"
OUT_PLACEHOLDER = "<out>"

CONFIGS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "van-ids": {"van": {"result_ids": RESULT_IDS, "canvassed_by": 4242}},
    "day-first": {"date_order": "DMY"},
    "lenient": {"limits": {"max_reject_rate": 0.5}},
}
CASES = [
    *((sample, name) for sample in ("impactive", "thrutalk") for name in ("defaults", "van-ids")),
    # Semicolons, Windows-1252 and day-first dates: FAILED unless the configuration says DMY.
    ("dayfirst", "defaults"),
    ("dayfirst", "day-first"),
    # Other dialers' headers, outcomes, date forms and zone labels, a foreign phone, a formula effort.
    ("peer-formats", "lenient"),
]


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()
    }


def run_outputs(out: Path) -> dict[str, bytes]:
    """The run's files; summary.json with the output folder's path, which differs per machine, masked."""
    files = _files(out)
    files["summary.json"] = files["summary.json"].replace(
        str(out).encode("utf-8"), OUT_PLACEHOLDER.encode("utf-8")
    )
    return files


@pytest.mark.parametrize(("sample", "config_name"), CASES, ids=[f"{s}-{c}" for s, c in CASES])
def test_sample_outputs_match_the_golden_files(tmp_path: Path, sample: str, config_name: str) -> None:
    # Given a sample export, a configuration and a fixed clock
    source = EVENTS / f"{sample}-sample.csv"
    out = tmp_path / "out"

    # When it runs through the two steps every entry point runs
    run_pipeline(
        source.read_bytes(), out, build_config(CONFIGS[config_name]), name=f"events/{source.name}", now=NOW
    )

    # Then every file written is the golden one, byte for byte, and no golden file is missing
    produced = run_outputs(out)
    golden = GOLDEN / sample / config_name
    if UPDATE:
        shutil.rmtree(golden, ignore_errors=True)
        for name, content in produced.items():
            (golden / name).parent.mkdir(parents=True, exist_ok=True)
            (golden / name).write_bytes(content)
    expected = _files(golden)
    assert sorted(produced) == sorted(expected)
    for name, content in expected.items():
        assert produced[name] == content, f"{name} differs from {golden / name}"
