"""`dbt show` and `dbt compile` of an incremental model on a built warehouse render its full
build, unless it keeps history (macros/incremental/previews.sql): its incremental SQL reads
temporary tables that only its pre-hooks, which those commands do not run, make."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration.dbt_runner import run_dbt
from tests.conftest import SAMPLE_AS_OF

pytestmark = pytest.mark.slow


def _incremental_sql_models(built_warehouse: Path) -> list[str]:
    """dbt cannot show Python models at all, so only the SQL ones."""
    manifest = json.loads((built_warehouse.parent / "dbt_target" / "manifest.json").read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["language"] == "sql"
        and node["config"]["materialized"] == "incremental"
    )


def test_every_incremental_sql_model_can_be_previewed_on_a_built_warehouse(
    built_warehouse: Path, warehouse_copy: Path, tmp_path: Path
) -> None:
    models = _incremental_sql_models(built_warehouse)
    target = tmp_path / "target"
    run_dbt(
        ["show", "--select", *models, "--limit", "2"],
        warehouse_copy,
        target_dir=target,
        dbt_vars={"as_of": SAMPLE_AS_OF},
    ).raise_on_failure()
    results = json.loads((target / "run_results.json").read_text())["results"]
    shown = {r["unique_id"].split(".")[-1]: r["status"] for r in results}
    assert {model: shown.get(model) for model in models} == dict.fromkeys(models, "success")


def test_compiled_sql_renders_a_mart_as_its_full_build_and_a_history_as_its_increment(
    warehouse_copy: Path, tmp_path: Path
) -> None:
    """A history (`full_refresh=false`) is no full build of its inputs: its compiled SQL stays
    the increment, which reads the spells it holds."""
    target = tmp_path / "target"
    run_dbt(
        ["compile", "--select", "customers", "segment_membership_history"],
        warehouse_copy,
        target_dir=target,
        dbt_vars={"as_of": SAMPLE_AS_OF},
    ).raise_on_failure()
    (customers,) = (target / "compiled").rglob("customers.sql")
    (history,) = (target / "compiled").rglob("segment_membership_history.sql")
    assert "__changed_customers" not in customers.read_text()
    assert "open_spells" in history.read_text()
