"""Fake Google Data Manager API: `POST /v1/audienceMembers:ingest` and `:remove`.

Contract: OAuth Bearer token; one destination naming our operating account and audience; at most
10,000 audience members; `encoding: HEX`; each member's `userData.userIdentifiers` hold SHA-256 hex
of the normalized email, or of the phone in E.164 *with* '+'; ingest requires request-level
`consent` (`adUserData`, `adPersonalization`). An invalid identifier fails the whole request with
400 INVALID_ARGUMENT naming each offending `audienceMembers[i]` in `fieldViolations`. `:remove`
takes the same members without consent and drops every member sharing one of their identifiers
(kept in `removals`).
"""

from __future__ import annotations

import uuid
from typing import Any

from activation.fakes.server import FakeApi, FakeRequest, FakeResponse, KnownPlaintexts

MAX_MEMBERS = 10_000
CONSENT_VALUES = {"CONSENT_GRANTED", "CONSENT_DENIED"}


def rpc_error(
    code: int,
    status: str,
    message: str,
    violations: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> FakeResponse:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if violations:
        error["details"] = [
            {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": violations}
        ]
    return FakeResponse(code, {"error": error}, headers or {})


class FakeGoogleDataManager(FakeApi):
    def __init__(
        self,
        access_token: str,
        account_id: str,
        audience_id: str,
        rate_limit: float | None = None,
        known: KnownPlaintexts | None = None,
    ) -> None:
        super().__init__(rate_limit)
        self.access_token = access_token
        self.account_id = account_id
        self.audience_id = audience_id
        self.known = known or KnownPlaintexts({})
        self.members: set[tuple[tuple[str, str], ...]] = set()
        self.consents: list[dict[str, str]] = []
        self.removals: list[tuple[tuple[str, str], ...]] = []
        """Every member accepted by `:remove`, in arrival order."""

    def throttle_response(self, reason: str) -> FakeResponse:
        return rpc_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", headers={"Retry-After": "1"})

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            return rpc_error(
                401, "UNAUTHENTICATED", "Request had invalid authentication credentials."
            )
        if request.method != "POST" or request.path not in (
            "/v1/audienceMembers:ingest",
            "/v1/audienceMembers:remove",
        ):
            return rpc_error(404, "NOT_FOUND", f"{request.method} {request.path}")
        body = request.json()
        ingest = request.path.endswith(":ingest")
        destinations = body.get("destinations") or []
        if (
            len(destinations) != 1
            or destinations[0].get("productDestinationId") != self.audience_id
            or destinations[0].get("operatingAccount", {}).get("accountId") != self.account_id
        ):
            return rpc_error(403, "PERMISSION_DENIED", "The caller does not have permission")
        if body.get("encoding") != "HEX":
            return rpc_error(400, "INVALID_ARGUMENT", "encoding must be HEX for hex hashes")
        consent = body.get("consent") or {}
        if ingest and not (
            {consent.get("adUserData"), consent.get("adPersonalization")} <= CONSENT_VALUES
        ):
            return rpc_error(
                400,
                "INVALID_ARGUMENT",
                "consent.adUserData and consent.adPersonalization are required",
            )
        members = body.get("audienceMembers") or []
        if not members or len(members) > MAX_MEMBERS:
            return rpc_error(
                400, "INVALID_ARGUMENT", f"audienceMembers must hold 1 to {MAX_MEMBERS} items"
            )
        violations, parsed = [], []
        for i, member in enumerate(members):
            identifiers = (member.get("userData") or {}).get("userIdentifiers") or []
            pairs = []
            for j, identifier in enumerate(identifiers):
                ((kind, value),) = identifier.items() if len(identifier) == 1 else ((None, None),)
                problem = (
                    self.known.problem(value)
                    if kind in ("emailAddress", "phoneNumber")
                    else "each identifier holds exactly one of emailAddress, phoneNumber"
                )
                if problem:
                    violations.append(
                        {
                            "field": f"audienceMembers[{i}].userData.userIdentifiers[{j}]",
                            "description": problem,
                        }
                    )
                pairs.append((kind, value))
            if not pairs:
                violations.append(
                    {
                        "field": f"audienceMembers[{i}].userData",
                        "description": "no user identifiers",
                    }
                )
            parsed.append(tuple(sorted(pairs)))
        if violations:
            return rpc_error(
                400, "INVALID_ARGUMENT", "Request contains an invalid argument.", violations
            )
        if body.get("validateOnly"):
            return FakeResponse(200, {"requestId": str(uuid.uuid4())})
        self.accepted_data()
        with self.lock:
            if ingest:
                self.members.update(parsed)
                if consent:
                    self.consents.append(consent)
            else:
                self.removals.extend(parsed)
                wanted = {pair for member in parsed for pair in member}
                self.members = {m for m in self.members if wanted.isdisjoint(m)}
        return FakeResponse(200, {"requestId": str(uuid.uuid4())})

    def emails(self) -> set[str]:
        with self.lock:
            return {v for member in self.members for k, v in member if k == "emailAddress"}

    def phones(self) -> set[str]:
        with self.lock:
            return {v for member in self.members for k, v in member if k == "phoneNumber"}
