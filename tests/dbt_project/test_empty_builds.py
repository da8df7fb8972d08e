"""`dbt build --empty` on a built warehouse leaves every stored row of the incremental models and
of their bookkeeping as it was (macros/incremental/empty_refs.sql).

Under --empty every ref and source reads as an empty relation. dbt rebuilds table and view models
empty, and the next build fills them again; but the incremental models' hooks compare the stored
rows with their inputs and forget what left, which against empty inputs was every row of staging,
identity and the customer marts, their input fingerprints and the marks of what they consumed.
The --empty build runs a day after the build's as_of, as the next day's check would: a model that
records what changed since (segment spells, CLV fits) must not record the empty segments or a fit.
dbt runs Python models on their whole refs even under --empty, so the CLV fit history must not
take a fit on a first build either.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_runner import run_dbt
from tests.conftest import SAMPLE_AS_OF

pytestmark = pytest.mark.slow

NEXT_DAY = (date.fromisoformat(SAMPLE_AS_OF) + timedelta(days=1)).isoformat()

LEDGER = {"main.dbt_invocation_log", "main.dbt_invocation_loads"}
"""The invocation ledger: it records every build, --empty too (macros/tests/tested_builds.sql)."""


def _stored_tables(warehouse: Path) -> dict[str, tuple[int, int]]:
    """Row count and a checksum that ignores row order (the sum of the rows' hashes) of every
    table in the warehouse, by `schema.table`."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables()"
            " where database_name = current_database() and not temporary"
        ).fetchall()
        return {
            table: con.execute(
                f"select count(*), coalesce(sum(hash(t)), 0) from {table} as t"
            ).fetchone()
            for (table,) in tables
        }


def _models(target: Path, materialized: str) -> set[str]:
    """`schema.table` of the enabled models with that materialization."""
    manifest = json.loads((target / "manifest.json").read_text())
    return {
        f"{node['schema']}.{node['alias']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == materialized
    }


def test_empty_build_leaves_stored_rows_untouched(warehouse_copy: Path, tmp_path: Path) -> None:
    before = _stored_tables(warehouse_copy)
    target = tmp_path / "target"
    run_dbt(
        ["build", "--empty"], warehouse_copy, target_dir=target, dbt_vars={"as_of": NEXT_DAY}
    ).raise_on_failure()
    after = _stored_tables(warehouse_copy)

    assert _models(target, "incremental") <= before.keys()
    kept = before.keys() - _models(target, "table") - LEDGER
    assert {table: after.get(table) for table in kept} == {table: before[table] for table in kept}


def test_first_empty_build_of_the_fit_history_makes_no_fit(
    warehouse_copy: Path, tmp_path: Path
) -> None:
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("drop table marts.model_fits")
    run_dbt(
        ["run", "--empty", "--select", "model_fits"],
        warehouse_copy,
        target_dir=tmp_path / "target",
        dbt_vars={"as_of": SAMPLE_AS_OF},
    ).raise_on_failure()
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        assert con.execute("select count(*) from marts.model_fits").fetchone() == (0,)
