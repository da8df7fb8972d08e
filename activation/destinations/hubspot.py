"""HubSpot CRM v3: contacts upserted by email with traits and a segment flag as properties.

`POST /crm/v3/objects/contacts/batch/upsert` (at most 100 inputs); a 207 names the inputs that
failed, the rest are acknowledged. A member who leaves the segment keeps the contact but gets the
flag set to false: the CRM is the system of record for contacts, we only write what we know.
Erasure is HubSpot's GDPR delete (`POST /crm/v3/objects/contacts/gdpr-delete`, by email, one
contact a call): the contact goes for good and the address is blocklisted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

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
from activation.http import ApiClient, GaveUpError, reply_error, retry_after_seconds
from activation.secrets import SecretResolver


class HubSpotSettings(DestinationSettings):
    secret: str
    base_url: str = "https://api.hubapi.com"
    flag_prefix: str = "cdp_segment_"
    batch_size: int = Field(100, ge=1, le=100)


def hubspot_throttle(response: httpx.Response) -> float | None:
    """429 with `policyName`; the interval header says when the window rolls over."""
    if response.status_code != 429:
        return None
    wait = retry_after_seconds(response)
    try:
        policy = response.json().get("policyName", "")
    except ValueError:
        policy = ""
    if "DAILY" in str(policy).upper():
        return 3600.0
    interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
    if not wait and interval and interval.isdigit() and policy == "TEN_SECONDLY_ROLLING":
        wait = min(int(interval) / 1000.0, 10.0) / 10.0
    return wait


def _property_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class HubSpotDestination(Destination):
    settings_model = HubSpotSettings
    settings: HubSpotSettings
    default_consent = ConsentPurpose.EMAIL

    def __init__(self, settings: HubSpotSettings, secrets: SecretResolver) -> None:
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
                throttle=hubspot_throttle,
            )
        return self._client

    def check_connection(self) -> None:
        try:
            response = self.client.request("GET", "/crm/v3/objects/contacts", params={"limit": 1})
        except GaveUpError as error:
            raise ConnectionCheckError(f"HubSpot unreachable: {error}") from error
        if response.status_code != 200:
            raise ConnectionCheckError(f"HubSpot: {reply_error(response)}")

    def flag(self, context: SyncContext) -> str:
        return self.settings.flag_prefix + re.sub(r"[^a-z0-9_]", "_", context.sync.segment.lower())

    def write(
        self, context: SyncContext, operation: Operation, records: Sequence[Record]
    ) -> list[Outcome]:
        member = operation is not Operation.REMOVE
        inputs = []
        for record in records:
            properties = (
                {
                    k: _property_value(v)
                    for k, v in record.fields.items()
                    if k != "email" and v is not None
                }
                if member
                else {}
            )
            properties[self.flag(context)] = "true" if member else "false"
            inputs.append(
                {"idProperty": "email", "id": record.member_key, "properties": properties}
            )
        try:
            response = self.client.request(
                "POST", "/crm/v3/objects/contacts/batch/upsert", json={"inputs": inputs}
            )
        except GaveUpError as error:
            return [Outcome(False, str(error))] * len(records)
        if response.status_code not in (200, 201, 207):
            return [Outcome(False, reply_error(response))] * len(records)
        failures: dict[str, str] = {}
        for error in response.json().get("errors") or []:
            for key in (error.get("context") or {}).get("ids") or []:
                failures[str(key).lower()] = f"{error.get('category')}: {error.get('message')}"
        return [Outcome(r.member_key not in failures, failures.get(r.member_key)) for r in records]

    def erase(self, context: SyncContext, records: Sequence[Record]) -> list[Outcome]:
        with ThreadPoolExecutor(self.settings.max_concurrency) as pool:
            return list(pool.map(self._gdpr_delete, records))

    def _gdpr_delete(self, record: Record) -> Outcome:
        try:
            response = self.client.request(
                "POST",
                "/crm/v3/objects/contacts/gdpr-delete",
                json={"objectId": record.member_key, "idProperty": "email"},
            )
        except GaveUpError as error:
            return Outcome(False, str(error))
        if response.status_code in (200, 204):
            return Outcome(True)
        return Outcome(False, reply_error(response))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
