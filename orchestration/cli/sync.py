"""`cdp sync [NAME] [--dry-run]`: send audiences to their destinations (all syncs without NAME)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from activation.config import ActivationConfig, ConfigError, load_config
from activation.destinations import ConnectionCheckError
from activation.engine import SyncResult, run_sync
from activation.secrets import MissingSecretError, SecretResolver
from orchestration import settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sync", help="sync audiences to destinations (reverse ETL)")
    parser.add_argument("name", nargs="?", help="one sync from activation/config/syncs.yml")
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would be sent; send and change nothing"
    )
    parser.add_argument(
        "--config-dir", type=Path, default=None, help="folder with destinations.yml and syncs.yml"
    )
    parser.set_defaults(handler=run)


def _resolve_paths(config: ActivationConfig, root: Path) -> None:
    """Relative output folders: `data/...` under the data folder (CDP_DATA_DIR), as the Dagster
    assets resolve them, anything else under the project."""
    for destination in config.destinations.values():
        output_dir = Path(destination.get("output_dir") or "")
        if "output_dir" not in destination or output_dir.is_absolute():
            continue
        if output_dir.parts and output_dir.parts[0] == "data":
            destination["output_dir"] = str(settings.data_dir().joinpath(*output_dir.parts[1:]))
        else:
            destination["output_dir"] = str(root / output_dir)


def _report(result: SyncResult) -> None:
    if result.dry_run:
        planned = ", ".join(f"{count} {op}" for op, count in result.planned.items())
        print(
            f"{result.sync} -> {result.destination} (dry run, nothing sent): would send "
            f"{planned}; skipped for consent/suppression {result.skipped_consent}, "
            f"without member key {result.skipped_missing_key}"
        )
        for operation, rows in result.sample.items():
            for row in rows:
                print(f"  {operation}: {row}")
        return
    print(
        f"{result.sync} -> {result.destination} [{result.status}] run {result.run_id}: "
        f"{result.added} added, {result.updated} updated, {result.removed} removed, "
        f"{result.failed} failed, {result.skipped_consent} skipped for consent"
    )


def run(args: argparse.Namespace) -> int:
    root = settings.project_root()
    try:
        config = load_config(args.config_dir or root / "activation" / "config")
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    _resolve_paths(config, root)
    secrets = SecretResolver(os.environ, root / ".dlt" / "secrets.toml")
    names = [args.name] if args.name else [sync.name for sync in config.syncs]
    exit_code = 0
    for name in names:
        try:
            result = run_sync(
                settings.warehouse_path(), config, name, secrets, dry_run=args.dry_run
            )
        except MissingSecretError as error:
            if args.name:
                print(f"{name}: error: {error}", file=sys.stderr)
                exit_code = 1
            else:
                print(f"{name}: skipped, destination not configured: {error}")
            continue
        except (ConfigError, ConnectionCheckError, ValueError) as error:
            print(f"{name}: error: {error}", file=sys.stderr)
            exit_code = 1
            continue
        _report(result)
        if result.failed:
            exit_code = 1
    return exit_code
