"""When things run: a daily schedule, new export files, marts updates, and what to do on failure."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import dagster as dg

from orchestration.defs.ingest import raw_keys
from orchestration.defs.resources import CdpPaths
from orchestration.failures import record_run_failure
from orchestration.landing import (
    MAX_ATTEMPTS,
    LandingCursor,
    LandingRequest,
    RunOutcome,
    next_tick,
)

FULL_CHAIN_JOB = "cdp_full_chain"
DAILY_CRON = "0 5 * * *"
LANDING_SETTLE_SECONDS = 10.0
"""A file modified more recently than this may still be being written; a later tick takes it."""

LAUNCHED_BY_TAG = "cdp/launched_by"
SELF_RECORDED_TAG = "cdp/records_own_failure"
"""Set by `cdp run`, which records its own failures: the sensor must not record them twice."""
LANDING_SENSOR = "landing_files"
LANDING_FILES_TAG = "cdp/landing_files"
LANDING_ATTEMPT_TAG = "cdp/landing_attempt"
RUN_KEY_TAG = "dagster/run_key"
SENSOR_NAME_TAG = "dagster/sensor_name"
"""Dagster tags every run a sensor starts with these two (not exported by `dagster` itself)."""


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


def _landing_runs(
    instance: dg.DagsterInstance, run_keys: Iterable[str]
) -> dict[str, list[dg.DagsterRun]]:
    """The runs this sensor started under each key, newest first. Dagster matches run keys per
    sensor too, and looks them up one key at a time because that is faster than one query."""
    return {
        key: [
            run
            for run in instance.get_runs(filters=dg.RunsFilter(tags={RUN_KEY_TAG: key}))
            if run.tags.get(SENSOR_NAME_TAG) == LANDING_SENSOR
        ]
        for key in run_keys
    }


def _outcome(runs: Sequence[dg.DagsterRun]) -> RunOutcome:
    """Any success loads the files (an operator may have re-executed a failed run); they failed
    only once every run under the key finished without one."""
    if any(run.status == dg.DagsterRunStatus.SUCCESS for run in runs):
        return RunOutcome.SUCCEEDED
    if runs and all(run.is_finished for run in runs):
        return RunOutcome.FAILED
    return RunOutcome.WAITING


def _run_request(context: dg.SensorEvaluationContext, request: LandingRequest) -> dg.RunRequest:
    """Ingest the systems that received the files, and everything downstream of them."""
    selection = dg.AssetSelection.assets(*raw_keys(request.systems)).downstream()
    return dg.RunRequest(
        run_key=request.run_key,
        asset_selection=sorted(selection.resolve(context.repository_def.asset_graph)),
        tags={
            LANDING_FILES_TAG: str(len(request.files)),
            LANDING_ATTEMPT_TAG: str(request.attempt),
        },
    )


@dg.sensor(
    name=LANDING_SENSOR,
    description="Starts ingestion (and everything downstream of the systems that received files) "
    "when new or re-delivered export files land in data/landing/<system>/, and requests the files "
    f"of a failed run again, up to {MAX_ATTEMPTS} runs.",
    target=dg.AssetSelection.all(),
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def landing_files(context: dg.SensorEvaluationContext, paths: CdpPaths) -> dg.SensorResult:
    cursor = LandingCursor.decode(context.cursor)
    runs = _landing_runs(context.instance, cursor.pending)
    tick = next_tick(
        paths.landing(),
        cursor,
        {key: _outcome(key_runs) for key, key_runs in runs.items()},
        time.time_ns(),
        LANDING_SETTLE_SECONDS,
    )
    for key, request in tick.abandoned.items():
        context.log.warning(
            f"giving up on {len(request.files)} files after {request.attempt} failed runs, the "
            f"last {runs[key][0].run_id} (run key {key}); re-deliver them to load them: "
            + ", ".join(sorted(request.files))
        )
    for key, retry in tick.retries.items():
        context.log.info(
            f"run {runs[key][0].run_id} (run key {key}) failed: requesting its "
            f"{len(retry.files)} files again as {retry.run_key}, attempt {retry.attempt} of "
            f"{MAX_ATTEMPTS}"
        )
    if tick.fresh is not None:
        context.log.info(f"{len(tick.fresh.files)} new files for {', '.join(tick.fresh.systems)}")
    if not tick.requests:
        waiting = len(tick.cursor.pending)
        return dg.SensorResult(
            skip_reason=f"no new export files in {paths.landing()}"
            + (f"; {waiting} requested runs have not succeeded yet" if waiting else ""),
            cursor=tick.cursor.encode(),
        )
    return dg.SensorResult(
        run_requests=[_run_request(context, request) for request in tick.requests],
        cursor=tick.cursor.encode(),
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
