"""Run one sync: diff in SQL, send in batches, acknowledge each batch in the warehouse.

Acknowledgement is per batch and transactional (state, log and run counts together), so a crash
loses at most the batches in flight: a rerun diffs again and sends exactly what was not
acknowledged. Rejected records are logged and left out of the state, so the next run retries them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from activation.config import ActivationConfig, ConfigError, SyncMode
from activation.destinations import (
    Destination,
    Operation,
    Outcome,
    Record,
    RemovalReason,
    SyncContext,
)
from activation.destinations import build_destination as _build_destination
from activation.redaction import redact_identifiers
from activation.secrets import SecretResolver
from activation.state import batch_transaction, diff_sql, ensure_schema

log = logging.getLogger(__name__)

SEND_ORDER = (Operation.REMOVE, Operation.ADD, Operation.UPDATE)
# A replace drops whoever it leaves out when its last batch lands: removes are acknowledged after.
REPLACE_ORDER = (Operation.ADD, Operation.UPDATE, Operation.KEEP, Operation.REMOVE)


def send_order(mode: SyncMode) -> tuple[Operation, ...]:
    return REPLACE_ORDER if mode is SyncMode.REPLACE else SEND_ORDER


@dataclass
class SyncResult:
    run_id: str
    sync: str
    destination: str
    status: str
    dry_run: bool
    added: int = 0
    updated: int = 0
    removed: int = 0
    failed: int = 0
    skipped_consent: int = 0
    skipped_missing_key: int = 0
    planned: dict[str, int] = field(default_factory=dict)
    sample: dict[str, list[dict[str, object]]] = field(default_factory=dict)


def _batches(
    conn: duckdb.DuckDBPyConnection, operation: Operation, size: int
) -> Iterator[list[Record]]:
    """The operation's rows, fetched once as Arrow (the connection runs acknowledgements while
    batches are being sent, which would invalidate a streaming result)."""
    table = conn.sql(
        "select member_key, member_hash, payload, reason from pending where kind = $kind"
        " order by member_key",
        params={"kind": operation.value},
    ).to_arrow_table()
    for offset in range(0, table.num_rows, size):
        rows = table.slice(offset, size).to_pylist()
        yield [
            Record(
                r["member_key"],
                r["member_hash"],
                json.loads(r["payload"]),
                RemovalReason(r["reason"]) if r["reason"] else None,
            )
            for r in rows
        ]


def _scrub(error: str | None, member_key: str) -> str | None:
    """Destinations echo identifiers in errors ("x@y.com looks fake", a hash of someone else in
    the batch); the log keeps only the member's hash, so the plaintext key is masked and any
    other email or digest a reply put in the text is redacted."""
    if error is None:
        return None
    return redact_identifiers(error.replace(member_key, "<member>") if member_key else error)


class _Acknowledger:
    """Writes one batch's outcomes to state, log and run counts in one transaction."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, result: SyncResult, mode: SyncMode) -> None:
        self.conn = conn
        self.result = result
        self.mode = mode

    def __call__(
        self, operation: Operation, records: list[Record], outcomes: list[Outcome]
    ) -> None:
        if len(outcomes) != len(records):
            raise RuntimeError(
                f"destination returned {len(outcomes)} outcomes for {len(records)} records"
            )
        batch = pa.table(
            {
                "member_key": [r.member_key for r in records],
                "member_hash": [r.member_hash for r in records],
                "ok": [o.ok for o in outcomes],
                "error": [
                    _scrub(o.error, r.member_key) for o, r in zip(outcomes, records, strict=True)
                ],
                "removal_reason": [r.removal_reason and r.removal_reason.value for r in records],
            }
        )
        ok = sum(o.ok for o in outcomes)
        failed = len(outcomes) - ok
        counter = {"add": "added", "update": "updated", "remove": "removed"}.get(operation.value)
        replace = self.mode is SyncMode.REPLACE
        conn, sync, run_id = self.conn, self.result.sync, self.result.run_id
        with batch_transaction(conn, "ack_batch", batch):
            conn.execute(
                "insert into activation.sync_log (run_id, sync, member_hash, operation, status,"
                " error, logged_at, removal_reason) select ?, ?, member_hash, ?,"
                " case when ok then 'ok' else 'failed' end, error, now(), removal_reason"
                " from ack_batch",
                [run_id, sync, operation.value],
            )
            if operation is Operation.REMOVE:
                conn.execute(
                    "delete from activation.sync_state where sync = ? and member_key in"
                    " (select member_key from ack_batch where ok)",
                    [sync],
                )
            else:
                conn.execute(
                    "insert or replace into activation.sync_state select ?, p.member_key,"
                    " p.member_hash, md5(p.payload), p.payload, now()"
                    " from pending as p join ack_batch as b using (member_key)"
                    " where b.ok and p.kind = ?",
                    [sync, operation.value],
                )
            if replace and operation is not Operation.REMOVE:
                # The replace drops a member whose batch failed: no longer acknowledged.
                conn.execute(
                    "delete from activation.sync_state where sync = ? and member_key in"
                    " (select member_key from ack_batch where not ok)",
                    [sync],
                )
            counted = f"{counter} = {counter} + {ok}, " if counter else ""
            conn.execute(
                f"update activation.sync_runs set {counted}failed = failed + ? where run_id = ?",
                [failed, run_id],
            )
        if counter:
            setattr(self.result, counter, getattr(self.result, counter) + ok)
        self.result.failed += failed


