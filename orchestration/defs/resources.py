"""Resources every asset shares. Paths are read from the environment when a step asks, never at
import, so the same definitions serve `make run`, `make dev`, tests and benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration import settings


class CdpPaths(dg.ConfigurableResource):
    """The warehouse, landing folder and serving copy of this deployment (from `CDP_*` env)."""

    def warehouse(self) -> Path:
        return settings.warehouse_path()

    def landing(self) -> Path:
        return settings.landing_dir()

    def serving(self) -> Path:
        return settings.serving_path()

    def restricted_copy(self) -> bool:
        return settings.restricted_copy()

    def ops(self) -> Path:
        return settings.ops_dir()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived warehouse connection for a step in the `duckdb_writer` pool.

        Read-write even for reads: DuckDB refuses a second connection to a file with a different
        configuration in the same process, and an in-process run may still hold one from a
        library; the pool already guarantees nobody else writes meanwhile.
        """
        con = duckdb.connect(str(self.warehouse()))
        try:
            yield con
        finally:
            con.close()
