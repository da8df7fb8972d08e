"""Stages on `--engine spark`: the raw layer written as a Parquet lake, and the whole dbt build on
local Spark (dbt-spark `session`), the same figures as the DuckDB `ingestion` and `dbt` stages.

The dbt build reports where Spark's time goes: per resource type (models, data tests, unit
tests, registering the lake), the identity loop (`int_identity__links`) on its own, and the JVM
start. The lake is written once per size (untimed) for the build; each build run gets a fresh
Spark folder (metastore and tables), as a first build would.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.registry import BenchContext, Measurement, Stage, register

AS_OF = "2026-11-02"
_DONE = ".complete"


def write_lake(landing: str, lake: str) -> dict[str, Any]:
    from ingestion.lake import load_all_to_lake

    summaries = load_all_to_lake(Path(landing), lake)
    return {
        "rows": sum(summary.rows_read for summary in summaries),
        "rows_loaded": sum(summary.rows_loaded for summary in summaries),
        "files": sum(summary.files for summary in summaries),
    }


def dbt_build_on_spark(lake: str, spark_dir: str, target: str, records: int) -> dict[str, Any]:
    from orchestration.dbt_runner import run_dbt

    os.environ.update(CDP_LAKE=lake, CDP_SPARK_DIR=spark_dir)
    result = run_dbt(
        ["build", "--target", "spark"],
        Path(spark_dir) / "unused.duckdb",
        target_dir=Path(target),
        dbt_vars={"as_of": AS_OF},
    ).raise_on_failure()
    results = json.loads((Path(target) / "run_results.json").read_text())
    seconds: dict[str, float] = defaultdict(float)
    for node in results["results"]:
        seconds[node["unique_id"].split(".")[0]] += node["execution_time"]
    identity = next(
        node["execution_time"]
        for node in results["results"]
        if node["unique_id"] == "model.open_cdp.int_identity__links"
    )
    return {
        "rows": records,
        "dbt_elapsed_seconds": round(results["elapsed_time"], 2),
        "models_seconds": round(seconds["model"], 2),
        "identity_loop_seconds": round(identity, 2),
        "data_tests_seconds": round(seconds["test"], 2),
        "unit_tests_seconds": round(seconds["unit_test"], 2),
        "lake_registration_seconds": round(seconds["operation"], 2),
        "startup_seconds": round(result.seconds - results["elapsed_time"], 2),
        "nodes": len(results["results"]),
        "wall_seconds_with_startup": round(result.seconds, 2),
    }


def _prepared_lake(context: BenchContext) -> Path:
    folder = context.data_dir.parent / "prepared" / f"lake-{context.size}"
    if not (folder / _DONE).exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        write_lake(str(context.landing), str(folder / "lake"))
        (folder / _DONE).touch()
    return folder / "lake"


def _raw_records(lake: Path) -> int:
    with duckdb.connect() as con:
        tables = [t for t in sorted(lake.glob("raw_*/*")) if t.is_dir() and t.name[0] != "_"]
        query = "select count(*) from read_parquet('{}/*.parquet')"
        return sum(int(con.execute(query.format(table)).fetchone()[0]) for table in tables)


def _lake_kwargs(context: BenchContext, run: int) -> dict[str, Any]:
    lake = context.work_dir / f"lake-{run}"
    shutil.rmtree(lake, ignore_errors=True)
    return {"landing": str(context.landing), "lake": str(lake)}


def _build_kwargs(context: BenchContext, run: int) -> dict[str, Any]:
    lake = _prepared_lake(context)
    work = context.work_dir / f"spark-{run}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return {
        "lake": str(lake),
        "spark_dir": str(work / "spark"),
        "target": str(work / "target"),
        "records": _raw_records(lake),
    }


register(
    Stage(
        name="lake",
        description="landing files → Parquet lake (the raw layer Spark reads)",
        measurements=(
            Measurement(
                name="load_all_to_lake (dlt filesystem, Parquet)",
                target="benchmarks.stages.spark:write_lake",
                kwargs=_lake_kwargs,
            ),
        ),
        engines=("spark",),
    )
)

register(
    Stage(
        name="dbt_spark",
        description="dbt build of the whole project on local Spark from the lake",
        measurements=(
            Measurement(
                name="dbt build --target spark (all models and tests)",
                target="benchmarks.stages.spark:dbt_build_on_spark",
                kwargs=_build_kwargs,
            ),
        ),
        engines=("spark",),
    )
)
