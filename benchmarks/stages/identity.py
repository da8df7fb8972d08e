"""Stages `identity` and `dbt`: identity resolution and the whole dbt build.

`identity` clusters the same record <-> identifier links three ways:
- our dbt model int_identity__links (on DuckDB a Python model: scipy's connected components per
  identifier tier; the `label_propagation` materialization on other engines), run alone on a
  warehouse whose upstream models are already built, its passes (component computations)
  reported in the outcome;
- Splink's `cluster_pairwise_predictions_at_threshold` on DuckDB (the target: no slower);
- `scipy.sparse.csgraph.connected_components` on the same edges (the reference: within 10x).
`dbt` times `dbt build` of the whole project on the loaded raw tables (target under 60 s at M).

Loading the raw tables and building the identity inputs is preparation, done once per size under
`data/bench/prepared/` and never timed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.registry import BenchContext, Measurement, Stage, register

AS_OF = "2026-11-02"
_DONE = ".complete"


def _prepared(context: BenchContext) -> Path:
    """Raw tables, identity inputs and the edge list for this size, built once."""
    from benchmarks.stages.peers import export_graph
    from ingestion.pipelines import load_all
    from orchestration.dbt_runner import run_dbt

    folder = context.data_dir.parent / "prepared" / f"identity-{context.size}"
    if (folder / _DONE).exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "raw").mkdir(parents=True)
    load_all(context.landing, folder / "raw" / "cdp.duckdb")
    (folder / "identity").mkdir()
    shutil.copy(folder / "raw" / "cdp.duckdb", folder / "identity" / "cdp.duckdb")
    run_dbt(
        ["build", "--select", "+int_identity__links", "--exclude", "test_type:data"],
        folder / "identity" / "cdp.duckdb",
        target_dir=folder / "target",
        dbt_vars={"as_of": AS_OF},
    ).raise_on_failure()
    export_graph(folder / "identity" / "cdp.duckdb", folder)
    (folder / _DONE).touch()
    return folder


def edge_count(folder: Path) -> int:
    with duckdb.connect() as con:
        return int(con.execute(f"select count(*) from '{folder / 'edges.parquet'}'").fetchone()[0])


def components_in_dbt(warehouse: str, target: str, edges: int) -> dict[str, Any]:
    from orchestration.dbt_runner import run_dbt

    # The warehouse already holds the links, so without --full-refresh the incremental model
    # would only look for changes: this stage times the whole computation.
    result = run_dbt(
        [
            "run",
            "--full-refresh",
            "--select",
            "int_identity__link_candidates",
            "int_identity__links",
        ],
        Path(warehouse),
        target_dir=Path(target),
        dbt_vars={"as_of": AS_OF},
    ).raise_on_failure()
    results = json.loads((Path(target) / "run_results.json").read_text())["results"]
    node = next(r for r in results if r["unique_id"].endswith(".int_identity__links"))
    with duckdb.connect(warehouse, read_only=True) as con:
        passes, components = con.execute(
            "select (select iterations from intermediate.int_identity__links__runs "
            "order by finished_at desc limit 1), "
            "(select count(distinct component_key) from intermediate.int_identity__links)"
        ).fetchone()
    return {
        "rows": edges,
        "passes": passes,
        "components": components,
        "model_seconds": round(node["execution_time"], 2),
        "dbt_seconds": round(result.seconds, 2),
    }


def splink_clustering(nodes: str, edges: str, count: int) -> dict[str, Any]:
    from splink import DuckDBAPI
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    con = duckdb.connect()
    node_table = con.sql(f"select node_id as unique_id from '{nodes}'")
    edge_table = con.sql(f"select src as unique_id_l, dst as unique_id_r from '{edges}'")
    clusters = cluster_pairwise_predictions_at_threshold(
        node_table, edge_table, db_api=DuckDBAPI(connection=con), node_id_column_name="unique_id"
    )
    components = con.execute(
        f"select count(distinct cluster_id) from {clusters.physical_name}"
    ).fetchone()[0]
    return {"rows": count, "components": int(components)}


def scipy_components(nodes: str, edges: str, count: int) -> dict[str, Any]:
    import numpy as np
    import pyarrow.parquet as pq
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    table = pq.read_table(edges)
    src = table.column("src").to_numpy()
    dst = table.column("dst").to_numpy()
    size = int(pq.read_table(nodes).column("node_id").to_numpy().max()) + 1
    graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(size, size)).tocsr()
    components, _ = connected_components(graph, directed=False)
    isolated = size - len(np.unique(pq.read_table(nodes).column("node_id").to_numpy()))
    return {"rows": count, "components": int(components - isolated)}


def dbt_build(warehouse: str, target: str, records: int) -> dict[str, Any]:
    from orchestration.dbt_runner import run_dbt

    result = run_dbt(
        ["build"], Path(warehouse), target_dir=Path(target), dbt_vars={"as_of": AS_OF}
    ).raise_on_failure()
    results = json.loads((Path(target) / "run_results.json").read_text())
    return {
        "rows": records,
        "dbt_elapsed_seconds": round(results["elapsed_time"], 2),
        "nodes": len(results["results"]),
        "wall_seconds_with_startup": round(result.seconds, 2),
    }


def clustering_peers(
    kwargs: Callable[[BenchContext, int], dict[str, Any]],
) -> tuple[Measurement, Measurement]:
    """Splink's and scipy's clustering of one exported graph (scipy the reference), shared by the
    identity stage and the chain's peers so both compare with the same tools."""
    return (
        Measurement(
            name="Splink cluster_pairwise_predictions_at_threshold (DuckDB)",
            target="benchmarks.stages.identity:splink_clustering",
            kwargs=kwargs,
        ),
        Measurement(
            name="scipy.sparse.csgraph.connected_components",
            target="benchmarks.stages.identity:scipy_components",
            kwargs=kwargs,
            reference=True,
        ),
    )


