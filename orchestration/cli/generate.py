"""`cdp generate`: write deterministic sample exports and their ground truth."""

from __future__ import annotations

import argparse
import resource
from datetime import date
from pathlib import Path

from orchestration import settings

SIZES = {"S": 1_000, "M": 1_000_000, "L": 10_000_000}
DEFAULT_END_DATE = date(2026, 11, 1)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate", help="write sample source exports to DIR/landing and the truth to DIR/truth"
    )
    parser.add_argument("--people", type=int, help="number of people (overrides --size)")
    parser.add_argument(
        "--size", choices=sorted(SIZES), default="S", help="S=1k, M=1M, L=10M people"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: data/)")
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=DEFAULT_END_DATE,
        help="last day of activity, YYYY-MM-DD (default %(default)s)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ingestion.generate import generate

    people = args.people if args.people is not None else SIZES[args.size]
    out = args.out if args.out is not None else settings.data_dir()
    summary = generate(out, people=people, seed=args.seed, end_date=args.end_date)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"generated {people:,} people (seed {args.seed}, end {args.end_date}) into {out}")
    for name, rows in summary.files.items():
        size = (out / "landing" / name).stat().st_size
        print(f"  {name:<55} {rows:>12,} rows {size / 2**20:>10.1f} MiB")
    print(
        f"truth: {summary.truth_records:,} records, {summary.anonymous_people:,} anonymous people,"
        f" {summary.malformed_rows:,} malformed rows"
    )
    print(f"took {summary.seconds:.1f} s, peak RSS {peak_mib:,.0f} MiB")
    return 0
