"""Fake HubSpot CRM v3: `POST /crm/v3/objects/contacts/batch/upsert` by email.

Contract: private-app Bearer token; at most 100 inputs, each `{idProperty: "email", id,
properties}`; all good -> 200, some bad -> 207 Multi-Status with `errors[]` naming the ids; a
rate limit breach -> 429 `{status, message, errorType: RATE_LIMIT, policyName, correlationId}`
with the `X-HubSpot-RateLimit-*` headers. Once `daily_limit_after` requests have been made the
account's daily limit is spent: every request gets the 429 with `policyName: DAILY` (and no
`Retry-After`; the limit resets at midnight) until the attribute is reset.
`POST /crm/v3/objects/contacts/gdpr-delete {objectId, idProperty: "email"}` deletes the contact
for good (204); an address with no contact is blocklisted all the same. A blocklisted address can
no longer be upserted, and `GET /crm/v3/objects/contacts/{email}?idProperty=email` is a 404.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from activation.fakes.server import FakeApi, FakeRequest, FakeResponse

MAX_INPUTS = 100
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def hubspot_error(status: int, category: str, message: str, **extra: Any) -> FakeResponse:
    body = {
        "status": "error",
        "message": message,
        "category": category,
        "correlationId": str(uuid.uuid4()),
        **extra,
    }
    return FakeResponse(status, body)


class FakeHubSpot(FakeApi):
    def __init__(
        self,
        access_token: str,
        rate_limit: float | None = None,
        reject_emails: set[str] = frozenset(),
    ) -> None:
        super().__init__(rate_limit)
        self.access_token = access_token
        self.reject_emails = set(reject_emails)
        self.contacts: dict[str, dict[str, Any]] = {}
        self.upserts = 0
        self.gdpr_deleted: list[str] = []
        """Addresses erased through gdpr-delete, in arrival order (also the blocklist)."""
        self.daily_limit_after: int | None = None
        """Answer the DAILY 429 to every request after this many, until reset."""

    def throttle_response(self, reason: str) -> FakeResponse:
        body = _rate_limit_body(
            "You have reached your ten_secondly_rolling limit.", "TEN_SECONDLY_ROLLING"
        )
        headers = {
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": str(int((self.limiter.rate or 0) * 10)),
            "X-HubSpot-RateLimit-Remaining": "0",
            "Retry-After": "1",
        }
        return FakeResponse(429, body, headers)

    def daily_limit_response(self) -> FakeResponse:
        body = _rate_limit_body("You have reached your daily limit.", "DAILY")
        headers = {
            "X-HubSpot-RateLimit-Daily": str(self.daily_limit_after),
            "X-HubSpot-RateLimit-Daily-Remaining": "0",
        }
        return FakeResponse(429, body, headers)

    def handle(self, request: FakeRequest) -> FakeResponse:
        with self.lock:
            spent = self.daily_limit_after is not None and self.requests > self.daily_limit_after
        if spent:
            return self.daily_limit_response()
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            return hubspot_error(
                401, "INVALID_AUTHENTICATION", "Authentication credentials not found."
            )
        if request.method == "GET" and request.path == "/crm/v3/objects/contacts":
            return FakeResponse(200, {"results": []})
        if request.method == "POST" and request.path == "/crm/v3/objects/contacts/gdpr-delete":
            return self._gdpr_delete(request.json() or {})
        if request.method == "GET" and request.path.startswith("/crm/v3/objects/contacts/"):
            return self._contact(request.path.rsplit("/", 1)[1], request.query)
        if request.method != "POST" or request.path != "/crm/v3/objects/contacts/batch/upsert":
            return hubspot_error(404, "OBJECT_NOT_FOUND", f"{request.method} {request.path}")
        inputs = (request.json() or {}).get("inputs") or []
        if not inputs or len(inputs) > MAX_INPUTS:
            return hubspot_error(
                400,
                "VALIDATION_ERROR",
                f"inputs must hold 1 to {MAX_INPUTS} items, got {len(inputs)}",
            )
        now = datetime.now(UTC).isoformat()
        results, errors = [], []
        with self.lock:
            for item in inputs:
                email = str(item.get("id", "")).lower()
                if item.get("idProperty") != "email":
                    return hubspot_error(400, "VALIDATION_ERROR", "idProperty must be email")
                blocked = email in self.gdpr_deleted
                if not _EMAIL.match(email) or email in self.reject_emails or blocked:
                    errors.append(
                        {
                            "status": "error",
                            "category": "VALIDATION_ERROR",
                            "message": f"Contact {email!r} was GDPR-deleted and is blocklisted"
                            if blocked
                            else f"Property values were not valid: email {email!r}",
                            "context": {"ids": [item.get("id")]},
                            "errors": [],
                        }
                    )
                    continue
                self.upserts += 1
                new = email not in self.contacts
                contact = self.contacts.setdefault(email, {"id": str(len(self.contacts) + 1)})
                contact.update(item.get("properties") or {})
                results.append(
                    {
                        "id": contact["id"],
                        "new": new,
                        "properties": {"email": email},
                        "createdAt": now,
                        "updatedAt": now,
                    }
                )
        body = {
            "status": "COMPLETE",
            "results": results,
            "requestedAt": now,
            "startedAt": now,
            "completedAt": now,
        }
        self.accepted_data()
        if errors:
            body.update(errors=errors, numErrors=len(errors))
        return FakeResponse(207 if errors else 200, body)

    def _gdpr_delete(self, body: dict[str, Any]) -> FakeResponse:
        if body.get("idProperty") != "email" or not body.get("objectId"):
            return hubspot_error(
                400, "VALIDATION_ERROR", "objectId is required; idProperty must be email"
            )
        email = str(body["objectId"]).lower()
        with self.lock:
            self.contacts.pop(email, None)
            if email not in self.gdpr_deleted:
                self.gdpr_deleted.append(email)
        return FakeResponse(204)

    def _contact(self, object_id: str, query: dict[str, list[str]]) -> FakeResponse:
        if query.get("idProperty") != ["email"]:
            return hubspot_error(400, "VALIDATION_ERROR", "look contacts up with idProperty=email")
        with self.lock:
            contact = self.contacts.get(object_id.lower())
            if contact is None:
                return hubspot_error(404, "OBJECT_NOT_FOUND", "resource not found")
            return FakeResponse(200, {"id": contact["id"], "properties": dict(contact)})


def _rate_limit_body(message: str, policy: str) -> dict[str, str]:
    """HubSpot's 429 body: the policy name is what tells a client to wait seconds or a day."""
    return {
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "requestId": str(uuid.uuid4()),
    }