def _identity_kwargs(context: BenchContext, run: int) -> dict[str, Any]:
    folder = _prepared(context)
    return {
        "warehouse": str(folder / "identity" / "cdp.duckdb"),
        "target": str(folder / "target"),
        "edges": edge_count(folder),
    }


def _graph_kwargs(context: BenchContext, run: int) -> dict[str, Any]:
    folder = _prepared(context)
    return {
        "nodes": str(folder / "nodes.parquet"),
        "edges": str(folder / "edges.parquet"),
        "count": edge_count(folder),
    }


def _build_kwargs(context: BenchContext, run: int) -> dict[str, Any]:
    """A fresh copy of the loaded raw warehouse for each run (copying is not timed)."""
    folder = _prepared(context)
    work = context.work_dir / f"dbt-{run}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copy(folder / "raw" / "cdp.duckdb", work / "cdp.duckdb")
    with duckdb.connect(str(work / "cdp.duckdb"), read_only=True) as con:
        records = sum(
            int(con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0])
            for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema like 'raw\\_%' escape '\\' "
                "and table_schema not like '%\\_staging' escape '\\' "
                "and table_name not like '\\_%' escape '\\'"
            ).fetchall()
        )
    return {
        "warehouse": str(work / "cdp.duckdb"),
        "target": str(work / "target"),
        "records": records,
    }


register(
    Stage(
        name="identity",
        description="record <-> identifier links → connected components (customers)",
        measurements=(
            Measurement(
                name="dbt connected components (int_identity__links)",
                target="benchmarks.stages.identity:components_in_dbt",
                kwargs=_identity_kwargs,
            ),
            *clustering_peers(_graph_kwargs),
        ),
    )
)

register(
    Stage(
        name="dbt",
        description="dbt build of the whole project on loaded raw tables",
        measurements=(
            Measurement(
                name="dbt build (all models and tests)",
                target="benchmarks.stages.identity:dbt_build",
                kwargs=_build_kwargs,
            ),
        ),
    )
)
