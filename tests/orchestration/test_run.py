"""The full graph, executed in-process the way `cdp run` does, on the S sample."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
import yaml

from orchestration import settings
from orchestration.defs import build_definitions
from orchestration.failures import read_run_failures
from orchestration.guardrail_limits import GUARDRAILS_FILE, GuardrailLimits
from orchestration.runner import run_pipeline

pytestmark = pytest.mark.slow

ANALYST = """
import json, os, sys, time
import duckdb

serving, stop = sys.argv[1], sys.argv[2]
reads, errors = [], []
while not os.path.exists(stop):
    try:
        with duckdb.connect(serving, read_only=True) as con:
            customers = con.execute("select count(*) from marts.customers").fetchone()[0]
        reads.append({"at": time.time(), "inode": os.stat(serving).st_ino, "customers": customers})
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    time.sleep(0.05)
print(json.dumps({"reads": reads, "errors": errors}))
"""


def _materializable(defs: dg.Definitions) -> set[str]:
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if graph.get(key).is_materializable
    }


def _rows_loaded(result: dg.ExecuteInProcessResult) -> set[int]:
    return {
        int(m.metadata["rows_loaded"].value)
        for m in (
            event.step_materialization_data.materialization
            for event in result.get_asset_materialization_events()
        )
        if "rows_loaded" in m.metadata
    }


def _serving(root: Path) -> Path:
    return root / "data" / "warehouse" / "serving.duckdb"


def _syncs_needing_secrets() -> set[str]:
    """Syncs whose destination declares a `secret:`; none is set in the test environment."""
    from activation.config import load_config

    config = load_config(settings.activation_config_dir())
    return {
        f"activation/{sync.name}"
        for sync in config.syncs
        if config.destination(sync.destination).get("secret")
    }


def test_full_chain_materializes_every_asset_and_passes_every_check(
    orchestrated_run: Path, orchestrated_facts: dict[str, Any]
) -> None:
    assert orchestrated_facts["success"], orchestrated_facts["failed_steps"]
    materialized = set(orchestrated_facts["materialized"])
    not_materialized = _materializable(build_definitions()) - materialized
    assert not_materialized == _syncs_needing_secrets(), "only unconfigured syncs may be skipped"
    assert "activation/vip_customers_files" in materialized
    drops = orchestrated_run / "data" / "activation" / "files" / "vip_customers_files"
    assert any(drops.iterdir()), "the file sync wrote no audience file"
    checks = orchestrated_facts["checks"]
    failed = [name for name, passed in checks.items() if not passed]
    assert failed == []
    assert "marts/customers:largest_customer_within_limit" in checks
    assert "marts/customer_id_changes:merges_within_limit" in checks
    assert read_run_failures(orchestrated_run / "data" / "ops") == []


def _dbt_build_results(facts: dict[str, Any]) -> Path:
    """run_results.json of the run's dbt build (its folder is named after the run)."""
    run = facts["run_id"][:7]
    (results,) = settings.dbt_project_dir().glob(f"target/dbt_build-{run}-*/run_results.json")
    return results


def test_the_warehouse_build_runs_data_tests_but_leaves_unit_tests_to_ci(
    orchestrated_facts: dict[str, Any],
) -> None:
    kinds = {
        result["unique_id"].split(".", 1)[0]
        for result in json.loads(_dbt_build_results(orchestrated_facts).read_text())["results"]
    }
    assert {"model", "test"} <= kinds
    assert "unit_test" not in kinds


def test_data_tests_reach_dagster_as_checks_though_the_build_keeps_no_debug_log(
    orchestrated_facts: dict[str, Any],
) -> None:
    """The build skips dbt's debug log file (formatting its events cost 2-3 s); every data test
    still runs, each one Dagster knows as a check gets its evaluation, and the results stay beside
    the SQL that ran."""
    results = _dbt_build_results(orchestrated_facts)
    data_tests = {
        result["unique_id"].split(".")[2]: result["status"]
        for result in json.loads(results.read_text())["results"]
        if result["unique_id"].startswith("test.")
    }
    graph = build_definitions().resolve_asset_graph()
    dbt_checks = {key.name for key in graph.asset_check_keys} & data_tests.keys()
    evaluated = {name.split(":", 1)[1] for name in orchestrated_facts["checks"]}
    assert set(data_tests.values()) == {"pass"}
    assert dbt_checks
    assert dbt_checks <= evaluated
    assert not (results.parent / "dbt.log").exists()
    assert any((results.parent / "run").rglob("*.sql"))


