"""The analysts' read-only copy of the warehouse, republished after every successful dbt build.

The copy depends directly on every dbt model, so a failed blocking check on any of them (a dbt
test or a guardrail) holds it back like the syncs: analysts keep the last good snapshot until
someone has looked at the suspicious change. Dagster enforces that only inside the run where the
check failed; `defs/blocking_checks.py` carries it over to later runs.
"""

import hashlib
from collections.abc import Sequence
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource

from orchestration.defs.blocking_checks import (
    BlockingChecks,
    eager_after_passed_checks,
    hold_back_after_failed_checks,
)
from orchestration.defs.resources import CdpPaths
from orchestration.defs.transform import seed_parse
from orchestration.instance import WAREHOUSE_POOL
from orchestration.retries import retry_transient
from orchestration.serving import publish_serving_copy

SERVING_KEY = dg.AssetKey(["serving", "warehouse_copy"])
DBT_DOCS_KEY = dg.AssetKey(["serving", "dbt_docs"])
DOCS_TARGET = Path("target") / "docs"


def build_serving_defs(models: Sequence[dg.AssetKey], manifest: Path) -> dg.Definitions:
    """`models` are the dbt assets: the copy waits for all of them and for their blocking tests.
    The docs are regenerated only when `manifest` (the dbt project) changed since they were made:
    new data changes no description, test or lineage, and generating costs seconds per run."""

    @dg.asset(
        key=SERVING_KEY,
        deps=list(models),
        group_name="serving",
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
        automation_condition=eager_after_passed_checks(),
        description="data/warehouse/serving.duckdb: the analysts' layers of the warehouse with "
        "personal data hashed (unchanged rows carried over from the previous copy) and, with "
        "CDP_RESTRICTED_COPY=1, serving_restricted.duckdb, the whole warehouse raw (owner-only), "
        "swapped in atomically so analysts can query while the next run writes. See "
        "docs/serving.md.",
    )
    def serving_copy(
        context: AssetExecutionContext,
        paths: CdpPaths,
        blocking_checks: dg.ResourceParam[BlockingChecks],
    ) -> dg.MaterializeResult:
        hold_back_after_failed_checks(
            context, blocking_checks, "serving copy not republished, the previous one stays"
        )
        with retry_transient(context):
            snapshot = publish_serving_copy(
                paths.warehouse(),
                paths.serving(),
                reuse_previous=True,
                restricted=paths.restricted_copy(),
            )
        restricted = snapshot.restricted_path
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(snapshot.path)),
                "bytes": snapshot.bytes,
                "tables": snapshot.tables,
                "restricted_path": dg.MetadataValue.text("not published (CDP_RESTRICTED_COPY)")
                if restricted is None
                else dg.MetadataValue.path(str(restricted)),
                "masked_columns": len(snapshot.masked_columns),
                "tables_rewritten": len(snapshot.rewritten_tables),
                "tables_patched": len(snapshot.patched_tables),
                "tables_reused": len(snapshot.reused_tables),
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
        docs = Path(dbt.project_dir) / DOCS_TARGET
        page, stamp = docs / "static_index.html", docs / "documented_manifest.sha256"
        fingerprint = hashlib.sha256(manifest.read_bytes()).hexdigest()
        current = page.exists() and stamp.exists() and stamp.read_text() == fingerprint
        if not current:
            seed_parse(manifest.parent, docs)
            with retry_transient(context):
                dbt.cli(["docs", "generate", "--static"], target_path=DOCS_TARGET).wait()
            stamp.write_text(fingerprint)
        return dg.MaterializeResult(
            metadata={
                "page": dg.MetadataValue.path(str(page)),
                "bytes": page.stat().st_size,
                "regenerated": not current,
            }
        )

    return dg.Definitions(assets=[serving_copy, dbt_docs])
