"""The raw layer for Spark: the sample written as Parquet by `ingestion.lake`, next to DuckDB's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from ingestion.errors import UnknownExportError
from ingestion.lake import lake_ledger, load_all_to_lake
from ingestion.pipelines import SYSTEMS

pytestmark = pytest.mark.slow

DLT_BOOKKEEPING = {"_dlt_loads", "_dlt_version", "_dlt_pipeline_state"}


@pytest.fixture(scope="session")
def sample_lake(
    build_once: Callable[[str, Callable[[Path], None]], Path], sample_exports: Path
) -> Path:
    def _write(out: Path) -> None:
        load_all_to_lake(sample_exports / "landing", out / "lake")

    return build_once("sample_lake", _write) / "lake"


def parquet(lake: Path, schema: str, table: str) -> str:
    return f"read_parquet('{lake / schema / table}/*.parquet', union_by_name = true)"


def test_lake_holds_the_same_tables_and_columns_as_the_duckdb_raw_datasets(
    sample_lake: Path, built_warehouse: Path
) -> None:
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        warehouse_tables = con.execute(
            "select table_schema, table_name, list(column_name order by column_name)"
            " from information_schema.columns where table_schema in ?"
            " group by all order by all",
            [[f"raw_{system}" for system in SYSTEMS]],
        ).fetchall()
    assert warehouse_tables
    with duckdb.connect() as con:
        for schema, table, columns in warehouse_tables:
            if table in DLT_BOOKKEEPING:
                continue
            files = parquet(sample_lake, schema, table)
            lake_columns = con.execute(
                f"select column_name from (describe select * from {files}) order by column_name"
            ).fetchall()
            assert [name for (name,) in lake_columns] == columns, f"{schema}.{table}"


def test_lake_keeps_every_delivered_version_and_the_same_latest_records(
    sample_lake: Path, built_warehouse: Path
) -> None:
    """Corrections append in the lake; distinct keys are what DuckDB's merge keeps."""
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        merged = con.execute("select count(*) from raw_hubspot.contacts").fetchone()[0]
        ledger = con.execute(
            "select sum(rows_loaded) from raw_hubspot._files where source_file like '%contacts%'"
        ).fetchone()[0]
    with duckdb.connect() as con:
        rows, keys = con.execute(
            "select count(*), count(distinct record_id)"
            f" from {parquet(sample_lake, 'raw_hubspot', 'contacts')}"
        ).fetchone()
    assert rows == ledger > merged
    assert keys == merged


def test_lake_ledger_counts_reconcile_per_file(sample_lake: Path) -> None:
    with duckdb.connect() as con:
        for system in SYSTEMS:
            bad = con.execute(
                "select source_file from"
                f" {parquet(sample_lake, f'raw_{system}', '_files')}"
                " where rows_read <> rows_loaded + rows_rejected"
            ).fetchall()
            assert not bad, system


def test_rerun_writes_nothing_new_to_the_lake(sample_exports: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    first = load_all_to_lake(sample_exports / "landing", lake, systems=["vnpay"])
    files_before = sorted(lake.rglob("*.parquet"))
    again = load_all_to_lake(sample_exports / "landing", lake, systems=["vnpay"])
    assert first[0].files == 2
    assert first[0].rows_read == first[0].rows_loaded + first[0].rows_rejected
    assert again[0].files == 0 and again[0].load_id is None
    assert sorted(lake.rglob("*.parquet")) == files_before
    assert len(lake_ledger(str(lake), "vnpay").contents) == 2


def test_unknown_file_fails_naming_it_and_leaves_the_lake_unwritten(
    landing_copy: Path, tmp_path: Path
) -> None:
    (landing_copy / "stripe" / "payouts_20261101.jsonl").write_text('{"id": "po_1"}\n')
    lake = tmp_path / "lake"
    with pytest.raises(UnknownExportError, match=r"stripe/payouts_20261101\.jsonl"):
        load_all_to_lake(landing_copy, lake)
    assert not lake.exists()
