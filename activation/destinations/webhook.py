"""Webhook: JSON batches POSTed to a URL, signed so the receiver can trust them.

Signature: `X-CDP-Signature: v1=<hex HMAC-SHA256(key, "{timestamp}.{body}")>` with the unix
timestamp in `X-CDP-Timestamp`, so a replay outside the receiver's tolerance fails. A receiver
that refuses a whole batch (4xx) gets it again in halves until the bad record stands alone.
Erasure is a signed batch with `operation: "delete"` and only the members' keys.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from pydantic import Field

from activation.config import DestinationSettings
from activation.destinations.base import (
    ConnectionCheckError,
    Destination,
    Operation,
    Outcome,
    Record,
    SyncContext,
    split_and_retry,
)
from activation.http import ApiClient, GaveUpError, reply_error, throttle_on_429
from activation.secrets import SecretResolver


class WebhookSettings(DestinationSettings):
    url: str
    secret: str
    batch_size: int = Field(500, ge=1)


def sign(key: bytes, timestamp: str, body: bytes) -> str:
    return "v1=" + hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class WebhookDestination(Destination):
    settings_model = WebhookSettings
    settings: WebhookSettings

    def __init__(self, settings: WebhookSettings, secrets: SecretResolver) -> None:
        super().__init__(settings, secrets)
        self._client: ApiClient | None = None
        parts = urlsplit(settings.url)
        self._base, self._path = f"{parts.scheme}://{parts.netloc}", parts.path or "/"

    @property
    def client(self) -> ApiClient:
        if self._client is None:
            self._client = ApiClient(self.settings, self._base, throttle=throttle_on_429)
        return self._client

    def check_connection(self) -> None:
        self.secrets.get(self.settings.secret)
        if not self._base.startswith(("http://", "https://")):
            raise ConnectionCheckError(f"webhook url must be http(s): {self.settings.url}")

    def write(
        self, context: SyncContext, operation: Operation, records: Sequence[Record]
    ) -> list[Outcome]:
        return split_and_retry(
            records,
            lambda batch: self._post(
                context,
                operation.value,
                batch,
                [{"key": r.member_key, "fields": r.fields} for r in batch],
            ),
        )

    def erase(self, context: SyncContext, records: Sequence[Record]) -> list[Outcome]:
        """A signed `delete` event naming only the keys: the receiver deletes everything it holds
        on them; the erased person's fields are not sent again."""
        return split_and_retry(
            records,
            lambda batch: self._post(
                context, "delete", batch, [{"key": r.member_key} for r in batch]
            ),
        )

    def _post(
        self,
        context: SyncContext,
        operation: str,
        batch: Sequence[Record],
        items: list[dict[str, object]],
    ) -> list[Outcome] | str:
        """One signed batch; the refusal message when the receiver refused it whole."""
        key = self.secrets.get(self.settings.secret).get_secret_value().encode("utf-8")
        body = json.dumps(
            {
                "sync": context.sync.name,
                "segment": context.sync.segment,
                "run_id": context.run_id,
                "operation": operation,
                "records": items,
            },
            default=str,
        ).encode()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-CDP-Timestamp": stamp,
            "X-CDP-Signature": sign(key, stamp, body),
        }
        try:
            response = self.client.request("POST", self._path, content=body, headers=headers)
        except GaveUpError as error:
            return [Outcome(False, str(error))] * len(batch)
        if response.is_success:
            return [Outcome(True)] * len(batch)
        message = reply_error(response)
        if response.status_code in (401, 403, 404):
            return [Outcome(False, message)] * len(batch)
        return message

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
