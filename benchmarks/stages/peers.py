"""Stages `ingestion_peer` and `identity_peers`: other tools on the same data in the same run.

- `ingestion_peer`: DuckDB's own `read_csv` / `read_json` of the very landing files the chain
  loaded, into one table each (the practical ceiling here; target: the chain's ingestion at
  least 50% of its rate).
- `identity_peers`: Splink's `cluster_pairwise_predictions_at_threshold` and scipy's
  `connected_components` on the record <-> identifier links of this run's full refresh
  (`intermediate.int_identity__links`), exported untimed to Parquet. Ours is the dbt model's own
  execution time in that build (target: no slower than Splink).

Both need this run's full refresh (`benchmarks.stages.chain`); alone they make it, untimed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from benchmarks.registry import BenchContext, Measurement, Stage, register
from benchmarks.stages.identity import clustering_peers, edge_count
from benchmarks.stages.ingestion import fresh_warehouse

GRAPH = "graph"

_EDGES_SQL = """
create or replace temp table keyed as
with links as (select record_key, identifier_key from intermediate.int_identity__links),
nodes as (
    select node_key, row_number() over (order by node_key) as node_id
    from (
        select record_key as node_key from links
        union
        select identifier_key from links where identifier_key is not null
    )
)
select r.node_id as src, i.node_id as dst
from links
join nodes as r on r.node_key = links.record_key
left join nodes as i on i.node_key = links.identifier_key
"""


def export_graph(warehouse: Path, folder: Path) -> Path:
    """`nodes.parquet` and `edges.parquet` in `folder`: the identity links of `warehouse` as
    integer node ids, the input every clustering tool here takes."""
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(_EDGES_SQL)
        con.execute(
            "copy (select distinct src as node_id from keyed union select dst from keyed "
            f"where dst is not null) to '{folder / 'nodes.parquet'}' (format parquet)"
        )
        con.execute(
            "copy (select src, dst from keyed where dst is not null) "
            f"to '{folder / 'edges.parquet'}' (format parquet)"
        )
    return folder


def _graph_kwargs(context: BenchContext, run: int) -> dict[str, Any]:
    from benchmarks.stages.chain import chain_warehouse, ensure_full_refresh

    root = ensure_full_refresh(context, run)
    folder = root / GRAPH
    if not (folder / "edges.parquet").exists():
        export_graph(chain_warehouse(root), folder)
    return {
        "nodes": str(folder / "nodes.parquet"),
        "edges": str(folder / "edges.parquet"),
        "count": edge_count(folder),
    }


register(
    Stage(
        name="ingestion_peer",
        description="DuckDB's own readers on the landing files the chain loaded",
        measurements=(
            Measurement(
                name="DuckDB read_csv/read_json",
                target="benchmarks.stages.ingestion:load_with_duckdb",
                kwargs=lambda context, run: fresh_warehouse(context, "duckdb-readers", run),
                reference=True,
            ),
        ),
    )
)

register(
    Stage(
        name="identity_peers",
        description="Splink and scipy clustering of the full refresh's identity links",
        measurements=clustering_peers(_graph_kwargs),
    )
)
