"""When things run: a daily schedule, new export files, marts updates, and what to do on failure."""

from __future__ import annotations

import time
from collections.abc import Sequence

import dagster as dg

from orchestration.defs.ingest import raw_keys
from orchestration.defs.resources import CdpPaths
from orchestration.failures import record_run_failure
from orchestration.landing import detect_change, encode_cursor

FULL_CHAIN_JOB = "cdp_full_chain"
DAILY_CRON = "0 5 * * *"
LANDING_SETTLE_SECONDS = 10.0
"""A file modified more recently than this may still be being written; a later tick takes it."""

LAUNCHED_BY_TAG = "cdp/launched_by"
SELF_RECORDED_TAG = "cdp/records_own_failure"
"""Set by `cdp run`, which records its own failures: the sensor must not record them twice."""


def full_chain_job() -> dg.UnresolvedAssetJobDefinition:
    """Everything from raw exports to the serving copy: what the schedule and `cdp run` execute."""
    return dg.define_asset_job(
        FULL_CHAIN_JOB,
        selection=dg.AssetSelection.all(),
        description="Load new exports, build the warehouse, sync audiences, publish the "
        "serving copy.",
    )


def _launched_by(tags: dict[str, str]) -> str:
    for tag in (LAUNCHED_BY_TAG, "dagster/schedule_name", "dagster/sensor_name"):
        if tag in tags:
            return tags[tag]
    return "dagster"


@dg.sensor(
    name="landing_files",
    description="Starts ingestion (and everything downstream of the systems that received files) "
    "when new or re-delivered export files land in data/landing/<system>/.",
    target=dg.AssetSelection.all(),
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def landing_files(context: dg.SensorEvaluationContext, paths: CdpPaths) -> dg.SensorResult:
    change = detect_change(paths.landing(), context.cursor, time.time_ns(), LANDING_SETTLE_SECONDS)
    if change is None:
        return dg.SensorResult(skip_reason=f"no new export files in {paths.landing()}")
    selection = dg.AssetSelection.assets(*raw_keys(change.systems)).downstream()
    keys = sorted(selection.resolve(context.repository_def.asset_graph))
    context.log.info(f"{len(change.files)} new files for {', '.join(change.systems)}")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=change.run_key,
                asset_selection=keys,
                tags={"cdp/landing_files": str(len(change.files))},
            )
        ],
        cursor=encode_cursor(change.cursor),
    )


@dg.run_failure_sensor(
    name="record_run_failures",
    description="Appends every failed run to data/ops/run_failures.jsonl for operators.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def record_run_failures(context: dg.RunFailureSensorContext, paths: CdpPaths) -> None:
    run = context.dagster_run
    if run.tags.get(SELF_RECORDED_TAG) == "true":
        return
    log = record_run_failure(
        paths.ops(),
        run_id=run.run_id,
        job_name=run.job_name,
        message=context.failure_event.message or "run failed",
        failed_steps=[event.step_key or "" for event in context.get_step_failure_events()],
        launched_by=_launched_by(dict(run.tags)),
    )
    context.log.info(f"recorded failure of run {run.run_id} in {log}")


def build_automation_defs(downstream_of_marts: Sequence[dg.AssetKey]) -> dg.Definitions:
    """`downstream_of_marts`: assets (activation syncs, serving copy) that follow marts updates."""
    job = full_chain_job()
    sensors: list[dg.SensorDefinition] = [landing_files, record_run_failures]
    if downstream_of_marts:
        sensors.append(
            dg.AutomationConditionSensorDefinition(
                "after_marts_update",
                target=dg.AssetSelection.assets(*downstream_of_marts),
                default_status=dg.DefaultSensorStatus.RUNNING,
                minimum_interval_seconds=60,
                description="Syncs audiences and republishes the serving copy once the marts "
                "they read have been rebuilt (their automation condition is `eager`).",
            )
        )
    return dg.Definitions(
        jobs=[job],
        schedules=[
            dg.ScheduleDefinition(
                name="daily_full_chain",
                cron_schedule=DAILY_CRON,
                execution_timezone="UTC",
                target=job,
                tags={LAUNCHED_BY_TAG: "daily_full_chain"},
                default_status=dg.DefaultScheduleStatus.RUNNING,
            )
        ],
        sensors=sensors,
    )
