from __future__ import annotations

import subprocess
import sys
import textwrap

import httpx
import pytest

from activation.config import DestinationSettings
from activation.fakes.google import FakeGoogleDataManager
from activation.fakes.server import FakeApi, FakeRequest, FakeResponse
from activation.http import ApiClient, GaveUpError, WaitTooLongError
from activation.ratelimit import TokenBucket
from activation.redaction import redact_identifiers


class Flaky(FakeApi):
    """Answers with the given statuses in turn, then 200."""

    def __init__(self, statuses: list[int], headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.statuses = statuses
        self.extra = headers or {}

    def handle(self, request: FakeRequest) -> FakeResponse:
        status = self.statuses.pop(0) if self.statuses else 200
        return FakeResponse(status, {"status": status}, self.extra if status != 200 else {})


def _client(url: str, sleeps: list[float], retries: int = 5) -> ApiClient:
    settings = DestinationSettings(
        type="x", max_retries=retries, backoff_base_seconds=0.5, backoff_max_seconds=30
    )
    return ApiClient(settings, url, sleep=sleeps.append)


@pytest.mark.slow
def test_retry_after_header_sets_the_wait():
    sleeps: list[float] = []
    with Flaky([429, 429], {"Retry-After": "7"}) as fake:
        response = _client(fake.url, sleeps).request("GET", "/")
    assert response.status_code == 200
    assert sleeps == [7.0, 7.0]


@pytest.mark.slow
def test_a_requested_wait_longer_than_the_backoff_ceiling_is_honoured_in_full():
    sleeps: list[float] = []
    with Flaky([429], {"Retry-After": "90"}) as fake:
        assert _client(fake.url, sleeps).request("GET", "/").status_code == 200
    assert sleeps == [90.0]


@pytest.mark.slow
def test_a_requested_wait_beyond_max_wait_gives_up_for_the_run_without_retrying():
    sleeps: list[float] = []
    with Flaky([429] * 3, {"Retry-After": "3600"}) as fake:
        client = _client(fake.url, sleeps)
        with pytest.raises(WaitTooLongError, match=r"^x: the API asked to wait 3600 s") as error:
            client.request("GET", "/")
        assert not isinstance(error.value, GaveUpError)  # not one batch failing: the whole run
        with pytest.raises(WaitTooLongError):
            client.request("GET", "/")  # later batches of the run are not sent either
        assert (fake.requests, sleeps) == (1, [])


@pytest.mark.slow
def test_server_errors_back_off_exponentially_with_jitter_then_give_up():
    sleeps: list[float] = []
    with Flaky([503] * 10) as fake, pytest.raises(GaveUpError, match="HTTP 503"):
        _client(fake.url, sleeps, retries=4).request("GET", "/")
    assert len(sleeps) == 4
    assert all(0 <= wait <= 0.5 * 2**attempt for attempt, wait in enumerate(sleeps))


@pytest.mark.slow
def test_client_errors_are_returned_not_retried():
    sleeps: list[float] = []
    with Flaky([400]) as fake:
        assert _client(fake.url, sleeps).request("GET", "/").status_code == 400
    assert sleeps == []


@pytest.mark.slow
def test_google_fake_throttle_carries_retry_after():
    with FakeGoogleDataManager("t", "1", "2", rate_limit=1) as fake:
        fake.throttle_next = 1
        statuses = [
            httpx.post(f"{fake.url}/v1/audienceMembers:ingest", json={}).status_code
            for _ in range(3)
        ]
        throttled = httpx.post(f"{fake.url}/v1/audienceMembers:ingest", json={})
    assert 429 in statuses
    assert throttled.headers["Retry-After"] == "1"
    assert throttled.json()["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_token_bucket_paces_requests_to_the_configured_rate():
    import time

    bucket = TokenBucket(50, burst=1)
    start = time.monotonic()
    for _ in range(26):
        bucket.acquire()
    assert time.monotonic() - start >= 0.45  # 25 intervals at 50/s; a busy machine only adds


def test_identifier_segments_are_redacted_and_ids_of_lists_kept():
    subscriber = "111d68d06e2d317b5a59c2c6c5bad808"
    assert (
        redact_identifiers(f"POST /3.0/lists/a1b2c3d4e5/members/{subscriber}/tags")
        == "POST /3.0/lists/a1b2c3d4e5/members/<redacted>/tags"
    )
    assert (
        redact_identifiers("GET /crm/v3/objects/contacts/ann%40x.io?idProperty=email")
        == "GET /crm/v3/objects/contacts/<redacted>?idProperty=email"
    )
    assert redact_identifiers("/v21.0/23851234567890123/users") == "/v21.0/23851234567890123/users"


def test_importing_the_client_module_leaves_logging_alone_and_building_a_client_filters_httpx():
    """In a fresh interpreter: the test process has long imported the module."""
    script = textwrap.dedent(
        """
        import logging

        import httpx  # noqa: F401 - its logger exists before the client module is imported

        def config():
            loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
            return {
                getattr(lg, "name", None): (list(lg.filters), list(lg.handlers), lg.level)
                for lg in loggers
                if isinstance(lg, logging.Logger)
            }

        before = config()
        import activation.http as http
        from activation.config import DestinationSettings
        from activation.redaction import RedactIdentifiers

        after = config()
        assert all(after[name] == state for name, state in before.items()), "import changed it"
        assert all(after[n] == ([], [], logging.NOTSET) for n in after.keys() - before.keys())
        for _ in range(2):
            http.ApiClient(DestinationSettings(type="x"), "http://127.0.0.1:9").close()
        filters = logging.getLogger("httpx").filters
        assert [type(f) for f in filters] == [RedactIdentifiers], filters
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