def _send_all(
    conn: duckdb.DuckDBPyConnection,
    destination: Destination,
    context: SyncContext,
    acknowledge: _Acknowledger,
) -> None:
    settings = destination.settings
    with ThreadPoolExecutor(max_workers=settings.max_concurrency) as pool:
        in_flight: dict[Future[list[Outcome]], tuple[Operation, list[Record]]] = {}

        def settle(done: set[Future[list[Outcome]]]) -> None:
            errors = []
            for future in done:
                operation, records = in_flight.pop(future)
                try:
                    acknowledge(operation, records, future.result())
                except Exception as error:
                    errors.append(error)
            if errors:
                raise errors[0]

        try:
            for operation in send_order(context.sync.mode):
                for records in _batches(conn, operation, settings.batch_size):
                    if len(in_flight) >= settings.max_concurrency:
                        done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                        settle(done)
                    in_flight[pool.submit(destination.write, context, operation, records)] = (
                        operation,
                        records,
                    )
                # Each operation lands before the next starts: drain between operations.
                settle(wait(in_flight).done)
        except BaseException:
            # Batches already sent are acknowledged before the crash propagates.
            with contextlib.suppress(Exception):
                settle(wait(in_flight).done)
            raise


def _plan(
    conn: duckdb.DuckDBPyConnection, result: SyncResult, mode: SyncMode, sample_size: int
) -> None:
    counts = dict(conn.execute("select kind, count(*) from pending group by kind").fetchall())
    order = send_order(mode)
    result.planned = {op.value: int(counts.get(op.value, 0)) for op in order}
    result.skipped_consent = int(counts.get("skipped_consent", 0))
    result.skipped_missing_key = int(counts.get("skipped_missing_key", 0))
    for operation in order:
        rows = conn.execute(
            "select member_hash, payload from pending where kind = ? order by member_key limit ?",
            [operation.value, sample_size],
        ).fetchall()
        result.sample[operation.value] = [
            {"member_hash": member_hash, **json.loads(payload)} for member_hash, payload in rows
        ]


def run_sync(
    warehouse: Path,
    config: ActivationConfig,
    name: str,
    secrets: SecretResolver,
    *,
    dry_run: bool = False,
    destination: Destination | None = None,
    sample_size: int = 5,
) -> SyncResult:
    """Diff and send one sync. A dry run computes the same plan, sends nothing, writes nothing."""
    sync = config.sync(name)
    if destination is None:
        destination = _build_destination(config.destination(sync.destination), secrets)
    run_id = uuid.uuid4().hex
    result = SyncResult(run_id, sync.name, sync.destination, "planned", dry_run)
    conn = duckdb.connect(str(warehouse))
    try:
        if not dry_run:
            ensure_schema(conn)
        sql, params = diff_sql(conn, sync, destination.consent)
        if sync.mode is SyncMode.REPLACE and not destination.supports_replace:
            raise ConfigError(
                f"sync {sync.name!r}: mode replace needs a destination with a replace call"
                f" (meta); {sync.destination!r} has none"
            )
        conn.execute(f"create or replace temp table pending as {sql}", params)
        changed = bool(
            conn.execute(
                "select count(*) from pending where kind in ('add', 'update', 'remove')"
            ).fetchone()[0]
        )
        if not changed:  # a replace of an unchanged audience is not sent either
            conn.execute("delete from pending where kind = 'keep'")
        _plan(conn, result, sync.mode, sample_size)
        if dry_run:
            return result
        if changed:  # an unchanged audience makes no request at all
            destination.check_connection()
        conn.execute(
            "insert into activation.sync_runs (run_id, sync, destination, started_at,"
            " skipped_consent, skipped_missing_key, status)"
            " values (?, ?, ?, now(), ?, ?, 'running')",
            [
                run_id,
                sync.name,
                sync.destination,
                result.skipped_consent,
                result.skipped_missing_key,
            ],
        )
        context = SyncContext(sync, run_id, result.planned, lambda: _snapshot(conn, sync.name))
        log.info(
            "sync %s run %s: planned %s, skipped for consent %d",
            sync.name,
            run_id,
            result.planned,
            result.skipped_consent,
        )
        try:
            _send_all(conn, destination, context, _Acknowledger(conn, result, sync.mode))
            destination.finish(context)
        except BaseException as error:
            result.status = "failed"
            conn.execute(
                "update activation.sync_runs set ended_at = now(), status = 'failed', error = ?"
                " where run_id = ?",
                [redact_identifiers(f"{type(error).__name__}: {error}")[:1000], run_id],
            )
            raise
        result.status = "partial" if result.failed else "success"
        conn.execute(
            "update activation.sync_runs set ended_at = now(), status = ? where run_id = ?",
            [result.status, run_id],
        )
        log.info(
            "sync %s run %s %s: %d added, %d updated, %d removed, %d failed",
            sync.name,
            run_id,
            result.status,
            result.added,
            result.updated,
            result.removed,
            result.failed,
        )
        return result
    finally:
        destination.close()
        conn.close()


def _snapshot(conn: duckdb.DuckDBPyConnection, sync: str) -> pa.Table:
    """Every member the destination holds now, per the acknowledged state."""
    rows = conn.execute(
        "select payload from activation.sync_state where sync = ? order by member_key", [sync]
    ).fetchall()
    return pa.Table.from_pylist([json.loads(payload) for (payload,) in rows])
