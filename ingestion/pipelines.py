"""Entry point of ingestion: load every new landing file of every system into `raw_<system>`.

All files of the run are recognised and their headers checked before the first load starts, so
a wrong file stops the run with the warehouse as it was. Each system is one dlt pipeline into
the DuckDB warehouse: its extract and normalize run here while the previous system's load runs
on a single loader thread, so reading and DuckDB's work overlap and loads stay one at a time,
in system order. The erasure suppression list
(`ingestion.suppression`) is read once per run; rows of erased people never load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt
import duckdb
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.extract import DltResource

from ingestion.landing import LandingFile, LoadedFiles, discover_all, first_of_each_content
from ingestion.sources import FILES_TABLE, StoredColumns
from ingestion.sources.facebook_ads import facebook_ads
from ingestion.sources.google_ads import google_ads
from ingestion.sources.hubspot import hubspot
from ingestion.sources.mailchimp import mailchimp
from ingestion.sources.stripe import stripe
from ingestion.sources.vnpay import vnpay
from ingestion.suppressed_rows import SuppressionList
from ingestion.systems import SYSTEMS
from ingestion.versions import StoredVersions

SOURCES: dict[
    str,
    Callable[
        [Sequence[LandingFile], StoredColumns | None, SuppressionList | None],
        Iterator[DltResource],
    ],
] = {
    "hubspot": hubspot,
    "mailchimp": mailchimp,
    "stripe": stripe,
    "vnpay": vnpay,
    "facebook_ads": facebook_ads,
    "google_ads": google_ads,
}


@dataclass(frozen=True)
class LoadSummary:
    """What one system's load did: counts over the files it loaded in this run."""

    system: str
    files: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    load_id: str | None = None
    rows_suppressed: int = 0
    """Rows of erased people left out (`rows_read = rows_loaded + rows_rejected + this`)."""

    @classmethod
    def of_load(
        cls, system: str, ledger_rows: Iterable[Mapping[str, Any]], load_id: str | None
    ) -> LoadSummary:
        """From the file ledger's rows (DuckDB's or the lake's): those `load_id` wrote."""
        rows = [row for row in ledger_rows if row["_dlt_load_id"] == load_id]
        return cls(
            system,
            len(rows),
            sum(row["rows_read"] for row in rows),
            sum(row["rows_loaded"] for row in rows),
            sum(row["rows_rejected"] for row in rows),
            load_id,
            sum(row.get("rows_suppressed") or 0 for row in rows),
        )


def load_all(
    landing_dir: Path, warehouse: Path, systems: list[str] | None = None
) -> list[LoadSummary]:
    return list(loads(landing_dir, warehouse, systems))


def loads(
    landing_dir: Path, warehouse: Path, systems: list[str] | None = None
) -> Iterator[LoadSummary]:
    """Each chosen system's summary, in system order, once its load has committed.

    A failure (an extract, a load) is raised after the summaries of every load that committed,
    the loads queued after a failed one included, so a caller records all that the run changed.
    A load that failed leaves its package in dlt's working folder: the next run loads it before
    looking for new files (`_finish_failed_loads`)."""
    chosen = list(SYSTEMS) if systems is None else list(systems)
    unknown = [system for system in chosen if system not in SYSTEMS]
    if unknown:
        raise ValueError(f"unknown systems {unknown}; known: {', '.join(SYSTEMS)}")
    landing_dir, warehouse = Path(landing_dir), Path(warehouse)
    _finish_failed_loads(warehouse, chosen)
    loaded = loaded_files(warehouse, chosen)
    increments = discover_all(landing_dir, loaded)
    suppression = suppression_list(warehouse)
    with (
        _database_held_open(warehouse),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="cdp-load") as loader,
    ):
        pending: list[Future[LoadSummary]] = []
        extract_failure: Exception | None = None
        for system in chosen:
            try:
                pending.append(
                    _extract_system(
                        system,
                        [f for f in increments[system] if f.sha256 not in loaded[system].contents],
                        warehouse,
                        suppression,
                        loader,
                    )
                )
            except Exception as failure:
                extract_failure = failure
                break
        load_failure: BaseException | None = None
        for summary in pending:
            failure = summary.exception()
            if failure is None:
                yield summary.result()
            elif load_failure is None:
                load_failure = failure
        if load_failure is not None or extract_failure is not None:
            raise load_failure or extract_failure


