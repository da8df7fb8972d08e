"""The serving copy: consistent, atomic, and safe for readers that are already connected."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.serving import ServingPublishError, publish_serving_copy


def _warehouse(path: Path, customers: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.customers as "
            f"select range as customer_id from range({customers})"
        )


def _count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select count(*) from marts.customers").fetchone()[0]


def _count_in_new_process(database: Path) -> int:
    """A fresh analyst session. (Within one process DuckDB reuses an already-open database for
    the same path, so a new connection there would still see the old snapshot.)"""
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(con.execute('select count(*) from marts.customers').fetchone()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(database)], capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def test_publish_copies_the_checkpointed_warehouse(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _warehouse(warehouse, 3)

    snapshot = publish_serving_copy(warehouse, serving)

    assert snapshot.tables == 1
    assert snapshot.bytes == serving.stat().st_size
    with duckdb.connect(str(serving), read_only=True) as con:
        assert _count(con) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdp.duckdb", "serving.duckdb"]


def test_open_reader_keeps_old_snapshot_and_new_reader_sees_new_one(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _warehouse(warehouse, 3)
    publish_serving_copy(warehouse, serving)
    old_reader = duckdb.connect(str(serving), read_only=True)
    assert _count(old_reader) == 3

    _warehouse(warehouse, 5)
    publish_serving_copy(warehouse, serving)

    assert _count(old_reader) == 3
    assert old_reader.execute("select sum(customer_id) from marts.customers").fetchone() == (3,)
    assert _count_in_new_process(serving) == 5
    old_reader.close()


def test_serving_copy_is_read_only_on_disk(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _warehouse(warehouse, 1)
    publish_serving_copy(warehouse, serving)
    assert serving.stat().st_mode & 0o222 == 0


def test_missing_warehouse_fails_and_leaves_serving_copy_alone(tmp_path: Path) -> None:
    serving = tmp_path / "serving.duckdb"
    serving.write_bytes(b"previous snapshot")
    with pytest.raises(ServingPublishError, match="does not exist"):
        publish_serving_copy(tmp_path / "missing.duckdb", serving)
    assert serving.read_bytes() == b"previous snapshot"


def test_unreadable_warehouse_never_replaces_the_serving_copy(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _warehouse(warehouse, 2)
    publish_serving_copy(warehouse, serving)
    before = serving.stat().st_ino
    not_duckdb = tmp_path / "not.duckdb"
    not_duckdb.write_bytes(os.urandom(4096))

    with pytest.raises((ServingPublishError, duckdb.Error)):
        publish_serving_copy(not_duckdb, serving)

    assert serving.stat().st_ino == before
    assert not list(tmp_path.glob(".serving.duckdb.*"))
