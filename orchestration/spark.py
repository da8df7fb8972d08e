"""The Spark engine (`CDP_ENGINE=spark`) in the local chain: raw data goes to the Parquet lake,
dbt builds with `--target spark`, and the marts Spark built are published into the DuckDB
warehouse, so guardrails, activation and the serving copy read the audiences of whichever engine
built them without knowing Spark.

Publishing reads the Parquet files of Spark's managed tables (`<spark dir>/warehouse/marts.db/`),
so no second Spark session (and no second hold on the local metastore) is needed. Each table is
replaced in one transaction; timestamps become naive UTC, as DuckDB's own build writes them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

PUBLISHED_SCHEMA = "marts"


def spark_tables(spark_dir: Path, schema: str = PUBLISHED_SCHEMA) -> dict[str, Path]:
    """Managed tables of `schema` that hold Parquet files, by name."""
    folder = spark_dir / "warehouse" / f"{schema}.db"
    if not folder.is_dir():
        return {}
    return {
        table.name: table
        for table in sorted(folder.iterdir())
        if table.is_dir() and any(table.glob("*.parquet"))
    }


def publish_marts(spark_dir: Path, warehouse: Path) -> list[str]:
    """Copy every Spark-built mart into `warehouse` (schema `marts`); returns the table names."""
    tables = spark_tables(spark_dir)
    if not tables:
        raise FileNotFoundError(f"no Spark-built marts under {spark_dir / 'warehouse'}")
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"create schema if not exists {PUBLISHED_SCHEMA}")
        con.execute("begin")
        for name, folder in tables.items():
            source = f"read_parquet('{folder}/*.parquet')"
            columns = con.execute(f"describe select * from {source}").fetchall()
            select = ", ".join(_naive_utc(column, data_type) for column, data_type, *_ in columns)
            target = f'{PUBLISHED_SCHEMA}."{name}"'
            con.execute(f"create or replace table {target} as select {select} from {source}")
        con.execute("commit")
    return list(tables)


def _naive_utc(column: str, data_type: str) -> str:
    quoted = f'"{column}"'
    if data_type.upper().startswith("TIMESTAMP WITH TIME ZONE"):
        return f"cast({quoted} as timestamp) as {quoted}"
    return quoted
