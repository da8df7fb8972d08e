"""Fixtures for the orchestration tests: one full in-process run of the graph per session.

The full run (ingest the S sample, dbt build, guardrails, syncs, serving copy) is the expensive
part, so it happens once under `build_once`; its facts are written to `run.json` because xdist
workers cannot share the Dagster result object. Tests that change the warehouse work on a copy.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

CDP_ENV = ("CDP_DATA_DIR", "CDP_WAREHOUSE", "CDP_LANDING", "DAGSTER_HOME")


@contextmanager
def cdp_environment(root: Path) -> Iterator[Path]:
    """Point every CDP path (data, warehouse, landing, Dagster home) into `root`, then restore."""
    saved = {name: os.environ.get(name) for name in CDP_ENV}
    os.environ["CDP_DATA_DIR"] = str(root / "data")
    os.environ["CDP_WAREHOUSE"] = str(root / "data" / "warehouse" / "cdp.duckdb")
    os.environ["CDP_LANDING"] = str(root / "data" / "landing")
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    try:
        yield root
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_facts(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    """What a run did, as plain JSON: materialized keys, check outcomes, failed/skipped steps."""
    return {
        "success": result.success,
        "run_id": result.run_id,
        "materialized": sorted(
            {
                event.step_materialization_data.materialization.asset_key.to_user_string()
                for event in result.get_asset_materialization_events()
            }
        ),
        "checks": {
            f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}": evaluation.passed
            for evaluation in result.get_asset_check_evaluations()
        },
        "failed_steps": sorted(e.step_key or "" for e in result.all_events if e.is_step_failure),
        "skipped_steps": sorted(e.step_key or "" for e in result.all_events if e.is_step_skipped),
    }


@pytest.fixture(scope="session")
def orchestrated_run(
    sample_exports: Path, build_once: Callable[[str, Callable[[Path], None]], Path]
) -> Path:
    """A folder holding data/ (landing, warehouse, serving copy), dagster_home/ and run.json
    after `run_pipeline()` on the S sample. Treat as read-only; copy it to change anything."""
    from orchestration.runner import run_pipeline
    from orchestration.summary import render, summarize

    def _run(root: Path) -> None:
        shutil.copytree(sample_exports / "landing", root / "data" / "landing")
        with cdp_environment(root):
            result = run_pipeline(launched_by="tests")
            facts = run_facts(result)
            facts["summary"] = render(
                summarize(result, root / "data" / "warehouse" / "serving.duckdb")
            )
        (root / "run.json").write_text(json.dumps(facts, indent=2))

    return build_once("orchestrated_run", _run)


@pytest.fixture
def orchestrated_copy(orchestrated_run: Path, tmp_path: Path) -> Iterator[Path]:
    """A private copy of the orchestrated folder, with the CDP environment pointing at it."""
    root = tmp_path / "cdp"
    shutil.copytree(orchestrated_run, root, ignore=shutil.ignore_patterns("run.json"))
    with cdp_environment(root):
        yield root


@pytest.fixture(scope="session")
def orchestrated_facts(orchestrated_run: Path) -> dict[str, Any]:
    return json.loads((orchestrated_run / "run.json").read_text())