def test_serving_copy_holds_the_marts_after_the_run(orchestrated_run: Path) -> None:
    with duckdb.connect(str(_serving(orchestrated_run)), read_only=True) as con:
        customers = con.execute("select count(*) from marts.customers").fetchone()[0]
        segments = con.execute("select count(distinct segment) from marts.segment_memberships")
        assert customers > 500
        assert segments.fetchone()[0] > 0


def test_run_summary_reports_loads_customers_segments_and_syncs(
    orchestrated_facts: dict[str, Any],
) -> None:
    text = "\n".join(orchestrated_facts["summary"])
    for system in ("hubspot", "mailchimp", "stripe", "vnpay", "facebook_ads", "google_ads"):
        assert f"  {system} " in text
    assert "customers: " in text
    assert "segments (members):" in text
    assert "syncs (this run):" in text
    assert "serving copy for analysts:" in text


def test_analyst_queries_the_serving_copy_while_a_rerun_writes(orchestrated_copy: Path) -> None:
    """The rerun has no new export file: it loads nothing, rebuilds and republishes."""
    stop = orchestrated_copy / "stop"
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(_serving(orchestrated_copy)), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1)
        started = time.time()
        result = run_pipeline(launched_by="tests")
        ended = time.time()
    finally:
        stop.touch()
        out, _ = analyst.communicate(timeout=60)
    seen = json.loads(out)

    assert result.success
    assert _rows_loaded(result) == {0}
    assert seen["errors"] == []
    during = [read for read in seen["reads"] if started <= read["at"] <= ended]
    assert len(during) > 10, "the analyst did not get to query during the run"
    assert len({read["inode"] for read in seen["reads"]}) == 2, "the run did not republish"


def test_tripped_guardrail_holds_back_every_sync_and_keeps_the_last_good_serving_copy(
    orchestrated_copy: Path,
) -> None:
    serving = _serving(orchestrated_copy)
    published_before = serving.stat().st_mtime_ns
    limits = yaml.safe_load(GUARDRAILS_FILE.read_text())
    strict = GuardrailLimits(**{**limits, "max_customer_source_records": 1})

    result = run_pipeline(resources={"guardrails": strict}, launched_by="tests")

    assert not result.success
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations["largest_customer_within_limit"] is False
    materialized = {
        e.step_materialization_data.materialization.asset_key.path[0]
        for e in result.get_asset_materialization_events()
    }
    assert "marts" in materialized
    assert "activation" not in materialized
    assert "serving" not in materialized
    assert serving.stat().st_mtime_ns == published_before
    (failure,) = read_run_failures(orchestrated_copy / "data" / "ops")
    assert failure.run_id == result.run_id
    assert os.environ["CDP_DATA_DIR"] == str(orchestrated_copy / "data")


def test_sync_started_on_its_own_still_honours_the_guardrails(orchestrated_copy: Path) -> None:
    """Eager automation may start a sync in a run without the marts (and so without their
    checks): the sync measures the guardrails itself and refuses to send."""
    limits = yaml.safe_load(GUARDRAILS_FILE.read_text())
    strict = GuardrailLimits(**{**limits, "max_customer_source_records": 1})
    files_sync = dg.AssetKey(["activation", "vip_customers_files"])

    result = run_pipeline(selection=[files_sync], resources={"guardrails": strict})

    assert not result.success
    assert result.get_asset_materialization_events() == []
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "guardrails hold back sync vip_customers_files" in str(
        failure.step_failure_data.user_failure_data.description
    )
