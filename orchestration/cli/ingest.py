"""`cdp ingest`: load the new landing files into the warehouse without running the rest.

Useful to check a delivery by hand: it prints per system how many rows were read, loaded and
quarantined, and exits non-zero naming the file when a delivery is wrong.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ingestion.errors import LandingError
from ingestion.systems import SYSTEMS
from orchestration import settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ingest", help="load new landing files into raw_<system> and print the counts"
    )
    parser.add_argument(
        "--system",
        action="append",
        choices=SYSTEMS,
        help="load only this system (repeatable); default: all",
    )
    parser.add_argument(
        "--landing", type=Path, help="landing folder (default: $CDP_LANDING or data/landing)"
    )
    parser.add_argument("--warehouse", type=Path, help="DuckDB file (default: $CDP_WAREHOUSE)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """The loaders (dlt) load here, not with the parser: every `cdp` command builds the parser,
    and dlt costs about 1.5 s."""
    from ingestion.pipelines import load_all

    landing = args.landing or settings.landing_dir()
    warehouse = args.warehouse or settings.warehouse_path()
    try:
        summaries = load_all(landing, warehouse, systems=args.system)
    except LandingError as error:
        print(f"error: {error}")
        print("nothing was loaded; the warehouse is unchanged")
        return 2
    print(
        f"{'system':<14}{'files':>7}{'rows read':>12}{'loaded':>12}{'rejected':>10}"
        f"{'suppressed':>12}"
    )
    for summary in summaries:
        print(
            f"{summary.system:<14}{summary.files:>7}{summary.rows_read:>12}"
            f"{summary.rows_loaded:>12}{summary.rows_rejected:>10}{summary.rows_suppressed:>12}"
        )
    if any(summary.rows_rejected for summary in summaries):
        print("rejected rows: see raw_<system>._rejects (file, line, raw text, reason)")
    return 0
