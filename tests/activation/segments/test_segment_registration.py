"""A model tagged `segment` that the generator has not registered stops the build with a clear
message, instead of silently missing from memberships, history and sizes."""

from __future__ import annotations

from pathlib import Path

import pytest
from segment_sandbox import dbt_build, write_sandbox

SPECS = {
    "everyone": {
        "name": "everyone",
        "description": "All customers.",
        "owner": "qa",
        "rules": {"field": "customer_id", "op": "is not null"},
    }
}


@pytest.mark.slow
def test_unregistered_tagged_model_fails_the_build_naming_the_fix(tmp_path: Path) -> None:
    project = write_sandbox(tmp_path / "project", SPECS, [{"customer_id": "c1"}], [], [])
    late = project / "models" / "segments" / "custom" / "late_addition.sql"
    late.parent.mkdir(parents=True)
    late.write_text("{{ config(tags=['segment']) }}\nselect 'c1' as customer_id\n")
    with pytest.raises(AssertionError) as failure:
        dbt_build(project, "2026-11-01", tmp_path / "warehouse.duckdb")
    assert "late_addition" in str(failure.value)
    assert "run `cdp segments compile`" in str(failure.value)
