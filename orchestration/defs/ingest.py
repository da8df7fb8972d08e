"""Ingestion as one multi-asset over every raw table, calling the ingestion library.

Each raw table is an asset keyed like dbt's sources (`[raw_hubspot, contacts]`), so lineage runs
from export files to audiences without a translator. The library, not dagster-dlt, runs the loads
because it owns what dagster-dlt does not: the file ledger (each file loads once), quarantine of
malformed rows and the all-or-nothing check of headers.

All systems load in one step with one `load_all` call: its headers check then spans every file of
the run, the next system's files are read while DuckDB loads the previous one, and the fixed cost
of a step (ledger reads, memory release, Dagster's bookkeeping) is paid once instead of per system
(about 9 s of 43 s at M with one step per system). The asset is subsettable: selecting some
systems' tables (the landing sensor, the UI, a retry) loads those systems only.
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING

import dagster as dg
from dagster import AssetExecutionContext

from orchestration import settings
from orchestration.defs.memory import release_unused_memory
from orchestration.defs.resources import CdpPaths
from orchestration.instance import WAREHOUSE_POOL
from orchestration.retries import retry_transient

if TYPE_CHECKING:
    from ingestion.pipelines import LoadSummary

INGESTION_GROUP = "ingestion"
INGESTION_STEP = "load_landing_files"
"""The one ingestion step (op) of every run; benchmarks find it under this name."""

RAW_TABLES: dict[str, tuple[str, ...]] = {
    "hubspot": ("contacts", "deals"),
    "mailchimp": ("members", "campaign_activity"),
    "stripe": ("customers", "charges", "refunds"),
    "vnpay": ("transactions",),
    "facebook_ads": ("insights", "leads"),
    "google_ads": ("campaign_performance", "clicks"),
}
"""Raw tables per system, as pinned in docs/contracts.md (one table per export type)."""

DLT_LOADS = "_dlt_loads"
"""dlt's load ledger in each dataset; staging models read it to see only completed loads."""


def raw_key(system: str, table: str) -> dg.AssetKey:
    return dg.AssetKey([f"raw_{system}", table])


def raw_keys(systems: list[str] | None = None) -> list[dg.AssetKey]:
    return [
        raw_key(system, table)
        for system, tables in RAW_TABLES.items()
        if systems is None or system in systems
        for table in (*tables, DLT_LOADS)
    ]


def _spec(key: dg.AssetKey) -> dg.AssetSpec:
    dataset, table = key.path
    system = dataset.removeprefix("raw_")
    description = (
        f"dlt's ledger of completed loads into {dataset}."
        if table == DLT_LOADS
        else f"`{table}` exports of {system}, loaded from data/landing/{system}/."
    )
    return dg.AssetSpec(
        key,
        group_name=INGESTION_GROUP,
        kinds={"dlt", "duckdb"},
        description=description,
    )


@dg.multi_asset(
    name=INGESTION_STEP,
    specs=[_spec(key) for key in raw_keys()],
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def load_landing_files(
    context: AssetExecutionContext, paths: CdpPaths
) -> Iterator[dg.MaterializeResult]:
    """Each system with a selected table loads all of its tables (a file feeds several); only
    the selected ones are reported. Each system's counts go on each of its tables once its load
    commits, and every load that committed is reported even when another system's fails."""
    selected = context.selected_asset_keys
    systems = [
        system for system in RAW_TABLES if any(key in selected for key in raw_keys([system]))
    ]
    try:
        with retry_transient(context):
            for summary in _loads(paths, systems):
                metadata = {
                    "files_loaded": summary.files,
                    "rows_read": summary.rows_read,
                    "rows_loaded": summary.rows_loaded,
                    "rows_rejected": summary.rows_rejected,
                    "rows_suppressed": summary.rows_suppressed,
                }
                context.log.info(f"{summary.system}: {metadata}")
                for key in raw_keys([summary.system]):
                    if key in selected:
                        yield dg.MaterializeResult(
                            asset_key=key, metadata=None if key.path[1] == DLT_LOADS else metadata
                        )
    finally:
        release_unused_memory()


def _loads(paths: CdpPaths, systems: list[str]) -> "Iterator[LoadSummary]":
    """Into the DuckDB warehouse, or on the Spark engine into the Parquet lake."""
    if settings.engine() == "spark":
        from ingestion.lake import load_all_to_lake
        from ingestion.pipelines import suppression_list

        yield from load_all_to_lake(
            paths.landing(),
            settings.lake_dir(),
            systems=systems,
            suppression=suppression_list(paths.warehouse()),
        )
        return
    from ingestion.pipelines import loads

    yield from loads(paths.landing(), paths.warehouse(), systems)


def build_ingest_defs() -> dg.Definitions:
    return dg.Definitions(assets=[load_landing_files])
