"""Run the Dagster asset graph in this process: what `cdp run` (and `make run`) does.

There is no second code path: the job executed here is the one the daily schedule launches in
`dagster dev`, built from the same definitions, recorded in the same instance (so the run shows in
the UI) and bound by the same `duckdb_writer` slot.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import dagster as dg

from orchestration import settings
from orchestration.defs import build_definitions
from orchestration.defs.automation import FULL_CHAIN_JOB, LAUNCHED_BY_TAG, SELF_RECORDED_TAG
from orchestration.defs.transform import cdp_dbt_project, prepare_manifest
from orchestration.failures import record_run_failure
from orchestration.instance import LAUNCHER_PID_TAG, cdp_instance


def export_settings() -> None:
    """Pin the resolved paths in the environment, so dbt's profile (which reads CDP_WAREHOUSE)
    and every child process agree with this process on which warehouse they write."""
    os.environ["CDP_WAREHOUSE"] = str(settings.warehouse_path().resolve())
    os.environ["CDP_LANDING"] = str(settings.landing_dir().resolve())
    if settings.engine() == "spark":
        os.environ["CDP_LAKE"] = str(settings.lake_dir().resolve())
        os.environ["CDP_SPARK_DIR"] = str(settings.spark_dir().resolve())
    settings.warehouse_path().parent.mkdir(parents=True, exist_ok=True)


def run_pipeline(
    selection: Sequence[dg.AssetKey] | None = None,
    resources: Mapping[str, object] | None = None,
    launched_by: str = "cdp run",
) -> dg.ExecuteInProcessResult:
    """Execute the full-chain job (or a selection of it) in-process and record a failure."""
    export_settings()
    instance = cdp_instance()
    project = cdp_dbt_project()
    prepare_manifest(project, refresh=True)
    defs = build_definitions(project, resources)
    job = defs.resolve_job_def(FULL_CHAIN_JOB)
    result = job.execute_in_process(
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        instance=instance,
        raise_on_error=False,
        asset_selection=list(selection) if selection is not None else None,
        tags={
            LAUNCHED_BY_TAG: launched_by,
            LAUNCHER_PID_TAG: str(os.getpid()),
            SELF_RECORDED_TAG: "true",
        },
    )
    if not result.success:
        failure = result.get_run_failure_event()
        record_run_failure(
            settings.ops_dir(),
            run_id=result.run_id,
            job_name=FULL_CHAIN_JOB,
            message=failure.message if failure and failure.message else "run failed",
            failed_steps=[e.step_key or "" for e in result.all_events if e.is_step_failure],
            launched_by=launched_by,
        )
    return result
