"""Facebook Ads daily ad-level insights and Lead Ads leads."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import dlt
from dlt.extract import DltResource

from ingestion.landing import LandingFile
from ingestion.sources import (
    LATER_FILE_FIRST,
    MERGE,
    StoredColumns,
    bookkept,
    export_rows,
    files_of,
)
from ingestion.suppressed_rows import SuppressionList


@dlt.resource(
    name="insights",
    primary_key=("campaign_id", "adset_id", "ad_id", "date_start"),
    write_disposition=MERGE,
    columns=LATER_FILE_FIRST,
)
def insights(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    yield from export_rows(files, stored, suppression)


@dlt.resource(name="leads", primary_key="id", write_disposition=MERGE, columns=LATER_FILE_FIRST)
def leads(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    yield from export_rows(files, stored, suppression)


@dlt.source(name="facebook_ads", max_table_nesting=0)
def facebook_ads(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[DltResource]:
    """`files`: the new landing files of this system (the increment the ledger lets through);
    `stored`: the raw tables' column types (warehouse or lake) and, in the warehouse, their
    versions, so an older re-delivery cannot replace a newer row;
    `suppression`: the erased people's identifiers, whose rows are dropped."""
    yield bookkept(insights(files_of(files, "insights"), stored, suppression))
    yield bookkept(leads(files_of(files, "leads"), stored, suppression))
