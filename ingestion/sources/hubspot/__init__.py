"""HubSpot contacts and deals merged on `Record ID`, newest `Last Modified Date` wins."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import dlt
from dlt.extract import DltResource

from ingestion.landing import LandingFile
from ingestion.sources import MERGE, StoredColumns, bookkept, export_rows, files_of, newest_first
from ingestion.suppressed_rows import SuppressionList


@dlt.resource(
    name="contacts",
    primary_key="record_id",
    write_disposition=MERGE,
    columns=newest_first("last_modified_date"),
)
def contacts(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    yield from export_rows(files, stored, suppression)


@dlt.resource(
    name="deals",
    primary_key="record_id",
    write_disposition=MERGE,
    columns=newest_first("last_modified_date"),
)
def deals(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    yield from export_rows(files, stored, suppression)


@dlt.source(name="hubspot", max_table_nesting=0)
def hubspot(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[DltResource]:
    """`files`: the new landing files of this system (the increment the ledger lets through);
    `stored`: the raw tables' column types (warehouse or lake) and, in the warehouse, their
    versions, so an older re-delivery cannot replace a newer row;
    `suppression`: the erased people's identifiers, whose rows are dropped."""
    yield bookkept(contacts(files_of(files, "contacts"), stored, suppression))
    yield bookkept(deals(files_of(files, "deals"), stored, suppression))
