"""Stage `ingestion`: our dlt loaders against DuckDB's own CSV/JSON readers on the same files.

DuckDB reading the files straight into tables is the practical ceiling on this machine; the
loaders do more (typing, quarantine, ledger, merge on keys), and the target is at least half of
DuckDB's rate with peak RSS under 4 GB.
"""

from __future__ import annotations

import csv
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.registry import BenchContext, Measurement, Stage, register


def load_with_dlt(landing: str, warehouse: str, records: int) -> dict[str, Any]:
    from ingestion.pipelines import load_all

    summaries = load_all(Path(landing), Path(warehouse))
    return {
        "rows": records,
        "rows_loaded": sum(s.rows_loaded for s in summaries),
        "rows_rejected": sum(s.rows_rejected for s in summaries),
        "files": sum(s.files for s in summaries),
    }


def load_with_duckdb(landing: str, warehouse: str, records: int) -> dict[str, Any]:
    """Every landing file into its own table, read by DuckDB alone: CSV with the RFC 4180
    dialect and the header's columns as text (its sniffer gives up on some of these files),
    JSONL with type detection; malformed lines skipped with `ignore_errors`."""
    loaded = 0
    files = sorted(p for p in Path(landing).rglob("*") if p.is_file() and p.stat().st_size)
    Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(warehouse) as con:
        for index, path in enumerate(files):
            table = f"t{index}"
            if path.suffix == ".csv":
                reader = (
                    "read_csv(?, header = true, auto_detect = false, delim = ',', quote = '\"',"
                    f" escape = '\"', ignore_errors = true, columns = {_text_columns(path)})"
                )
            else:
                reader = "read_json(?, format = 'newline_delimited', ignore_errors = true)"
            con.execute(f"create table {table} as select * from {reader}", [str(path)])
            loaded += con.execute(f"select count(*) from {table}").fetchone()[0]
    return {"rows": records, "rows_loaded": loaded, "files": len(files)}


def _text_columns(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    quoted = (name.replace("'", "''") for name in header)
    return "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in quoted) + "}"


@cache
def count_records(landing: Path) -> int:
    """Records in the landing files: non-empty lines, less the header line of each CSV. Read in
    blocks, so the harness stays small (its memory would show in the children it starts)."""
    total = 0
    for path in landing.rglob("*"):
        if not path.is_file():
            continue
        lines = blank = 0
        previous = b"\n"
        with path.open("rb") as handle:
            while block := handle.read(1 << 24):
                lines += block.count(b"\n")
                blank += block.count(b"\n\n") + (previous == b"\n" and block[:1] == b"\n")
                previous = block[-1:]
        lines += previous != b"\n"
        total += lines - blank - (path.suffix == ".csv" and lines > 0)
    return total


def fresh_warehouse(context: BenchContext, name: str, run: int) -> dict[str, Any]:
    """Arguments of a load into an empty warehouse of its own, from the generated files."""
    folder = context.work_dir / f"{name}-{run}"
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "landing": str(context.landing),
        "warehouse": str(folder / "cdp.duckdb"),
        "records": count_records(context.landing),
    }


register(
    Stage(
        name="ingestion",
        description="landing files → raw_<system> tables",
        measurements=(
            Measurement(
                name="dlt loaders (cdp ingest)",
                target="benchmarks.stages.ingestion:load_with_dlt",
                kwargs=lambda context, run: fresh_warehouse(context, "dlt", run),
            ),
            Measurement(
                name="DuckDB read_csv/read_json",
                target="benchmarks.stages.ingestion:load_with_duckdb",
                kwargs=lambda context, run: fresh_warehouse(context, "duckdb", run),
                reference=True,
            ),
        ),
    )
)
