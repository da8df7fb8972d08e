"""One ingestion asset per source system, calling the ingestion library.

Each system is a multi-asset with one key per raw table (`[raw_hubspot, contacts]`), the same keys
dbt gives its sources, so lineage runs from export files to audiences without a translator. The
library, not dagster-dlt, runs the loads because it owns what dagster-dlt does not: the file ledger
(each file loads once), quarantine of malformed rows and the all-or-nothing check of headers.
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


def _system_assets(system: str, tables: tuple[str, ...]) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name=f"load_{system}",
        specs=[
            dg.AssetSpec(
                raw_key(system, table),
                group_name=INGESTION_GROUP,
                kinds={"dlt", "duckdb"},
                description=f"`{table}` exports of {system}, loaded from data/landing/{system}/.",
            )
            for table in tables
        ]
        + [
            dg.AssetSpec(
                raw_key(system, DLT_LOADS),
                group_name=INGESTION_GROUP,
                kinds={"dlt", "duckdb"},
                description=f"dlt's ledger of completed loads into raw_{system}.",
            )
        ],
        pool=WAREHOUSE_POOL,
    )
    def load_system(
        context: AssetExecutionContext, paths: CdpPaths
    ) -> Iterator[dg.MaterializeResult]:
        with retry_transient(context):
            (summary,) = _load(paths, system)
        release_unused_memory()
        metadata = {
            "files_loaded": summary.files,
            "rows_read": summary.rows_read,
            "rows_loaded": summary.rows_loaded,
            "rows_rejected": summary.rows_rejected,
            "rows_suppressed": summary.rows_suppressed,
        }
        context.log.info(f"{system}: {metadata}")
        for table in tables:
            yield dg.MaterializeResult(asset_key=raw_key(system, table), metadata=metadata)
        yield dg.MaterializeResult(asset_key=raw_key(system, DLT_LOADS))

    return load_system


def _load(paths: CdpPaths, system: str) -> "list[LoadSummary]":
    """Into the DuckDB warehouse, or on the Spark engine into the Parquet lake."""
    if settings.engine() == "spark":
        from ingestion.lake import load_all_to_lake
        from ingestion.pipelines import suppression_list

        return load_all_to_lake(
            paths.landing(),
            settings.lake_dir(),
            systems=[system],
            suppression=suppression_list(paths.warehouse()),
        )
    from ingestion.pipelines import load_all

    return load_all(paths.landing(), paths.warehouse(), systems=[system])


def build_ingest_defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[_system_assets(system, tables) for system, tables in RAW_TABLES.items()]
    )
