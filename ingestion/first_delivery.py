"""The first delivery of a keyed table, appended instead of merged.

dlt's `merge` copies a load into a staging table and then inserts it again through a window that
keeps the newest row per key: two writes of every row, the second one sorting the whole load. A
table that holds no rows yet has nothing to merge with, so the newest row per key is chosen
here, in Arrow, by the same rule (`docs/raw-tables.md`: greatest version, then the later file,
then the later line), and the winners are appended: one write. Later deliveries merge as before.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.exports import ExportSpec

SOURCE_FILE = "_source_file"
SOURCE_LINE = "_source_line"


def newest_per_key(chunks: list[pa.Table], spec: ExportSpec) -> list[pa.Table]:
    """`chunks` (all rows of one table in this load) with every key kept once: its newest row.

    Only the key, version and position columns are gathered across chunks (a column a chunk
    lacks counts as null there); each chunk is then filtered on its own, so chunks whose other
    columns differ in type stay apart as they came.
    """
    if not chunks:
        return []
    version = spec.version or SOURCE_FILE
    columns = list(dict.fromkeys([*spec.key, version, SOURCE_FILE, SOURCE_LINE]))
    index = pa.concat_tables(
        [
            pa.table(
                {
                    name: _decoded(chunk[name])
                    if name in chunk.column_names
                    else pa.nulls(chunk.num_rows)
                    for name in columns
                }
            )
            for chunk in chunks
        ],
        promote_options="permissive",
    ).combine_chunks()
    order = pc.sort_indices(
        index,
        sort_keys=[
            *((name, "ascending", "at_end") for name in spec.key),
            (version, "descending", "at_end"),
            (SOURCE_FILE, "descending", "at_end"),
            (SOURCE_LINE, "descending", "at_end"),
        ],
    )
    first_of_key = np.ones(len(order), dtype=bool)
    if len(order) > 1:
        differs = np.zeros(len(order) - 1, dtype=bool)
        for name in spec.key:
            column = index[name].take(order)
            differs |= (
                pc.not_equal(column[1:], column[:-1]).fill_null(True).to_numpy(zero_copy_only=False)
            )
        first_of_key[1:] = differs
    winners = order.to_numpy()[first_of_key]
    keep = np.zeros(index.num_rows, dtype=bool)
    keep[winners] = True
    kept: list[pa.Table] = []
    start = 0
    for chunk in chunks:
        mask = keep[start : start + chunk.num_rows]
        start += chunk.num_rows
        kept.append(chunk if mask.all() else chunk.filter(pa.array(mask)))
    return kept


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A dictionary-encoded column (`_source_file`) as its values: Arrow cannot sort by one."""
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column
