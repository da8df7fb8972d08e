"""Publish the read-only serving copies of the warehouse: the masked one for analysts and the
restricted one with raw personal data.

DuckDB allows one read-write process or many read-only ones, never both: while a run writes
`cdp.duckdb`, nobody can even open it read-only. Analysts therefore query a snapshot that is
swapped in with one atomic rename. A reader that opened the previous snapshot keeps reading it (its
open file handle still points at the old inode) and every new connection sees the new one.

The analysts' copy (`serving.duckdb`) has every email, phone, name and other personal column
hashed (orchestration.serving_masking); the restricted copy (`serving_restricted.duckdb`, readable
by its owner only) is the warehouse as it is, for the few who must see raw data. Both are built and
verified beside their targets before either is swapped in, so a failure keeps the last good pair.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.serving_masking import MaskingError, write_masked_copy

RESTRICTED_NAME = "serving_restricted.duckdb"
RESTRICTED_MODE = 0o400
"""Raw personal data: readable by the pipeline's own user only (docs/serving.md)."""
MASKING_MEMORY_LIMIT = "3GB"
"""Masking streams table by table, so it needs little memory; without a limit DuckDB's buffer pool
grows towards 80% of RAM (10.8 GB measured at M), breaking the 4 GB peak-RSS target."""


class ServingPublishError(RuntimeError):
    """The warehouse could not be turned into a consistent serving copy."""


@dataclass(frozen=True)
class ServingSnapshot:
    path: Path
    bytes: int
    tables: int
    published_at: datetime
    restricted_path: Path
    masked_columns: tuple[str, ...]


def restricted_copy_path(serving: Path) -> Path:
    """The restricted copy sits beside the analysts' one."""
    return serving.with_name(RESTRICTED_NAME)


def publish_serving_copy(warehouse: Path, serving: Path) -> ServingSnapshot:
    """Checkpoint `warehouse`, copy the closed file beside the restricted copy, build the masked
    copy from that snapshot beside `serving`, verify both, then swap both in.

    The caller must be the only writer of `warehouse` while this runs (in Dagster the
    `duckdb_writer` pool guarantees it); the copy is of a closed, checkpointed file, so it is
    consistent without DuckDB's help, and the masked copy is made from that same snapshot.
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
    restricted = restricted_copy_path(serving)
    raw_staging, masked_staging = _staging_path(restricted), _staging_path(serving)
    try:
        shutil.copyfile(warehouse, raw_staging)
        _fsync(raw_staging)
        _count_tables(raw_staging)
        masked_columns = _write_masked(raw_staging, masked_staging)
        _fsync(masked_staging)
        tables = _count_tables(masked_staging)
        raw_staging.chmod(RESTRICTED_MODE)
        masked_staging.chmod(0o444)
        os.replace(raw_staging, restricted)
        os.replace(masked_staging, serving)
    finally:
        for leftover in (raw_staging, masked_staging):
            _remove_database(leftover)
    _fsync_dir(serving.parent)
    return ServingSnapshot(
        path=serving,
        bytes=serving.stat().st_size,
        tables=tables,
        published_at=datetime.now(UTC),
        restricted_path=restricted,
        masked_columns=masked_columns,
    )


def _staging_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def _write_masked(snapshot: Path, target: Path) -> tuple[str, ...]:
    """The analysts' copy, written table by table from the attached snapshot (never from the live
    warehouse); a column that leaks personal data fails the publish here."""
    try:
        with duckdb.connect(str(target)) as con:
            con.execute("set preserve_insertion_order = false")
            con.execute(f"set memory_limit = '{MASKING_MEMORY_LIMIT}'")
            quoted = str(snapshot).replace("'", "''")
            con.execute(f"attach '{quoted}' as snapshot (read_only)")
            masked = write_masked_copy(con, "snapshot")
            con.execute("detach snapshot")
            con.execute("checkpoint")
    except MaskingError as exc:
        raise ServingPublishError(f"the masked copy was not published: {exc}") from exc
    return masked.masked_columns


def _remove_database(path: Path) -> None:
    """A staged copy that was not swapped in, with DuckDB's write-ahead log and spill folder."""
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    shutil.rmtree(path.with_name(path.name + ".tmp"), ignore_errors=True)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


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
