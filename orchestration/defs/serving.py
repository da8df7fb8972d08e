"""The analysts' read-only copy of the warehouse, republished after every successful dbt build."""

from collections.abc import Sequence
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource

from orchestration.defs.resources import CdpPaths
from orchestration.instance import WAREHOUSE_POOL
from orchestration.retries import retry_transient
from orchestration.serving import publish_serving_copy

SERVING_KEY = dg.AssetKey(["serving", "warehouse_copy"])
DBT_DOCS_KEY = dg.AssetKey(["serving", "dbt_docs"])
DOCS_TARGET = Path("target") / "docs"


def build_serving_defs(models: Sequence[dg.AssetKey]) -> dg.Definitions:
    """`models` are the dbt assets: the copy waits for all of them and for their blocking tests."""

    @dg.asset(
        key=SERVING_KEY,
        deps=list(models),
        group_name="serving",
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
        automation_condition=dg.AutomationCondition.eager(),
        description="data/warehouse/serving.duckdb: a checkpointed copy of the warehouse, swapped "
        "in atomically so analysts can query while the next run writes. See docs/serving.md.",
    )
    def serving_copy(context: AssetExecutionContext, paths: CdpPaths) -> dg.MaterializeResult:
        with retry_transient(context):
            snapshot = publish_serving_copy(paths.warehouse(), paths.serving())
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(snapshot.path)),
                "bytes": snapshot.bytes,
                "tables": snapshot.tables,
                "published_at": snapshot.published_at.isoformat(timespec="seconds"),
            }
        )

    @dg.asset(
        key=DBT_DOCS_KEY,
        deps=[SERVING_KEY],
        group_name="serving",
        kinds={"dbt"},
        pool=WAREHOUSE_POOL,
        automation_condition=dg.AutomationCondition.eager(),
        description="dbt docs of what analysts query: dbt_project/target/docs/static_index.html, "
        "one self-contained page (descriptions, tests, lineage) that opens from disk.",
    )
    def dbt_docs(context: AssetExecutionContext, dbt: DbtCliResource) -> dg.MaterializeResult:
        with retry_transient(context):
            invocation = dbt.cli(["docs", "generate", "--static"], target_path=DOCS_TARGET).wait()
        page = invocation.target_path / "static_index.html"
        return dg.MaterializeResult(
            metadata={"page": dg.MetadataValue.path(str(page)), "bytes": page.stat().st_size}
        )

    return dg.Definitions(assets=[serving_copy, dbt_docs])
