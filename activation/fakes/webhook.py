"""Fake webhook receiver: verifies the HMAC-SHA256 signature and timestamp, accepts JSON batches.

Contract (ours, see `activation.destinations.webhook`): headers `X-CDP-Timestamp` (unix seconds)
and `X-CDP-Signature: v1=<hex HMAC-SHA256 of "{timestamp}.{body}">`; stale or wrong -> 401; more
than `max_records` -> 413; a batch holding any record it cannot take is refused whole with 422.
An `operation: "delete"` batch (erasure) drops the keys and keeps them in `erased`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from activation.fakes.server import FakeApi, FakeRequest, FakeResponse

TOLERANCE_SECONDS = 300


class FakeWebhook(FakeApi):
    def __init__(
        self,
        signing_key: str,
        rate_limit: float | None = None,
        max_records: int = 1000,
        reject_keys: set[str] = frozenset(),
    ) -> None:
        super().__init__(rate_limit)
        self.signing_key = signing_key.encode("utf-8")
        self.max_records = max_records
        self.reject_keys = set(reject_keys)
        self.members: dict[str, dict[str, Any]] = {}
        self.batches = 0
        self.erased: list[str] = []

    def handle(self, request: FakeRequest) -> FakeResponse:
        stamp = request.headers.get("x-cdp-timestamp", "")
        signature = request.headers.get("x-cdp-signature", "")
        expected = hmac.new(
            self.signing_key, stamp.encode() + b"." + request.body, hashlib.sha256
        ).hexdigest()
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:
            return FakeResponse(401, {"error": "missing or stale timestamp"})
        if not hmac.compare_digest(signature, f"v1={expected}"):
            return FakeResponse(401, {"error": "bad signature"})
        body = request.json()
        records = body.get("records") or []
        if len(records) > self.max_records:
            return FakeResponse(413, {"error": f"at most {self.max_records} records"})
        refused = [r["key"] for r in records if r.get("key") in self.reject_keys]
        if refused:
            return FakeResponse(422, {"error": f"record {refused[0]} refused"})
        self.accepted_data()
        with self.lock:
            self.batches += 1
            for record in records:
                if body.get("operation") in ("remove", "delete"):
                    self.members.pop(record["key"], None)
                if body.get("operation") == "delete":
                    self.erased.append(record["key"])
                else:
                    self.members[record["key"]] = record["fields"]
        return FakeResponse(200, {"accepted": len(records)})
