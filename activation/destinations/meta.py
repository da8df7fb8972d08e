"""Meta Custom Audiences: hashed identifiers added with `POST /{audience_id}/users`, removed
with `DELETE`, at most 10,000 rows a request, each batch a numbered part of a session.

Identifiers are normalized to Meta's rules (`activation.normalize`) and hashed here; Meta never
receives plaintext. Rows Meta reports invalid fail alone; the rest of the batch is acknowledged.
Erasure is the same `DELETE`: the audience is the only place our upload lives at Meta. A sync in
`replace` mode sends the whole audience through `POST …/usersreplace` in one session whenever
anything changed; its leavers need no request, the replace's last batch drops them. A run with
nobody left to upload opens no replace (Meta's `usersreplace` takes users, not an empty list), so
its leavers are removed with `DELETE /users` instead: an emptied audience ends empty.
"""

from __future__ import annotations

import json
import random
import string
import threading
from collections.abc import Sequence
from functools import lru_cache

import httpx
from pydantic import Field

from activation.config import ConsentPurpose, DestinationSettings, SyncMode
from activation.destinations.base import (
    ConnectionCheckError,
    Destination,
    Operation,
    Outcome,
    Record,
    SyncContext,
)
from activation.http import ApiClient, GaveUpError, reply_error, retry_after_seconds
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
    return [
        hashed(normalize_email(_text(fields.get("email")))) or "",
        hashed(phone_for_meta(_text(fields.get("phone")), country)) or "",
        _name_hash(_text(fields.get("first_name"))),
        _name_hash(_text(fields.get("last_name"))),
        _country_hash(country),
    ]


@lru_cache(maxsize=65_536)
def _name_hash(name: str | None) -> str:
    """Names repeat across an audience far more than emails do: normalizing (NFC, a Unicode
    category test per character) and hashing each distinct one once is a third of the row cost."""
    return hashed(normalize_name(name)) or ""


@lru_cache(maxsize=1024)
def _country_hash(country: str | None) -> str:
    return hashed(country.lower()) if country else ""


_FORM_SAFE = frozenset(string.ascii_letters + string.digits + "_.-~")


def form_body(fields: dict[str, str]) -> bytes:
    """`application/x-www-form-urlencoded`, byte for byte what `urlencode` gives, by one
    `str.replace` per distinct special character: a 10,000-row payload is 3.4 MB of JSON, and
    urlencode's per-character quoting took more client time than building the rows."""
    return "&".join(f"{name}={_form_quote(value)}" for name, value in fields.items()).encode()


def _form_quote(text: str) -> str:
    special = set(text) - _FORM_SAFE
    if "%" in special:
        text = text.replace("%", "%25")
    for char in sorted(special - {"%", " "}):
        text = text.replace(char, "".join(f"%{b:02X}" for b in char.encode("utf-8")))
    return text.replace(" ", "+")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


class MetaDestination(Destination):
    settings_model = MetaSettings
    settings: MetaSettings
    default_consent = ConsentPurpose.ADS
    supports_replace = True

    def __init__(self, settings: MetaSettings, secrets: SecretResolver) -> None:
        super().__init__(settings, secrets)
        self._client: ApiClient | None = None
        self._turn = threading.Condition()
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
            raise ConnectionCheckError(f"Meta audience check: {reply_error(response)}")

    def _session_key(self, context: SyncContext, operation: Operation) -> str:
        replacing = context.sync.mode is SyncMode.REPLACE and operation is not Operation.REMOVE
        return "replace" if replacing else operation.value

    def _open_batch(self, context: SyncContext, key: str, rows: int) -> dict[str, object]:
        """Each operation of a run is one session (a replace: adds, updates and keeps together);
        batches count up, and the one completing the planned total is flagged last and waits
        until every earlier batch is answered: Meta refuses batches after the last one."""
        operations = (Operation.ADD, Operation.UPDATE, Operation.KEEP) if key == "replace" else ()
        with self._turn:
            state = self._sessions.setdefault(
                key,
                {"id": random.randrange(1, 2**53), "seq": 0, "sent": 0, "open": 0, "done": False},
            )
            state["seq"] += 1
            state["sent"] += rows
            seq = state["seq"]
            total = sum(
                context.planned.get(op.value, 0) for op in operations
            ) or context.planned.get(key, state["sent"])
            last = state["sent"] >= total
            if last:
                self._turn.wait_for(lambda: state["open"] == 0)
            state["open"] += 1
            return {
                "session_id": state["id"],
                "batch_seq": seq,
                "last_batch_flag": last,
                "estimated_num_total": total,
            }

    def _close_batch(self, key: str, session: dict[str, object], ok: bool) -> None:
        with self._turn:
            state = self._sessions[key]
            state["open"] -= 1
            state["done"] = state["done"] or (ok and bool(session["last_batch_flag"]))
            self._turn.notify_all()

    def write(
        self, context: SyncContext, operation: Operation, records: Sequence[Record]
    ) -> list[Outcome]:
        if operation is Operation.REMOVE and self._replaced(context):
            return self._dropped_by_replace(len(records))
        return self._send(context, operation, records)

    def _replaced(self, context: SyncContext) -> bool:
        """Whether this run opened a replace session: the leavers are then its business. Removes
        come after every replace batch is answered, so the answer no longer changes."""
        with self._turn:
            return context.sync.mode is SyncMode.REPLACE and "replace" in self._sessions

    def _send(
        self, context: SyncContext, operation: Operation, records: Sequence[Record]
    ) -> list[Outcome]:
        key = self._session_key(context, operation)
        rows = [meta_row(r.fields) for r in records]
        sendable = [i for i, row in enumerate(rows) if row[0] or row[1]]
        outcomes = [Outcome(False, "no email or phone to match on")] * len(records)
        if not sendable:
            return outcomes
        session = self._open_batch(context, key, len(records))
        form = {
            "payload": json.dumps({"schema": SCHEMA, "data": [rows[i] for i in sendable]}),
            "session": json.dumps(session),
        }
        method = "DELETE" if operation is Operation.REMOVE else "POST"
        edge = "usersreplace" if key == "replace" else "users"
        path = f"/{self.settings.api_version}/{self.settings.audience_id}/{edge}"
        response = None
        try:
            response = self.client.request(
                method,
                path,
                content=form_body(form),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        except GaveUpError as error:
            return [Outcome(False, str(error))] * len(records)
        finally:
            ok = response is not None and response.status_code == 200
            self._close_batch(key, session, ok)
        if response.status_code != 200:
            error = reply_error(response)
            return [Outcome(False, error)] * len(records)
        samples = response.json().get("invalid_entry_samples") or {}
        for i in sendable:
            bad = [samples[v] for v in rows[i] if v and v in samples]
            outcomes[i] = Outcome(False, f"invalid entry: {bad[0]}") if bad else Outcome(True)
        return outcomes

    def _dropped_by_replace(self, count: int) -> list[Outcome]:
        """Leavers of a replace need no request: its last batch dropped them, if it landed."""
        with self._turn:
            done = self._sessions.get("replace", {}).get("done", False)
        if done:
            return [Outcome(True)] * count
        return [Outcome(False, "the replace did not complete; the next run sends it again")] * count

    def erase(self, context: SyncContext, records: Sequence[Record]) -> list[Outcome]:
        return self._send(context, Operation.REMOVE, records)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
