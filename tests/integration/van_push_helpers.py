"""What the VAN push tests share: a push on the local moto stack, against our local VAN (tests/fake_van.py).

Each run uploads the Impactive sample (55 VAN records) with every VAN result ID configured and the
push enabled, and ends in one notification; the input stays in archive/ and every file in runs/.
The poll interval is 1 s and Retry waits up to 1 s: moto's interpreter really sleeps.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml
from fake_van import RESULT_IDS, FakeVan, Scenario

from phonebank_local.stack import LocalStack

from .moto_helpers import IMPACTIVE_SAMPLE

APP = "phonebank-sync-test"
KEY = "vanKEY-7f3c9a1e-2b4d-4e6f-8a0b-c1d2e3f4a5b6"
SAMPLE_KEY = "incoming/impactive-sample.csv"
RECORDS = 55
REFUSED = {"100200302": "Invalid Result", "100200306": "Contact Type is not valid for this committee"}
LEFT_OUT = {"100200310"}
# The sample's spreadsheet rows of those VAN IDs (header = row 1).
ROWS_OF = {"100200302": 3, "100200306": 7, "100200310": 11}


@dataclass
class PushRun:
    stack: LocalStack
    van: FakeVan
    execution: dict[str, Any]
    notification: dict[str, Any]
    log: io.StringIO

    @property
    def message(self) -> str:
        return str(self.notification["message"])

    def run_prefix(self) -> str:
        (summary,) = [
            k for k in self.stack.object_keys("runs/impactive-sample/") if k.endswith("summary.json")
        ]
        return summary.removesuffix("summary.json")

    def summary(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.stack.read(self.run_prefix() + "summary.json"))
        return loaded

    def run_files(self) -> set[str]:
        prefix = self.run_prefix()
        return {key.removeprefix(prefix) for key in self.stack.object_keys(prefix)}

    def task_errors(self, state: str) -> list[str | None]:
        """Each attempt of `state`'s task: its error name, or None when it succeeded."""
        outcomes: list[str | None] = []
        current = ""
        for event in self.stack.history(self.execution["executionArn"]):
            current = event.get("stateEnteredEventDetails", {}).get("name", current)
            if current != state:
                continue
            if event["type"] == "TaskFailed":
                outcomes.append(event["taskFailedEventDetails"]["error"])
            elif event["type"] == "TaskSucceeded":
                outcomes.append(None)
        return outcomes


def _fetch(url: str) -> bytes:
    """VAN downloads the zip from the presigned link: moto serves it, in this process."""
    response = requests.get(url, timeout=30)
    response.raise_for_status()
    return response.content


def _config(tmp_path: Path, van: FakeVan, **push: Any) -> Path:
    settings = {
        "van": {"result_ids": RESULT_IDS, "canvassed_by": 4242},
        "van_push": {
            "enabled": True,
            "application_name": APP,
            "api_url": van.api_url,
            "poll_seconds": 1,
            "deadline_minutes": 2,
            "source_url_minutes": 15,
            **push,
        },
    }
    path = tmp_path / "phonebank.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def pushed_run(
    tmp_path: Path,
    scenario: Scenario,
    result_ids: dict[str, int] | None = None,
    parameters: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    **push: Any,
) -> Iterator[PushRun]:
    """The sample uploaded to a local stack whose VAN (ours) answers as `scenario` says, yielded once the
    run has notified; `push` overrides the configuration's van_push settings."""
    log = io.StringIO()
    with FakeVan(APP, KEY, fetch=_fetch, scenario=scenario) as van:
        config = _config(tmp_path, van, **push)
        if result_ids is not None:
            text = yaml.safe_load(config.read_text())
            text["van"]["result_ids"] = result_ids
            config.write_text(yaml.safe_dump(text))
        secrets = {"VanApiKeySecretArn": KEY} if secrets is None else secrets
        with LocalStack(log=log, config=config, secrets=secrets, parameters=parameters) as stack:
            stack.upload(SAMPLE_KEY, IMPACTIVE_SAMPLE.read_bytes())
            (execution,) = stack.wait_for_executions(timeout=120)
            (notification,) = stack.notifications()
            yield PushRun(stack, van, execution, notification, log)


def _assert_everything_kept(run: PushRun, bulk: bool = True) -> None:
    """The input is in archive/ as uploaded, and the run's import files are all there (without the
    bulk-import file when no result ID is configured)."""
    assert set(run.stack.object_keys("incoming/")) == set()
    (archived,) = run.stack.object_keys("archive/impactive-sample/")
    assert run.stack.read(archived) == IMPACTIVE_SAMPLE.read_bytes()
    files = run.run_files()
    expected = {
        "errors.csv",
        "duplicates.csv",
        "summary.json",
        "organizer/organizer-phone-interactions-01.csv",
        "van/van-canvass-results-by-name.csv",
    }
    if bulk:
        expected.add("van/van-canvass-results-bulk-import.csv")
    assert expected <= files
    # And the bulk-import file's row map is a working file, under work/, not beside the import files
    assert not [name for name in files if "rows" in name]
    assert (
        bool([k for k in run.stack.object_keys("work/") if k.endswith("/van-bulk-import-rows.csv")]) == bulk
    )


def _steps(message: str) -> str:
    return message.split("\n\nRows\n", maxsplit=1)[0]


def _counts(message: str) -> dict[str, str]:
    """The email's VAN push section: each count by its label."""
    section = message.split("\nNGP VAN push")[1].split("\n\n", maxsplit=1)[0]
    return dict(re.findall(r"^  ([a-z ]+?) +([\d,]+)", section, re.MULTILINE))


WITH_ERRORS = (
    Scenario(
        statuses=["InProgress", "CompletedWithErrors"], refuse=REFUSED, leave_out=LEFT_OUT, results_files=2
    ),
    {},
)
