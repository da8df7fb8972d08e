"""Mailchimp audience exports (one `members` table, `status` from the file) and email activity."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import dlt
from dlt.extract import DltResource

from ingestion.landing import LandingFile
from ingestion.sources import (
    APPEND,
    MERGE,
    StoredColumns,
    bookkept,
    export_rows,
    files_of,
    newest_first,
)
from ingestion.suppressed_rows import SuppressionList


@dlt.resource(
    name="members",
    primary_key="leid",
    write_disposition=MERGE,
    columns=newest_first("last_changed"),
)
def members(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    """The subscribed, unsubscribed and cleaned exports: one resource, since the newest row of
    a member is chosen across all three (`status` comes from the file)."""
    yield from export_rows(files, stored, suppression)


@dlt.resource(name="campaign_activity", write_disposition=APPEND)
def campaign_activity(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    yield from export_rows(files, stored, suppression)


@dlt.source(name="mailchimp", max_table_nesting=0)
def mailchimp(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[DltResource]:
    """`files`: the new landing files of this system (the increment the ledger lets through);
    `stored`: the raw tables' column types (warehouse or lake) and, in the warehouse, their
    versions, so an older re-delivery cannot replace a newer row;
    `suppression`: the erased people's identifiers, whose rows are dropped."""
    audience = files_of(files, "subscribed", "unsubscribed", "cleaned")
    yield bookkept(members(audience, stored, suppression))
    yield bookkept(campaign_activity(files_of(files, "campaign_activity"), stored, suppression))