def _finish_failed_loads(warehouse: Path, systems: list[str]) -> None:
    """Load the packages a failed load left, as `dlt.Pipeline.run` does before extracting: their
    files then are in the ledger, where a new extract of the same files would load them twice."""
    if not warehouse.exists():
        return
    for system in systems:
        pipeline = pipeline_for(system, warehouse)
        if pipeline.has_pending_data:
            pipeline.load().raise_on_failed_jobs()


@contextmanager
def _database_held_open(warehouse: Path) -> Iterator[None]:
    """Keep the warehouse's DuckDB instance open for the whole run. Each pipeline's client
    connects by path, and DuckDB's Python client hands every connection in the process the one
    cached instance of a file; when the loader thread closed the last connection of one system's
    load just as the next system's extract connected, the new connection could find the old
    instance still detaching the file: "Unique file handle conflict: ... already attached"."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(warehouse))
    try:
        yield
    finally:
        connection.close()


def _extract_system(
    system: str,
    files: list[LandingFile],
    warehouse: Path,
    suppression: SuppressionList,
    loader: ThreadPoolExecutor,
) -> Future[LoadSummary]:
    """Extract and normalize one system here, then queue its load on the single loader thread:
    the next system's files are read while DuckDB loads this one (the warehouse still gets one
    load at a time, in system order)."""
    if not files:
        done: Future[LoadSummary] = Future()
        done.set_result(LoadSummary(system, 0, 0, 0, 0))
        return done
    pipeline = pipeline_for(system, warehouse)
    pipeline.extract(
        SOURCES[system](first_of_each_content(files), StoredVersions(pipeline), suppression)
    )
    pipeline.normalize()
    return loader.submit(_load_system, system, pipeline, warehouse)


def _load_system(system: str, pipeline: dlt.Pipeline, warehouse: Path) -> LoadSummary:
    info = pipeline.load()
    info.raise_on_failed_jobs()
    load_id = info.loads_ids[-1] if info.loads_ids else None
    return LoadSummary.of_load(system, _ledger_rows(system, warehouse), load_id)


def configure_arrow_writes() -> None:
    """dlt's settings for the sources' Arrow tables, into the warehouse or the lake. Each row
    gets dlt's load id: staging keeps only completed loads. A run's tables are joined with
    dlt's `default` promotion: one list column may hold `[]` (`list<null>`) in one chunk and
    `["vip"]` or `[{"k": 1}]` in the next, all one `json` column in the warehouse. dlt joins
    what Arrow promotes without loss and writes the rest to files of their own; with its
    `none`, the extract failed. Other columns keep one type across chunks anyway
    (`ingestion.variants`)."""
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    dlt.config["data_writer.arrow_concat_promote_options"] = "default"


def pipeline_for(system: str, warehouse: Path) -> dlt.Pipeline:
    """One pipeline per system and warehouse; its working folder sits beside the warehouse."""
    configure_arrow_writes()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=f"{warehouse.stem}_{system}",
        pipelines_dir=str(warehouse.parent / ".dlt" / "pipelines"),
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name=f"raw_{system}",
        progress=None,
    )


def loaded_files(warehouse: Path, systems: list[str]) -> dict[str, LoadedFiles]:
    """Each system's file ledger: a file whose content is there loads no more.

    Read through dlt's own connection: a second DuckDB instance on the same file in the same
    process is not protected by the file lock.
    """
    if not warehouse.exists():
        return {system: LoadedFiles() for system in systems}
    return {system: LoadedFiles.of(_ledger_rows(system, warehouse)) for system in systems}


def _ledger_rows(system: str, warehouse: Path) -> list[dict[str, object]]:
    """Every column, by name: ledgers written by earlier versions lack the newer columns."""
    with pipeline_for(system, warehouse).sql_client() as client:
        files = client.make_qualified_table_name(FILES_TABLE)
        try:
            with client.execute_query(f"select * from {files}") as cursor:
                names = [column[0] for column in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except DatabaseUndefinedRelation:
            return []


def suppression_list(warehouse: Path) -> SuppressionList:
    """The erased people's hashed identifiers, read through dlt's connection like the ledger."""
    if not warehouse.exists():
        return SuppressionList({})
    with pipeline_for(SYSTEMS[0], warehouse).sql_client() as client:
        return SuppressionList.read(client.native_connection)
