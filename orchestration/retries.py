"""Retry only what a retry can fix.

A `RetryPolicy` retries every exception, including a malformed export or a destination rejecting
a payload, which would fail identically three times and delay the alert. Here only transient
errors (a DuckDB file lock held by another process, a dropped connection, a timeout) ask Dagster
for another attempt, with exponential backoff and full jitter so that competing runs spread out.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
import httpx

MAX_RETRIES = 3
BASE_DELAY_SECONDS = 2.0
MAX_DELAY_SECONDS = 60.0


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, duckdb.IOException):
        return "lock" in str(exc).lower()
    return isinstance(exc, ConnectionError | TimeoutError | httpx.TransportError)


def backoff_seconds(retry_number: int, rng: random.Random | None = None) -> float:
    """Full jitter: uniform in [0, base * 2^n], capped."""
    ceiling = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**retry_number)
    return (rng or random).uniform(0, ceiling)


@contextmanager
def retry_transient(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        if not is_transient(exc):
            raise
        retry_number = context.retry_number
        delay = backoff_seconds(retry_number)
        context.log.warning(
            f"transient failure ({type(exc).__name__}: {exc}); "
            f"retry {retry_number + 1} of {MAX_RETRIES} in {delay:.1f}s"
        )
        raise dg.RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=delay) from exc
