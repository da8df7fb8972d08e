"""Stripe API objects as JSONL: customers, charges and refunds merged on `id`, later file wins."""

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


@dlt.resource(name="customers", primary_key="id", write_disposition=MERGE, columns=LATER_FILE_FIRST)
def customers(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    yield from export_rows(files, stored, suppression)


@dlt.resource(name="charges", primary_key="id", write_disposition=MERGE, columns=LATER_FILE_FIRST)
def charges(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    yield from export_rows(files, stored, suppression)


@dlt.resource(name="refunds", primary_key="id", write_disposition=MERGE, columns=LATER_FILE_FIRST)
def refunds(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    yield from export_rows(files, stored, suppression)


@dlt.source(name="stripe", max_table_nesting=0)
def stripe(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[DltResource]:
    """`files`: the new landing files of this system (the increment the ledger lets through);
    `stored`: the raw tables' column types (warehouse or lake) and, in the warehouse, their
    versions, so an older re-delivery cannot replace a newer row;
    `suppression`: the erased people's identifiers, whose rows are dropped."""
    yield bookkept(customers(files_of(files, "customers"), stored, suppression))
    yield bookkept(charges(files_of(files, "charges"), stored, suppression))
    yield bookkept(refunds(files_of(files, "refunds"), stored, suppression))
