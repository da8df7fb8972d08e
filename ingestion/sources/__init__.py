"""One dlt source per system; each export type is a resource, each landing file one increment.

Rows go out as Arrow tables (dlt's vectorized path). Each file's quarantined lines and its ledger
entry ride in the same load package as its rows, so the ledger never claims a file whose rows did
not commit, and a rerun skips exactly the files the ledger holds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import dlt
import pyarrow as pa
from dlt.common.schema.typing import TTableSchemaColumns
from dlt.extract import DltResource

from ingestion.first_delivery import newest_per_key
from ingestion.landing import LandingFile
from ingestion.reading import LEDGER_SCHEMA, REJECTS_SCHEMA, ExportReader
from ingestion.suppressed_rows import SuppressionList
from ingestion.variants import ColumnTypes
from ingestion.versions import StoredVersions

REJECTS_TABLE = "_rejects"
FILES_TABLE = "_files"

MERGE: Any = {"disposition": "merge", "strategy": "delete-insert"}
"""Keyed exports: a re-delivered record replaces the stored one."""

APPEND = "append"
"""Event exports: each file once, its rows appended."""


class StoredColumns(Protocol):
    """The column types a destination's raw tables already have, so that a run types an
    undeclared column as earlier runs did: the warehouse's (`StoredVersions`, which also keeps
    the versions of keyed rows) or the Parquet lake's (`ingestion.lake.LakeColumns`)."""

    def raw_columns(self, table: str) -> TTableSchemaColumns:
        """The columns `table` already has, typed as dlt reads them (none before it exists)."""
        ...


def newest_first(version_column: str) -> dict[str, dict[str, str]]:
    """Within one load, the greatest `version_column` wins among rows sharing a key."""
    return {version_column: {"dedup_sort": "desc"}}


LATER_FILE_FIRST = newest_first("_source_file")
"""For exports without a modified time: file names sort in delivery order, the later one wins."""


def export_rows(
    files: Sequence[LandingFile],
    stored: StoredColumns | None,
    suppression: SuppressionList | None = None,
) -> Iterator[Any]:
    """A resource body: every file's typed rows, then its rejects and ledger entry. With the
    warehouse's `StoredVersions` as `stored`, rows older than its version of their key are left
    out (they still count as loaded: the newer version they lost to is in the table); the lake
    appends every version and staging keeps the latest. With `suppression`, the rows of erased
    people are dropped (counted as suppressed). An undeclared column keeps the type its raw
    table in `stored` (warehouse or lake) or this run gave it first (a list column takes lists
    of any items); values that do not fit go to its `__v_text` variant (`ingestion.variants`).

    The first delivery of a keyed table to the warehouse (`stored` says the table holds no
    rows) is kept back until every file is read, reduced to the newest row per key and
    appended (`ingestion.first_delivery`)."""
    spec = files[0].spec if files else None
    versions = stored if isinstance(stored, StoredVersions) else None
    first_delivery = (
        versions is not None
        and spec is not None
        and not spec.is_events
        and not versions.holds_rows(spec.table)
    )
    held: list[pa.Table] = []
    column_types = ColumnTypes.of_raw_table(
        stored.raw_columns(spec.table) if stored is not None and spec is not None else {}
    )
    for file in files:
        reader = ExportReader(file, suppression=suppression)
        for chunk in reader.chunks():
            rows = column_types.fit(chunk.rows, file.spec, file.source_file)
            if first_delivery:
                if rows.num_rows:
                    held.append(rows)
            else:
                rows = versions.drop_stale(file.spec, rows) if versions else rows
                if rows.num_rows:
                    yield rows
            if chunk.rejects.num_rows:
                yield dlt.mark.with_table_name(chunk.rejects, REJECTS_TABLE)
        yield dlt.mark.with_table_name(reader.ledger(), FILES_TABLE)
    if spec is not None and held:
        append = dlt.mark.make_hints(
            write_disposition=APPEND,
            columns={spec.version or "_source_file": {"dedup_sort": None}},
        )
        for rows in newest_per_key(held, spec):
            if rows.num_rows:
                yield dlt.mark.with_hints(rows, append)


def bookkept(resource: DltResource) -> DltResource:
    """`resource` with its `_rejects` and `_files` declared as appended tables of their own.

    A table variant starts as a copy of the resource's hints, so it would inherit the merge
    table's column hints (the `dedup_sort` column) that its rows never carry; dlt then warns
    on every load that the column got no data. Each variant is emptied of columns first and
    then given exactly the columns of its schema."""
    for name, schema in ((REJECTS_TABLE, REJECTS_SCHEMA), (FILES_TABLE, LEDGER_SCHEMA)):
        resource.apply_hints(table_name=name, columns={}, create_table_variant=True)
        resource.apply_hints(
            table_name=name,
            write_disposition=APPEND,
            primary_key=[],
            columns=[{"name": field.name, "data_type": _dlt_type(field.type)} for field in schema],
            create_table_variant=True,
        )
    return resource


def _dlt_type(data_type: pa.DataType) -> str:
    if pa.types.is_integer(data_type):
        return "bigint"
    if pa.types.is_timestamp(data_type):
        return "timestamp"
    return "text"


def files_of(files: Sequence[LandingFile], *export_types: str) -> list[LandingFile]:
    return [file for file in files if file.spec.export_type in export_types]
