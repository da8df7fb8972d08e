"""On DuckDB the not_null constraints of contracted tables catch every NULL their data tests caught.

Those tables declare `constraints: [{type: not_null}]` on the columns that had a `not_null` data
test, and the test runs only on engines that do not enforce the constraint (Spark's Parquet
tables): DuckDB refuses the NULL on insert, so the build fails at the model instead of at its test
(docs/data-tests.md). The singular test `not_null_constraints_are_enforced` fails when a table in
the warehouse lacks a declared constraint (one created before the constraint was), which would
otherwise let NULLs in unchecked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_runner import run_dbt
from tests.dbt_project.dbt_invocations import failing_invocation, node_results

CHECK = "test.open_cdp.not_null_constraints_are_enforced"
NOT_NULL_FAILED = r'NOT NULL constraint failed: {}(__dbt_tmp)?\."?{}\b'
"""DuckDB's error; a model being rebuilt whole fails while filling its `__dbt_tmp` table."""


def parsed_manifest(tmp_path: Path, *target: str) -> dict:
    result = run_dbt(["parse", *target], tmp_path / "cdp.duckdb", target_dir=tmp_path / "parse")
    result.raise_on_failure()
    return json.loads((tmp_path / "parse" / "manifest.json").read_text())


def not_null_tests(nodes: dict) -> dict[str, tuple[str, str]]:
    """(model unique_id, column) of every `not_null` data test among `nodes`."""
    return {
        unique_id: (node["attached_node"], node["column_name"])
        for unique_id, node in nodes.items()
        if node["resource_type"] == "test"
        and (node.get("test_metadata") or {}).get("name") == "not_null"
    }


def declared_not_null(manifest: dict) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every not_null constraint of an enforced contract."""
    return sorted(
        (node["schema"], node["alias"], column["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["contract"]["enforced"]
        for column in node["columns"].values()
        if any(constraint["type"] == "not_null" for constraint in column["constraints"])
    )


def disabled_nodes(manifest: dict) -> dict[str, dict]:
    """The manifest's disabled nodes by unique id (dbt lists each id's versions)."""
    return {unique_id: nodes[0] for unique_id, nodes in manifest["disabled"].items()}


def test_every_not_null_test_off_on_duckdb_is_an_enforced_constraint_the_check_covers(
    tmp_path: Path,
) -> None:
    manifest = parsed_manifest(tmp_path)
    disabled = not_null_tests(disabled_nodes(manifest))
    check_covers = set(manifest["nodes"][CHECK]["depends_on"]["nodes"])

    assert disabled
    for model_id, column in disabled.values():
        model = manifest["nodes"][model_id]
        assert model["config"]["contract"]["enforced"], model_id
        assert model["config"]["materialized"] in {"table", "incremental"}, model_id
        assert model["config"]["full_refresh"] is not False, model_id
        constraints = model["columns"][column]["constraints"]
        assert [constraint["type"] for constraint in constraints] == ["not_null"], model_id
        assert model_id in check_covers, model_id


def test_spark_still_runs_every_not_null_test(tmp_path: Path) -> None:
    duckdb_manifest = parsed_manifest(tmp_path / "duckdb")
    spark_manifest = parsed_manifest(tmp_path / "spark", "--target", "spark")

    off_on_duckdb = not_null_tests(disabled_nodes(duckdb_manifest))
    assert set(off_on_duckdb) <= set(not_null_tests(spark_manifest["nodes"]))
    assert CHECK not in spark_manifest["nodes"]


PLACEHOLDERS = {
    "VARCHAR": "'x'",
    "BOOLEAN": "true",
    "DATE": "date '2026-11-01'",
    "TIMESTAMP": "timestamp '2026-11-01'",
}
"""A non-NULL value of the constrained tables' column types; numbers are cast from 1."""


