"""Google Ads GAQL exports: daily campaign performance and the click view (one row per gclid)."""

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
    name="campaign_performance",
    primary_key=("campaign_id", "segments_date"),
    write_disposition=MERGE,
    columns=LATER_FILE_FIRST,
)
def campaign_performance(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    yield from export_rows(files, stored, suppression)


@dlt.resource(
    name="clicks", primary_key="click_view_gclid", write_disposition=MERGE, columns=LATER_FILE_FIRST
)
def clicks(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    yield from export_rows(files, stored, suppression)


@dlt.source(name="google_ads", max_table_nesting=0)
def google_ads(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[DltResource]:
    """`files`: the new landing files of this system (the increment the ledger lets through);
    `stored`: the raw tables' column types (warehouse or lake) and, in the warehouse, their
    versions, so an older re-delivery cannot replace a newer row;
    `suppression`: the erased people's identifiers, whose rows are dropped."""
    yield bookkept(
        campaign_performance(files_of(files, "campaign_performance"), stored, suppression)
    )
    yield bookkept(clicks(files_of(files, "clicks"), stored, suppression))
