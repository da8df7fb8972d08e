"""Running dbt on a test's warehouse copy and reading what it reported, for the tests of the
data tests: each plants a defect, runs an invocation that must fail, and inspects the results."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from orchestration.dbt_runner import run_dbt
from tests.conftest import SAMPLE_AS_OF


def node_results(target: Path, resource_type: str | None = None) -> dict[str, dict]:
    """dbt's run_results entries by node name (`test`, `model`…: only that type when given)."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {
        result["unique_id"].split(".")[2]: result
        for result in results
        if resource_type is None or result["unique_id"].startswith(f"{resource_type}.")
    }


def failing_invocation(warehouse: Path, target: Path, *args: str) -> dict[str, dict]:
    """dbt `args` without unit tests, on the sample's date, which must fail; its results."""
    result = run_dbt(
        [*args, "--exclude", "test_type:unit"],
        warehouse,
        target_dir=target,
        dbt_vars={"as_of": SAMPLE_AS_OF},
    )
    assert not result.success, result.output[-3000:]
    return node_results(target)


def last_build_tested_everything(warehouse: Path) -> bool:
    """The ledger's latest invocation built every model and passed every data test: the next
    incremental build may check only the rows it writes."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            "select built_and_tested_everything from main.dbt_invocation_log "
            "order by sequence desc limit 1"
        ).fetchone()
    return bool(row and row[0])
