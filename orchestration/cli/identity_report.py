"""`cdp identity-report`: identity precision/recall against the generator's truth file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from orchestration import settings
from orchestration.quality.identity import format_report, measure_identity


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "identity-report",
        help="pairwise precision/recall of customers against data/truth/records.csv",
    )
    parser.add_argument("--warehouse", type=Path, default=None, help="default: CDP_WAREHOUSE")
    parser.add_argument(
        "--truth", type=Path, default=None, help="default: <data dir>/truth/records.csv"
    )
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when precision or recall misses its target"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    warehouse = args.warehouse or settings.warehouse_path()
    truth = args.truth or settings.data_dir() / "truth" / "records.csv"
    try:
        report = measure_identity(warehouse, truth)
    except FileNotFoundError as missing:
        print(f"cdp identity-report: {missing}")
        return 2
    print(json.dumps(report.as_dict(), indent=2) if args.json else format_report(report))
    return 1 if args.strict and not report.meets_targets else 0