def row_of_placeholders(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    """A one-row select of non-NULL values for every column of the table: some tables are empty
    at S (identity_refused_links), so no stored row can be copied."""
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where schema_name = ? and table_name = ? order by column_index",
        [schema, table],
    ).fetchall()
    return "select " + ", ".join(
        f'cast({PLACEHOLDERS.get(data_type, "1")} as {data_type}) as "{name}"'
        for name, data_type in columns
    )


@pytest.mark.slow
def test_the_built_warehouse_refuses_a_null_in_every_declared_column(
    warehouse_copy: Path, tmp_path: Path
) -> None:
    declared = declared_not_null(parsed_manifest(tmp_path))
    assert len(declared) >= 40
    with duckdb.connect(str(warehouse_copy)) as con:
        for schema, table, column in declared:
            row = row_of_placeholders(con, schema, table)
            con.execute(f"insert into {schema}.{table} {row}")
            with pytest.raises(duckdb.ConstraintException, match=rf'{table}\."?{column}\b'):
                con.execute(
                    f"insert into {schema}.{table} "
                    f'select * replace (null as "{column}") from ({row})'
                )


@pytest.mark.slow
@pytest.mark.parametrize("full_refresh", [False, True])
def test_a_null_an_incremental_mart_would_write_fails_the_build(
    warehouse_copy: Path, tmp_path: Path, full_refresh: bool
) -> None:
    """An order whose record lost its customer id (a defect upstream) becomes an event without
    one: customer_events, rewriting the orders on every run, must fail and keep its rows."""
    with duckdb.connect(str(warehouse_copy)) as con:
        record_key = con.execute(
            "select event_id from marts.customer_events where event_type = 'order' limit 1"
        ).fetchone()[0]
        con.execute(
            "update intermediate.int_identity__record_customers set customer_id = null "
            "where record_key = ?",
            [record_key],
        )
        events_before = con.execute("select count(*) from marts.customer_events").fetchone()

    results = failing_invocation(
        warehouse_copy,
        tmp_path / "target",
        "build",
        "--select",
        "customer_events",
        *(["--full-refresh"] if full_refresh else []),
    )

    events = results["customer_events"]
    assert events["status"] == "error"
    assert re.search(NOT_NULL_FAILED.format("customer_events", "customer_id"), events["message"])
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        assert con.execute("select count(*) from marts.customer_events").fetchone() == events_before
        assert con.execute(
            "select count(*) from marts.customer_events where customer_id is null"
        ).fetchone() == (0,)


@pytest.mark.slow
def test_a_null_a_table_mart_would_write_fails_the_build(
    warehouse_copy: Path, tmp_path: Path
) -> None:
    """A membership spell without a start (history is not contracted to be complete) makes a
    current membership without entered_at: segment_memberships must fail and stay as it was."""
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute(
            "update marts.segment_membership_history set valid_from = null "
            "where (segment, customer_id) in (select (segment, customer_id) "
            "from marts.segment_membership_history where valid_to is null limit 1)"
        )
        before = con.execute("select count(*) from marts.segment_memberships").fetchone()

    results = failing_invocation(
        warehouse_copy, tmp_path / "target", "build", "--select", "segment_memberships"
    )

    memberships = results["segment_memberships"]
    assert memberships["status"] == "error"
    assert re.search(
        NOT_NULL_FAILED.format("segment_memberships", "entered_at"), memberships["message"]
    )
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        assert con.execute("select count(*) from marts.segment_memberships").fetchone() == before


@pytest.mark.slow
def test_a_table_without_its_declared_constraints_fails_the_check(
    warehouse_copy: Path, tmp_path: Path
) -> None:
    """A table created before its columns gained the constraints (here: recreated without them)
    would accept NULLs: the check names each of its unenforced columns."""
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("create or replace table marts.customer_traits as from marts.customer_traits")

    target = tmp_path / "target"
    result = run_dbt(
        ["test", "--select", "not_null_constraints_are_enforced"], warehouse_copy, target_dir=target
    )

    assert not result.success
    check = node_results(target)[CHECK.split(".")[2]]
    assert check["status"] == "fail"
    assert check["failures"] == 4  # customer_id, orders_count, rfm_segment, acquisition_channel
