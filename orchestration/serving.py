"""Publish the read-only serving copy of the warehouse for analysts.

DuckDB allows one read-write process or many read-only ones, never both: while a run writes
`cdp.duckdb`, nobody can even open it read-only. Analysts therefore query a snapshot that is
swapped in with one atomic rename. A reader that opened the previous snapshot keeps reading it (its
open file handle still points at the old inode) and every new connection sees the new one.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb


class ServingPublishError(RuntimeError):
    """The warehouse could not be turned into a consistent serving copy."""


@dataclass(frozen=True)
class ServingSnapshot:
    path: Path
    bytes: int
    tables: int
    published_at: datetime


def publish_serving_copy(warehouse: Path, serving: Path) -> ServingSnapshot:
    """Checkpoint `warehouse`, copy the closed file beside `serving`, verify it, then swap it in.

    The caller must be the only writer of `warehouse` while this runs (in Dagster the
    `duckdb_writer` pool guarantees it); the copy is of a closed, checkpointed file, so it is
    consistent without DuckDB's help.
    """
    if not warehouse.exists():
        raise ServingPublishError(f"warehouse {warehouse} does not exist; nothing to publish")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CHECKPOINT")
    wal = warehouse.with_name(warehouse.name + ".wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise ServingPublishError(
            f"{wal} still holds changes after CHECKPOINT: another process is writing {warehouse}"
        )

    serving.parent.mkdir(parents=True, exist_ok=True)
    staging = serving.with_name(f".{serving.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(warehouse, staging)
        with staging.open("rb") as handle:
            os.fsync(handle.fileno())
        tables = _count_tables(staging)
        staging.chmod(0o444)
        os.replace(staging, serving)
    finally:
        staging.unlink(missing_ok=True)
    _fsync_dir(serving.parent)
    return ServingSnapshot(
        path=serving,
        bytes=serving.stat().st_size,
        tables=tables,
        published_at=datetime.now(UTC),
    )


def _count_tables(database: Path) -> int:
    """Open the candidate read-only before publishing it, so a broken copy is never swapped in."""
    try:
        with duckdb.connect(str(database), read_only=True) as con:
            row = con.execute(
                "select count(*) from information_schema.tables"
                " where table_catalog = current_database()"
            ).fetchone()
    except duckdb.Error as exc:
        raise ServingPublishError(f"the copy {database} does not open: {exc}") from exc
    return int(row[0]) if row else 0


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
