"""Mailchimp audience exports (one `members` table, `status` from the file) and email activity."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import dlt
from dlt.extract import DltResource

from ingestion.landing import LandingFile
from ingestion.sources import APPEND, MERGE, export_rows, files_of, newest_first
from ingestion.suppressed_rows import SuppressionList
from ingestion.versions import StoredVersions


@dlt.resource(
    name="subscribed",
    table_name="members",
    primary_key="leid",
    write_disposition=MERGE,
    columns=newest_first("last_changed"),
)
def subscribed(
    files: Sequence[LandingFile],
    stored: StoredVersions | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    yield from export_rows(files, stored, suppression)


@dlt.resource(
    name="unsubscribed",
    table_name="members",
    primary_key="leid",
    write_disposition=MERGE,
    columns=newest_first("last_changed"),
)
def unsubscribed(
    files: Sequence[LandingFile],
    stored: StoredVersions | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    yield from export_rows(files, stored, suppression)


@dlt.resource(
    name="cleaned",
    table_name="members",
    primary_key="leid",
    write_disposition=MERGE,
    columns=newest_first("last_changed"),
)
def cleaned(
    files: Sequence[LandingFile],
    stored: StoredVersions | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    yield from export_rows(files, stored, suppression)


@dlt.resource(name="campaign_activity", write_disposition=APPEND)
def campaign_activity(
    files: Sequence[LandingFile],
    stored: StoredVersions | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    yield from export_rows(files, stored, suppression)


@dlt.source(name="mailchimp", max_table_nesting=0)
def mailchimp(
    files: Sequence[LandingFile],
    stored: StoredVersions | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[DltResource]:
    """`files`: the new landing files of this system (the increment the ledger lets through);
    `stored`: the warehouse's versions, so an older re-delivery cannot replace a newer row;
    `suppression`: the erased people's identifiers, whose rows are dropped."""
    yield subscribed(files_of(files, "subscribed"), stored, suppression)
    yield unsubscribed(files_of(files, "unsubscribed"), stored, suppression)
    yield cleaned(files_of(files, "cleaned"), stored, suppression)
    yield campaign_activity(files_of(files, "campaign_activity"), stored, suppression)
