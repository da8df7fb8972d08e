"""`cdp run`: execute the whole Dagster asset graph in this process, then print what it did.

`make run` calls this. The serving copy is published by the graph's own `serving/warehouse_copy`
asset, after the dbt build passed its tests.
"""

from __future__ import annotations

import argparse

from orchestration import settings


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser(
        "run",
        help="run the whole chain (ingest, dbt, guardrails, syncs, serving copy) in-process",
        description="Runs the same Dagster job the daily schedule runs, in this process, on "
        "CDP_WAREHOUSE (default data/warehouse/cdp.duckdb). The run appears in `make dev`'s UI.",
    )
    run.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from orchestration.runner import run_pipeline
    from orchestration.summary import render, summarize

    result = run_pipeline()
    for line in render(summarize(result, settings.serving_path())):
        print(line)
    if not result.success:
        print(f"failure recorded in {settings.ops_dir() / 'run_failures.jsonl'}")
        return 1
    return 0
