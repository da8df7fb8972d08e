"""Files for marketers: per sync, a full snapshot and each run's diff, as CSV and Parquet.

Every file is written to a temporary name in the same folder and moved into place with
`os.replace`, so a reader sees either the old file or the new one, never half of one. Diff parts
are written per batch, before the batch is acknowledged: a crashed run leaves its written parts and
the rerun writes only what they lack. Erasure rewrites, the same atomic way, every snapshot and
diff file of the sync that holds a row of the person, without those rows.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import Field

from activation.config import DestinationSettings, SyncConfig
from activation.destinations.base import (
    ConnectionCheckError,
    Destination,
    Operation,
    Outcome,
    Record,
    SyncContext,
)
from activation.normalize import normalize_email
from activation.secrets import SecretResolver

IDENTIFYING_COLUMNS = ("email", "phone", "customer_id")


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


def identifying_fields(sync: SyncConfig) -> dict[str, str]:
    """File column -> mart column, for the columns that identify a person in the sync's files."""
    keys = {sync.member_key, *IDENTIFYING_COLUMNS}
    return {name: column for name, column in sync.fields.items() if column in keys}


def _normalized(value: object, column: str) -> str | None:
    text = None if value is None else str(value).strip()
    return normalize_email(text) if column == "email" else text or None


def _normalized_column(values: pa.ChunkedArray, column: str) -> pa.ChunkedArray:
    text = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
    return (
        pc.utf8_lower(pc.replace_substring_regex(text, r"\s+", "")) if column == "email" else text
    )


def _read_csv_as_text(path: Path) -> pa.Table:
    """A CSV whose Parquet twin is missing (a crash between the two writes), every column read as
    text so the rewrite keeps values as they were."""
    with pacsv.open_csv(path) as reader:
        names = reader.schema.names
    types = {name: pa.string() for name in names}
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))


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

    def erase(self, context: SyncContext, records: Sequence[Record]) -> list[Outcome]:
        fields = identifying_fields(context.sync)
        if not fields:
            message = "no file column maps email, phone, customer_id or the member key"
            return [Outcome(False, message)] * len(records)
        wanted = {
            name: pa.array(
                {v for r in records if (v := _normalized(r.fields.get(name), column)) is not None},
                pa.string(),
            )
            for name, column in fields.items()
        }
        folder = self._folder(context)
        try:
            for path in sorted(folder.rglob("*.parquet")):
                self._rewrite_without(pq.read_table(path), path.with_suffix(""), fields, wanted)
            for path in sorted(folder.rglob("*.csv")):
                if not path.with_suffix(".parquet").exists():
                    self._rewrite_without(_read_csv_as_text(path), path, fields, wanted)
        except (OSError, pa.ArrowException) as error:
            return [Outcome(False, f"rewriting files of {folder}: {error}")] * len(records)
        return [Outcome(True)] * len(records)

    @staticmethod
    def _rewrite_without(
        table: pa.Table, path: Path, fields: dict[str, str], wanted: dict[str, pa.Array]
    ) -> None:
        """Drop the rows matching any identifying column; rewrite only when some matched (a CSV
        path rewrites the CSV alone, a stem both files)."""
        hits = [
            pc.is_in(_normalized_column(table.column(name), column), value_set=wanted[name])
            for name, column in fields.items()
            if name in table.column_names
        ]
        if not hits:
            return
        matched = hits[0]
        for hit in hits[1:]:
            matched = pc.or_(matched, hit)
        matched = pc.fill_null(matched, False)
        if not pc.any(matched).as_py():
            return
        kept = table.filter(pc.invert(matched))
        if path.suffix == ".csv":
            write_atomically(path, lambda tmp: pacsv.write_csv(kept, tmp))
        else:
            _write_both(kept, path)
