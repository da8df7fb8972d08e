"""The raw layer for Spark: the sample written as Parquet by `ingestion.lake`, next to DuckDB's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dlt
import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from landing_fixtures import charge, write

from ingestion.errors import UnknownExportError
from ingestion.lake import LakeColumns, lake_ledger, load_all_to_lake
from ingestion.systems import SYSTEMS

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


def _charge_with_note(charge_id: str, note: str) -> str:
    return charge(charge_id).replace('"paid": true', f'"paid": true, "note": {note}')


def test_an_undeclared_key_of_another_json_type_in_a_later_lake_run_loads_as_variant(
    tmp_path: Path,
) -> None:
    """Run 1 makes `note` a number in the table's Parquet; run 2's text goes to `note__v_text`,
    as in the warehouse, so every file of the table agrees on `note` and the folder reads as one
    table (Spark's `mergeSchema` fails on a column whose type differs between files, as Arrow
    does here)."""
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    write(landing, "stripe/charges_20261101.jsonl", _charge_with_note("ch_1", "5"))
    load_all_to_lake(landing, lake, ["stripe"])
    write(landing, "stripe/charges_20261102.jsonl", _charge_with_note("ch_2", '"five"'))
    (summary,) = load_all_to_lake(landing, lake, ["stripe"])
    assert (summary.files, summary.rows_loaded, summary.rows_rejected) == (1, 1, 0)
    files = sorted((lake / "raw_stripe" / "charges").glob("*.parquet"))
    schemas = [pq.read_schema(path) for path in files]
    assert [schema.field("note").type for schema in schemas] == [pa.int64(), pa.int64()]
    rows = ds.dataset(files, schema=pa.unify_schemas(schemas)).to_table()
    assert rows.select(["id", "note", "note__v_text"]).sort_by("id").to_pylist() == [
        {"id": "ch_1", "note": 5, "note__v_text": None},
        {"id": "ch_2", "note": None, "note__v_text": "five"},
    ]


def test_a_lake_run_takes_an_empty_list_then_lists_of_text_under_one_key(tmp_path: Path) -> None:
    """dlt joins a run's tables of `[]` (`list<null>`) and `["vip"]` only with its `default`
    promotion; the lake's pipeline once left dlt's `none`, which failed the extract unless a
    warehouse pipeline in the same process had set it first. dlt's setting is reset here."""
    dlt.config["data_writer.arrow_concat_promote_options"] = "none"
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    write(landing, "stripe/charges_20261101.jsonl", _charge_with_note("ch_1", "[]"))
    write(landing, "stripe/charges_20261102.jsonl", _charge_with_note("ch_2", '["vip"]'))
    (summary,) = load_all_to_lake(landing, lake, ["stripe"])
    assert (summary.files, summary.rows_loaded, summary.rows_rejected) == (2, 2, 0)


def test_lake_column_types_come_from_the_oldest_file_that_has_the_column(tmp_path: Path) -> None:
    """A lake written before its types were kept may hold files that disagree: the oldest
    (file names start with their load id) wins, as a warehouse column keeps its first type."""
    folder = tmp_path / "lake" / "raw_stripe" / "charges"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"note": [5]}), folder / "1796092259.1.a.parquet")
    pq.write_table(pa.table({"note": ["five"], "tags": [True]}), folder / "1796092260.2.b.parquet")
    columns = LakeColumns(str(tmp_path / "lake"), "stripe").raw_columns("charges")
    assert {name: column["data_type"] for name, column in columns.items()} == {
        "note": "bigint",
        "tags": "bool",
    }
    assert LakeColumns(str(tmp_path / "lake"), "stripe").raw_columns("refunds") == {}
