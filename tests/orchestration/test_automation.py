"""Schedules, sensors and automation conditions, evaluated against the real definitions."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs import build_definitions
from orchestration.defs.automation import FULL_CHAIN_JOB, SELF_RECORDED_TAG, record_run_failures
from orchestration.defs.blocking_checks import (
    BLOCKING_CHECKS_RESOURCE,
    BlockingChecks,
    eager_after_passed_checks,
)
from orchestration.defs.guardrails import ID_CHANGES_KEY
from orchestration.defs.ingest import raw_key
from orchestration.defs.resources import CdpPaths
from orchestration.defs.serving import DBT_DOCS_KEY, SERVING_KEY
from orchestration.failures import read_run_failures

CUSTOMERS = dg.AssetKey(["marts", "customers"])


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return build_definitions()


def _land(landing: Path, name: str) -> None:
    path = landing / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("header\n")
    an_hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(path, ns=(an_hour_ago, an_hour_ago))


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def _tick(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None
) -> dg.SensorResult:
    sensor = defs.resolve_sensor_def("landing_files")
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        repository_def=defs.get_repository_def(),
        resources={"paths": CdpPaths()},
    )
    return sensor(context)


def _ingest_job(fails: bool) -> dg.JobDefinition:
    @dg.op
    def load_hubspot() -> None:
        if fails:
            raise ValueError("contacts_20261101.csv: connection reset")

    @dg.job
    def ingest() -> None:
        load_hubspot()

    return ingest


def _sensor_run_tags(run_key: str) -> dict[str, str]:
    """What the daemon tags every run a sensor starts with."""
    return {"dagster/run_key": run_key, "dagster/sensor_name": "landing_files"}


def _landing_run(instance: dg.DagsterInstance, run_key: str, *, fails: bool) -> None:
    """A finished run, as the daemon would have started it for `run_key`."""
    _ingest_job(fails).execute_in_process(
        instance=instance, raise_on_error=False, tags=_sensor_run_tags(run_key)
    )


def test_landing_sensor_starts_the_systems_with_new_files_and_their_downstream(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDP_LANDING", str(tmp_path))
    _land(tmp_path, "hubspot/contacts_20261101.csv")

    first = _tick(defs, instance, None)

    (request,) = first.run_requests
    keys = set(request.asset_selection)
    assert raw_key("hubspot", "contacts") in keys
    assert raw_key("stripe", "charges") not in keys
    assert {CUSTOMERS, SERVING_KEY, DBT_DOCS_KEY} <= keys
    assert request.run_key.startswith("landing-")

    second = _tick(defs, instance, first.cursor)
    assert not second.run_requests
    assert "no new export files" in second.skip_reason.skip_message

    _land(tmp_path, "stripe/charges_20261102.jsonl")
    third = _tick(defs, instance, first.cursor)
    (request,) = third.run_requests
    assert raw_key("stripe", "charges") in set(request.asset_selection)
    assert raw_key("hubspot", "contacts") not in set(request.asset_selection)


def test_landing_sensor_skips_an_empty_landing_folder(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDP_LANDING", str(tmp_path / "nothing_here"))
    assert not _tick(defs, instance, None).run_requests


def test_landing_sensor_requests_a_failed_runs_files_again_under_a_new_key(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDP_LANDING", str(tmp_path))
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    requested = _tick(defs, instance, None)
    (first,) = requested.run_requests

    assert not _tick(defs, instance, requested.cursor).run_requests, "no run yet: still pending"
    _landing_run(instance, first.run_key, fails=True)
    retried = _tick(defs, instance, requested.cursor)

    (retry,) = retried.run_requests
    assert retry.run_key == f"{first.run_key}-retry1"
    assert retry.asset_selection == first.asset_selection
    assert retry.tags["cdp/landing_attempt"] == "2"
    assert not _tick(defs, instance, retried.cursor).run_requests, "the retry has not run yet"


def test_landing_sensor_waits_for_a_started_run_and_retries_a_canceled_one(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDP_LANDING", str(tmp_path))
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    requested = _tick(defs, instance, None)
    (first,) = requested.run_requests
    run = instance.create_run_for_job(
        _ingest_job(fails=False),
        tags=_sensor_run_tags(first.run_key),
        status=dg.DagsterRunStatus.STARTED,
    )

    assert not _tick(defs, instance, requested.cursor).run_requests
    instance.report_run_canceled(run)
    (retry,) = _tick(defs, instance, requested.cursor).run_requests
    assert retry.run_key == f"{first.run_key}-retry1"


def test_landing_sensor_does_not_request_a_succeeded_runs_files_again(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDP_LANDING", str(tmp_path))
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    first = _tick(defs, instance, None)
    (request,) = first.run_requests
    _landing_run(instance, request.run_key, fails=False)

    after = _tick(defs, instance, first.cursor)

    assert not after.run_requests
    assert not _tick(defs, instance, after.cursor).run_requests
    assert json.loads(after.cursor)["pending"] == {}


def test_landing_sensor_gives_up_with_a_warning_after_three_failed_runs(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CDP_LANDING", str(tmp_path))
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    result = _tick(defs, instance, None)
    keys = []
    while result.run_requests:
        (request,) = result.run_requests
        keys.append(request.run_key)
        _landing_run(instance, request.run_key, fails=True)
        result = _tick(defs, instance, result.cursor)

    assert len(keys) == 3
    last_run = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/run_key": keys[-1]}))[0]
    warning = next(line for line in capfd.readouterr().err.splitlines() if "WARNING" in line)
    assert "hubspot/contacts_20261101.csv" in warning
    assert last_run.run_id in warning
    assert json.loads(result.cursor)["pending"] == {}
    assert not _tick(defs, instance, result.cursor).run_requests


def test_landing_sensor_keeps_an_old_flat_cursor_and_retries_what_it_requests_next(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDP_LANDING", str(tmp_path))
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    _land(tmp_path, "stripe/charges_20261102.jsonl")
    loaded = tmp_path / "hubspot" / "contacts_20261101.csv"
    flat = json.dumps({"hubspot/contacts_20261101.csv": loaded.stat().st_mtime_ns})

    first = _tick(defs, instance, flat)
    (request,) = first.run_requests
    assert raw_key("stripe", "charges") in set(request.asset_selection)
    assert raw_key("hubspot", "contacts") not in set(request.asset_selection)

    _landing_run(instance, request.run_key, fails=True)
    (retry,) = _tick(defs, instance, first.cursor).run_requests
    assert retry.run_key == f"{request.run_key}-retry1"


def test_daily_schedule_runs_the_whole_chain(defs: dg.Definitions) -> None:
    schedule = defs.resolve_schedule_def("daily_full_chain")
    assert schedule.cron_schedule == "0 5 * * *"
    assert schedule.job_name == FULL_CHAIN_JOB
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    job_keys = defs.resolve_job_def(FULL_CHAIN_JOB).asset_layer.selected_asset_keys
    assert job_keys == {
        key
        for key in defs.resolve_asset_graph().get_all_asset_keys()
        if defs.resolve_asset_graph().get(key).is_materializable
    }


def test_syncs_and_serving_follow_marts_updates_once_their_blocking_checks_passed(
    defs: dg.Definitions,
) -> None:
    graph = defs.resolve_asset_graph()
    followers = [k for k in graph.get_all_asset_keys() if k.path[0] in ("activation", "serving")]
    assert SERVING_KEY in followers
    for key in followers:
        expected = (
            dg.AutomationCondition.eager() if key == DBT_DOCS_KEY else eager_after_passed_checks()
        )
        assert graph.get(key).automation_condition == expected, key
    sensor = defs.resolve_sensor_def("after_marts_update")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert set(sensor.asset_selection.resolve(graph)) == set(followers)


def test_serving_and_syncs_know_the_guardrails_and_dbt_tests_that_hold_them_back(
    defs: dg.Definitions,
) -> None:
    checks = defs.resources[BLOCKING_CHECKS_RESOURCE]
    assert isinstance(checks, BlockingChecks)
    graph = defs.resolve_asset_graph()
    guardrails = {
        dg.AssetCheckKey(CUSTOMERS, "largest_customer_within_limit"),
        dg.AssetCheckKey(ID_CHANGES_KEY, "merges_within_limit"),
    }
    syncs = [key for key in graph.get_all_asset_keys() if key.path[0] == "activation"]
    assert syncs
    for key in [SERVING_KEY, *syncs]:
        assert guardrails <= set(checks.upstream[key]), key
    dbt_tests = {check for check in checks.upstream[SERVING_KEY] if check not in guardrails}
    assert any(check.name.startswith("unique_customers_") for check in dbt_tests)
    assert all(graph.get(check).blocking for check in checks.upstream[SERVING_KEY])


def _failed_run(instance: dg.DagsterInstance, tags: dict[str, str]) -> dg.ExecuteInProcessResult:
    @dg.op
    def load_hubspot() -> None:
        raise ValueError("contacts_20261101.csv: missing columns Record ID")

    @dg.job
    def ingest() -> None:
        load_hubspot()

    return ingest.execute_in_process(instance=instance, raise_on_error=False, tags=tags)


def _failure_context(
    instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult
) -> dg.RunFailureSensorContext:
    return dg.build_run_status_sensor_context(
        sensor_name="record_run_failures",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"paths": CdpPaths()},
    ).for_run_failure()


def test_failure_sensor_records_the_run_and_its_failed_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path))
    with dg.instance_for_test() as instance:
        result = _failed_run(instance, {"dagster/schedule_name": "daily_full_chain"})
        record_run_failures(_failure_context(instance, result))

    (failure,) = read_run_failures(tmp_path / "ops")
    assert failure.run_id == result.run_id
    assert failure.failed_steps == ["load_hubspot"]
    assert failure.launched_by == "daily_full_chain"


def test_failure_sensor_leaves_cdp_run_failures_to_cdp_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path))
    with dg.instance_for_test() as instance:
        result = _failed_run(instance, {SELF_RECORDED_TAG: "true"})
        record_run_failures(_failure_context(instance, result))
    assert read_run_failures(tmp_path / "ops") == []
