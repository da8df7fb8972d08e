"""The `cdp` command: one module per command group, each adding its own subcommands."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

COMMAND_MODULES = (
    "orchestration.cli.generate",
    "orchestration.cli.ingest",
    "orchestration.cli.run",
    "orchestration.cli.dev",
    "orchestration.cli.clv",
    "orchestration.cli.segments",
    "orchestration.cli.identity_report",
    "orchestration.cli.sync",
    "orchestration.cli.forget",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cdp", description="Open customer data platform.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
