"""Files for marketers: per sync, a full snapshot and each run's diff, as CSV and Parquet.

Every file is written to a temporary name in the same folder and moved into place with
`os.replace`, so a reader sees either the old file or the new one, never half of one. Diff parts
are written per batch, before the batch is acknowledged: a crashed run leaves its written parts and
the rerun writes only what they lack.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import Field

from activation.config import DestinationSettings
from activation.destinations.base import (
    ConnectionCheckError,
    Destination,
    Operation,
    Outcome,
    Record,
    SyncContext,
)
from activation.secrets import SecretResolver


class FilesSettings(DestinationSettings):
    output_dir: Path
    batch_size: int = Field(100_000, ge=1)


def write_atomically(path: Path, writer: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        writer(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_both(table: pa.Table, stem: Path) -> None:
    write_atomically(stem.with_suffix(".csv"), lambda tmp: pacsv.write_csv(table, tmp))
    write_atomically(stem.with_suffix(".parquet"), lambda tmp: pq.write_table(table, tmp))


class FilesDestination(Destination):
    settings_model = FilesSettings
    settings: FilesSettings

    def __init__(self, settings: FilesSettings, secrets: SecretResolver) -> None:
        super().__init__(settings, secrets)
        self._parts = 0

    def _folder(self, context: SyncContext) -> Path:
        return self.settings.output_dir / context.sync.name

    def check_connection(self) -> None:
        try:
            self.settings.output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConnectionCheckError(
                f"cannot create {self.settings.output_dir}: {error}"
            ) from error
        if not os.access(self.settings.output_dir, os.W_OK):
            raise ConnectionCheckError(f"{self.settings.output_dir} is not writable")

    def write(
        self, context: SyncContext, operation: Operation, records: Sequence[Record]
    ) -> list[Outcome]:
        self._parts += 1
        rows = [{"operation": operation.value, **record.fields} for record in records]
        stem = self._folder(context) / "diffs" / f"{context.run_id}_{self._parts:05d}_{operation}"
        _write_both(pa.Table.from_pylist(rows), stem)
        return [Outcome(True)] * len(records)

    def finish(self, context: SyncContext) -> None:
        snapshot = context.snapshot()
        if snapshot.num_columns == 0:
            snapshot = pa.table({name: pa.array([], pa.string()) for name in context.sync.fields})
        _write_both(snapshot, self._folder(context) / "snapshot")
