"""Publish the read-only serving copies of the warehouse: the masked one for analysts and, when
asked for, the restricted one with raw personal data.

DuckDB allows one read-write process or many read-only ones, never both: while a run writes
`cdp.duckdb`, nobody can even open it read-only. Analysts therefore query a snapshot that is
swapped in with one atomic rename. A reader that opened the previous snapshot keeps reading it (its
open file handle still points at the old inode) and every new connection sees the new one.

The analysts' copy (`serving.duckdb`) holds the layers analysts query (marts, segments, reference,
activation) with every email, phone, name and other personal column hashed
(orchestration.serving_masking); after a run it rewrites only the tables whose rows changed
(orchestration.serving_reuse). The restricted copy (`serving_restricted.duckdb`, readable by its
owner only) is the whole warehouse as it is, for the few who must see raw data; it is published
only when asked for (`restricted=True`), because it is a second full copy of everyone's raw data
and, at M, a 6 GB file copy that makes the disk the publish's bottleneck. Both are built and
verified beside their targets before either is swapped in, so a failure keeps the last good pair.
"""

from __future__ import annotations

import errno
import mmap
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.privacy.matching import quote_literal
from orchestration.serving_masking import MaskingError
from orchestration.serving_reuse import MaskedCopy, published_fingerprints, write_masked_copy

RESTRICTED_NAME = "serving_restricted.duckdb"
RESTRICTED_MODE = 0o400
"""Raw personal data: readable by the pipeline's own user only (docs/serving.md)."""
MASKING_MEMORY_LIMIT = "2GB"
"""Masking streams table by table, so it needs little memory; without a limit DuckDB's buffer pool
grows towards 80% of RAM (10.8 GB measured at M), breaking the 4 GB peak-RSS target. At 2 GB the
step peaked at 2.1 GB RSS for a first publish at M and 2.3 GB for a patching one."""


class ServingPublishError(RuntimeError):
    """The warehouse could not be turned into a consistent serving copy."""


@dataclass(frozen=True)
class ServingSnapshot:
    path: Path
    bytes: int
    tables: int
    published_at: datetime
    restricted_path: Path | None
    masked_columns: tuple[str, ...]
    rewritten_tables: tuple[str, ...]
    patched_tables: tuple[str, ...]
    reused_tables: tuple[str, ...]


def restricted_copy_path(serving: Path) -> Path:
    """The restricted copy sits beside the analysts' one."""
    return serving.with_name(RESTRICTED_NAME)


