"""The VAN client against our local VAN (tests/fake_van.py): section 6's calls, answers and failures."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest
from fake_van import FakeVan, Scenario

from phonebank.van_api import (
    VanApi,
    VanAuthRefused,
    VanOutcomeUnknown,
    VanRateLimited,
    VanRequestRefused,
    VanUnavailable,
)
from phonebank.van_push import job_request

APP, KEY = "phonebank-sync-test", "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
BULK = b"vanid,contacttypeid,resultid\r\n100200301,19,14\r\n100200302,19,2\r\n"
SIGNED = "https://bucket.s3.amazonaws.com/work/x/van-push/f.csv.zip?X-Amz-Expires=3600&X-Amz-Signature=abc"


def _zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def _van(scenario: Scenario | None = None) -> FakeVan:
    return FakeVan(APP, KEY, fetch=lambda url: _zipped("f.csv", BULK), scenario=scenario)


def _api(van: FakeVan, key: str = KEY, database: str = "MyCampaign") -> VanApi:
    return VanApi(van.api_url, APP, key, database)  # type: ignore[arg-type]


def _request() -> object:
    return job_request(["vanid", "contacttypeid", "resultid"], "f.csv", SIGNED, "phonebank-sync run 0123")


def test_the_lists_of_ids_are_read_as_van_shapes_them() -> None:
    # Given our VAN
    with _van() as van:
        api = _api(van)
        # When the result codes and contact types are asked for
        codes, types = api.result_codes(), api.contact_types()

    # Then each is read by its documented fields
    assert {(code.result_code_id, code.name) for code in codes} >= {(14, "Canvassed"), (2, "Refused")}
    assert {(kind.contact_type_id, kind.name) for kind in types} == {(1, "Phone"), (19, "Auto Dial")}
    assert van.requests == [
        ("GET", "/v4/canvassResponses/resultCodes"),
        ("GET", "/v4/canvassResponses/contactTypes"),
    ]


def test_a_job_is_created_with_section_6s_body_and_followed_to_its_results() -> None:
    # Given our VAN, which refuses any body that is not section 6's
    with _van(Scenario(statuses=["Pending", "Completed"], refuse={"100200302": "Invalid Result"})) as van:
        api = _api(van)
        # When the job is created and asked about twice
        job_id = api.create_job(_request())  # type: ignore[arg-type]
        first, second = api.job(job_id), api.job(job_id)
        assert second is not None
        results = api.download(second.result_files[0].url)

    # Then VAN read the file by its columns, and answered each record by its place
    assert van.jobs[job_id].body["file"]["columns"] == [
        {"name": "vanid"},
        {"name": "contacttypeid"},
        {"name": "resultid"},
    ]
    assert first is not None and first.status == "Pending" and not first.finished
    assert second.status == "Completed" and second.finished
    assert second.result_files[0].date_expired is not None
    assert results is not None
    assert results.decode().splitlines()[1:] == [
        "1,1983,100200301,VanID,Processed",
        "2,1983,100200302,VanID,Invalid Result",
    ]
    # And the results link got no credentials of ours: VAN signed it for another host
    assert van.results_requests_with_credentials == 0


def test_a_job_van_does_not_show_yet_is_none_rather_than_an_error() -> None:
    with _van(Scenario(unknown_job_polls=1)) as van:
        api = _api(van)
        job_id = api.create_job(_request())  # type: ignore[arg-type]
        # When VAN answers 404 for the new job, then shows it
        assert api.job(job_id) is None
        shown = api.job(job_id)
    assert shown is not None and shown.status == "Pending"


@pytest.mark.parametrize(
    ("scenario", "key", "database", "error", "words"),
    [
        (Scenario(rate_limited={"GET /v4/canvass": 1}), KEY, "MyCampaign", VanRateLimited, "429"),
        (Scenario(refuse_auth=403), KEY, "MyCampaign", VanAuthRefused, "403 (forbidden)"),
        (Scenario(), "another-key", "MyCampaign", VanAuthRefused, "401 (unauthorized)"),
        (Scenario(), KEY, "MyVoters", VanAuthRefused, "401"),
    ],
    ids=["429", "403", "wrong key", "wrong database"],
)
def test_refusals_are_named_errors_that_quote_no_key(
    scenario: Scenario, key: str, database: str, error: type[Exception], words: str
) -> None:
    # Given our VAN in the scenario
    with _van(scenario) as van, pytest.raises(error) as raised:
        # When the result codes are asked for
        _api(van, key, database).result_codes()

    # Then the error says what VAN answered to which call, and never holds the key
    assert words in str(raised.value)
    assert "GET /canvassResponses/resultCodes" in str(raised.value)
    assert KEY not in str(raised.value) and key not in str(raised.value)


def test_a_refused_job_body_quotes_vans_message() -> None:
    bad = job_request(["contacttypeid", "vanid"], "f.csv", SIGNED, "x")
    with (
        _van() as van,
        pytest.raises(VanRequestRefused, match="INVALID_PARAMETER: the first column must be vanid"),
    ):
        _api(van).create_job(bad)


class _Answering(BaseHTTPRequestHandler):
    status = 500

    def do_POST(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def answering() -> Iterator[type[_Answering]]:
    handler = type("Handler", (_Answering,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/v4"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "on_post", "on_get"),
    [
        (500, VanOutcomeUnknown, VanUnavailable),
        (503, VanUnavailable, VanUnavailable),
        (502, VanUnavailable, VanUnavailable),
        (200, VanOutcomeUnknown, VanRequestRefused),
    ],
)
def test_a_server_error_retries_a_get_but_never_a_job_that_may_exist(
    answering: type[_Answering], status: int, on_post: type[Exception], on_get: type[Exception]
) -> None:
    # Given a server that answers every request with `status` and no body
    answering.status = status
    api = VanApi(answering.url, APP, KEY, "MyCampaign")  # type: ignore[attr-defined]

    # Then a 500 (or an unreadable 200) to the job's creation may have created it: not retried;
    # a gateway's 502/503 did nothing, and any error of a GET may be retried
    with pytest.raises(on_post):
        api.create_job(_request())  # type: ignore[arg-type]
    with pytest.raises(on_get):
        api.job(1)


def test_nothing_answering_is_unavailable() -> None:
    # Given an address where nothing listens (a port just freed)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answering)
    port = server.server_address[1]
    server.server_close()
    api = VanApi(f"http://127.0.0.1:{port}/v4", APP, KEY, "MyCampaign")

    # Then creating the job could not have reached VAN: it may be tried again
    with pytest.raises(VanUnavailable, match="could not reach VAN"):
        api.create_job(_request())  # type: ignore[arg-type]


def test_an_expired_results_link_is_none() -> None:
    with _van(Scenario(statuses=["Completed"], expired_links=True)) as van:
        api = _api(van)
        job = api.job(api.create_job(_request()))  # type: ignore[arg-type]
        assert job is not None
        assert api.download(job.result_files[0].url) is None


@pytest.mark.parametrize("url", ["http://api.securevan.com/v4", "ftp://127.0.0.1/v4", "api.securevan.com"])
def test_the_key_is_never_sent_in_clear_text_but_to_this_machine(url: str) -> None:
    with pytest.raises(ValueError, match=r"https|web address"):
        VanApi(url, APP, KEY, "MyCampaign")


def test_a_results_link_past_its_expiry_is_not_fetched() -> None:
    # Given a finished job whose results links VAN says expire tomorrow
    with _van(Scenario(statuses=["Completed"])) as van:
        api = _api(van)
        job = api.job(api.create_job(_request()))  # type: ignore[arg-type]
        assert job is not None and job.result_files[0].date_expired is not None

        # When the results are read two days later, and again now
        late = api.results_file(job, 0, datetime.now(UTC) + timedelta(days=2))
        in_time = api.results_file(job, 0, datetime.now(UTC))

    # Then the expired link was not fetched (the job was asked once more for a new one), the other was
    assert late is None
    assert in_time is not None and in_time.startswith(b"BulkUploadDataID")
    assert [path for _, path in van.requests if path.startswith("/results/")] == [f"/results/{job.id}/1.csv"]
