"""A local stand-in for NGP VAN's API, started by the tests on 127.0.0.1: section 6's shapes, exactly.

It authenticates as VAN does (HTTP Basic: the application name, the key and |1 or |0), refuses a job
body that is not section 6's, downloads the zip from the presigned link it is given, reads the csv in
it by the columns it was told, and answers each record in a results file (BulkUploadDataID = the
record's place among the data rows) as the scenario says: Processed, VAN's message, or left out.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

RESULT_CODES = [
    {"resultCodeId": 1, "name": "Not Home", "mediumName": "NH", "shortName": "NH"},
    {"resultCodeId": 2, "name": "Refused", "mediumName": "Ref", "shortName": "RF"},
    {"resultCodeId": 4, "name": "Deceased", "mediumName": "Dec", "shortName": "DC"},
    {"resultCodeId": 5, "name": "Moved", "mediumName": "Mvd", "shortName": "MV"},
    {"resultCodeId": 14, "name": "Canvassed", "mediumName": "Canv", "shortName": "CV"},
    {"resultCodeId": 16, "name": "Other Language", "mediumName": "Lang", "shortName": "OL"},
    {"resultCodeId": 20, "name": "Wrong Number", "mediumName": "WN", "shortName": "WN"},
    {"resultCodeId": 25, "name": "Deliverability Error", "mediumName": "Deliv", "shortName": "DE"},
]
CONTACT_TYPES = [
    {"contactTypeId": 1, "name": "Phone", "channelTypeName": "Phone"},
    {"contactTypeId": 19, "name": "Auto Dial", "channelTypeName": "Phone"},
]
# The IDs above, as a campaign's configuration gives them (van.result_ids).
RESULT_IDS = {code["name"]: code["resultCodeId"] for code in RESULT_CODES}
RESULTS_HEADER = ["BulkUploadDataID", "ULFileID", "PrimaryKey", "PrimaryKeyType", "CanvassResults_4521"]
JOB_KEYS = {"description", "file", "actions"}
FILE_KEYS = {"columnDelimiter", "columns", "fileName", "hasHeader", "hasQuotes", "sourceUrl"}
EASTERN = timezone(timedelta(hours=-4))
ACTION = {"resultFileSizeKbLimit": 5000, "resourceType": "Contacts", "actionType": "loadMappedFile"}


@dataclass
class Scenario:
    """What VAN does with a job: its states, one per GET (the last repeats), and each record's answer."""

    statuses: list[str] = field(default_factory=lambda: ["Pending", "InProgress", "Completed"])
    refuse: dict[str, str] = field(default_factory=dict)
    """VAN ID -> VAN's message for each of its records."""
    leave_out: set[str] = field(default_factory=set)
    """VAN IDs whose records the results file does not list."""
    results_files: int = 1
    expired_links: bool = False
    """Every results link answers 403 Request has expired, as S3 does after 24 hours."""
    job_errors: list[dict[str, str]] = field(default_factory=list)
    rate_limited: dict[str, int] = field(default_factory=dict)
    """A request line's start ("POST /v4/bulkImportJobs") -> how many of them answer 429 first."""
    refuse_auth: int | None = None
    """401 or 403 to every API request, as for a wrong key or application name."""
    unknown_job_polls: int = 0
    """How many of the first GETs of a new job answer 404: VAN may not show a job at once."""
    create_status: int | None = None
    """Answer the job's creation with this status (a 500: was it created?), after creating it."""
    place_offset: int = 0
    """Added to each record's BulkUploadDataID: 1 would count the header as a row."""
    result_codes: list[dict[str, Any]] = field(default_factory=lambda: list(RESULT_CODES))
    contact_types: list[dict[str, Any]] = field(default_factory=lambda: list(CONTACT_TYPES))


@dataclass
class Job:
    id: int
    body: dict[str, Any]
    header: list[str]
    records: list[dict[str, str]]
    polls: int = 0


Fetch = Callable[[str], bytes]


