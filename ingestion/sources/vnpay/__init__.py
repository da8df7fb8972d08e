"""VNPay transaction reports merged on `vnp_TxnRef`; with no modified time, the later file wins."""

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
    name="transactions", primary_key="vnp_txnref", write_disposition=MERGE, columns=LATER_FILE_FIRST
)
def transactions(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    yield from export_rows(files, stored, suppression)


@dlt.source(name="vnpay", max_table_nesting=0)
def vnpay(
    files: Sequence[LandingFile],
    stored: StoredColumns | None = None,
    suppression: SuppressionList | None = None,
) -> Iterator[DltResource]:
    """`files`: the new landing files of this system (the increment the ledger lets through);
    `stored`: the raw tables' column types (warehouse or lake) and, in the warehouse, their
    versions, so an older re-delivery cannot replace a newer row;
    `suppression`: the erased people's identifiers, whose rows are dropped."""
    yield bookkept(transactions(files_of(files, "transactions"), stored, suppression))
