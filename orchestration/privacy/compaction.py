"""Rewrite the warehouse into a fresh file, so deleted rows are gone from the bytes on disk.

DuckDB's CHECKPOINT makes deleted rows unreadable and returns their blocks to the file's free
list, but does not overwrite them: a byte search of `cdp.duckdb` still finds an erased email, and
a serving copy (a copy of the file) would carry it along. `COPY FROM DATABASE` writes only live
data into a new file; swapping it in with one rename leaves no block of the old file in the
warehouse. The caller must be the only process holding the warehouse (the erasure job runs in the
`duckdb_writer` pool; `cdp forget` must not run beside a pipeline run).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from orchestration.privacy.matching import quote_identifier, quote_literal

_OBJECTS = (
    "select (select count(*) from duckdb_tables() where database_name = current_database()),"
    " (select count(*) from duckdb_views() where not internal"
    "  and database_name = current_database()),"
    " (select count(*) from duckdb_constraints() where database_name = current_database())"
)


class CompactionError(RuntimeError):
    """The rewritten file does not hold what the warehouse holds; the warehouse is unchanged."""


def compact(warehouse: Path) -> tuple[int, int]:
    """Rewrite `warehouse` in place; returns its size in bytes before and after."""
    before = warehouse.stat().st_size
    rewritten = warehouse.with_name(f".{warehouse.name}.compact.tmp")
    rewritten.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(rewritten)) as con:
            con.execute(f"attach {quote_literal(str(warehouse))} as erasure_source (read_only)")
            (target,) = con.execute("select current_database()").fetchone() or ("",)
            con.execute(f"copy from database erasure_source to {quote_identifier(target)}")
            con.execute(f"use {quote_identifier(target)}")
            copied = con.execute(_OBJECTS).fetchone()
            con.execute("detach erasure_source")
        with duckdb.connect(str(warehouse), read_only=True) as con:
            original = con.execute(_OBJECTS).fetchone()
        if copied != original:
            raise CompactionError(
                f"the rewritten warehouse holds {copied} (tables, views, constraints),"
                f" the original {original}; kept the original"
            )
        os.replace(rewritten, warehouse)
    finally:
        rewritten.unlink(missing_ok=True)
    return before, warehouse.stat().st_size
