"""Benchmark: refresh every segment (the shipped YAML specs and analyst models) on a built
warehouse: the segment models, their union, membership history, memberships and sizes.

What is timed is what a scheduled refresh runs, `dbt run --select path:models/segments`, as a
whole process (dbt start-up and partial parse included) and as dbt's own execution time. It is run
twice at the same `as_of`: the first refresh starts the history, the second is a daily refresh
that merges into it. Target at M: each refresh under 10 s.

    python -m benchmarks.segments --size M [--warehouse data/bench/M/cdp.duckdb]

Without --warehouse the warehouse is built first (generate, load, `dbt build` of everything but
segments) under data/bench/<size>/ and reused on later runs; that build is not timed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from activation.segments import compile_project
from orchestration import settings
from orchestration.dbt_runner import run_dbt

SIZES = {"S": 1_000, "M": 1_000_000, "L": 10_000_000}
TARGET_SECONDS = {"M": 10.0}
END_DATE = date(2026, 11, 1)
AS_OF = (END_DATE + timedelta(days=1)).isoformat()
SELECT = ["--select", "path:models/segments"]


def build_warehouse(size: str, folder: Path, seed: int = 42) -> Path:
    """The warehouse at `size` with every model but the segments built (reused when present)."""
    from ingestion.generate import generate
    from ingestion.pipelines import load_all

    warehouse = folder / "cdp.duckdb"
    done = folder / "built.done"
    if done.exists():
        return warehouse
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    generate(folder / "exports", people=SIZES[size], seed=seed, end_date=END_DATE)
    load_all(folder / "exports" / "landing", warehouse)
    run_dbt(
        ["build", "--exclude", "path:models/segments", "--exclude-resource-type", "unit_test"],
        warehouse,
        target_dir=folder / "dbt_target",
        dbt_vars={"as_of": AS_OF},
    ).raise_on_failure()
    shutil.rmtree(folder / "exports")
    done.touch()
    return warehouse


def _drop_segment_state(warehouse: Path) -> None:
    """Start from no history, so the first timed refresh is the initial one."""
    with duckdb.connect(str(warehouse)) as connection:
        for table in ("segment_membership_history", "segment_sizes", "segment_memberships"):
            connection.execute(f"drop table if exists marts.{table}")


def _refresh(warehouse: Path, target: Path) -> dict[str, object]:
    result = run_dbt(["run", *SELECT], warehouse, target_dir=target, dbt_vars={"as_of": AS_OF})
    result.raise_on_failure()
    run_results = json.loads((target / "run_results.json").read_text())
    slowest = sorted(run_results["results"], key=lambda node: -node["execution_time"])[:3]
    return {
        "wall_seconds": round(result.seconds, 2),
        "dbt_elapsed_seconds": round(run_results["elapsed_time"], 2),
        "models": len(run_results["results"]),
        "slowest": {
            node["unique_id"].split(".")[-1]: round(node["execution_time"], 2) for node in slowest
        },
    }


def run(size: str, warehouse: Path | None = None) -> dict[str, object]:
    compile_project(settings.dbt_project_dir())
    folder = settings.data_dir() / "bench" / size
    warehouse = warehouse or build_warehouse(size, folder)
    target = folder / "segments_target"
    _drop_segment_state(warehouse)
    run_dbt(["parse"], warehouse, target_dir=target, dbt_vars={"as_of": AS_OF})
    started = time.perf_counter()
    first = _refresh(warehouse, target)
    second = _refresh(warehouse, target)
    total = time.perf_counter() - started
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        customers = connection.execute("select count(*) from marts.customers").fetchone()[0]
        events = connection.execute("select count(*) from marts.customer_events").fetchone()[0]
        sizes = dict(
            connection.execute(
                "select segment, members from marts.segment_sizes order by segment"
            ).fetchall()
        )
    target_seconds = TARGET_SECONDS.get(size)
    worst = max(first["wall_seconds"], second["wall_seconds"])  # type: ignore[type-var]
    return {
        "stage": "segments",
        "size": size,
        "customers": customers,
        "events": events,
        "segments": len(sizes),
        "first_refresh": first,
        "daily_refresh": second,
        "total_seconds": round(total, 2),
        "target_seconds": target_seconds,
        "met_target": None if target_seconds is None else worst < target_seconds,
        "sizes": sizes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="M")
    parser.add_argument("--warehouse", type=Path, help="an already built warehouse to use")
    args = parser.parse_args(argv)
    report = run(args.size, args.warehouse)
    print(json.dumps(report, indent=2))
    return 0 if report["met_target"] in (True, None) else 1


if __name__ == "__main__":
    sys.exit(main())
