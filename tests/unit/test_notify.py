"""The email: a subject SNS accepts, a body that says what happened and what to do."""

from __future__ import annotations

import pytest

from phonebank.models.summary import RowCounts, Summary
from phonebank.notify import render, subject_for


def _summary(input_name: str, status: str = "SUCCEEDED") -> Summary:
    return Summary.model_validate(
        {"status": status, "input": input_name, "max_reject_rate": 0.05, "counts": RowCounts(rows_read=1)}
    )


@pytest.mark.parametrize(
    "name",
    ["s3://b/incoming/Résultats d’appels — José.csv", "s3://b/incoming/" + "x" * 200 + ".csv", "a\tb\nc.csv"],
)
def test_the_subject_is_printable_ascii_under_100_characters(name: str) -> None:
    # Given a file whose name has accents, typographic quotes, control characters or great length
    # When the subject is built
    subject = subject_for(_summary(name))
    # Then SNS accepts it: printable ASCII, fewer than 100 characters, still naming the status
    assert subject.isascii() and subject.isprintable()
    assert len(subject) < 100
    assert subject.startswith("phonebank-sync SUCCEEDED: ")


def test_an_accented_name_keeps_its_letters() -> None:
    assert subject_for(_summary("s3://b/incoming/José.csv")) == "phonebank-sync SUCCEEDED: Jose.csv"


def test_a_rejected_run_tells_the_reader_what_to_do() -> None:
    body = render(_summary("s3://b/incoming/calls.csv", "REJECTED"))
    assert "Status: REJECTED" in body
    assert "fix the values" in body
