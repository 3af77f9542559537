"""Where the export ledger keeps its objects: a folder (`phonebank run --ledger PATH`) or an S3 prefix.

The ledger needs three things of a store, and both give them: read an object with a version tag,
write it only if it is still that version (or only if it is not there), and list a folder's objects
with the time each was written. Everything else (claims, commits, voids) is built on those.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from phonebank.sinks import on_s3

if TYPE_CHECKING:
    # storage imports boto3: a fifth of the command line's start, which only the S3 store needs.
    from phonebank.storage import ObjectRef, S3Storage


class LedgerStore(Protocol):
    location: str
    """Where the ledger is, as a person would look for it: a folder or an s3:// URI ending in /."""
    parallel: int
    """How many objects to read and write at once."""

    def read(self, name: str) -> tuple[bytes, str] | None:
        """The object `name` (may hold '/') and its version tag, or None when there is none."""
        ...

    def write(self, name: str, data: bytes, replacing: str | None) -> bool:
        """Write `name` only if it is still version `replacing`, or, with None, only if there is none.
        False when another writer came first: the caller reads again."""
        ...

    def written_at(self, folder: str) -> dict[str, datetime]:
        """The names in `folder` (ending in '/'), without it, and when each was written."""
        ...


class S3LedgerStore:
    """The ledger under a prefix of a bucket, with S3's conditional writes (If-Match, If-None-Match)."""

    parallel = 16
    """S3 answers each request in tens of milliseconds, mostly waiting: a Lambda's one vCPU keeps many
    going (botocore's pool holds 10 connections; the rest wait their turn)."""

    def __init__(self, storage: S3Storage, bucket: str, prefix: str) -> None:
        self._storage, self._bucket, self._prefix = storage, bucket, prefix
        self.location = f"s3://{bucket}/{prefix}"

    @classmethod
    def at(cls, storage: S3Storage, uri: str) -> S3LedgerStore:
        """`s3://bucket/prefix/`, as the transform function's PHONEBANK_LEDGER_URI names it."""
        located = on_s3(uri)
        if located is None:
            raise ValueError("the ledger's location on S3 must be an s3:// URI")
        bucket, prefix = located
        return cls(storage, bucket, prefix if not prefix or prefix.endswith("/") else prefix + "/")

    def _ref(self, name: str) -> ObjectRef:
        from phonebank.storage import ObjectRef  # noqa: PLC0415 (boto3: see the import above)

        return ObjectRef(self._bucket, self._prefix + name)

    def read(self, name: str) -> tuple[bytes, str] | None:
        return self._storage.read_with_etag(self._ref(name))

    def write(self, name: str, data: bytes, replacing: str | None) -> bool:
        return self._storage.put_if_unchanged(self._ref(name), data, replacing)

    def written_at(self, folder: str) -> dict[str, datetime]:
        listed = self._storage.written_at(self._bucket, self._prefix + folder)
        return {key.removeprefix(self._prefix + folder): when for key, when in listed.items()}


class FolderLedgerStore:
    """The ledger in a local folder. A write is a new file renamed over the old one, under an exclusive
    lock of the folder, once the old one is found unchanged: two `phonebank run --ledger` at once take
    turns, as two conditional writes to S3 do."""

    _LOCK = ".lock"
    parallel = 1
    """A local disk answers at once: threads would only take turns on the CPU."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self.location = f"{root}{os.sep}"

    def read(self, name: str) -> tuple[bytes, str] | None:
        try:
            with (self._root / name).open("rb") as stream:
                return stream.read(), _version(os.fstat(stream.fileno()))
        except FileNotFoundError:
            return None

    def write(self, name: str, data: bytes, replacing: str | None) -> bool:
        final = self._root / name
        final.parent.mkdir(parents=True, exist_ok=True)
        written = final.with_name(f".{final.name}.{uuid.uuid4().hex}.part")
        written.write_bytes(data)
        try:
            with self._locked():
                try:
                    current: str | None = _version(final.stat())
                except FileNotFoundError:
                    current = None
                if current != replacing:
                    return False
                os.replace(written, final)
                return True
        finally:
            written.unlink(missing_ok=True)

    def written_at(self, folder: str) -> dict[str, datetime]:
        try:
            entries = list((self._root / folder).iterdir())
        except FileNotFoundError:
            return {}
        return {
            entry.name: datetime.fromtimestamp(entry.stat().st_mtime, UTC)
            for entry in entries
            if not entry.name.startswith(".")
        }

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._root.mkdir(parents=True, exist_ok=True)
        with (self._root / self._LOCK).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _version(stat: os.stat_result) -> str:
    # A rename puts a new inode in place: the same inode, time and size is the same file.
    return f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"
