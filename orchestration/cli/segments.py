"""`cdp segments`: list, preview and compile marketer-defined segments."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from activation.segments import SegmentSpecError, compile_project
from activation.segments.catalog import CatalogError
from activation.segments.preview import PreviewError, preview_segment, segment_statuses
from orchestration import settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("segments", help="list, preview and compile segments")
    commands = parser.add_subparsers(dest="segments_command", required=True)

    listing = commands.add_parser("list", help="every segment with owner, size, last refresh")
    listing.set_defaults(handler=run_list)

    preview = commands.add_parser(
        "preview", help="size and sample of a segment now; writes and sends nothing"
    )
    preview.add_argument("name", help="segment name")
    preview.add_argument("--limit", type=int, default=10, help="sample size (default 10)")
    preview.add_argument("--as-of", help="evaluate windows at this instant (default: now)")
    preview.add_argument("--show-sql", action="store_true", help="print the compiled SQL too")
    preview.set_defaults(handler=run_preview)

    compile_ = commands.add_parser(
        "compile", help="regenerate dbt models from dbt_project/segments/*.yml"
    )
    compile_.add_argument(
        "--check", action="store_true", help="only report; exit 1 if generated models are stale"
    )
    compile_.set_defaults(handler=run_compile)


def _fail(error: Exception) -> int:
    print(f"error: {error}", file=sys.stderr)
    return 2


def run_compile(args: argparse.Namespace) -> int:
    try:
        result = compile_project(settings.dbt_project_dir(), check=args.check)
    except (SegmentSpecError, CatalogError) as error:
        return _fail(error)
    verb = "stale" if args.check else "wrote"
    for name in result.written:
        print(f"{verb}: {name}")
    for name in result.removed:
        print(f"{'orphaned' if args.check else 'removed'}: {name}")
    if args.check and result.changed:
        print("generated segment models are out of date: run `cdp segments compile`")
        return 1
    print(f"{len(result.unchanged)} generated files up to date")
    return 0


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in [header, *rows]]  # fmt: skip
    return "\n".join(line.rstrip() for line in lines)


def run_list(args: argparse.Namespace) -> int:
    try:
        statuses = segment_statuses(settings.dbt_project_dir(), settings.warehouse_path())
    except (SegmentSpecError, CatalogError) as error:
        return _fail(error)
    rows = [
        [
            status.name,
            status.kind,
            status.owner,
            "-" if status.members is None else str(status.members),
            "never" if status.refreshed_at is None else f"{status.refreshed_at:%Y-%m-%d %H:%M}",
        ]
        for status in statuses
    ]
    print(_table(["segment", "kind", "owner", "size", "last refreshed"], rows))
    return 0


def run_preview(args: argparse.Namespace) -> int:
    warehouse: Path = settings.warehouse_path()
    try:
        preview = preview_segment(
            settings.dbt_project_dir(), warehouse, args.name, args.limit, args.as_of
        )
    except (SegmentSpecError, CatalogError, PreviewError) as error:
        return _fail(error)
    print(f"segment {preview.name}: {preview.size} members (preview; nothing written or sent)")
    if preview.sample:
        header = list(preview.sample[0])
        rows = [["" if row[key] is None else str(row[key]) for key in header]
                for row in preview.sample]  # fmt: skip
        print(_table(header, rows))
    if args.show_sql:
        print(preview.sql)
    return 0
