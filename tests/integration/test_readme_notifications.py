"""The README shows each kind of email as the local stack sends it: regenerated here, so it cannot drift.

`PHONEBANK_UPDATE_README=1` rewrites the README's examples from this run instead of comparing them.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from typing import Any

import pytest

from phonebank_local.stack import LocalStack
from phonebank_local.template import ROOT

from .moto_helpers import IMPACTIVE_SAMPLE, impactive_csv

README = ROOT / "README.md"
# What differs from one run to the next: each upload's run id (in links, and where the ledger names a
# run), each execution's name.
RUN_ID = re.compile(r"(?:(?<=%2F)|(?<=/)|(?<=run )|(?<=run: ))[0-9a-f]{16}(?=%2F|/|:|\)| \()")
EXECUTION = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SHOWN_RUN_IDS = ("0123456789abcdef", "fedcba9876543210")
SHOWN_EXECUTION = "6e1c3a52-86d2-4f31-9d2c-1b0e7a4c2f90"


def _break_the_transform(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in the transform: the handler reports it by its type only (phonebank.observability)."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("a bug")

    monkeypatch.setattr("phonebank.lambdas.transform_step", broken)


Setup = Callable[[pytest.MonkeyPatch], None]
EXAMPLES: dict[str, tuple[str, bytes, Setup | None]] = {
    "succeeded": ("incoming/GOTV Weekend 1/calls.csv", impactive_csv(6, 0), None),
    "succeeded with rows to fix": ("incoming/impactive-sample.csv", IMPACTIVE_SAMPLE.read_bytes(), None),
    "rejected": ("incoming/calls.csv", impactive_csv(20, 10), None),
    "failed": (
        "incoming/calls.csv",
        b"Profile ID,Phone,Date/Time,Effort\r\nOP-1,2025550142,2024-10-01,E\r\n",
        None,
    ),
    "pipeline error": ("incoming/calls.csv", impactive_csv(6, 0), _break_the_transform),
    "succeeded, some calls already exported": (
        "incoming/GOTV Weekend 1/calls-to-date.csv",
        impactive_csv(10, 0),
        None,
    ),
}
EARLIER: dict[str, tuple[str, bytes]] = {
    # The first six calls of the export to date, uploaded and imported the day before.
    "succeeded, some calls already exported": ("incoming/GOTV Weekend 1/calls.csv", impactive_csv(6, 0)),
}


def _email(key: str, body: bytes, earlier: tuple[str, bytes] | None) -> str:
    with LocalStack(log=io.StringIO()) as stack:
        if earlier:
            stack.upload(*earlier)
            stack.wait_for_executions()
            stack.notifications()
        stack.upload(key, body)
        stack.wait_for_executions(2 if earlier else 1)
        (notification,) = stack.notifications()
    return as_shown(f"Subject: {notification['subject']}\n\n{notification['message']}")


def as_shown(email: str) -> str:
    """The email as the README shows it: each run id as it first appears, this run's first, and the
    execution's name, the same every time."""
    shown = dict(zip(dict.fromkeys(RUN_ID.findall(email)), SHOWN_RUN_IDS, strict=False))
    return EXECUTION.sub(SHOWN_EXECUTION, RUN_ID.sub(lambda found: shown[found.group()], email))


def email_block(name: str) -> re.Pattern[str]:
    """Where the README shows the email `name`: its marker and fence (groups 1 and 3) around it (2)."""
    return re.compile(rf"(<!-- email: {re.escape(name)} -->\n```text\n)(.*?)(\n```)", re.DOTALL)


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_readme_shows_the_email_as_it_is_sent(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given one kind of run on the local stack
    key, body, setup = EXAMPLES[name]
    if setup:
        setup(monkeypatch)

    # When its file is uploaded and the flow ends
    email = _email(key, body, EARLIER.get(name))

    # Then the README shows that email, word for word
    readme = README.read_text(encoding="utf-8")
    if os.environ.get("PHONEBANK_UPDATE_README"):
        README.write_text(
            email_block(name).sub(lambda m: m.group(1) + email + m.group(3), readme), encoding="utf-8"
        )
        readme = README.read_text(encoding="utf-8")
    shown = email_block(name).search(readme)
    assert shown is not None, f"README.md has no example for {name}"
    assert shown.group(2) == email
