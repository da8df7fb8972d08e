"""What every destination is: a config schema, a connection check, and a batched write that
returns one outcome per record. The engine owns diffing, consent, state and logging."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

import pyarrow as pa

from activation.config import ConsentPurpose, DestinationSettings, SyncConfig
from activation.secrets import SecretResolver


class Operation(StrEnum):
    ADD = "add"
    UPDATE = "update"
    REMOVE = "remove"
    KEEP = "keep"
    """An unchanged member sent again because a replace sends the whole audience."""


class RemovalReason(StrEnum):
    """Why a member is removed: leaving an audience is not the same as refusing contact, and an
    email tool must stop mailing someone who refused even outside the segment's campaigns."""

    LEFT_SEGMENT = "left_segment"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    SUPPRESSED = "suppressed"
    """On the suppression list (a do-not-contact request or an erasure)."""


@dataclass(frozen=True)
class Record:
    """One member operation; `fields` are the mapped mart values (raw; each destination hashes
    what its API requires). `removal_reason` is set on removes only."""

    member_key: str
    member_hash: str
    fields: dict[str, Any]
    removal_reason: RemovalReason | None = None


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str | None = None


@dataclass
class SyncContext:
    sync: SyncConfig
    run_id: str
    planned: dict[str, int] = field(default_factory=dict)
    snapshot: Callable[[], pa.Table] = field(repr=False, default=lambda: pa.table({}))


class ConnectionCheckError(RuntimeError):
    """The destination cannot be reached or refuses our credentials."""


class Destination(ABC):
    settings_model: ClassVar[type[DestinationSettings]] = DestinationSettings
    default_consent: ClassVar[ConsentPurpose] = ConsentPurpose.NONE
    supports_replace: ClassVar[bool] = False

    def __init__(self, settings: DestinationSettings, secrets: SecretResolver) -> None:
        self.settings = settings
        self.secrets = secrets

    @property
    def consent(self) -> ConsentPurpose:
        return self.settings.consent or self.default_consent

    @abstractmethod
    def check_connection(self) -> None:
        """Raise ConnectionCheckError when a sync could not succeed."""

    @abstractmethod
    def write(
        self, context: SyncContext, operation: Operation, records: Sequence[Record]
    ) -> list[Outcome]:
        """Send one batch (at most `settings.batch_size`); one outcome per record, same order."""

    @abstractmethod
    def erase(self, context: SyncContext, records: Sequence[Record]) -> list[Outcome]:
        """Erase people (GDPR/CCPA) with the API's own deletion call, which goes further than a
        `remove` (Mailchimp's untag keeps the contact, HubSpot's flag keeps the record). At most
        `settings.batch_size` records; one outcome per record, same order. A person the
        destination does not hold counts as erased."""

    def finish(self, context: SyncContext) -> None:  # noqa: B027 - optional hook
        """Called once after the last batch of a run that did not crash."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def split_and_retry(
    records: Sequence[Record],
    send: Callable[[Sequence[Record]], list[Outcome] | str],
) -> list[Outcome]:
    """For APIs that reject a whole batch for one bad row: `send` returns the rejection message
    when the batch as a whole was refused; halve until the bad record stands alone and fails by
    itself, so the good ones still go through."""
    outcomes = send(records)
    if not isinstance(outcomes, str):
        return outcomes
    if len(records) == 1:
        return [Outcome(False, outcomes)]
    middle = len(records) // 2
    return split_and_retry(records[:middle], send) + split_and_retry(records[middle:], send)
