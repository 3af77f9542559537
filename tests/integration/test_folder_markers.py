"""Folder markers, empty objects and odd keys on the local stack: none starts a run or sends an email."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from phonebank_local.stack import LocalStack

from .moto_helpers import impactive_csv


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with LocalStack(log=io.StringIO()) as running:
        yield running


@pytest.mark.parametrize(
    "key",
    ["incoming/", "incoming/effort1/", "incoming/effort1/calls.csv"],
    ids=["incoming", "folder", "empty"],
)
def test_an_empty_object_starts_no_run(stack: LocalStack, key: str) -> None:
    # When the console's "Create folder" writes a marker, or an empty file is uploaded
    stack.upload(key, b"")

    # Then the rule starts no execution (S3's event reaches the rule as the upload returns), and no email
    assert stack.executions() == []
    assert stack.notifications() == []
    # And the object is left where it was
    assert set(stack.object_keys("incoming/")) == {key}


def test_a_key_ending_in_a_slash_with_bytes_in_it_ends_quietly(stack: LocalStack) -> None:
    # Given a "folder" written through the API with a body, which the rule's size filter lets through
    stack.upload("incoming/effort1/", impactive_csv(3, 0))

    # When its execution ends
    (execution,) = stack.wait_for_executions()

    # Then it succeeded without running a function or sending an email, and nothing was written or moved
    assert execution["status"] == "SUCCEEDED"
    entered = [
        event["stateEnteredEventDetails"]["name"]
        for event in stack.history(execution["executionArn"])
        if "stateEnteredEventDetails" in event
    ]
    assert entered == ["Is It A File?", "Not A File"]
    assert stack.notifications() == []
    assert set(stack.object_keys()) == {"incoming/effort1/"}
