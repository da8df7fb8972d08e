"""Stage `chain`: the whole chain as `make run` executes it, a full refresh then an increment.

Both measurements call `orchestration.runner.run_pipeline()`, the in-process Dagster run of the
full-chain job that `cdp run` starts (ingestion, dbt build with its tests, guardrails, syncs,
serving copy, dbt docs); there is no second implementation to drift from it.

- full refresh: an empty warehouse and every landing file (target at M: under 120 s, aim 60 s);
- incremental: the same warehouse the next day, after `benchmarks.increment` landed 1% changed
  records, one new day of events and one late record merging two customers (target: 15 s).

Each outcome carries the breakdown of `benchmarks.breakdown` (per source extract / normalize /
load, each dbt layer, identity with its passes, traits, segments, activation diff and sync),
the warehouse file size and identity precision / recall / F1 against the truth. The wall time
reported is the Dagster run's alone: the untimed breakdown and quality check follow it. Peak RSS
is the whole process tree's (the run and the dbt process beside it), sampled.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

from benchmarks.registry import BenchContext, Measurement, Stage, register

FULL = "full"


def run_chain(landing: str, root: str, truth: str, records: int) -> dict[str, Any]:
    """One `cdp run` on `landing`, with warehouse, Dagster home and dbt artifacts under `root`."""
    base = Path(root)
    os.environ.update(
        CDP_DATA_DIR=str(base / "data"),
        CDP_WAREHOUSE=str(chain_warehouse(base)),
        CDP_LANDING=landing,
        DAGSTER_HOME=str(base / "dagster_home"),
        DBT_TARGET_PATH=str(base / "dbt_target"),
    )
    import dagster as dg

    from benchmarks import breakdown
    from benchmarks.sampling import RssSampler
    from orchestration.quality.identity import measure_identity
    from orchestration.runner import run_pipeline

    diffs = breakdown.SyncDiffTimes()
    engine_log = logging.getLogger("activation.engine")
    engine_log.addHandler(diffs)
    engine_log.setLevel(logging.INFO)
    with RssSampler() as sampler:
        started, wall_started = time.perf_counter(), time.time()
        result = run_pipeline(launched_by="benchmark")
        seconds = time.perf_counter() - started
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        raise RuntimeError(f"the Dagster run failed in steps {failed}")
    with dg.DagsterInstance.get() as instance:
        windows = breakdown.step_windows(instance, result.run_id)
    warehouse = Path(os.environ["CDP_WAREHOUSE"])
    target = _dbt_build_target(base / "dbt_target", result.run_id)
    parts = [
        *breakdown.ingestion_parts(windows, _rows_read(result), warehouse, sampler),
        *breakdown.dbt_parts(target, windows["dbt_build"], warehouse, sampler),
        *breakdown.activation_parts(windows, diffs, sampler),
        *breakdown.other_parts(windows, (wall_started, wall_started + seconds), sampler),
    ]
    quality = measure_identity(warehouse, Path(truth))
    return {
        "rows": records,
        "wall_seconds": seconds,
        "parts": [part.as_dict() for part in parts],
        "identity_loop": breakdown.identity_loop(target, warehouse),
        "identity_quality": {
            "precision": quality.precision,
            "recall": quality.recall,
            "f1": quality.f1,
            "customers": quality.customers,
            "truth_records": quality.truth_records,
        },
        "warehouse_bytes": warehouse.stat().st_size,
        "peak_rss_bytes": max((value for _, value in sampler.samples), default=0),
    }


def _dbt_build_target(folder: Path, run_id: str) -> Path:
    """The target folder dagster-dbt gave this run's `dbt build` (named after the step and run)."""
    found = sorted(folder.glob(f"dbt_build-{run_id[:7]}-*/run_results.json"))
    if not found:
        raise FileNotFoundError(f"no run_results.json of run {run_id} under {folder}")
    return found[-1].parent


def _rows_read(result: Any) -> dict[str, int]:
    """Each system reports its load on every one of its tables: take each system once."""
    rows: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        dataset = materialization.asset_key.path[0]
        if dataset.startswith("raw_") and "rows_read" in materialization.metadata:
            rows[dataset.removeprefix("raw_")] = int(materialization.metadata["rows_read"].value)
    return rows


def chain_root(context: BenchContext, run: int) -> Path:
    """This run's chain folder, which the peer stages read after it (same run, same data)."""
    return context.work_dir / f"chain-{run}"


def chain_warehouse(root: Path) -> Path:
    return root / "data" / "warehouse" / "cdp.duckdb"


def linked_landing(source: Path, target: Path) -> None:
    """Symlinks to the generated files: the chain reads them without copying gigabytes."""
    for path in source.rglob("*"):
        if path.is_file():
            link = target / path.relative_to(source)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)


def full_refresh_kwargs(context: BenchContext, run: int) -> dict[str, Any]:
    """An empty chain folder for this run, its landing folder linking every generated file."""
    from benchmarks.stages.ingestion import count_records

    root = chain_root(context, run)
    shutil.rmtree(root, ignore_errors=True)
    linked_landing(context.landing, root / "landing")
    return {
        "landing": str(root / "landing"),
        "root": str(root),
        "truth": str(context.data_dir / "truth" / "records.csv"),
        "records": count_records(context.landing),
    }


def ensure_full_refresh(context: BenchContext, run: int) -> Path:
    """The chain folder of `run` after its full refresh; made (untimed) when the chain stage
    was not selected, so each stage can also run on its own."""
    from benchmarks.measure import run_in_child

    root = chain_root(context, run)
    if not (root / FULL).exists():
        run_in_child("benchmarks.stages.chain:run_chain", full_refresh_kwargs(context, run))
        (root / FULL).touch()
    return root


def _incremental_kwargs(context: BenchContext, run: int) -> dict[str, Any]:
    """After this run's full refresh, the increment lands beside the first delivery."""
    from benchmarks.increment import ensure_increment
    from benchmarks.stages.peers import GRAPH, export_graph

    root = chain_root(context, run)
    (root / FULL).touch()  # the full refresh of this run, measured just before, completed
    export_graph(chain_warehouse(root), root / GRAPH)  # peers cluster the full refresh's links
    increment = ensure_increment(context.data_dir)
    linked_landing(increment.landing, root / "landing")
    return {
        "landing": str(root / "landing"),
        "root": str(root),
        "truth": str(increment.truth),
        "records": increment.summary["records"],
    }


register(
    Stage(
        name="chain",
        description="the whole chain through Dagster in-process (`cdp run`): full, then increment",
        measurements=(
            Measurement(
                name="full refresh (cdp run, empty warehouse)",
                target="benchmarks.stages.chain:run_chain",
                kwargs=full_refresh_kwargs,
            ),
            Measurement(
                name="incremental (1% changed, 1 new day of events, 1 merging record)",
                target="benchmarks.stages.chain:run_chain",
                kwargs=_incremental_kwargs,
            ),
        ),
    )
)
