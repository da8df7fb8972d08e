"""Mailchimp Marketing API 3.0: segment members upserted into a list and tagged with the segment.

Adds and updates go through batch subscribe (`POST /lists/{id}`, at most 500 members, failures
per member in the 200's `errors[]`). A member removed because consent was withdrawn or because
they are suppressed is unsubscribed (batch subscribe with `status: unsubscribed`): untagging alone
would leave them subscribed, and every other campaign of the list would still mail them. A member
who only left the segment is untagged (`POST …/members/{md5}/tags`, inactive) or unsubscribed, per
`leaver_action`. Erasure is
`POST …/members/{md5}/actions/delete-permanent`, one member a call (the API has no batch form):
it deletes the member's data and Mailchimp refuses to import the address ever again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import httpx
from pydantic import Field

from activation.config import ConsentPurpose, DestinationSettings
from activation.destinations.base import (
    ConnectionCheckError,
    Destination,
    Operation,
    Outcome,
    Record,
    RemovalReason,
    SyncContext,
)
from activation.http import ApiClient, GaveUpError, reply_error, throttle_on_429
from activation.secrets import SecretResolver

RESERVED = {"email", "tags", "status"}
NO_CONTACT = {RemovalReason.CONSENT_WITHDRAWN, RemovalReason.SUPPRESSED}
"""Removal reasons after which the list must not mail the person at all."""


class MailchimpSettings(DestinationSettings):
    list_id: str
    secret: str
    base_url: str | None = None
    status_if_new: Literal["subscribed", "pending", "transactional"] = "subscribed"
    leaver_action: Literal["untag", "unsubscribe"] = "untag"
    """For members who left the segment; withdrawn consent and suppression always unsubscribe."""
    tag: str | None = None
    batch_size: int = Field(500, ge=1, le=500)
    max_concurrency: int = Field(10, ge=1, le=10)


def base_url_for_key(api_key: str) -> str:
    """The data center is the API key's suffix: `…-us19` -> https://us19.api.mailchimp.com/3.0."""
    _, dash, dc = api_key.rpartition("-")
    if not dash or not dc.isalnum():
        raise ConnectionCheckError("Mailchimp API key has no '-<dc>' suffix")
    return f"https://{dc}.api.mailchimp.com"


class MailchimpDestination(Destination):
    settings_model = MailchimpSettings
    settings: MailchimpSettings
    default_consent = ConsentPurpose.EMAIL

    def __init__(self, settings: MailchimpSettings, secrets: SecretResolver) -> None:
        super().__init__(settings, secrets)
        self._client: ApiClient | None = None

    @property
    def client(self) -> ApiClient:
        if self._client is None:
            key = self.secrets.get(self.settings.secret).get_secret_value()
            self._client = ApiClient(
                self.settings,
                self.settings.base_url or base_url_for_key(key),
                auth=httpx.BasicAuth("cdp", key),
                throttle=throttle_on_429,
            )
        return self._client

    def check_connection(self) -> None:
        try:
            response = self.client.request("GET", "/3.0/ping")
        except GaveUpError as error:
            raise ConnectionCheckError(f"Mailchimp unreachable: {error}") from error
        if response.status_code != 200:
            raise ConnectionCheckError(
                f"Mailchimp ping: {reply_error(response, _problem(response))}"
            )

    def _tag(self, context: SyncContext) -> str:
        return self.settings.tag or context.sync.segment

    def write(
        self, context: SyncContext, operation: Operation, records: Sequence[Record]
    ) -> list[Outcome]:
        tag = self._tag(context)
        if operation is Operation.REMOVE:
            return self._remove(records, tag)
        return self._subscribe(records, operation, tag)

    def _remove(self, records: Sequence[Record], tag: str) -> list[Outcome]:
        """Unsubscribe (one batch) whoever may no longer be mailed, untag the others; outcomes
        in the records' order."""
        unsubscribe = [self._unsubscribes(r) for r in records]
        to_unsubscribe = [r for r, u in zip(records, unsubscribe, strict=True) if u]
        to_untag = [r for r, u in zip(records, unsubscribe, strict=True) if not u]
        unsubscribed = iter(
            self._subscribe(to_unsubscribe, Operation.REMOVE, tag) if to_unsubscribe else []
        )
        untagged = iter(self._each(to_untag, lambda r: self._untag(r, tag)))
        return [next(unsubscribed) if u else next(untagged) for u in unsubscribe]

    def _unsubscribes(self, record: Record) -> bool:
        return record.removal_reason in NO_CONTACT or self.settings.leaver_action == "unsubscribe"

    def _subscribe(
        self, records: Sequence[Record], operation: Operation, tag: str
    ) -> list[Outcome]:
        """Batch subscribe: adds and updates keep an existing member's status (`status_if_new`),
        removes set `status: unsubscribed`; `update_existing` lets both change existing members."""
        members = [self._member(r, operation, tag) for r in records]
        try:
            response = self.client.request(
                "POST",
                f"/3.0/lists/{self.settings.list_id}",
                json={"members": members, "update_existing": True},
            )
        except GaveUpError as error:
            return [Outcome(False, str(error))] * len(records)
        if response.status_code != 200:
            return [Outcome(False, reply_error(response, _problem(response)))] * len(records)
        failures = {
            str(e.get("email_address", "")).lower(): f"{e.get('error_code')}: {e.get('error')}"
            for e in response.json().get("errors") or []
        }
        return [Outcome(r.member_key not in failures, failures.get(r.member_key)) for r in records]

    def _member(self, record: Record, operation: Operation, tag: str) -> dict[str, Any]:
        merge_fields = {
            k: v for k, v in record.fields.items() if k not in RESERVED and v is not None
        }
        member: dict[str, Any] = {"email_address": record.member_key}
        if operation is Operation.REMOVE:
            member["status"] = "unsubscribed"
        else:
            member.update(
                status_if_new=self.settings.status_if_new, merge_fields=merge_fields, tags=[tag]
            )
        return member

    def erase(self, context: SyncContext, records: Sequence[Record]) -> list[Outcome]:
        return self._each(records, lambda r: self._member_call(r, "/actions/delete-permanent"))

    def _each(self, records: Sequence[Record], call: Callable[[Record], Outcome]) -> list[Outcome]:
        """Per-member endpoints, up to the connection limit at once."""
        with ThreadPoolExecutor(self.settings.max_concurrency) as pool:
            return list(pool.map(call, records))

    def _untag(self, record: Record, tag: str) -> Outcome:
        return self._member_call(record, "/tags", {"tags": [{"name": tag, "status": "inactive"}]})

    def _member_call(self, record: Record, action: str, body: Any = None) -> Outcome:
        """POST to one member's sub-resource; a 404 (not on the list) leaves nothing to do."""
        subscriber = hashlib.md5(record.member_key.lower().encode("utf-8")).hexdigest()
        try:
            response = self.client.request(
                "POST",
                f"/3.0/lists/{self.settings.list_id}/members/{subscriber}{action}",
                json=body,
            )
        except GaveUpError as error:
            return Outcome(False, str(error))
        if response.status_code in (200, 204, 404):
            return Outcome(True)
        return Outcome(False, reply_error(response, _problem(response)))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text
    return f"{body.get('title')}: {body.get('detail')}" if isinstance(body, dict) else str(body)
