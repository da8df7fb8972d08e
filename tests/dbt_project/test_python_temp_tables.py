"""An incremental run of a Python model leaves no `<model>__dbt_tmp<timestamp>` table behind
(macros/incremental/python_temp_tables.sql). dbt-duckdb writes such a run's new rows to that
table and never drops it, so each run left one more in the warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_runner import run_dbt
from tests.conftest import SAMPLE_AS_OF

pytestmark = pytest.mark.slow

EARLIER_RUNS_TABLE = "main.int_identity__links__dbt_tmp20261101000000000000"


def _temp_tables(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables()"
            " where contains(table_name, '__dbt_tmp') order by 1"
        ).fetchall()
    return [name for (name,) in rows]


def test_incremental_python_models_leave_no_temp_table_theirs_or_an_earlier_runs(
    warehouse_copy: Path, tmp_path: Path
) -> None:
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute(f"create table {EARLIER_RUNS_TABLE} as select 1 as left_by_an_earlier_run")

    run_dbt(
        ["run", "--select", "int_identity__links", "model_fits"],
        warehouse_copy,
        target_dir=tmp_path / "target",
        dbt_vars={"as_of": SAMPLE_AS_OF},
    ).raise_on_failure()

    assert _temp_tables(warehouse_copy) == []
