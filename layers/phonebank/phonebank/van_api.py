"""NGP VAN's API over HTTPS: the few calls the push makes, and its failures as named errors.

The state machine retries `VanRateLimited` and `VanUnavailable` with backoff and notifies the rest.
The API key goes only to the configured API address, in the Authorization header: never into a
message, a log line or a URL, and never to a results file's address (a link VAN signed elsewhere).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import urllib3
from pydantic import TypeAdapter, ValidationError
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError

from phonebank.config import VanDatabase, web_address
from phonebank.errors import PhonebankError
from phonebank.models.van_api import BulkImportJob, BulkImportJobRequest, ContactType, CreatedJob, ResultCode


class VanPushError(PhonebankError):
    """VAN refused or failed a request of the push."""


class VanRateLimited(VanPushError):
    """VAN answered 429 (too many requests): retried by the state machine with backoff."""


class VanUnavailable(VanPushError):
    """VAN could not be reached, or answered with a server error that did nothing: retried."""


class VanAuthRefused(VanPushError):
    """401 or 403: the application name, the key or its database is wrong, or the key may not do this."""


class VanRequestRefused(VanPushError):
    """Any other 4xx, or an answer of the wrong shape: retrying the same request would not help."""


class VanOutcomeUnknown(VanPushError):
    """Creating the job got no clear answer (a 500, a lost connection): VAN may have created it, so it
    is not sent again, which could record every call twice."""


class VanResultsUnmappable(VanPushError):
    """VAN's results file does not line up with the file sent: no row is guessed."""


# A gateway or a busy server answers these before anything is done: creating a job again is safe.
_NOT_PROCESSED = frozenset({502, 503, 504})
# A results link that has expired, or that was never there: S3 answers 403 or 404.
_GONE = frozenset({403, 404, 410})
_LONG_NUMBER = re.compile(r"\d{5,}")
_MESSAGE_LIMIT = 300


def masked(text: str) -> str:
    """VAN's own words, as an email may quote them: a number of five digits or more may be a VAN ID or a
    phone, so it is left out; long texts are cut."""
    text = _LONG_NUMBER.sub("…", " ".join(text.split()))
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


def _van_errors(body: bytes) -> str:
    """`{"errors": [{"code", "text"}]}`, VAN's error body, as one short line; nothing if it is not that."""
    try:
        errors = json.loads(body).get("errors") or []
        texts = [": ".join(str(e[k]) for k in ("code", "text") if e.get(k)) for e in errors]
    except (ValueError, AttributeError, TypeError):
        return ""
    return masked("; ".join(text for text in texts if text))


