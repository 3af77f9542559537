"""S3 (and Secrets Manager, for the VAN push's key): the only module that talks to AWS. Reads stream,
writes appear only when complete."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO, cast
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools.utilities.streaming import S3Object
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from smart_open import s3 as smart_s3

from phonebank.errors import PhonebankError, StorageUnavailable
from phonebank.sinks import on_s3

# Errors S3 itself calls retryable: the state machine retries the step on StorageUnavailable.
_TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "InternalError",
        "ServiceUnavailable",
        "503",
        "500",
    }
)
# Each open output buffers one part in memory; 8 MiB keeps many open files within a Lambda's memory.
_PART_SIZE = 8 * 1024 * 1024


class StorageError(PhonebankError):
    """S3 refused for good (access denied, no such bucket or key): retrying will not help."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


_NOT_FOUND = frozenset({"404", "NoSuchKey", "NoSuchVersion"})
_ALREADY_EXISTS = frozenset({"412", "PreconditionFailed"})
# S3 answers a conditional write that lost a race 412, or 409 when another such write was in flight; a
# key deleted since it was read answers 404.
_CHANGED_SINCE_READ = _ALREADY_EXISTS | _NOT_FOUND | {"409", "ConditionalRequestConflict"}


@dataclass(frozen=True)
class ObjectRef:
    bucket: str
    key: str
    version_id: str | None = None

    @classmethod
    def from_uri(cls, uri: str) -> ObjectRef:
        """The object an `s3://bucket/key` location names (a setting, or a location a step passed on)."""
        located = on_s3(uri)
        if located is None:
            raise ValueError("an object on S3 is named by an s3:// URI")
        return cls(*located)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@contextlib.contextmanager
def _s3_errors(what: str) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        raise _refusal(exc, what) from exc
    except ValueError as exc:
        # smart_open reports a refused CreateMultipartUpload, a throttled one included, as a ValueError.
        if not isinstance(exc.__cause__, ClientError):
            raise
        raise _refusal(exc.__cause__, what) from exc
    except BotoCoreError as exc:
        raise StorageUnavailable(f"could not reach S3 while {what} ({type(exc).__name__})") from exc


def _refusal(exc: ClientError, what: str) -> PhonebankError:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    if code in _TRANSIENT_CODES:
        return StorageUnavailable(f"S3 was unavailable while {what} ({code}); retrying helps")
    return StorageError(f"S3 refused {what} ({code})", code)


class _S3Reader(S3Object):
    """Powertools' ranged reads, with S3's errors translated like every other call's: a read throttled
    mid-file is StorageUnavailable, which the state machine retries, not an unexpected error."""

    def read(self, size: int = -1) -> bytes:
        with _s3_errors(f"reading s3://{self.bucket}/{self.key}"):
            data: bytes = super().read(size)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        with _s3_errors(f"reading s3://{self.bucket}/{self.key}"):
            line: bytes = super().readline(size)
        return line


