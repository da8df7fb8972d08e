"""The shared part of every fake: a threaded HTTP server, a request rate limit, a concurrency cap,
and the identity checks that catch wrongly normalized hashes."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8")).items()}


@dataclass
class FakeResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


class RateLimiter:
    """Token bucket holding one second of requests: `rate` requests per second on average."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._tokens = rate or 0.0
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        if self.rate is None:
            return True
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.rate, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


_HEX64 = re.compile(r"[0-9a-f]{64}")


def is_hex64(value: object) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


def wrong_variants(value: str) -> set[str]:
    """Plausible mis-normalizations of a known plaintext: raw, untrimmed, upper, accents stripped,
    ASCII-only (the Meta SDK's bug), decomposed Unicode."""
    stripped = "".join(
        c for c in unicodedata.normalize("NFD", value) if unicodedata.category(c) != "Mn"
    )
    return {
        value,
        value.upper(),
        value.strip(),
        f" {value} ",
        stripped,
        stripped.lower(),
        "".join(c for c in value.lower() if c.isascii() and c.isalpha()),
        unicodedata.normalize("NFD", value.lower()),
    }


class KnownPlaintexts:
    """For test identities the fake knows in plaintext: the hash each must arrive as, and the
    hashes of its wrong normalizations, which the fake rejects."""

    def __init__(self, correct: dict[str, str], also_wrong: set[str] = frozenset()) -> None:
        self.correct_hashes = {sha256_hex(v) for v in correct.values()}
        self.wrong_hashes = {
            sha256_hex(w)
            for raw, good in correct.items()
            for w in wrong_variants(raw) | {raw}
            if w != good
        } | {sha256_hex(w) for w in also_wrong}

    def problem(self, value: str) -> str | None:
        if not is_hex64(value):
            return "not a lowercase hex SHA-256"
        if value in self.wrong_hashes and value not in self.correct_hashes:
            return "hash of a wrongly normalized value"
        return None


class FakeApi:
    """Subclasses implement `handle`; the base adds throttling, concurrency and bookkeeping."""

    max_concurrency: int | None = None

    def __init__(self, rate_limit: float | None = None) -> None:
        self.limiter = RateLimiter(rate_limit)
        self.lock = threading.RLock()
        self.requests = 0
        self.throttled = 0
        self._active = 0
        self.peak_concurrency = 0
        self.data_requests_at: list[float] = []
        self.throttle_next = 0
        """Throttle this many requests from now on, whatever the rate (deterministic tests)."""
        self.latency = 0.0
        """Seconds each request takes, so tests can hold connections open at once."""
        self.outage_after: int | None = None
        """Answer 503 to every request after this many (an outage mid-run), until reset."""
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def handle(self, request: FakeRequest) -> FakeResponse:
        raise NotImplementedError

    def throttle_response(self, reason: str) -> FakeResponse:
        return FakeResponse(429, {"error": reason}, {"Retry-After": "1"})

    def accepted_data(self) -> None:
        """Subclasses call this when a request carrying audience data is accepted: benchmarks
        measure the send rate over these."""
        with self.lock:
            self.data_requests_at.append(time.monotonic())

    def _dispatch(self, read_request: Callable[[], FakeRequest]) -> FakeResponse:
        """Limits are decided on arrival, before the body is read, as an API gateway does: the
        time a multi-megabyte upload takes to arrive must not make a request count as early."""
        with self.lock:
            self.requests += 1
            self._active += 1
            self.peak_concurrency = max(self.peak_concurrency, self._active)
            too_many = self.max_concurrency is not None and self._active > self.max_concurrency
            down = self.outage_after is not None and self.requests > self.outage_after
            forced = self.throttle_next > 0
            self.throttle_next -= forced
        over_rate = not (down or too_many) and (forced or not self.limiter.allow())
        try:
            request = read_request()
            if self.latency:
                time.sleep(self.latency)
            if down:
                return FakeResponse(503, {"error": "service unavailable"})
            if too_many or over_rate:
                with self.lock:
                    self.throttled += 1
                return self.throttle_response("concurrency" if too_many else "rate")
            return self.handle(request)
        finally:
            with self.lock:
                self._active -= 1

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                response = api._dispatch(
                    lambda: FakeRequest(
                        self.command,
                        split.path,
                        parse_qs(split.query),
                        {k.lower(): v for k, v in self.headers.items()},
                        self.rfile.read(length) if length else b"",
                    )
                )
                payload = b"" if response.body is None else json.dumps(response.body).encode()
                self.send_response(response.status)
                if payload:
                    self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

            def log_message(self, format: str, *args: object) -> None:
                """Silence the default stderr access log."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
