"""Destination types by the `type:` name used in destinations.yml."""

from __future__ import annotations

import importlib
from typing import Any

from activation.destinations.base import (
    ConnectionCheckError,
    Destination,
    Operation,
    Outcome,
    Record,
    RemovalReason,
    SyncContext,
)
from activation.secrets import SecretResolver

DESTINATION_TYPES = {
    "files": "activation.destinations.files:FilesDestination",
    "mailchimp": "activation.destinations.mailchimp:MailchimpDestination",
    "meta": "activation.destinations.meta:MetaDestination",
    "google": "activation.destinations.google:GoogleCustomerMatchDestination",
    "hubspot": "activation.destinations.hubspot:HubSpotDestination",
    "webhook": "activation.destinations.webhook:WebhookDestination",
}


def destination_class(type_name: str) -> type[Destination]:
    if type_name not in DESTINATION_TYPES:
        raise ValueError(
            f"unknown destination type {type_name!r} (known: {', '.join(DESTINATION_TYPES)})"
        )
    module, _, cls = DESTINATION_TYPES[type_name].partition(":")
    return getattr(importlib.import_module(module), cls)


def build_destination(raw_settings: dict[str, Any], secrets: SecretResolver) -> Destination:
    cls = destination_class(str(raw_settings.get("type")))
    return cls(cls.settings_model.model_validate(raw_settings), secrets)


__all__ = [
    "DESTINATION_TYPES",
    "ConnectionCheckError",
    "Destination",
    "Operation",
    "Outcome",
    "Record",
    "RemovalReason",
    "SyncContext",
    "build_destination",
    "destination_class",
]
