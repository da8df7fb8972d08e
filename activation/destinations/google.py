"""Google Customer Match through the Data Manager REST API (`audienceMembers:ingest` /
`:remove`), the upgrade path Google publishes from the gRPC OfflineUserDataJob flow.

Email and phone are normalized (phone in E.164 *with* '+', unlike Meta) and SHA-256 hex encoded.
Only members with ads consent reach this destination, so ingests carry consent GRANTED for both
ad_user_data and ad_personalization; removals need no consent. Google rejects a whole request for
one bad identifier, naming it by index: those records fail, the rest are sent again.
Erasure is the same `:remove`, the Data Manager form of Customer Match remove operations: the
user list is the only place our upload lives at Google.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
from activation.http import ApiClient, GaveUpError, reply_error, throttle_on_429
from activation.normalize import hashed, normalize_email, phone_for_google
from activation.secrets import SecretResolver


class GoogleSettings(DestinationSettings):
    operating_account_id: str
    audience_id: str
    secret: str
    account_type: str = "GOOGLE_ADS"
    base_url: str = "https://datamanager.googleapis.com"
    batch_size: int = Field(10_000, ge=1, le=10_000)


def google_identifiers(fields: dict[str, object]) -> list[dict[str, str]]:
    country = str(fields.get("country") or "") or None
    email = normalize_email(None if fields.get("email") is None else str(fields["email"]))
    phone = phone_for_google(None if fields.get("phone") is None else str(fields["phone"]), country)
    identifiers = []
    if email:
        identifiers.append({"emailAddress": hashed(email)})
    if phone:
        identifiers.append({"phoneNumber": hashed(phone)})
    return identifiers


def _violating_members(body: Any) -> dict[int, str]:
    """`audienceMembers[i]…` field violations by member index."""
    found: dict[int, str] = {}
    try:
        details = body["error"].get("details") or []
    except (KeyError, TypeError, AttributeError):
        return found
    for detail in details:
        for violation in detail.get("fieldViolations") or []:
            field = str(violation.get("field", ""))
            if field.startswith("audienceMembers["):
                index = int(field[len("audienceMembers[") : field.index("]")])
                found.setdefault(index, str(violation.get("description")))
    return found


class GoogleCustomerMatchDestination(Destination):
    settings_model = GoogleSettings
    settings: GoogleSettings
    default_consent = ConsentPurpose.ADS

    def __init__(self, settings: GoogleSettings, secrets: SecretResolver) -> None:
        super().__init__(settings, secrets)
        self._client: ApiClient | None = None

    @property
    def client(self) -> ApiClient:
        if self._client is None:
            token = self.secrets.get(self.settings.secret).get_secret_value()
            self._client = ApiClient(
                self.settings,
                self.settings.base_url,
                headers={"Authorization": f"Bearer {token}"},
                throttle=throttle_on_429,
            )
        return self._client

    def _body(
        self, identifiers: list[list[dict[str, str]]], ingest: bool, validate_only: bool = False
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "destinations": [
                {
                    "operatingAccount": {
                        "accountType": self.settings.account_type,
                        "accountId": self.settings.operating_account_id,
                    },
                    "productDestinationId": self.settings.audience_id,
                }
            ],
            "audienceMembers": [{"userData": {"userIdentifiers": ids}} for ids in identifiers],
            "encoding": "HEX",
            "validateOnly": validate_only,
        }
        if ingest:
            body["consent"] = {
                "adUserData": "CONSENT_GRANTED",
                "adPersonalization": "CONSENT_GRANTED",
            }
        return body

    def check_connection(self) -> None:
        probe = [[{"emailAddress": hashed("connection-check@example.invalid")}]]
        try:
            response = self.client.request(
                "POST",
                "/v1/audienceMembers:ingest",
                json=self._body(probe, True, validate_only=True),
            )
        except GaveUpError as error:
            raise ConnectionCheckError(f"Google Data Manager unreachable: {error}") from error
        if response.status_code in (401, 403, 404):
            raise ConnectionCheckError(f"Google Data Manager: {reply_error(response)}")

    def write(
        self, context: SyncContext, operation: Operation, records: Sequence[Record]
    ) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(records)
        pending = []
        for i, record in enumerate(records):
            ids = google_identifiers(record.fields)
            if ids:
                pending.append((i, ids))
            else:
                outcomes[i] = Outcome(False, "no email or phone to match on")
        ingest = operation is not Operation.REMOVE
        path = "/v1/audienceMembers:ingest" if ingest else "/v1/audienceMembers:remove"
        while pending:
            try:
                response = self.client.request(
                    "POST", path, json=self._body([p[1] for p in pending], ingest)
                )
            except GaveUpError as error:
                for i, _ in pending:
                    outcomes[i] = Outcome(False, str(error))
                break
            if response.status_code == 200:
                for i, _ in pending:
                    outcomes[i] = Outcome(True)
                break
            bad = _violating_members(response.json()) if response.status_code == 400 else {}
            if not bad:
                for i, _ in pending:
                    outcomes[i] = Outcome(False, reply_error(response))
                break
            for position, description in bad.items():
                outcomes[pending[position][0]] = Outcome(False, f"INVALID_ARGUMENT: {description}")
            pending = [p for position, p in enumerate(pending) if position not in bad]
        return [o or Outcome(False, "not sent") for o in outcomes]

    def erase(self, context: SyncContext, records: Sequence[Record]) -> list[Outcome]:
        return self.write(context, Operation.REMOVE, records)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
