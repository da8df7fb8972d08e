"""Meta Custom Audiences: hashed identifiers added with `POST /{audience_id}/users`, removed
with `DELETE`, at most 10,000 rows a request, each batch a numbered part of a session.

Identifiers are normalized to Meta's rules (`activation.normalize`) and hashed here; Meta never
receives plaintext. Rows Meta reports invalid fail alone; the rest of the batch is acknowledged.
Erasure is the same `DELETE`: the audience is the only place our upload lives at Meta.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Sequence

import httpx
from pydantic import Field

from activation.config import ConsentPurpose, DestinationSettings
from activation.destinations.base import (
    ConnectionCheckError,
    Destination,
    Operation,
    Outcome,
    Record,
    SyncContext,
)
from activation.http import ApiClient, GaveUpError, retry_after_seconds
from activation.normalize import hashed, normalize_email, normalize_name, phone_for_meta
from activation.secrets import SecretResolver

SCHEMA = ["EMAIL", "PHONE", "FN", "LN", "COUNTRY"]
THROTTLE_CODES = {4, 17, 613, 80003, *range(80000, 80015)}


class MetaSettings(DestinationSettings):
    audience_id: str
    secret: str
    api_version: str = "v21.0"
    base_url: str = "https://graph.facebook.com"
    batch_size: int = Field(10_000, ge=1, le=10_000)


def meta_throttle(response: httpx.Response) -> float | None:
    """Meta throttles with a JSON error code, not always a 429; usage headers say how long."""
    if response.status_code not in (400, 403, 429):
        return None
    try:
        code = int(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None
    if code not in THROTTLE_CODES:
        return None
    wait = retry_after_seconds(response)
    try:
        usage = json.loads(response.headers.get("X-Business-Use-Case-Usage", "{}"))
        minutes = max(
            u.get("estimated_time_to_regain_access", 0)
            for entries in usage.values()
            for u in entries
        )
        wait = max(wait, minutes * 60.0)
    except (ValueError, AttributeError, TypeError):
        pass
    return wait


def meta_row(fields: dict[str, object]) -> list[str]:
    country = str(fields.get("country") or "") or None
    values = [
        normalize_email(_text(fields.get("email"))),
        phone_for_meta(_text(fields.get("phone")), country),
        normalize_name(_text(fields.get("first_name"))),
        normalize_name(_text(fields.get("last_name"))),
        country.lower() if country else None,
    ]
    return [hashed(v) or "" for v in values]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


class MetaDestination(Destination):
    settings_model = MetaSettings
    settings: MetaSettings
    default_consent = ConsentPurpose.ADS

    def __init__(self, settings: MetaSettings, secrets: SecretResolver) -> None:
        super().__init__(settings, secrets)
        self._client: ApiClient | None = None
        self._lock = threading.Lock()
        self._sessions: dict[str, dict[str, int]] = {}

    @property
    def client(self) -> ApiClient:
        if self._client is None:
            token = self.secrets.get(self.settings.secret).get_secret_value()
            self._client = ApiClient(
                self.settings,
                self.settings.base_url,
                headers={"Authorization": f"Bearer {token}"},
                throttle=meta_throttle,
            )
        return self._client

    def check_connection(self) -> None:
        path = f"/{self.settings.api_version}/{self.settings.audience_id}"
        try:
            response = self.client.request("GET", path)
        except GaveUpError as error:
            raise ConnectionCheckError(f"Meta unreachable: {error}") from error
        if response.status_code != 200:
            raise ConnectionCheckError(
                f"Meta audience check: HTTP {response.status_code}: {response.text[:300]}"
            )

    def _session(self, context: SyncContext, operation: Operation, rows: int) -> dict[str, object]:
        """Each operation of a run is one session; batches count up; the last one says so."""
        with self._lock:
            state = self._sessions.setdefault(
                operation.value, {"id": random.randrange(1, 2**53), "seq": 0, "sent": 0}
            )
            state["seq"] += 1
            state["sent"] += rows
            total = context.planned.get(operation.value, state["sent"])
            return {
                "session_id": state["id"],
                "batch_seq": state["seq"],
                "last_batch_flag": state["sent"] >= total,
                "estimated_num_total": total,
            }

    def write(
        self, context: SyncContext, operation: Operation, records: Sequence[Record]
    ) -> list[Outcome]:
        rows = [meta_row(r.fields) for r in records]
        sendable = [i for i, row in enumerate(rows) if row[0] or row[1]]
        outcomes = [Outcome(False, "no email or phone to match on")] * len(records)
        if not sendable:
            return outcomes
        form = {
            "payload": json.dumps({"schema": SCHEMA, "data": [rows[i] for i in sendable]}),
            "session": json.dumps(self._session(context, operation, len(sendable))),
        }
        method = "DELETE" if operation is Operation.REMOVE else "POST"
        path = f"/{self.settings.api_version}/{self.settings.audience_id}/users"
        try:
            response = self.client.request(method, path, data=form)
        except GaveUpError as error:
            return [Outcome(False, str(error))] * len(records)
        if response.status_code != 200:
            error = f"HTTP {response.status_code}: {response.text[:300]}"
            return [Outcome(False, error)] * len(records)
        samples = response.json().get("invalid_entry_samples") or {}
        for i in sendable:
            bad = [samples[v] for v in rows[i] if v and v in samples]
            outcomes[i] = Outcome(False, f"invalid entry: {bad[0]}") if bad else Outcome(True)
        return outcomes

    def erase(self, context: SyncContext, records: Sequence[Record]) -> list[Outcome]:
        return self.write(context, Operation.REMOVE, records)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
