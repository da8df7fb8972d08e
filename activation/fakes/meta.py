"""Fake Meta Marketing API: `POST` / `DELETE /{version}/{audience_id}/users`.

Contract: access token (Bearer header or `access_token` field); form field `payload` holding
`{schema, data}` with every identifier SHA-256 lowercase hex (known test identities must hash
their *correctly normalized* form); at most 10,000 rows; optional `session` with unique increasing
`batch_seq` and nothing after `last_batch_flag`. Invalid rows are counted and sampled in a 200;
throttling is a JSON error with code 17, 613 or 4 plus `X-Business-Use-Case-Usage`. A DELETE
removes every user matching a row on any match key (EMAIL, PHONE, ids) and is kept in `deletions`.
`POST …/usersreplace` (session required) replaces the audience: each batch's users are added as it
arrives; the flagged last batch closes the session and drops the users not uploaded in it. While
a replace is under way (up to 90 minutes) `/users` and any other replace session are refused
with code 100.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from activation.fakes.server import FakeApi, FakeRequest, FakeResponse, KnownPlaintexts

_USERS = re.compile(r"^/v[0-9.]+/([^/]+)/(users|usersreplace)$")
HASHED_KEYS = {
    "EMAIL",
    "PHONE",
    "FN",
    "LN",
    "FI",
    "CT",
    "ST",
    "ZIP",
    "COUNTRY",
    "GEN",
    "DOBY",
    "DOBM",
    "DOBD",
    "EMAIL_SHA256",
    "PHONE_SHA256",
}
UNHASHED_KEYS = {"EXTERN_ID", "MADID", "MOBILE_ADVERTISER_ID"}
MATCH_KEYS = {"EMAIL", "PHONE", "EMAIL_SHA256", "PHONE_SHA256", *UNHASHED_KEYS}
MAX_ROWS = 10_000
REPLACE_SESSION_SECONDS = 90 * 60


def graph_error(
    message: str,
    code: int,
    subcode: int | None = None,
    status: int = 400,
    headers: dict[str, str] | None = None,
) -> FakeResponse:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "fake",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return FakeResponse(status, {"error": error}, headers or {})


class FakeMeta(FakeApi):
    def __init__(
        self,
        access_token: str,
        audience_id: str,
        rate_limit: float | None = None,
        known: KnownPlaintexts | None = None,
        throttle_code: int = 17,
    ) -> None:
        super().__init__(rate_limit)
        self.access_token = access_token
        self.audience_id = audience_id
        self.known = known or KnownPlaintexts({})
        self.throttle_code = throttle_code
        self.members: set[tuple[str, ...]] = set()
        self.sessions: dict[int, dict[str, Any]] = {}
        self.rows_received = 0
        self.deletions: list[tuple[str, ...]] = []
        self.replace_sessions: dict[int, dict[str, Any]] = {}
        """usersreplace sessions: `seqs` received, `last` seq (once flagged), `done`."""
        self.replace_timeout = REPLACE_SESSION_SECONDS
        """Every row accepted by a DELETE (removals and erasures), in arrival order."""

    def throttle_response(self, reason: str) -> FakeResponse:
        subcode = {17: 2446079, 613: 1487742}.get(self.throttle_code)
        usage = {
            self.audience_id: [
                {"type": "custom_audience", "call_count": 100, "estimated_time_to_regain_access": 0}
            ]
        }
        return graph_error(
            "User request limit reached",
            self.throttle_code,
            subcode,
            headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
        )

    def _token(self, request: FakeRequest, form: dict[str, str]) -> str | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() in ("bearer", "oauth"):
            return value
        return form.get("access_token")

    def handle(self, request: FakeRequest) -> FakeResponse:
        form = request.form() if request.body else {}
        if self._token(request, form) != self.access_token:
            return graph_error("Invalid OAuth access token - Cannot parse access token", 190)
        if request.method == "GET" and request.path.endswith(f"/{self.audience_id}"):
            return FakeResponse(200, {"id": self.audience_id, "operation_status": {"code": 200}})
        match = _USERS.match(request.path)
        replace = bool(match) and match.group(2) == "usersreplace"
        if not match or request.method not in (("POST",) if replace else ("POST", "DELETE")):
            return graph_error(f"Unsupported {request.method} request", 100, status=400)
        if match.group(1) != self.audience_id:
            return graph_error("Object does not exist or missing permissions", 100, 33)
        try:
            payload = json.loads(form["payload"])
            session = json.loads(form["session"]) if "session" in form else None
        except (KeyError, ValueError):
            return graph_error("(#100) The parameter payload is required", 100)
        if replace and session is None:
            return graph_error("(#100) usersreplace requires the parameter session", 100)
        return self._users("REPLACE" if replace else request.method, payload, session)

    def _users(self, method: str, payload: dict[str, Any], session: dict | None) -> FakeResponse:
        schema = payload.get("schema")
        keys = [schema] if isinstance(schema, str) else schema
        data = payload.get("data")
        if (
            not keys
            or not isinstance(data, list)
            or any(k not in HASHED_KEYS | UNHASHED_KEYS for k in keys)
        ):
            return graph_error(f"(#100) Invalid schema: {schema}", 100)
        if len(data) > MAX_ROWS:
            return graph_error(f"(#100) Too many users: {len(data)} > {MAX_ROWS}", 100)
        invalid: dict[str, str] = {}
        accepted = []
        for row in data:
            values = [row] if isinstance(schema, str) else row
            if not isinstance(values, list) or len(values) != len(keys):
                return graph_error("(#100) Each data row must match the schema", 100)
            problems = {
                v: p
                for k, v in zip(keys, values, strict=True)
                if k in HASHED_KEYS and v != "" and (p := self.known.problem(v))
            }
            if problems or all(v == "" for v in values):
                invalid.update(problems or {"": "row has no identifier"})
            else:
                accepted.append(tuple(values))
        with self.lock:
            replacing = self._open_replace()
            if method == "REPLACE" and session is not None:
                error = self._replace_batch(session, accepted)
            elif replacing is not None:
                error = f"audience is being replaced (session {replacing}): wait for its last batch"
            else:
                error = self._session(session) if session is not None else None
            if error:
                return graph_error(f"(#100) {error}", 100)
            self.rows_received += len(data)
            self.accepted_data()
            if method == "REPLACE":
                self.members.update(accepted)
                self._finish_replace(int(session["session_id"]))
            elif method == "POST":
                self.members.update(accepted)
            else:
                self.deletions.extend(accepted)
                self._remove_matching(keys, accepted)
        return FakeResponse(
            200,
            {
                "audience_id": self.audience_id,
                "session_id": (session or {}).get("session_id"),
                "num_received": len(data),
                "num_invalid_entries": len(data) - len(accepted),
                "invalid_entry_samples": invalid,
            },
        )

    def _remove_matching(self, keys: list[str], rows: list[tuple[str, ...]]) -> None:
        """Meta removes every audience user a row matches on any match key (email, phone, ids),
        not only a row identical to the one added: a removal sent with fewer fields still works."""
        wanted = {
            v for row in rows for k, v in zip(keys, row, strict=True) if k in MATCH_KEYS and v
        }
        self.members = {m for m in self.members if wanted.isdisjoint(m)}

    def _open_replace(self) -> int | None:
        """The replace session under way, if any (one abandoned for longer than the timeout
        no longer blocks the audience)."""
        now = time.monotonic()
        for session_id, state in self.replace_sessions.items():
            if not state["done"] and now - state["started"] < self.replace_timeout:
                return session_id
        return None

    def _replace_batch(self, session: dict[str, Any], rows: list[tuple[str, ...]]) -> str | None:
        """Each seq once, none after the last."""
        session_id, seq = int(session["session_id"]), int(session["batch_seq"])
        open_id = self._open_replace()
        if open_id is not None and open_id != session_id:
            return f"audience is being replaced by session {open_id}"
        state = self.replace_sessions.setdefault(
            session_id,
            {
                "seqs": set(),
                "last": None,
                "done": False,
                "rows": set(),
                "started": time.monotonic(),
            },
        )
        if state["done"] or (state["last"] is not None and seq > state["last"]):
            return f"replace session {session_id} already received its last batch"
        if seq in state["seqs"] or seq < 1:
            return f"batch_seq {seq} repeated or invalid"
        state["seqs"].add(seq)
        state["rows"].update(rows)
        if session.get("last_batch_flag"):
            state["last"] = seq
        return None

    def _finish_replace(self, session_id: int) -> None:
        """The flagged last batch closes the session: users not uploaded in it leave the
        audience (a batch arriving after it is refused, so clients send the last one last)."""
        state = self.replace_sessions[session_id]
        if state["last"] is not None:
            self.members = set(state.pop("rows"))
            state["done"] = True

    def _session(self, session: dict[str, Any]) -> str | None:
        state = self.sessions.setdefault(
            int(session["session_id"]), {"seqs": set(), "closed": False}
        )
        seq = int(session["batch_seq"])
        if state["closed"]:
            return f"session {session['session_id']} already received its last batch"
        if seq in state["seqs"] or seq < 1:
            return f"batch_seq {seq} repeated or invalid"
        state["seqs"].add(seq)
        state["closed"] = bool(session.get("last_batch_flag"))
        return None

    def emails(self) -> set[str]:
        """First column of every member row (EMAIL in our schema)."""
        with self.lock:
            return {row[0] for row in self.members if row[0]}
