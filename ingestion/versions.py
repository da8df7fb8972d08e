"""Latest version wins by the export's own modified time, not by the order files arrive in.

dlt's `dedup_sort` picks the newest version among the rows of one load; a key already stored
would still be replaced by whatever a later load brings. So before a versioned export's rows go
to the merge, the ones older than the stored version of their key are dropped here.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from dlt import Pipeline

from ingestion.exports import ExportSpec

_INCOMING = "_cdp_incoming_versions"


class StoredVersions:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def drop_stale(self, spec: ExportSpec, rows: pa.Table) -> pa.Table:
        """`rows` without those whose version is older than the stored row of the same key."""
        if spec.version is None or rows.num_rows == 0:
            return rows
        incoming = rows.select([*spec.key, spec.version]).append_column(
            "_row", pa.array(np.arange(rows.num_rows))
        )
        keys = " and ".join(f's."{k}" = i."{k}"' for k in spec.key)
        with self.pipeline.sql_client() as client:
            stored = client.make_qualified_table_name(spec.table)
            connection = client.native_connection
            connection.register(_INCOMING, incoming)
            try:
                stale = connection.execute(
                    f"select i._row from {_INCOMING} i join {stored} s on {keys}"
                    f' where s."{spec.version}" > i."{spec.version}"'
                ).fetchall()
            except duckdb.CatalogException:
                return rows
            finally:
                connection.unregister(_INCOMING)
        if not stale:
            return rows
        keep = np.ones(rows.num_rows, dtype=bool)
        keep[[row for (row,) in stale]] = False
        return rows.filter(pc.cast(pa.array(keep), pa.bool_()))