class FakeVan:
    """`with FakeVan(app, key, fetch=...) as van:` a server at `van.api_url`, for one scenario."""

    def __init__(
        self,
        application_name: str,
        api_key: str,
        fetch: Fetch,
        scenario: Scenario | None = None,
        database_suffix: str = "|1",
    ) -> None:
        secret = f"{application_name}:{api_key}{database_suffix}"
        self.expected_auth = "Basic " + base64.b64encode(secret.encode()).decode()
        self.fetch = fetch
        self.scenario = scenario or Scenario()
        self.jobs: dict[int, Job] = {}
        self.requests: list[tuple[str, str]] = []
        self.results_requests_with_credentials = 0
        self.authorized_requests = 0
        """API requests that carried the right key (and application name and database)."""
        self.source_urls: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base + "/v4"

    def __enter__(self) -> FakeVan:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # What VAN answers -----------------------------------------------------------------------------

    def answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append((method, path))
            if path.startswith("/results/"):
                return self._results_file(path, headers)
            authorized = headers.get("authorization") == self.expected_auth
            self.authorized_requests += authorized
            for line, count in self.scenario.rate_limited.items():
                if f"{method} {path}".startswith(line) and count:
                    self.scenario.rate_limited[line] = count - 1
                    return _json(
                        429, {"errors": [{"code": "TOO_MANY_REQUESTS", "text": "Rate limit exceeded"}]}
                    )
            if self.scenario.refuse_auth:
                return _json(
                    self.scenario.refuse_auth, {"errors": [{"code": "AUTHORIZATION", "text": "Denied"}]}
                )
            if not authorized:
                return _json(401, {"errors": [{"code": "AUTHENTICATION", "text": "Unauthorized"}]})
            if method == "GET" and path == "/v4/canvassResponses/resultCodes":
                return _json(200, self.scenario.result_codes)
            if method == "GET" and path == "/v4/canvassResponses/contactTypes":
                return _json(200, self.scenario.contact_types)
            if method == "POST" and path == "/v4/bulkImportJobs":
                return self._create(body)
            if method == "GET" and path.startswith("/v4/bulkImportJobs/"):
                return self._job(int(path.rsplit("/", 1)[1]))
            return _json(404, {"errors": [{"code": "NOT_FOUND", "text": "No such resource"}]})

    def _create(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        request = json.loads(body)
        problem = _job_body_problem(request)
        if problem:
            return _json(400, {"errors": [{"code": "INVALID_PARAMETER", "text": problem}]})
        source = request["file"]["sourceUrl"]
        self.source_urls.append(source)
        with zipfile.ZipFile(io.BytesIO(self.fetch(source))) as archive:
            (member,) = archive.namelist()
            text = archive.read(member).decode("utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        header = [column["name"] for column in request["file"]["columns"]]
        if rows[0] != header or member != request["file"]["fileName"]:
            return _json(
                400, {"errors": [{"code": "INVALID_PARAMETER", "text": "columns differ from the file"}]}
            )
        job = Job(
            len(self.jobs) + 9001, request, header, [dict(zip(header, row, strict=True)) for row in rows[1:]]
        )
        self.jobs[job.id] = job
        if self.scenario.create_status:
            return _json(
                self.scenario.create_status, {"errors": [{"code": "INTERNAL", "text": "Server error"}]}
            )
        return _json(201, {"jobId": job.id})

    def _job(self, job_id: int) -> tuple[int, dict[str, str], bytes]:
        job = self.jobs.get(job_id)
        if job is None:
            return _json(404, {"errors": [{"code": "NOT_FOUND", "text": "No such job"}]})
        job.polls += 1
        if job.polls <= self.scenario.unknown_job_polls:
            return _json(404, {"errors": [{"code": "NOT_FOUND", "text": "No such job"}]})
        statuses = self.scenario.statuses
        status = statuses[min(job.polls - self.scenario.unknown_job_polls, len(statuses)) - 1]
        expires = datetime.now(UTC) + timedelta(hours=24)
        files = []
        if status in ("Completed", "CompletedWithErrors"):
            files = [
                {"url": f"{self.base}/results/{job.id}/{n}.csv", "dateExpired": _van_time(expires)}
                for n in range(1, self.scenario.results_files + 1)
            ]
        errors = self.scenario.job_errors if status == "Failed" else []
        return _json(
            200,
            {
                "id": job.id,
                "status": status,
                "resourceType": "Contacts",
                "webhookUrl": None,
                "resultFileSizeLimitKb": 5000,
                "errors": errors,
                "resultFiles": files,
            },
        )

    def _results_file(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if "authorization" in headers:
            self.results_requests_with_credentials += 1
        if self.scenario.expired_links:
            return (
                403,
                {"Content-Type": "application/xml"},
                b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
            )
        job_id, number = path.removeprefix("/results/").removesuffix(".csv").split("/")
        job = self.jobs[int(job_id)]
        lines = [
            [
                str(place + self.scenario.place_offset),
                "1983",
                record["vanid"],
                "VanID",
                self.scenario.refuse.get(record["vanid"], "Processed"),
            ]
            for place, record in enumerate(job.records, start=1)
            if record["vanid"] not in self.scenario.leave_out
        ]
        count = self.scenario.results_files
        share = lines[int(number) - 1 :: count]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(RESULTS_HEADER)
        writer.writerows(share)
        return 200, {"Content-Type": "text/csv"}, out.getvalue().encode("utf-8")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        van = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {name.lower(): value for name, value in self.headers.items()}
                status, response_headers, data = van.answer(
                    self.command, urlsplit(self.path).path, headers, body
                )
                self.send_response(status)
                for name, value in response_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test reads `van.requests`."""

        return Handler

    def api_requests(self) -> Iterator[tuple[str, str]]:
        return (request for request in self.requests if not request[1].startswith("/results/"))


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode("utf-8")


def _van_time(moment: datetime) -> str:
    """As VAN writes it: seven decimals and an offset (2020-09-04T22:07:04.0770295-04:00)."""
    return moment.astimezone(EASTERN).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0-04:00"


def _job_body_problem(request: dict[str, Any]) -> str | None:
    """Section 6's body, exactly; a string says what is wrong."""
    if set(request) != JOB_KEYS:
        return f"job keys {sorted(request)}"
    file = request["file"]
    if set(file) != FILE_KEYS:
        return f"file keys {sorted(file)}"
    if file["columnDelimiter"] != "csv" or file["hasHeader"] is not True or file["hasQuotes"] is not True:
        return "columnDelimiter, hasHeader or hasQuotes"
    if not file["columns"] or file["columns"][0] != {"name": "vanid"}:
        return "the first column must be vanid"
    url = urlsplit(file["sourceUrl"])
    if url.scheme != "https" or not (parse_qs(url.query).get("X-Amz-Signature")):
        return "sourceUrl must be a presigned https link"
    (action,) = request["actions"]
    if {k: action.get(k) for k in ACTION} != ACTION or action.get("mappingTypes") != [
        {"name": "CanvassResults"}
    ]:
        return f"actions {action}"
    if set(action) != {*ACTION, "mappingTypes"}:
        return f"action keys {sorted(action)}"
    return None


def presigned_lifetime(url: str) -> int:
    """The seconds a presigned link (SigV4) is valid for."""
    return int(parse_qs(urlsplit(url).query)["X-Amz-Expires"][0])
