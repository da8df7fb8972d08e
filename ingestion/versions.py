"""Latest version wins by the export's own modified time, not by the order files arrive in.

dlt's `dedup_sort` picks the newest version among the rows of one load; a key already stored
would still be replaced by whatever a later load brings. So before a versioned export's rows go
to the merge, the ones older than the stored version of their key are dropped here.

The stored versions of a table are fetched once per run as Arrow and compared in Arrow; no
Arrow object is registered on the warehouse connection. DuckDB's Python client reads a
registered object through a table function, `python_arrow_scan`, that each connection registers
in the catalog of its *database*, bound to that connection's own registry of objects. dlt opens
a fresh connection (a duplicate) to the same database for every SQL client, and the loader
thread does so while the next system is extracted, so a registration raced the bind of the
stale-version query on the other thread: "python_arrow_scan does not exist" now and then.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from dlt import Pipeline
from dlt.common.schema.typing import TTableSchemaColumns
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.destinations.job_client_impl import SqlJobClientBase

from ingestion.exports import ExportSpec

_ROW = "_cdp_row"
_STORED = "_cdp_stored_version"


class StoredVersions:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._versions: dict[str, pa.Table | None] = {}
        self._raw_columns: dict[str, TTableSchemaColumns] = {}

    def raw_columns(self, table: str) -> TTableSchemaColumns:
        """The columns the warehouse's `table` of this dataset has, typed as dlt reads them
        from its information schema (none before the table exists), read once per run. Not
        dlt's schema in the pipeline's working folder: that folder may be lost (a fresh `.dlt`,
        a restored warehouse) while the table keeps its types."""
        if table not in self._raw_columns:
            with self.pipeline.destination_client() as client:
                assert isinstance(client, SqlJobClientBase)
                self._raw_columns[table] = client.get_storage_table(table)[1]
        return self._raw_columns[table]

    def holds_rows(self, table: str) -> bool:
        """Whether the warehouse's `table` of this dataset exists and has a row."""
        with self.pipeline.sql_client() as client:
            try:
                rows = client.execute_sql(
                    f"select 1 from {client.make_qualified_table_name(table)} limit 1"
                )
            except DatabaseUndefinedRelation:
                return False
        return bool(rows)

    def drop_stale(self, spec: ExportSpec, rows: pa.Table) -> pa.Table:
        """`rows` without those whose version is older than the stored row of the same key."""
        if spec.version is None or rows.num_rows == 0:
            return rows
        stored = self._stored(spec)
        if stored is None or stored.num_rows == 0:
            return rows
        incoming = rows.select([*spec.key, spec.version]).append_column(
            _ROW, pa.array(np.arange(rows.num_rows))
        )
        as_incoming = pa.schema(
            [
                *(incoming.schema.field(name) for name in spec.key),
                pa.field(_STORED, incoming.schema.field(spec.version).type),
            ]
        )
        matched = incoming.join(stored.cast(as_incoming), list(spec.key), join_type="inner")
        newer = pc.greater(matched[_STORED], matched[spec.version]).fill_null(False)
        stale = matched[_ROW].filter(newer).to_numpy()
        if len(stale) == 0:
            return rows
        keep = np.ones(rows.num_rows, dtype=bool)
        keep[stale] = False
        return rows.filter(pa.array(keep))

    def _stored(self, spec: ExportSpec) -> pa.Table | None:
        """The table's keys and versions as stored, read once per run (None: no table yet)."""
        if spec.table not in self._versions:
            assert spec.version is not None
            keys = ", ".join(f'"{k}"' for k in spec.key)
            with self.pipeline.sql_client() as client:
                table = client.make_qualified_table_name(spec.table)
                try:
                    self._versions[spec.table] = client.native_connection.sql(
                        f'select {keys}, "{spec.version}" as {_STORED} from {table}'
                    ).to_arrow_table()
                except duckdb.CatalogException:
                    self._versions[spec.table] = None
        return self._versions[spec.table]
