"""Stage `segments`: refresh every segment on a built warehouse (target at M: < 10 s).

A refresh is what the scheduled run does for segments: `dbt run --select path:models/segments`
(the shipped YAML segments and analyst models, their union, membership history, memberships and
sizes), timed as a whole dbt process with start-up and partial parse. Two measurements:
- first refresh: no history yet, every member enters;
- daily refresh: after an untimed first refresh, the next one merges into the history.

Preparation, never timed and done once per size under `data/bench/prepared/segments-<size>/`:
load the landing files and build every model but the segments. Each run works on its own copy.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.registry import BenchContext, Measurement, Stage, register

_DONE = ".complete"
_SEGMENTS = ["--select", "path:models/segments"]


def _prepared(context: BenchContext) -> Path:
    """A warehouse with every model but the segments built, for this size, built once."""
    from activation.segments import compile_project
    from ingestion.pipelines import load_all
    from orchestration import settings
    from orchestration.dbt_runner import run_dbt

    compile_project(settings.dbt_project_dir())
    folder = context.data_dir.parent / "prepared" / f"segments-{context.size}"
    if (folder / _DONE).exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    load_all(context.landing, folder / "cdp.duckdb")
    for args in (["seed"], ["run", "--exclude", "path:models/segments"]):
        run_dbt(args, folder / "cdp.duckdb", target_dir=folder / "target").raise_on_failure()
    (folder / _DONE).touch()
    return folder


def refresh_segments(warehouse: str, target: str) -> dict[str, Any]:
    from orchestration.dbt_runner import run_dbt

    result = run_dbt(["run", *_SEGMENTS], Path(warehouse), target_dir=Path(target))
    result.raise_on_failure()
    results = json.loads((Path(target) / "run_results.json").read_text())
    with duckdb.connect(warehouse, read_only=True) as con:
        customers = int(con.execute("select count(*) from marts.customers").fetchone()[0])
        sizes = dict(
            con.execute(
                "select segment, members from marts.segment_sizes "
                "qualify row_number() over (partition by segment order by refreshed_at desc) = 1"
            ).fetchall()
        )
    slowest = sorted(results["results"], key=lambda node: -node["execution_time"])[:3]
    return {
        "rows": customers,
        "segments": len(sizes),
        "members": sum(sizes.values()),
        "dbt_elapsed_seconds": round(results["elapsed_time"], 2),
        "wall_seconds_with_startup": round(result.seconds, 2),
        "slowest_models": {
            node["unique_id"].rsplit(".", 1)[-1]: round(node["execution_time"], 2)
            for node in slowest
        },
    }


def _copy(context: BenchContext, run: int, name: str) -> dict[str, Any]:
    """A private copy of the prepared warehouse, with dbt's partial parse already warm."""
    from orchestration.dbt_runner import run_dbt

    folder = _prepared(context)
    work = context.work_dir / f"{name}-{run}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copy(folder / "cdp.duckdb", work / "cdp.duckdb")
    run_dbt(["parse"], work / "cdp.duckdb", target_dir=work / "target").raise_on_failure()
    return {"warehouse": str(work / "cdp.duckdb"), "target": str(work / "target")}


def _first_refresh(context: BenchContext, run: int) -> dict[str, Any]:
    return _copy(context, run, "segments-first")


def _daily_refresh(context: BenchContext, run: int) -> dict[str, Any]:
    kwargs = _copy(context, run, "segments-daily")
    refresh_segments(**kwargs)
    return kwargs


register(
    Stage(
        name="segments",
        description="all segments → memberships, history, sizes (dbt run of models/segments)",
        measurements=(
            Measurement(
                name="first refresh (history starts)",
                target="benchmarks.stages.segments:refresh_segments",
                kwargs=_first_refresh,
            ),
            Measurement(
                name="daily refresh (history merge)",
                target="benchmarks.stages.segments:refresh_segments",
                kwargs=_daily_refresh,
            ),
        ),
    )
)