class VanApi:
    """One API key's calls. `database` says which VAN database the key opens (|1 or |0 after it)."""

    def __init__(
        self,
        api_url: str,
        application_name: str,
        api_key: str,
        database: VanDatabase,
        http: urllib3.PoolManager | None = None,
    ) -> None:
        self._base = web_address(api_url)
        password = f"{api_key}|{1 if database == 'MyCampaign' else 0}"
        self._headers = {
            **urllib3.make_headers(basic_auth=f"{application_name}:{password}"),
            "Accept": "application/json",
        }
        self._http = http or urllib3.PoolManager(timeout=urllib3.Timeout(connect=10, read=60), retries=False)

    def __repr__(self) -> str:
        return f"VanApi({self._base})"

    def result_codes(self) -> list[ResultCode]:
        return self._get_list("/canvassResponses/resultCodes", ResultCode)

    def contact_types(self) -> list[ContactType]:
        return self._get_list("/canvassResponses/contactTypes", ContactType)

    def create_job(self, request: BulkImportJobRequest) -> int:
        """POST the job once: a 429 or a gateway error (nothing done) may be retried, anything unclear
        is `VanOutcomeUnknown`."""
        body = request.model_dump_json(by_alias=True).encode("utf-8")
        _, data = self._call("POST", "/bulkImportJobs", body)
        try:
            created: CreatedJob = CreatedJob.model_validate_json(data)
        except ValidationError:
            # The job may well exist: an answer we cannot read is not a refusal.
            raise VanOutcomeUnknown("VAN's answer to POST /bulkImportJobs names no jobId") from None
        return created.job_id

    def job(self, job_id: int) -> BulkImportJob | None:
        """The job, or None while VAN does not show it yet (a 404 just after it was created)."""
        what = f"GET /bulkImportJobs/{job_id}"
        status, data = self._call("GET", f"/bulkImportJobs/{job_id}", accept=frozenset({404}))
        return None if status == 404 else self._parse(BulkImportJob, data, what)

    def download(self, url: str) -> bytes | None:
        """A results file from the link VAN gave (without our credentials), or None once it has expired."""
        web_address(url)
        try:
            response = self._http.request("GET", url, headers={"Accept": "text/csv, */*"})
        except HTTPError as exc:
            raise VanUnavailable(f"could not download a results file of VAN ({type(exc).__name__})") from None
        if response.status in _GONE:
            return None
        if response.status == 429:
            raise VanRateLimited("VAN answered 429 (too many requests) to a results file's download")
        if response.status >= 500:
            raise VanUnavailable(f"VAN answered {response.status} to a results file's download")
        if response.status >= 400:
            raise VanRequestRefused(f"VAN answered {response.status} to a results file's download")
        data: bytes = response.data
        return data

    def results_file(self, job: BulkImportJob, index: int, now: datetime) -> bytes | None:
        """The job's results file `index` while it exists (not past its dateExpired, nor refused by its
        link), else None; an expired link is asked for again once, as VAN may sign it anew."""
        for attempt in range(2):
            if attempt:
                fresh = self.job(job.id)
                if fresh is None or len(fresh.result_files) <= index:
                    return None
                job = fresh
            result_file = job.result_files[index]
            expires = result_file.date_expired
            if expires is not None and expires.tzinfo is None:
                expires = expires.replace(tzinfo=UTC)
            data = None if expires is not None and expires <= now else self.download(result_file.url)
            if data is not None:
                return data
        return None

    def _get_list(self, path: str, model: type[Any]) -> list[Any]:
        _, data = self._call("GET", path)
        found: list[Any] = self._parse(TypeAdapter(list[model]), data, f"GET {path}")  # type: ignore[valid-type]
        return found

    def _call(
        self, method: str, path: str, body: bytes | None = None, accept: frozenset[int] = frozenset()
    ) -> tuple[int, bytes]:
        what = f"{method} {path}"
        headers = {**self._headers, **({"Content-Type": "application/json"} if body is not None else {})}
        try:
            response = self._http.request(method, self._base + path, body=body, headers=headers)
        except (NewConnectionError, ConnectTimeoutError) as exc:
            raise VanUnavailable(f"could not reach VAN for {what} ({type(exc).__name__})") from None
        except HTTPError as exc:
            if method == "POST":
                raise VanOutcomeUnknown(
                    f"the connection to VAN broke during {what} ({type(exc).__name__})"
                ) from None
            raise VanUnavailable(
                f"the connection to VAN broke during {what} ({type(exc).__name__})"
            ) from None
        status, data = response.status, response.data
        if status < 400 or status in accept:
            return status, data
        said = _van_errors(data)
        said = f": {said}" if said else ""
        if status == 429:
            raise VanRateLimited(f"VAN answered 429 (too many requests) to {what}")
        if status in (401, 403):
            meaning = "unauthorized" if status == 401 else "forbidden"
            raise VanAuthRefused(f"VAN answered {status} ({meaning}) to {what}")
        if status >= 500 and method == "POST" and status not in _NOT_PROCESSED:
            raise VanOutcomeUnknown(f"VAN answered {status} to {what}{said}")
        if status >= 500:
            raise VanUnavailable(f"VAN answered {status} to {what}{said}")
        raise VanRequestRefused(f"VAN answered {status} to {what}{said}")

    @staticmethod
    def _parse(model: Any, data: bytes, what: str) -> Any:
        adapter = model if isinstance(model, TypeAdapter) else TypeAdapter(model)
        try:
            return adapter.validate_json(data)
        except ValidationError as exc:
            raise VanRequestRefused(
                f"VAN's answer to {what} is not of the documented shape ({exc.error_count()} problems)"
            ) from None
