"""`cdp sync [NAME] [--dry-run]`: send audiences to their destinations (all syncs without NAME).

Every send first passes the guardrails the Dagster sync assets apply (orchestration/
sync_guardrails.py) and records its audience size where they do, so a sync started here neither
bypasses a limit nor leaves the next size-swing check comparing with an older sync. A tripped
guardrail refuses the send (exit 1); as in Dagster, the way past it is raising the limit in
orchestration/guardrails.yaml after a human looked. A warehouse another process writes (a Dagster
run) is refused too (exit 1): this command is outside Dagster's one-writer pool.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from activation.config import ActivationConfig, ConfigError
from activation.destinations import ConnectionCheckError
from activation.engine import SyncResult, run_sync
from activation.secrets import SecretResolver
from orchestration import settings
from orchestration.activation_config import (
    activation_secrets,
    load_activation_config,
    missing_secret,
)
from orchestration.guardrails import GuardrailOutcome, segment_size

if TYPE_CHECKING:
    import dagster as dg

    from orchestration.guardrail_limits import GuardrailLimits


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sync", help="sync audiences to destinations (reverse ETL)")
    parser.add_argument("name", nargs="?", help="one sync from activation/config/syncs.yml")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the guardrail verdicts and what would be sent; send and change nothing",
    )
    parser.add_argument(
        "--config-dir",
        type=Path,
        default=None,
        help="folder with destinations.yml and syncs.yml "
        "(default: $CDP_ACTIVATION_CONFIG, else activation/config)",
    )
    parser.set_defaults(handler=run)


_LOCK_CONFLICT = "Could not set lock on file"
_LOCK_HOLDER = re.compile(r"\(PID (\d+)\)")


def _warehouse_locked(name: str, error: duckdb.IOException) -> str | None:
    """The message for a warehouse another process writes, or None for any other I/O error.

    DuckDB lets one process write a file; Dagster serializes its own writers in the
    `duckdb_writer` pool, which this command is outside of, so it can only refuse clearly.
    """
    if _LOCK_CONFLICT not in str(error):
        return None
    holder = _LOCK_HOLDER.search(str(error))
    process = f"another process (PID {holder.group(1)})" if holder else "another process"
    return (
        f"{name}: error: the warehouse {settings.warehouse_path()} is locked by {process}, "
        "e.g. a Dagster run or another cdp command writing it (DuckDB allows one writer at a "
        "time); nothing sent for this sync or the ones after it: retry after it finishes"
    )


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


def _report_verdicts(name: str, verdicts: dict[str, GuardrailOutcome]) -> None:
    for guardrail, outcome in verdicts.items():
        verdict = "passed" if outcome.passed else "holds back"
        print(f"{name}: guardrail {guardrail} {verdict}: {outcome.detail}")


def _sync_one(
    name: str,
    args: argparse.Namespace,
    config: ActivationConfig,
    secrets: SecretResolver,
    instance: dg.DagsterInstance,
    limits: GuardrailLimits,
) -> int:
    """One sync, as its Dagster asset runs it: destination ready, guardrails passed, then send.

    The warehouse stays open from the guardrails to the send, so no other writer can change the
    audience in between.
    """
    from orchestration.sync_guardrails import pre_send_verdicts, record_sync, tripped

    sync = config.sync(name)
    missing = missing_secret(config.destination(sync.destination), secrets)
    if missing is not None:
        if args.name:
            print(f"{name}: error: {missing}", file=sys.stderr)
            return 1
        print(f"{name}: skipped, destination not configured: {missing}")
        return 0
    with duckdb.connect(str(settings.warehouse_path())) as con:
        members = segment_size(con, sync.segment)
        verdicts = pre_send_verdicts(con, instance, name, sync.segment, limits)
        held = "; ".join(tripped(verdicts))
        if args.dry_run:
            _report_verdicts(name, verdicts)
        elif held:
            print(
                f"{name}: error: guardrails hold back the send, nothing sent: {held} "
                "(limits in orchestration/guardrails.yaml)",
                file=sys.stderr,
            )
            return 1
        result = run_sync(settings.warehouse_path(), config, name, secrets, dry_run=args.dry_run)
    _report(result)
    if args.dry_run:
        return 1 if held else 0
    record_sync(instance, result, members)
    return 1 if result.failed else 0


def run(args: argparse.Namespace) -> int:
    from orchestration.guardrail_limits import GuardrailLimits
    from orchestration.instance import cdp_instance

    try:
        config = load_activation_config(args.config_dir)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    secrets = activation_secrets()
    limits = GuardrailLimits.from_file()
    names = [args.name] if args.name else [sync.name for sync in config.syncs]
    exit_code = 0
    with cdp_instance() as instance:
        for name in names:
            try:
                exit_code = max(exit_code, _sync_one(name, args, config, secrets, instance, limits))
            except (ConfigError, ConnectionCheckError, ValueError) as error:
                print(f"{name}: error: {error}", file=sys.stderr)
                exit_code = 1
            except duckdb.IOException as error:
                locked = _warehouse_locked(name, error)
                if locked is None:
                    raise
                print(locked, file=sys.stderr)
                return 1
    return exit_code
