"""The shared Dagster instance: our dagster.yaml, one warehouse slot, no slot held by the dead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from orchestration.instance import (
    LAUNCHER_PID_TAG,
    WAREHOUSE_POOL,
    cdp_instance,
    release_abandoned_slots,
)


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dg.DagsterInstance:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    return cdp_instance()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _started_run(instance: dg.DagsterInstance, tags: dict[str, str]) -> str:
    @dg.op
    def noop() -> None: ...

    @dg.job
    def chain() -> None:
        noop()

    run = instance.create_run_for_job(chain, tags=tags)
    instance.handle_run_event(
        run.run_id,
        dg.DagsterEvent(event_type_value=dg.DagsterEventType.RUN_START.value, job_name=chain.name),
    )
    return run.run_id


def test_instance_uses_our_settings_and_one_warehouse_slot(instance: dg.DagsterInstance) -> None:
    assert (Path(instance.root_directory) / "dagster.yaml").exists()
    assert instance.event_log_storage.get_pool_config().default_pool_limit == 1
    assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1


def test_slot_of_a_run_whose_process_died_is_released(instance: dg.DagsterInstance) -> None:
    run_id = _started_run(instance, {LAUNCHER_PID_TAG: str(_dead_pid())})
    instance.event_log_storage.claim_concurrency_slot(WAREHOUSE_POOL, run_id, "dbt_build")

    assert release_abandoned_slots(instance) == [run_id]
    assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).claimed_slots == []
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE


def test_slot_of_a_live_run_is_kept(instance: dg.DagsterInstance) -> None:
    run_id = _started_run(instance, {LAUNCHER_PID_TAG: str(os.getpid())})
    instance.event_log_storage.claim_concurrency_slot(WAREHOUSE_POOL, run_id, "dbt_build")

    assert release_abandoned_slots(instance) == []
    assert len(instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).claimed_slots) == 1


def test_run_history_is_written_without_waiting_for_the_disk_and_nothing_else_is(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    def synchronous(database: Path) -> int:
        engine = sa.create_engine(f"sqlite:///{database}", poolclass=sa.pool.NullPool)
        with engine.connect() as con:
            return con.exec_driver_sql("PRAGMA synchronous").scalar_one()

    history = Path(instance.root_directory) / "history" / "runs.db"
    assert history.exists()
    assert synchronous(history) == 0
    assert synchronous(tmp_path / "elsewhere.db") == 2
