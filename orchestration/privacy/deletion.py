"""Delete a person from the warehouse: raw data, quarantined lines, and every model's history.

Raw tables (and dlt's `raw_<system>_staging` copies of the last merge) lose the person's records,
found by key (`marts.customer_source_records`) and by any text column mentioning one of their
identifiers. A row that mentions them but belongs to another customer (a shared office phone) is
kept with the mentioning columns set to null, so erasing one person never deletes another's
order. `_rejects` lose every line mentioning the person. Model tables lose every row mentioning
them: for most that is moot (the rebuild recreates them from raw), but incremental models keep
history a rebuild never clears (`int_identity__record_customers`, `customer_id_changes`,
`segment_membership_history`). `activation.*` belongs to activation's own erasure and the ledger
(`privacy.*`) holds hashes only; both are left alone here.

Everything is one transaction, and deleting twice deletes nothing more, so a crashed step is
simply run again. Then CHECKPOINT, and dbt rebuilds the models from what raw still holds.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ingestion.exports import EXPORTS
from orchestration.dbt_runner import run_dbt
from orchestration.privacy.matching import (
    patterns,
    quote_identifier,
    quote_literal,
    row_matches,
)
from orchestration.privacy.resolve import Person

log = logging.getLogger(__name__)

SKIPPED_SCHEMAS = ("activation", "privacy", "information_schema", "pg_catalog")
KEYS = {(spec.system, spec.table): spec.key[0] for spec in EXPORTS if len(spec.key) == 1}


@dataclass(frozen=True)
class DeletionResult:
    rows_deleted: dict[str, int]
    rows_redacted: dict[str, int]

    @property
    def total_deleted(self) -> int:
        return sum(self.rows_deleted.values())


def text_tables(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[str]]:
    """(schema, table) -> its text columns, for every base table of the open database."""
    rows = con.execute(
        "select c.table_schema, c.table_name, c.column_name"
        " from information_schema.columns as c join information_schema.tables as t"
        "  on t.table_catalog = c.table_catalog and t.table_schema = c.table_schema"
        "  and t.table_name = c.table_name"
        " where t.table_type = 'BASE TABLE' and c.table_catalog = current_database()"
        "  and c.data_type = 'VARCHAR'"
        " order by c.table_schema, c.table_name, c.ordinal_position"
    ).fetchall()
    found: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        found.setdefault((schema, table), []).append(column)
    return found


def _system_of(schema: str) -> str | None:
    """`raw_hubspot` and dlt's `raw_hubspot_staging` -> `hubspot`; other schemas -> None."""
    if not schema.startswith("raw_"):
        return None
    return schema.removeprefix("raw_").removesuffix("_staging")


def _delete(con: duckdb.DuckDBPyConnection, table: str, condition: str) -> int:
    row = con.execute(f"delete from {table} where {condition}").fetchone()
    return int(row[0]) if row else 0


def _records(temp_table: str, system: str, table: str) -> str:
    return (
        f"select source_record_id from {temp_table}"
        f" where source = {quote_literal(system)} and source_table = {quote_literal(table)}"
    )


def _delete_raw_rows(
    con: duckdb.DuckDBPyConnection,
    system: str,
    schema: str,
    table: str,
    columns: list[str],
    found: dict[str, str],
) -> tuple[int, int]:
    """Delete the person's rows of one raw table; null the mentions in other customers' rows.
    Returns (rows deleted, rows redacted)."""
    name = f"{quote_identifier(schema)}.{quote_identifier(table)}"
    mentions = row_matches(columns, found)
    key = KEYS.get((system, table))
    if key is None or key not in columns:
        return _delete(con, name, mentions), 0
    key_sql = quote_identifier(key)
    deleted = _delete(
        con,
        name,
        f"{key_sql} in ({_records('erasure_owned', system, table)})"
        f" or ({mentions} and {key_sql} not in ({_records('erasure_others', system, table)}))",
    )
    row = con.execute(f"select count(*) from {name} where {mentions}").fetchone()
    redacted = int(row[0]) if row else 0
    if redacted:
        assignments = ", ".join(
            f"{quote_identifier(column)} = case when "
            + row_matches([column], found)
            + f" then null else {quote_identifier(column)} end"
            for column in columns
            if column != key
        )
        con.execute(f"update {name} set {assignments} where {mentions}")
    return deleted, redacted


def _stage_records(con: duckdb.DuckDBPyConnection, person: Person) -> None:
    """Temp tables of the person's source records and of every other customer's."""
    con.execute(
        "create or replace temp table erasure_owned"
        " (source varchar, source_table varchar, source_record_id varchar)"
    )
    if person.source_records:
        con.executemany("insert into erasure_owned values (?, ?, ?)", list(person.source_records))
    has_graph = con.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'marts' and table_name = 'customer_source_records'"
    ).fetchone()
    source = (
        "select source, source_table, source_record_id from marts.customer_source_records"
        " where not list_contains($ids, customer_id)"
        if has_graph and has_graph[0]
        else "select * from erasure_owned where false"
    )
    con.execute(
        f"create or replace temp table erasure_others as {source}",
        {"ids": list(person.customer_ids)} if has_graph and has_graph[0] else None,
    )


def delete_person(con: duckdb.DuckDBPyConnection, person: Person) -> DeletionResult:
    """Delete the person from every raw, rejects and model table, in one transaction."""
    found = patterns(person)
    deleted: dict[str, int] = {}
    redacted: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        _stage_records(con, person)
        for (schema, table), columns in text_tables(con).items():
            if schema in SKIPPED_SCHEMAS:
                continue
            system = _system_of(schema)
            name = f"{schema}.{table}"
            if system is not None and not table.startswith("_"):
                deleted[name], redacted[name] = _delete_raw_rows(
                    con, system, schema, table, columns, found
                )
            else:
                qualified = f"{quote_identifier(schema)}.{quote_identifier(table)}"
                deleted[name] = _delete(con, qualified, row_matches(columns, found))
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("CHECKPOINT")
    return DeletionResult(
        rows_deleted={name: count for name, count in deleted.items() if count},
        rows_redacted={name: count for name, count in redacted.items() if count},
    )


def rebuild_models(
    warehouse: Path,
    *,
    target_dir: Path | None = None,
    dbt_vars: Mapping[str, Any] | None = None,
) -> float:
    """Rebuild every dbt model from what raw still holds; returns dbt's seconds. `dbt run`, not
    `build`: the erasure must not wait on a data test about someone else's data, and the next
    scheduled build tests as usual.

    `--full-refresh`: an incremental run keeps every stored row whose raw row it thinks unchanged,
    and a raw row redacted in place keeps its lineage, so the person would stay in any derived
    form the deletion's patterns do not recognise (an email's canonical form, a phone normalized
    past its typed digits). Recomputing from raw leaves no such copy; the models that hold history
    a rebuild cannot recreate are `full_refresh: false` and stay incremental."""
    result = run_dbt(["run", "--full-refresh"], warehouse, target_dir=target_dir, dbt_vars=dbt_vars)
    result.raise_on_failure()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CHECKPOINT")
    log.info("models rebuilt without the erased person in %.1f s", result.seconds)
    return result.seconds
