"""The Dagster instance `cdp run` and `cdp dev` share, under `data/dagster_home`.

Sharing it means a `make run` shows up in the UI's run history, and both respect the same
`duckdb_writer` concurrency slot.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import dagster as dg
import sqlalchemy as sa

from orchestration import settings

WAREHOUSE_POOL = "duckdb_writer"
INSTANCE_TEMPLATE = Path(__file__).with_name("dagster.yaml")
LAUNCHER_PID_TAG = "cdp/launcher_pid"


def prepare_dagster_home() -> Path:
    """Create DAGSTER_HOME with our dagster.yaml and export it for child processes."""
    home = settings.dagster_home().resolve()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists() or target.read_bytes() != INSTANCE_TEMPLATE.read_bytes():
        shutil.copyfile(INSTANCE_TEMPLATE, target)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def cdp_instance() -> dg.DagsterInstance:
    """The shared instance, with the warehouse pool limited to one step at a time."""
    home = prepare_dagster_home()
    write_run_history_without_fsync()
    instance = dg.DagsterInstance.from_config(str(home))
    instance.event_log_storage.set_concurrency_slots(WAREHOUSE_POOL, 1)
    release_abandoned_slots(instance)
    return instance


def release_abandoned_slots(instance: dg.DagsterInstance) -> list[str]:
    """Free warehouse slots held by runs that can no longer release them.

    An in-process run killed with Ctrl-C or SIGKILL never frees its slot and stays STARTED, and
    no daemon watches it; without this the next `cdp run` would wait for that slot forever.
    Runs launched by `cdp run` carry the launching pid, so a dead pid proves the run is gone.
    """
    info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
    holders = {slot.run_id for slot in info.claimed_slots} | {s.run_id for s in info.pending_steps}
    freed = []
    for run_id in sorted(holders):
        run = instance.get_run_by_id(run_id)
        if run is not None and not run.is_finished:
            pid = run.tags.get(LAUNCHER_PID_TAG)
            if pid is None or _process_alive(int(pid)):
                continue
            instance.report_run_failed(run, "the process running it died (found by cdp run)")
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        freed.append(run_id)
    return freed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_run_history_without_fsync() -> None:
    """Let SQLite hand the run history's writes to the OS instead of waiting for the disk.

    Dagster's SQLite storage opens, commits and closes a connection for every event, and a run
    stores about a thousand (each dbt model, each dbt test, the planned events at run start).
    With SQLite's default `synchronous=FULL` every commit and every close (a WAL checkpoint) waits
    for fsync, and fsync waits behind the gigabytes DuckDB is writing to the same disk: 15 to
    120 ms per event measured here, whole minutes per run. `synchronous=OFF` keeps the database
    consistent when the process dies (SQLite's journal still works); only a crash of the
    machine itself can lose the last events or corrupt the history. The warehouse is untouched:
    only SQLite files under DAGSTER_HOME are affected. Installed once per process: `cdp run`,
    and the code server and run workers of `cdp dev` through the definitions.
    """
    if not sa.event.contains(sa.Engine, "connect", _skip_fsync_under_dagster_home):
        sa.event.listen(sa.Engine, "connect", _skip_fsync_under_dagster_home)


def _skip_fsync_under_dagster_home(dbapi_connection: Any, _record: Any) -> None:
    home = os.environ.get("DAGSTER_HOME")
    if not home or not isinstance(dbapi_connection, sqlite3.Connection):
        return
    files = [row[2] for row in dbapi_connection.execute("PRAGMA database_list")]
    if any(file and Path(file).is_relative_to(Path(home).resolve()) for file in files):
        dbapi_connection.execute("PRAGMA synchronous=OFF")