class _S3Writer:
    """smart_open's upload stream, with S3's errors translated on each write: a write that fills a part
    uploads it, and the caller, not this module's `with`, is the first to see that upload fail."""

    def __init__(self, stream: io.BufferedIOBase, what: str) -> None:
        self._stream, self._what = stream, what

    def write(self, data: bytes) -> int:
        with _s3_errors(self._what):
            return self._stream.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class S3Folder:
    """An OutputSink on an S3 prefix: each file is a multipart upload, completed only on success."""

    def __init__(self, storage: S3Storage, bucket: str, prefix: str) -> None:
        self._storage, self.bucket, self.prefix = storage, bucket, prefix

    @contextlib.contextmanager
    def create(self, name: str) -> Iterator[BinaryIO]:
        with _s3_errors(f"writing {name}"):
            stream = smart_s3.MultipartWriter(
                self.bucket, self.prefix + name, part_size=_PART_SIZE, client=self._storage.client
            )
            try:
                yield cast(BinaryIO, _S3Writer(stream, f"writing {name}"))
                stream.close()
            except BaseException:
                # smart_open aborts the upload when the block fails, but not when completing it does.
                stream.terminate()
                raise

    def location(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{name}"

    def open(self, name: str) -> BinaryIO:
        return self._storage.open(ObjectRef(self.bucket, self.prefix + name))


def key_spellings(key: str) -> list[str]:
    """Event keys may arrive URL-encoded ('my+file.csv'): the key as written, then decoded if different."""
    decoded = unquote_plus(key)
    return [key] + ([decoded] if decoded != key else [])


class S3Storage:
    def __init__(self, client: Any = None) -> None:
        self.client: Any = client or boto3.client("s3")
        self._presigner: Any = None

    def folder(self, bucket: str, prefix: str) -> S3Folder:
        return S3Folder(self, bucket, prefix)

    def resolve(self, ref: ObjectRef) -> tuple[ObjectRef, int]:
        """The object and its size, under whichever of `key_spellings` it is stored."""
        for key in key_spellings(ref.key):
            found = ObjectRef(ref.bucket, key, ref.version_id)
            head = self._head(found)
            if head is not None:
                return found, int(head["ContentLength"])
        raise StorageError(f"the uploaded file {ref.uri} is no longer there", "NoSuchKey")

    def exists(self, ref: ObjectRef) -> bool:
        """Whether `ref`'s key has a current object, asked by listing: what the right to list allows."""
        with _s3_errors(f"looking up {ref.uri}"):
            listed = self.client.list_objects_v2(Bucket=ref.bucket, Prefix=ref.key, MaxKeys=1)
        return any(item["Key"] == ref.key for item in listed.get("Contents", []))

    def _head(self, ref: ObjectRef) -> dict[str, Any] | None:
        try:
            with _s3_errors(f"looking up {ref.uri}"):
                extra = {"VersionId": ref.version_id} if ref.version_id else {}
                head: dict[str, Any] = self.client.head_object(Bucket=ref.bucket, Key=ref.key, **extra)
                return head
        except StorageError as exc:
            if exc.code in _NOT_FOUND:
                return None
            raise

    def open(self, ref: ObjectRef) -> BinaryIO:
        """A seekable stream that fetches the object in ranges: constant memory for any size."""
        stream = _S3Reader(
            bucket=ref.bucket, key=ref.key, version_id=ref.version_id, boto3_client=self.client
        )
        return cast(BinaryIO, stream)

    def read_text(self, ref: ObjectRef) -> str:
        with _s3_errors(f"reading {ref.uri}"):
            extra = {"VersionId": ref.version_id} if ref.version_id else {}
            body: bytes = self.client.get_object(Bucket=ref.bucket, Key=ref.key, **extra)["Body"].read()
        return body.decode("utf-8")

    def current(self, ref: ObjectRef) -> tuple[ObjectRef, str]:
        """The object's current version, and what tells it from any other: its VersionId, else its ETag."""
        head = self._head(ref)
        if head is None:
            raise StorageError(f"{ref.uri} is not there", "NoSuchKey")
        version_id = head.get("VersionId")
        if version_id and version_id != "null":
            return ObjectRef(ref.bucket, ref.key, version_id), version_id
        return ref, str(head["ETag"])

    def presigned_url(self, ref: ObjectRef, seconds: int) -> str:
        """An HTTPS link that lets whoever holds it GET this one object for `seconds` (the function's own
        s3:GetObject right, lent): SigV4, which every region and a KMS-encrypted object accept."""
        if self._presigner is None:
            region = self.client.meta.region_name
            self._presigner = boto3.client("s3", region_name=region, config=Config(signature_version="s3v4"))
        with _s3_errors(f"signing a link to {ref.uri}"):
            url: str = self._presigner.generate_presigned_url(
                "get_object", Params={"Bucket": ref.bucket, "Key": ref.key}, ExpiresIn=seconds
            )
        return url

    def claim(self, ref: ObjectRef, owner: str) -> str:
        """Write `owner` to `ref` unless it exists; return whoever holds the claim now."""
        try:
            with _s3_errors(f"claiming {ref.uri}"):
                self.client.put_object(Bucket=ref.bucket, Key=ref.key, Body=owner.encode(), IfNoneMatch="*")
                return owner
        except StorageError as exc:
            if exc.code not in _ALREADY_EXISTS:
                raise
        return self.read_text(ref)

    def move(self, source: ObjectRef, destination_key: str) -> ObjectRef:
        """Copy exactly `source`'s version (multipart for large files), then delete that version only.

        Deleting the key without a version would put a delete marker over whatever is current, and a
        newer upload of the same name would vanish from view; so an unversioned source is refused.
        """
        if not source.version_id:
            raise StorageError(
                f"{source.uri} has no version id: moving it could hide a newer upload", "NoVersion"
            )
        copy_source = {"Bucket": source.bucket, "Key": source.key, "VersionId": source.version_id}
        with _s3_errors(f"moving {source.uri}"):
            self.client.copy(copy_source, source.bucket, destination_key)
            self.client.delete_object(Bucket=source.bucket, Key=source.key, VersionId=source.version_id)
        return ObjectRef(source.bucket, destination_key)

    def read_with_etag(self, ref: ObjectRef) -> tuple[bytes, str] | None:
        """The object's bytes and the ETag that `put_if_unchanged` compares, or None when there is none."""
        try:
            with _s3_errors(f"reading {ref.uri}"):
                response = self.client.get_object(Bucket=ref.bucket, Key=ref.key)
                return response["Body"].read(), str(response["ETag"])
        except StorageError as exc:
            if exc.code in _NOT_FOUND:
                return None
            raise

    def put_if_unchanged(self, ref: ObjectRef, data: bytes, etag: str | None) -> bool:
        """Write `data` only while the object is the version read (`etag`), or, with None, only while
        there is none: S3's conditional writes. False when another writer came first."""
        condition = {"IfMatch": etag} if etag is not None else {"IfNoneMatch": "*"}
        try:
            with _s3_errors(f"writing {ref.uri}"):
                self.client.put_object(Bucket=ref.bucket, Key=ref.key, Body=data, **condition)
                return True
        except StorageError as exc:
            if exc.code in _CHANGED_SINCE_READ:
                return False
            raise

    def written_at(self, bucket: str, prefix: str) -> dict[str, datetime]:
        """Every key under `prefix`, and when S3 last wrote it (by S3's clock)."""
        found: dict[str, datetime] = {}
        with _s3_errors(f"listing s3://{bucket}/{prefix}"):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    found[item["Key"]] = item["LastModified"]
        return found


class SecretStore:
    """Secrets Manager, for the one secret a function is given (the VAN push's API key)."""

    def __init__(self, client: Any = None) -> None:
        self._client: Any = client

    def read(self, secret_id: str) -> str:
        """The secret's text. Its value never reaches a message: only the refusal's code does."""
        if self._client is None:
            self._client = boto3.client("secretsmanager")
        try:
            answer = self._client.get_secret_value(SecretId=secret_id)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _TRANSIENT_SECRET_CODES:
                raise StorageUnavailable(
                    f"Secrets Manager was unavailable ({code}); retrying helps"
                ) from None
            raise StorageError(f"Secrets Manager refused to read the secret ({code})", code) from None
        except BotoCoreError as exc:
            raise StorageUnavailable(f"could not reach Secrets Manager ({type(exc).__name__})") from None
        text = answer.get("SecretString")
        if not isinstance(text, str):
            raise StorageError("the secret holds no text (a binary secret)", "NoSecretString")
        return text


_TRANSIENT_SECRET_CODES = frozenset({"ThrottlingException", "InternalServiceError", "RequestTimeout"})
