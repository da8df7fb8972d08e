"""Failed runs land in data/ops/run_failures.jsonl, one whole JSON line each."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from orchestration.failures import read_run_failures, record_run_failure


def test_failure_is_appended_with_its_steps_and_launcher(tmp_path: Path) -> None:
    log = record_run_failure(
        tmp_path / "ops",
        run_id="r1",
        job_name="cdp_full_chain",
        message="Execution of run failed. Steps failed: ['dbt_build']",
        failed_steps=["dbt_build", "load_hubspot"],
        launched_by="daily_full_chain",
    )
    (failure,) = read_run_failures(tmp_path / "ops")
    assert failure.run_id == "r1"
    assert failure.failed_steps == ["dbt_build", "load_hubspot"]
    assert failure.launched_by == "daily_full_chain"
    assert json.loads(log.read_text())["job_name"] == "cdp_full_chain"


def test_concurrent_failures_stay_whole_lines_readable_by_duckdb(tmp_path: Path) -> None:
    def record(i: int) -> None:
        record_run_failure(
            tmp_path,
            run_id=f"run-{i}",
            job_name="cdp_full_chain",
            message="x" * 2000,
            failed_steps=[f"step-{i}"],
            launched_by="landing_files",
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(record, range(40)))

    assert len(read_run_failures(tmp_path)) == 40
    with duckdb.connect() as con:
        log = str(tmp_path / "run_failures.jsonl")
        rows = con.execute("select count(distinct run_id) from read_json(?)", [log]).fetchone()
    assert rows == (40,)


def test_no_failures_yet_reads_as_empty(tmp_path: Path) -> None:
    assert read_run_failures(tmp_path) == []
