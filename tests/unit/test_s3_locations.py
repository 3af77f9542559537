"""A location on S3 is read in one place (`sinks.on_s3`); a setting that must name one and does not is
refused, not read as a bucket."""

from __future__ import annotations

import pytest

from phonebank.ledger_store import S3LedgerStore
from phonebank.sinks import on_s3
from phonebank.storage import ObjectRef, S3Storage


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("s3://bucket/uploads/gotv/export.csv", ("bucket", "uploads/gotv/export.csv")),
        ("s3://bucket/ledger/", ("bucket", "ledger/")),
        ("s3://bucket", ("bucket", "")),
        ("/home/manager/out/errors.csv", None),
        ("out/s3://bucket/key", None),
    ],
)
def test_a_location_on_s3_gives_its_bucket_and_key(location: str, expected: tuple[str, str] | None) -> None:
    # Given where a file is, as a summary or a setting names it
    # When it is read as a place on S3
    # Then an s3:// URI gives its bucket and key, and a path nothing
    assert on_s3(location) == expected


# A client that is never called: only where the names point is asked.
STORAGE = S3Storage(client=object())


def test_an_object_and_a_ledger_are_named_by_s3_uris() -> None:
    # Given settings that name an object and a ledger on S3
    # When they are read
    # Then each is found where its URI says
    assert ObjectRef.from_uri("s3://bucket/config/a.yaml") == ObjectRef("bucket", "config/a.yaml")
    assert S3LedgerStore.at(STORAGE, "s3://bucket/ledger").location == "s3://bucket/ledger/"


@pytest.mark.parametrize("setting", ["bucket/config/pipeline.yaml", "/var/ledger/", ""])
def test_a_setting_that_is_not_an_s3_uri_is_refused(setting: str) -> None:
    # Given a setting that should name a place on S3 but is a path
    # When an object or a ledger is looked for there
    # Then it is refused, rather than its first part taken for a bucket
    with pytest.raises(ValueError, match="s3://"):
        ObjectRef.from_uri(setting)
    with pytest.raises(ValueError, match="s3://"):
        S3LedgerStore.at(STORAGE, setting)