def publish_serving_copy(
    warehouse: Path, serving: Path, *, reuse_previous: bool = False, restricted: bool = False
) -> ServingSnapshot:
    """Checkpoint `warehouse`, then build the masked copy from it beside `serving` and, with
    `restricted`, at the same time copy the closed file beside the restricted copy; verify what
    was built, then swap it in. Without `restricted`, a restricted copy left by an earlier publish
    is deleted once the masked copy is in: raw data must not outlive the setting that allowed it,
    nor an erasure that republishes without it. A publish that fails keeps the last good pair.

    With `reuse_previous`, the masked copy starts from a copy of the current `serving` file and
    rewrites only the rows and tables whose source or recipe changed
    (orchestration.serving_reuse). Without
    it (the default, and what an erasure needs), the masked copy is a fresh file: the previous
    copy's freed blocks, which may still hold an erased person's hashes, are not carried along.

    The caller must be the only writer of `warehouse` while this runs (in Dagster the
    `duckdb_writer` pool guarantees it): both copies read the closed, checkpointed file, so they
    hold the same snapshot without DuckDB's help. The file copy is kernel work and the masking is
    DuckDB's, so they run side by side, though at M they compete for the disk (an incremental
    publish: 25.6-29.5 s with the copy, 16.1 s without). The file's size and modification time
    are compared before and after, so a writer that breaks the rule fails the publish instead of
    pairing two different snapshots.
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
    restricted_path = restricted_copy_path(serving)
    raw_staging, masked_staging = _staging_path(restricted_path), _staging_path(serving)
    previous = serving if reuse_previous and serving.exists() else None
    before = _version(warehouse)
    try:
        with ThreadPoolExecutor(max_workers=1) as copier:
            copied = copier.submit(_copy_durably, warehouse, raw_staging) if restricted else None
            masked = _write_masked(warehouse, masked_staging, previous)
            if copied is not None:
                copied.result()
        if _version(warehouse) != before:
            raise ServingPublishError(f"{warehouse} changed while it was being published")
        if restricted:
            _count_tables(raw_staging)
            raw_staging.chmod(RESTRICTED_MODE)
        _fsync(masked_staging)
        tables = _count_tables(masked_staging)
        masked_staging.chmod(0o444)
        if restricted:
            os.replace(raw_staging, restricted_path)
        os.replace(masked_staging, serving)
        if not restricted:
            _remove_database(restricted_path)
    finally:
        for leftover in (raw_staging, masked_staging):
            _remove_database(leftover)
    _fsync_dir(serving.parent)
    return ServingSnapshot(
        path=serving,
        bytes=serving.stat().st_size,
        tables=tables,
        published_at=datetime.now(UTC),
        restricted_path=restricted_path if restricted else None,
        masked_columns=masked.masked_columns,
        rewritten_tables=masked.rewritten_tables,
        patched_tables=masked.patched_tables,
        reused_tables=masked.reused_tables,
    )


def _version(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


DIRECT_CHUNK = 16 << 20
"""Bytes per read and write of the restricted copy: a whole number of any disk block size."""
DIRECT_BLOCK = 4096
"""O_DIRECT moves whole logical blocks; a file of another size is copied the usual way."""


def _copy_durably(source: Path, target: Path) -> None:
    """Copy `source` and flush it to disk. Where the platform and file system allow it, the copy
    bypasses the page cache (O_DIRECT): a buffered copy of the 10.9 GB warehouse at M spent 6.6 s
    of a core copying memory, taken from the masking that runs beside it, and filled the cache
    with pages nobody reads again; the direct one spent under 1 s in the same wall time."""
    if not _copy_direct(source, target):
        shutil.copyfile(source, target)
    _fsync(target)


def _copy_direct(source: Path, target: Path) -> bool:
    """Copy through one page-aligned buffer, as O_DIRECT requires; False when this platform,
    file or file system does not allow it (the caller then copies over whatever was written)."""
    direct = getattr(os, "O_DIRECT", 0)
    if not direct or source.stat().st_size % DIRECT_BLOCK:
        return False
    try:
        with (
            _opened(source, os.O_RDONLY | direct) as reader,
            _opened(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | direct) as writer,
            mmap.mmap(-1, DIRECT_CHUNK) as buffer,
            memoryview(buffer) as view,
        ):
            offset = 0
            while read := os.preadv(reader, [view], offset):
                written = 0
                while written < read:
                    written += os.pwritev(writer, [view[written:read]], offset + written)
                offset += read
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
        return False
    return True


@contextmanager
def _opened(path: Path, flags: int) -> Iterator[int]:
    fd = os.open(path, flags, 0o600)
    try:
        yield fd
    finally:
        os.close(fd)


def _staging_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def _write_masked(warehouse: Path, target: Path, previous: Path | None) -> MaskedCopy:
    """The analysts' copy, written from the checkpointed warehouse attached read-only, into a
    copy of `previous` when there is one that can be reused, else into a fresh file; a column
    that leaks personal data fails the publish here."""
    try:
        if previous is not None and not _reusable(previous):
            previous = None
        if previous is not None:
            shutil.copyfile(previous, target)
        with duckdb.connect(str(target)) as con:
            con.execute("set preserve_insertion_order = false")
            con.execute(f"set memory_limit = '{MASKING_MEMORY_LIMIT}'")
            con.execute(f"attach {quote_literal(str(warehouse))} as snapshot (read_only)")
            previous_source = _attach_previous_source(con, previous)
            masked = write_masked_copy(con, "snapshot", previous_source)
            con.execute("detach snapshot")
            if previous_source is not None:
                con.execute(f"detach {previous_source}")
            con.execute("checkpoint")
    except MaskingError as exc:
        raise ServingPublishError(f"the masked copy was not published: {exc}") from exc
    return masked


PREVIOUS_SOURCE = "previous_snapshot"


def _attach_previous_source(con: duckdb.DuckDBPyConnection, previous: Path | None) -> str | None:
    """The restricted copy published with `previous`, read-only: the warehouse the previous
    analysts' copy was made from, which lets a patch mask only the rows that changed. Each of its
    tables is used only when its rows are the ones the analysts' copy's fingerprint names
    (orchestration.serving_reuse), so a restricted copy from another publish is harmless; one
    that does not open is not used."""
    if previous is None or not restricted_copy_path(previous).exists():
        return None
    path = quote_literal(str(restricted_copy_path(previous)))
    try:
        con.execute(f"attach {path} as {PREVIOUS_SOURCE} (read_only)")
    except duckdb.Error:
        return None
    return PREVIOUS_SOURCE


def _reusable(previous: Path) -> bool:
    """The previous analysts' copy opens, and every table in it says what it was made from (a
    copy written before fingerprints, or by hand, is rebuilt from scratch rather than patched)."""
    try:
        with duckdb.connect(str(previous), read_only=True) as con:
            published = published_fingerprints(con)
    except duckdb.Error:
        return False
    return all(fingerprint is not None for fingerprint in published.values())


def _remove_database(path: Path) -> None:
    """A DuckDB file (a staged copy that was not swapped in, or a restricted copy no longer
    wanted) with its write-ahead log and spill folder."""
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
