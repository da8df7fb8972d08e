"""HTTP with the retry policy every API destination shares.

Retries connection errors, 5xx and each API's throttle signal (a `throttle` function per
destination reads its shape: Meta's codes 4/17/613 in a JSON body, HubSpot's 429 `policyName`,
Mailchimp's 429 problem+json). The wait is the one the API asks for (`Retry-After`, a daily
limit, a reset time), in full, otherwise exponential backoff with full jitter. An asked wait
longer than `max_wait_seconds` ends the run (`WaitTooLongError`): retrying before it is over
only hits the limit again. Every request first takes a token from the destination's
bucket, so the configured rate holds across threads. Any other response goes back to the caller,
which turns it into per-record outcomes. Paths reach log lines and error texts with identifier
segments (Mailchimp's subscriber hash) redacted, and so do httpx's own request log lines (the
filter goes on when the first client is built, not on import: importing a module must not change
the process's logging configuration).
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

import httpx

from activation.config import DestinationSettings
from activation.ratelimit import TokenBucket
from activation.redaction import redact_identifiers, redact_library_logs

log = logging.getLogger(__name__)

# A throttle reader returns None when the response is not a throttle signal, else the wait in
# seconds the API asked for (0.0 when it named none).
ThrottleReader = Callable[[httpx.Response], float | None]


class GaveUpError(RuntimeError):
    """Retries exhausted; the batch's records fail for this run and are retried on the next."""


class WaitTooLongError(RuntimeError):
    """The API asked for a longer wait than `max_wait_seconds`. Not a `GaveUpError`, which fails
    one batch while the run goes on: the run stops, and its next run sends what was not sent."""


def retry_after_seconds(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After")
    if not value:
        return 0.0
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(parsed.timestamp() - time.time(), 0.0)


def reply_error(response: httpx.Response, text: str | None = None) -> str:
    """`HTTP <status>: <reply>` (or `text`, the caller's reading of the reply) for an error text.
    A reply may echo the person it is about (an email, a hashed identifier) and error texts reach
    logs and `sync_log`, so it is redacted, before the cut to 300 characters: a cut digest would
    no longer look like one."""
    shown = redact_identifiers(response.text if text is None else text)
    return f"HTTP {response.status_code}: {shown[:300]}"


def throttle_on_429(response: httpx.Response) -> float | None:
    return retry_after_seconds(response) if response.status_code == 429 else None


@dataclass
class RequestStats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    waits: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, *, retry: bool = False, throttled: bool = False, wait: float = 0.0) -> None:
        with self._lock:
            if retry:
                self.retries += 1
                self.waits.append(wait)
            else:
                self.requests += 1
            if throttled:
                self.throttled += 1


class ApiClient:
    """One per destination instance; thread-safe (httpx.Client is)."""

    def __init__(
        self,
        settings: DestinationSettings,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | None = None,
        throttle: ThrottleReader = throttle_on_429,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        redact_library_logs()
        self.settings = settings
        self.bucket = TokenBucket(settings.rate_limit_per_second, settings.burst)
        self.stats = RequestStats()
        self._throttle = throttle
        self._sleep = sleep
        self._refusal: WaitTooLongError | None = None
        self._client = httpx.Client(
            base_url=base_url,
            headers=headers,
            auth=auth,
            timeout=settings.timeout_seconds,
            limits=httpx.Limits(max_connections=settings.max_concurrency),
        )

    def __repr__(self) -> str:
        return f"ApiClient(base_url={str(self._client.base_url)!r})"

    def close(self) -> None:
        self._client.close()

    def _backoff(self, attempt: int) -> float:
        ceiling = min(
            self.settings.backoff_max_seconds, self.settings.backoff_base_seconds * 2**attempt
        )
        return random.uniform(0.0, ceiling)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The body is encoded once, before the first token is taken: encoding a 10,000-member
        batch takes a tenth of a second or more, and spent between the token and the send it
        makes requests reach the API unevenly spaced, which a strict rate limit throttles."""
        request = self._client.build_request(method, path, **kwargs)
        shown = redact_identifiers(path)
        last_problem = ""
        for attempt in range(self.settings.max_retries + 1):
            if self._refusal is not None:
                raise self._refusal
            self.bucket.acquire()
            self.stats.record()
            try:
                response = self._client.send(request)
            except httpx.TransportError as error:
                last_problem = f"{type(error).__name__}"
                wait, throttled = self._backoff(attempt), False
            else:
                asked = self._throttle(response)
                if asked is None and response.status_code < 500:
                    return response
                throttled = asked is not None
                last_problem = f"HTTP {response.status_code}" + (
                    " (throttled)" if throttled else ""
                )
                if asked and asked > self.settings.max_wait_seconds:
                    self._refuse(asked, method, shown)
                wait = asked or self._backoff(attempt)
            if attempt == self.settings.max_retries:
                break
            self.stats.record(retry=True, throttled=throttled, wait=wait)
            log.info("%s %s: %s, retry %d in %.2fs", method, shown, last_problem, attempt + 1, wait)
            self._sleep(wait)
        raise GaveUpError(f"{method} {shown}: gave up after {attempt + 1} attempts: {last_problem}")

    def _refuse(self, asked: float, method: str, path: str) -> NoReturn:
        """Remembered, so requests other threads of the run start later are not sent either."""
        self._refusal = WaitTooLongError(
            f"{self.settings.type}: the API asked to wait {asked:.0f} s before {method} {path}"
            f" is retried, more than max_wait_seconds ({self.settings.max_wait_seconds:.0f} s):"
            " gave up for this run"
        )
        log.warning("%s", self._refusal)
        raise self._refusal
