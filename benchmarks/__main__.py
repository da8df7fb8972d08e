"""`python -m benchmarks --size S|M|L [--repeat 3] [--stages chain,identity_peers]`.

Each repeat is a complete pass over the selected stages in order, so the peers of a pass read
the data and warehouse of that pass's chain run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
from pathlib import Path

from benchmarks import machine, report
from benchmarks.datasets import SIZES, ensure_dataset
from benchmarks.measure import run_in_child
from benchmarks.registry import STAGES, BenchContext, Stage
from benchmarks.stages import chain  # noqa: F401  (the package registers every stage)
from benchmarks.summary import MeasurementResult

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STAGES = ("chain", "ingestion_peer", "identity_peers", "predictive", "activation")
"""What `make bench` runs on DuckDB. The others (`ingestion`, `identity`, `dbt`, `segments`)
time one part on its own, outside the chain, and run when named."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES, key=SIZES.get), default="M")
    parser.add_argument("--engine", default="duckdb")
    parser.add_argument(
        "--stages",
        type=lambda value: [name.strip() for name in value.split(",") if name.strip()],
        help=f"comma-separated, in order (known: {', '.join(sorted(STAGES))})",
    )
    parser.add_argument("--stage", action="append", dest="stage", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", "--runs", type=int, default=3, dest="repeat")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--results", type=Path, default=ROOT / "data" / "bench" / "results")
    args = parser.parse_args(argv)

    names = args.stages or args.stage or _default_stages(args.engine)
    unknown = [name for name in names if name not in STAGES]
    unsupported = [n for n in names if n in STAGES and args.engine not in STAGES[n].engines]
    if unknown or unsupported:
        print(f"unknown stages {unknown}, not on engine {args.engine}: {unsupported}")
        return 2
    load_at_start = os.getloadavg()
    data_dir = ensure_dataset(args.data, args.size)
    work_dir = args.data / "work" / args.size / f"run-{os.getpid()}"
    context = BenchContext(args.size, args.engine, data_dir, work_dir)
    try:
        results = _measure([STAGES[name] for name in names], context, args.repeat)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    now = dt.datetime.now(dt.UTC)
    described = machine.describe(load_at_start)
    header = {
        "size": args.size,
        "engine": args.engine,
        "repeat": args.repeat,
        "stages": names,
        "dataset": _dataset_note(data_dir, args.size),
    }
    section = report.render(header, described, results, now)
    print(section)
    report.append(args.report, section)
    print(f"results: {report.write_json(args.results, header, described, results, now)}")
    return 0


def _default_stages(engine: str) -> list[str]:
    if engine == "duckdb":
        return list(DEFAULT_STAGES)
    return [name for name, stage in STAGES.items() if engine in stage.engines]


def _measure(stages: list[Stage], context: BenchContext, repeat: int) -> list[MeasurementResult]:
    """Pass after pass over every measurement, each in its own child process; the work folder
    is this process's alone, as other benchmark runs may share the machine and `data/bench`."""
    runs: dict[tuple[str, str], list] = {}
    for run in range(repeat):
        for stage in stages:
            for measurement in stage.measurements:
                result = run_in_child(measurement.target, measurement.kwargs(context, run))
                print(
                    f"pass {run + 1}/{repeat} | {stage.name} | {measurement.name}: "
                    f"{result.wall_seconds:.2f} s, {result.outcome['rows']:,} rows, "
                    f"peak RSS {result.peak_rss_bytes / 2**20:,.0f} MB",
                    flush=True,
                )
                runs.setdefault((stage.name, measurement.name), []).append(result)
    return [
        MeasurementResult(stage.name, m.name, m.reference, runs[(stage.name, m.name)])
        for stage in stages
        for m in stage.measurements
    ]


def _dataset_note(data_dir: Path, size: str) -> str:
    import json

    marker = json.loads((data_dir / ".complete").read_text())
    shown = data_dir.relative_to(ROOT) if data_dir.is_relative_to(ROOT) else data_dir
    megabytes = sum(p.stat().st_size for p in (data_dir / "landing").rglob("*") if p.is_file())
    return (
        f"`{shown}` (size {size}), {marker['people']:,} people, seed {marker['seed']}, "
        f"{megabytes / 2**20:,.0f} MB of landing files; the increment is "
        f"`benchmarks.increment` on these files"
    )


if __name__ == "__main__":
    sys.exit(main())
