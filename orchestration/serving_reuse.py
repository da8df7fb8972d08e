"""Fill the analysts' copy table by table, carrying over what the previous copy already holds:
a table whose source rows did not change is kept whole, a table where few rows changed is
patched, and only the rest is masked, scanned and written again.

A table of the analysts' copy is a function of two things: its source table's rows and its
recipe (columns, types, masking expressions, leak pattern: `TablePlan.recipe`). Each masked table
carries both fingerprints as its DuckDB comment, so the previous copy itself says what it was
made from; no side file can drift from it, and a copy made by other code (no comment) is simply
not reused. A table is only ever kept or patched under the same recipe.

Rows are fingerprinted by content, `count(*)` and the sum of DuckDB's 64-bit `hash` of every row,
not by what dbt ran or by storage metadata: dbt recreates tables whose rows did not change, and
DuckDB records a delete without touching a table's blocks, so neither says reliably that the rows
are the same. Summing is independent of row order (a DuckDB table has none) and counts
duplicates. A patch compares the hashes of the masked rows the source would give with those of
the previous table, deletes the previous rows whose hash lost copies and inserts the source rows
whose hash gained some, scanning those for leaks like a full write. Two different rows or tables
collide with odds of about 2^-64 per pair; the price of a collision is a stale row, never a leak,
because every row of the copy was scanned when it was written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import duckdb

from orchestration.privacy.matching import quote_identifier as _quote
from orchestration.serving_masking import (
    ANALYST_SCHEMAS,
    TablePlan,
    drop_views,
    insert_masked_rows,
    plan_tables,
    recreate_views,
    write_masked_table,
)

COMMENT_PREFIX = "open-cdp serving, masked by recipe and from source rows "

PATCH_LIMIT = 0.2
"""Above this share of a table's rows changed, deleting and inserting costs about what writing
the table again does, and leaves more deleted rows behind: the table is rewritten instead."""


@dataclass(frozen=True)
class Fingerprint:
    recipe: str
    rows: str

    def comment(self) -> str:
        return f"{COMMENT_PREFIX}{self.recipe} {self.rows}"


@dataclass(frozen=True)
class MaskedCopy:
    masked_columns: tuple[str, ...]
    rewritten_tables: tuple[str, ...]
    patched_tables: tuple[str, ...]
    reused_tables: tuple[str, ...]


def write_masked_copy(con: duckdb.DuckDBPyConnection, source: str) -> MaskedCopy:
    """Make the database `con` is connected to the analysts' copy of the attached catalog
    `source`: the tables of ANALYST_SCHEMAS, masked. The database is empty or a copy of the
    previous analysts' copy, whose tables are kept, patched or replaced as their fingerprints
    say; tables gone from the source go from the copy. Views are then recreated so they read the
    masked tables. Raises UnmaskedPiiError when a value left in clear looks like an email or a
    phone number."""
    plans = plan_tables(con, source, ANALYST_SCHEMAS)
    drop_views(con)
    published = published_fingerprints(con)
    wanted = {(plan.schema, plan.table) for plan in plans}
    for schema, table in published.keys() - wanted:
        con.execute(f"drop table {_quote(schema)}.{_quote(table)}")
    rewritten, patched, reused = [], [], []
    for plan in plans:
        name = f"{plan.schema}.{plan.table}"
        fingerprint = Fingerprint(plan.recipe, _rows_fingerprint(con, source, plan))
        previous = published.get((plan.schema, plan.table))
        if previous == fingerprint:
            reused.append(name)
            continue
        if previous and previous.recipe == plan.recipe and _patch(con, source, plan):
            patched.append(name)
        else:
            con.execute(f"drop table if exists {_quote(plan.schema)}.{_quote(plan.table)}")
            write_masked_table(con, source, plan)
            rewritten.append(name)
        con.execute(
            f"comment on table {_quote(plan.schema)}.{_quote(plan.table)}"
            f" is '{fingerprint.comment()}'"
        )
    recreate_views(con, source, ANALYST_SCHEMAS)
    _drop_empty_schemas(con)
    return MaskedCopy(
        masked_columns=tuple(ref for plan in plans for ref in plan.masked_columns),
        rewritten_tables=tuple(rewritten),
        patched_tables=tuple(patched),
        reused_tables=tuple(reused),
    )


def published_fingerprints(
    con: duckdb.DuckDBPyConnection,
) -> dict[tuple[str, str], Fingerprint | None]:
    """Every table of the database `con` is connected to, with what it was made from (None when
    it does not say)."""
    rows = con.execute(
        "select schema_name, table_name, comment from duckdb_tables()"
        " where database_name = current_database()"
    ).fetchall()
    return {(schema, table): _parse(comment) for schema, table, comment in rows}


def _parse(comment: str | None) -> Fingerprint | None:
    if not comment or not comment.startswith(COMMENT_PREFIX):
        return None
    recipe, _, rows = comment.removeprefix(COMMENT_PREFIX).partition(" ")
    return Fingerprint(recipe, rows) if recipe and rows else None


def _rows_fingerprint(con: duckdb.DuckDBPyConnection, source: str, plan: TablePlan) -> str:
    rows, hashes = con.execute(
        "select count(*), sum(hash(*columns(*))::hugeint)"
        f" from {_quote(source)}.{_quote(plan.schema)}.{_quote(plan.table)}"
    ).fetchone() or (0, None)
    return hashlib.sha256(f"{rows} {hashes}".encode()).hexdigest()


def _patch(con: duckdb.DuckDBPyConnection, source: str, plan: TablePlan) -> bool:
    """Bring the previous masked table to what masking the source would give, touching only
    the rows that differ; False, leaving the table as it was, when too many rows differ."""
    target = f"{_quote(plan.schema)}.{_quote(plan.table)}"
    masked_source = (
        f"(select {', '.join(plan.selects)}"
        f" from {_quote(source)}.{_quote(plan.schema)}.{_quote(plan.table)})"
    )
    con.execute(
        "create or replace temp table serving_patch_hashes as"
        f" with wanted as (select hash(*columns(*)) as h, count(*) as n from {masked_source}"
        "  group by h),"
        f" held as (select hash(*columns(*)) as h, count(*) as n from {target} group by h)"
        " select h, coalesce(wanted.n, 0) as wanted, coalesce(held.n, 0) as held"
        " from wanted full join held using (h) where wanted.n is distinct from held.n"
    )
    changed, total = con.execute(
        f"select (select coalesce(sum(wanted + held), 0) from serving_patch_hashes),"
        f" (select count(*) from {target})"
    ).fetchone() or (0, 0)
    if changed > PATCH_LIMIT * max(total, 1):
        con.execute("drop table serving_patch_hashes")
        return False
    con.execute(
        f"delete from {target} where rowid in (select rowid from {target}"
        "  where hash(*columns(*)) in (select h from serving_patch_hashes where held > 0))"
    )
    con.execute(
        "create or replace temp table serving_patch_rows as"
        f" select * from {masked_source}"
        " where hash(*columns(*)) in (select h from serving_patch_hashes where wanted > 0)"
    )
    insert_masked_rows(con, source, plan, "serving_patch_rows")
    con.execute("drop table serving_patch_rows")
    con.execute("drop table serving_patch_hashes")
    return True


def _drop_empty_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """A schema whose last table left the source goes from the copy too."""
    empty = con.execute(
        "select schema_name from duckdb_schemas() where database_name = current_database()"
        " and not internal and schema_name not in"
        " (select schema_name from duckdb_tables() where database_name = current_database()"
        "  union all select schema_name from duckdb_views()"
        "  where database_name = current_database() and not internal)"
    ).fetchall()
    for (schema,) in empty:
        con.execute(f"drop schema {_quote(schema)}")
