"""The whole dbt project on local Spark (dbt-spark `session`) from the S sample, against DuckDB.

The Spark build reads the raw layer from the Parquet lake that `ingestion.lake` writes (every
delivered version of a record, resolved in staging), the DuckDB build from its merged raw tables;
the key marts must come out the same. Spark's tables are read back from their Parquet files.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import SAMPLE_AS_OF

pytestmark = [
    pytest.mark.slow,
    # One worker builds on Spark and runs every test here; the other keeps the rest of the suite.
    pytest.mark.xdist_group("spark"),
    pytest.mark.skipif(shutil.which("java") is None, reason="local Spark needs a Java runtime"),
]
pytest.importorskip("pyspark", reason="the spark extra is not installed")

FLOAT_DIGITS = 6
"""Sums of doubles differ in the last bits with the order of addition."""


@contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def spark_build(
    build_once: Callable[[str, Callable[[Path], None]], Path], sample_exports: Path
) -> Path:
    """The S sample written to a Parquet lake and built by `dbt build --target spark`."""
    from ingestion.lake import load_all_to_lake
    from orchestration.dbt_runner import run_dbt

    def _build(out: Path) -> None:
        load_all_to_lake(sample_exports / "landing", out / "lake")
        with environment(CDP_SPARK_DIR=str(out / "spark"), CDP_LAKE=str(out / "lake")):
            run_dbt(
                ["build", "--target", "spark"],
                out / "unused.duckdb",
                target_dir=out / "dbt_target",
                dbt_vars={"as_of": SAMPLE_AS_OF},
            ).raise_on_failure()

    return build_once("spark_build", _build)


def spark_rows(build: Path, schema: str, table: str, columns: str) -> set[tuple[Any, ...]]:
    files = build / "spark" / "warehouse" / f"{schema}.db" / table / "*.parquet"
    with duckdb.connect() as con:
        rows = con.execute(f"select {columns} from read_parquet('{files}')").fetchall()
    return {normalized(row) for row in rows}


def duckdb_rows(warehouse: Path, schema: str, table: str, columns: str) -> set[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(f"select {columns} from {schema}.{table}").fetchall()
    return {normalized(row) for row in rows}


def normalized(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Spark writes timestamps as UTC instants, DuckDB keeps naive UTC: compare naive UTC."""
    values = []
    for value in row:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        elif isinstance(value, float):
            value = round(value, FLOAT_DIGITS)
        values.append(value)
    return tuple(values)


def assert_same(spark: set[tuple[Any, ...]], duck: set[tuple[Any, ...]]) -> None:
    assert duck, "the DuckDB build has no rows to compare"
    only_spark, only_duckdb = sorted(spark - duck, key=str), sorted(duck - spark, key=str)
    assert not only_spark and not only_duckdb, (
        f"{len(only_spark)} rows only on Spark, e.g. {only_spark[:3]}; "
        f"{len(only_duckdb)} only on DuckDB, e.g. {only_duckdb[:3]}"
    )


def groups(rows: set[tuple[Any, ...]]) -> set[frozenset[tuple[Any, ...]]]:
    """Source records grouped by customer, whatever the customers are called."""
    by_customer: dict[Any, set[tuple[Any, ...]]] = {}
    for *record, customer_id in rows:
        by_customer.setdefault(customer_id, set()).add(tuple(record))
    return {frozenset(records) for records in by_customer.values()}


SOURCE_RECORDS = "source, source_table, source_record_id, customer_id"

CUSTOMER_COLUMNS = (
    "customer_id, email, phone, first_name, last_name, country, city, lifecycle_stage,"
    " first_seen_at, last_seen_at, email_marketing_consent, ads_consent, source_record_count"
)

TRAIT_COLUMNS = (
    "customer_id, orders_count, revenue_usd, average_order_value_usd, first_order_at,"
    " last_order_at, days_since_last_order, refunds_count, refunded_usd, rfm_recency_score,"
    " rfm_frequency_score, rfm_monetary_score, rfm_segment, email_sends_30d, email_opens_30d,"
    " email_clicks_30d, email_sends_90d, email_opens_90d, email_clicks_90d, is_unsubscribed,"
    " is_bounced, acquisition_channel, lifetime_revenue_usd"
)


def test_spark_groups_source_records_into_the_same_customers_as_duckdb(
    spark_build: Path, built_warehouse: Path
) -> None:
    spark = spark_rows(spark_build, "marts", "customer_source_records", SOURCE_RECORDS)
    duck = duckdb_rows(built_warehouse, "marts", "customer_source_records", SOURCE_RECORDS)
    assert groups(spark) == groups(duck)
    assert_same(spark, duck)


def test_spark_builds_the_same_customer_profiles_as_duckdb(
    spark_build: Path, built_warehouse: Path
) -> None:
    assert_same(
        spark_rows(spark_build, "marts", "customers", CUSTOMER_COLUMNS),
        duckdb_rows(built_warehouse, "marts", "customers", CUSTOMER_COLUMNS),
    )


def test_spark_computes_the_same_traits_as_duckdb(spark_build: Path, built_warehouse: Path) -> None:
    assert_same(
        spark_rows(spark_build, "marts", "customer_traits", TRAIT_COLUMNS),
        duckdb_rows(built_warehouse, "marts", "customer_traits", TRAIT_COLUMNS),
    )


def test_spark_puts_the_same_customers_in_each_segment_as_duckdb(
    spark_build: Path, built_warehouse: Path
) -> None:
    """Except the segments using prediction fields: disabled on Spark with the predictions."""
    from activation.segments import load_project
    from orchestration.settings import dbt_project_dir

    columns = "segment, customer_id"
    without_predictions = load_project(dbt_project_dir()).needing_predictions
    assert_same(
        spark_rows(spark_build, "marts", "segment_memberships", columns),
        {
            row
            for row in duckdb_rows(built_warehouse, "marts", "segment_memberships", columns)
            if row[0] not in without_predictions
        },
    )


def test_marts_published_from_spark_match_the_duckdb_marts_in_types_and_rows(
    spark_build: Path, built_warehouse: Path, tmp_path: Path
) -> None:
    """What guardrails and activation read on the Spark engine: the marts copied into DuckDB."""
    from orchestration.spark import publish_marts

    published = tmp_path / "published.duckdb"
    tables = publish_marts(spark_build / "spark", published)
    assert {"customers", "customer_traits", "segment_memberships"} <= set(tables)
    types = (
        "select table_name, column_name, data_type from information_schema.columns"
        " where table_schema = 'marts' and table_name in ('customers', 'customer_traits')"
    )
    assert duckdb_rows(published, "marts", "customers", CUSTOMER_COLUMNS) == duckdb_rows(
        built_warehouse, "marts", "customers", CUSTOMER_COLUMNS
    )
    with duckdb.connect(str(published), read_only=True) as spark_con:
        spark_types = set(spark_con.execute(types).fetchall())
    with duckdb.connect(str(built_warehouse), read_only=True) as duck_con:
        duck_types = set(duck_con.execute(types).fetchall())
    assert spark_types == duck_types
