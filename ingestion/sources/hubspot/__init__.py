"""HubSpot contacts and deals merged on `Record ID`, newest `Last Modified Date` wins."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import dlt
from dlt.extract import DltResource

from ingestion.landing import LandingFile
from ingestion.sources import MERGE, export_rows, files_of, newest_first


@dlt.resource(
    name="contacts",
    primary_key="record_id",
    write_disposition=MERGE,
    columns=newest_first("last_modified_date"),
)
def contacts(files: Sequence[LandingFile]) -> Iterator[Any]:
    yield from export_rows(files)


@dlt.resource(
    name="deals",
    primary_key="record_id",
    write_disposition=MERGE,
    columns=newest_first("last_modified_date"),
)
def deals(files: Sequence[LandingFile]) -> Iterator[Any]:
    yield from export_rows(files)


@dlt.source(name="hubspot", max_table_nesting=0)
def hubspot(files: Sequence[LandingFile]) -> Iterator[DltResource]:
    """`files`: the new landing files of this system (the increment the ledger lets through)."""
    yield contacts(files_of(files, "contacts"))
    yield deals(files_of(files, "deals"))
