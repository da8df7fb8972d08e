"""`python -m benchmarks --size M --engine duckdb [--stage ingestion] [--runs 3]`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
from pathlib import Path

from benchmarks import machine, report
from benchmarks.datasets import SIZES, ensure_dataset
from benchmarks.measure import run_in_child
from benchmarks.registry import STAGES, BenchContext, Stage
from benchmarks.stages import ingestion  # noqa: F401  (registers the stage)

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="M")
    parser.add_argument("--engine", default="duckdb")
    parser.add_argument("--stage", action="append", choices=sorted(STAGES))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)

    default = [name for name, stage in STAGES.items() if args.engine in stage.engines]
    stages = [STAGES[name] for name in (args.stage or default)]
    unsupported = [s.name for s in stages if args.engine not in s.engines]
    if unsupported:
        print(f"stages {unsupported} do not run on engine {args.engine}")
        return 2
    data_dir = ensure_dataset(args.data, args.size)
    work_dir = args.data / "work" / args.size / f"run-{os.getpid()}"
    context = BenchContext(args.size, args.engine, data_dir, work_dir)
    try:
        results = _measure(stages, context, args.runs)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    marker = json.loads((data_dir / ".complete").read_text())
    note = (
        f"`{data_dir.relative_to(ROOT) if data_dir.is_relative_to(ROOT) else data_dir}`, "
        f"{marker['people']:,} people, seed {marker['seed']}, "
        f"{_landing_megabytes(context.landing):,.0f} MB of landing files"
    )
    section = report.render(
        args.size, args.engine, machine.describe(), results, note, dt.datetime.now(dt.UTC)
    )
    print(section)
    report.append(args.report, section)
    return 0


def _measure(
    stages: list[Stage], context: BenchContext, runs: int
) -> list[report.MeasurementResult]:
    """Every run in its own child process; the work folder is this process's alone, as other
    benchmark runs may share the machine and `data/bench`."""
    results: list[report.MeasurementResult] = []
    for stage in stages:
        for measurement in stage.measurements:
            outcomes = []
            for run in range(runs):
                result = run_in_child(measurement.target, measurement.kwargs(context, run))
                print(
                    f"{stage.name} | {measurement.name} | run {run + 1}: "
                    f"{result.wall_seconds:.2f} s, {result.outcome['rows']:,} rows, "
                    f"peak RSS {result.peak_rss_bytes / 2**20:,.0f} MB",
                    flush=True,
                )
                outcomes.append(result)
            results.append(
                report.MeasurementResult(
                    stage.name, measurement.name, measurement.reference, outcomes
                )
            )
    return results


def _landing_megabytes(landing: Path) -> float:
    return sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 2**20


if __name__ == "__main__":
    sys.exit(main())
