"""The raw layer for Spark: the same raw datasets as Parquet files in a lake folder.

`lake/raw_<system>/<table>/<load_id>.<file_id>.parquet`, one folder per raw table, with the same
table and column names as the DuckDB warehouse (the same dlt sources and parsing produce them).
The lake is a local folder or an object-store URL (`s3://…`, `gs://…`, `abfss://…`; dlt's
filesystem destination reads credentials from its own config or the environment).

Parquet files are immutable, so keyed exports are appended, never merged: every delivered version
of a record stays in the lake and staging keeps the latest one per key, which is what DuckDB's
merge leaves. A load counts once dlt has written its `_dlt_loads` entry; the file ledger
(`_files`) of completed loads decides which landing files are already in the lake.

An undeclared column keeps the type the table's oldest Parquet file gave it, as a warehouse
column keeps its type (`ingestion.variants`): a later run's value that does not fit goes to
`<column>__v_text`, so the files of a table agree on a column's type, which Spark (reading the
folder as one table, `mergeSchema`) needs. Not covered: a list column takes lists of any items
(`ingestion.variants`), so two files may hold lists of different items (`array<string>` and
`array<struct>`), which Spark's merge refuses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dlt
import fsspec
import pyarrow.parquet as pq
from dlt.common.libs.pyarrow import py_arrow_to_table_schema_columns
from dlt.common.schema.typing import TTableSchemaColumns
from fsspec.core import url_to_fs

from ingestion.landing import LandingFile, LoadedFiles, discover_all, first_of_each_content
from ingestion.pipelines import SOURCES, LoadSummary, configure_arrow_writes
from ingestion.sources import FILES_TABLE
from ingestion.suppressed_rows import SuppressionList
from ingestion.systems import SYSTEMS

LOADS_TABLE = "_dlt_loads"


def load_all_to_lake(
    landing_dir: Path,
    lake: str | Path,
    systems: list[str] | None = None,
    pipelines_dir: Path | None = None,
    suppression: SuppressionList | None = None,
) -> list[LoadSummary]:
    """Write every new landing file of every system to `lake/raw_<system>/` as Parquet.

    `pipelines_dir` holds dlt's working state; by default `.dlt/pipelines` beside a local lake
    (dlt's own default for a remote one). Rows of the people on `suppression` (erased from the
    warehouse, `ingestion.pipelines.suppression_list`) are left out and counted, as in DuckDB.
    """
    chosen = list(SYSTEMS) if systems is None else list(systems)
    unknown = [system for system in chosen if system not in SYSTEMS]
    if unknown:
        raise ValueError(f"unknown systems {unknown}; known: {', '.join(SYSTEMS)}")
    lake_url = str(lake)
    loaded = {system: lake_ledger(lake_url, system) for system in chosen}
    increments = discover_all(Path(landing_dir), loaded)
    summaries = []
    for system in chosen:
        files = first_of_each_content(
            [file for file in increments[system] if file.sha256 not in loaded[system].contents]
        )
        summaries.append(_load_system(system, files, lake_url, pipelines_dir, suppression))
    return summaries


def lake_pipeline(system: str, lake_url: str, pipelines_dir: Path | None = None) -> dlt.Pipeline:
    """One pipeline per system and lake; it writes Parquet into `lake_url/raw_<system>/`."""
    configure_arrow_writes()
    if pipelines_dir is None and _is_local(lake_url):
        pipelines_dir = Path(lake_url).resolve().parent / ".dlt" / "pipelines"
    return dlt.pipeline(
        pipeline_name=f"lake_{system}",
        pipelines_dir=str(pipelines_dir) if pipelines_dir else None,
        destination=dlt.destinations.filesystem(bucket_url=_bucket_url(lake_url)),
        dataset_name=f"raw_{system}",
        progress=None,
    )


def lake_ledger(lake_url: str, system: str) -> LoadedFiles:
    """The landing files already in the lake through a completed load."""
    return LoadedFiles.of(_ledger_rows(lake_url, system))


class LakeColumns:
    """The column types of one system's raw tables in the lake, read from the footers of their
    Parquet files (no rows are read), so that a run types its columns as earlier runs did."""

    def __init__(self, lake_url: str, system: str) -> None:
        self._fs, root = url_to_fs(lake_url)
        self._dataset = f"{root.rstrip('/')}/raw_{system}"

    def raw_columns(self, table: str) -> TTableSchemaColumns:
        """Every column of `table`'s files, typed as its oldest file holding it has it (file
        names start with their load id, a time, so they sort oldest first)."""
        columns: TTableSchemaColumns = {}
        for path in _files_in(self._fs, f"{self._dataset}/{table}", ".parquet"):
            with self._fs.open(path, "rb") as handle:
                schema = pq.read_schema(handle)
            for name, column in py_arrow_to_table_schema_columns(schema).items():
                columns.setdefault(name, column)
        return columns


def _load_system(
    system: str,
    files: list[LandingFile],
    lake_url: str,
    pipelines_dir: Path | None,
    suppression: SuppressionList | None,
) -> LoadSummary:
    if not files:
        return LoadSummary(system, 0, 0, 0, 0)
    source = SOURCES[system](files, LakeColumns(lake_url, system), suppression)
    for resource in source.resources.values():
        resource.apply_hints(write_disposition="append")
    info = lake_pipeline(system, lake_url, pipelines_dir).run(source, loader_file_format="parquet")
    info.raise_on_failed_jobs()
    load_id = info.loads_ids[-1] if info.loads_ids else None
    return LoadSummary.of_load(system, _ledger_rows(lake_url, system), load_id)


def _ledger_rows(lake_url: str, system: str) -> Iterator[dict]:
    fs, root = url_to_fs(lake_url)
    dataset = f"{root.rstrip('/')}/raw_{system}"
    completed = _completed_loads(fs, f"{dataset}/{LOADS_TABLE}")
    for path in _files_in(fs, f"{dataset}/{FILES_TABLE}", ".parquet"):
        with fs.open(path, "rb") as handle:
            for row in pq.read_table(handle).to_pylist():
                if row["_dlt_load_id"] in completed:
                    yield row


def _completed_loads(fs: fsspec.AbstractFileSystem, folder: str) -> set[str]:
    completed: set[str] = set()
    for path in _files_in(fs, folder, ".jsonl"):
        with fs.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    entry = json.loads(line)
                    if entry.get("status") == 0:
                        completed.add(str(entry["load_id"]))
    return completed


def _files_in(fs: fsspec.AbstractFileSystem, folder: str, suffix: str) -> list[str]:
    if not fs.exists(folder):
        return []
    return sorted(path for path in fs.ls(folder, detail=False) if str(path).endswith(suffix))


def _is_local(lake_url: str) -> bool:
    return "://" not in lake_url or lake_url.startswith("file://")


def _bucket_url(lake_url: str) -> str:
    return Path(lake_url).resolve().as_uri() if "://" not in lake_url else lake_url
