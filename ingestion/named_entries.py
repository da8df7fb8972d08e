"""Lists of named entries (Lead Ads answers, insights actions) turned into one column per name."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.exports import snake_case


def with_column_per_name(
    table: pa.Table, prefix: str, owners: np.ndarray, names: pa.Array, values: pa.Array
) -> pa.Table:
    """`table` with a column `<prefix>__<name>` per snake_cased entry name, holding each row's
    value of that name. Entry k belongs to row `owners[k]` (ascending), is called `names[k]` and
    holds `values[k]`. Names that snake_case alike (`Email`, `email`) are one column, as dlt
    could take no two of one name, and a row naming one twice keeps its first entry, as an
    entry keeps its first value; a null name names no column. Callers reject the rows of names
    that snake_case to nothing first: they would name a column `<prefix>__`."""
    spellings: dict[str, list[str]] = {}
    for name in pc.unique(names).drop_null().to_pylist():
        spellings.setdefault(snake_case(name), []).append(name)
    for snake_cased, alike in spellings.items():
        chosen = pc.is_in(names, pa.array(alike, pa.string()))
        chosen = chosen.fill_null(False).to_numpy(zero_copy_only=False)
        rows = owners[chosen]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = rows[1:] != rows[:-1]
        positions = np.full(table.num_rows, -1, dtype=np.int64)
        positions[rows[first]] = np.flatnonzero(chosen)[first]
        index = pa.array(positions, mask=positions < 0)
        table = table.append_column(f"{prefix}__{snake_cased}", values.take(index))
    return table
