"""The erasure ledger: `privacy.erasure_requests`, one row per request with a status per step.

It holds hashes only (SHA-256 of the normalized identifiers), never a readable identifier, so it
can stay in the warehouse and its serving copies for good as the record that each request was
carried out. A step is `done`, `skipped` (nothing to do), `failed` (with the error's type, never
its text, which could quote a value) or null (not reached yet); a request is resumed by running
again every step that is not `done` or `skipped`. `privacy.erasure_receipts` records each receipt
written (path, sha256 of the file, tables scanned, rows matched).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from orchestration.privacy.identifiers import Identifier

STEPS = ("resolved", "warehouse_deleted", "suppressed", "destinations", "receipt")
FINISHED = ("done", "skipped")

_STEP_COLUMNS = ",\n".join(f"{step} varchar, {step}_at timestamp" for step in STEPS)
SCHEMA_DDL = (
    "create schema if not exists privacy",
    f"""create table if not exists privacy.erasure_requests (
        request_id varchar primary key,
        received_at timestamp not null,
        identifier_type varchar not null,
        identifier_hash varchar not null,
        identifier_hashes varchar,
        outcome varchar not null,
        {_STEP_COLUMNS},
        error varchar,
        details varchar
    )""",
    """create table if not exists privacy.erasure_receipts (
        request_id varchar not null,
        written_at timestamp not null,
        path varchar not null,
        sha256 varchar not null,
        outcome varchar not null,
        tables_scanned bigint not null,
        rows_matched bigint not null
    )""",
)


class RequestConflictError(ValueError):
    """The request id is already recorded for another identifier."""


@dataclass
class RequestRecord:
    request_id: str
    received_at: datetime
    identifier_type: str
    identifier_hash: str
    outcome: str
    steps: dict[str, str | None]
    identifier_hashes: list[str] = field(default_factory=list)
    details: dict[str, object] = field(default_factory=dict)

    def finished(self, step: str) -> bool:
        return self.steps.get(step) in FINISHED

    @property
    def complete(self) -> bool:
        return all(self.finished(step) for step in STEPS)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for statement in SCHEMA_DDL:
        con.execute(statement)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def read(con: duckdb.DuckDBPyConnection, request_id: str) -> RequestRecord | None:
    ensure_schema(con)
    cursor = con.execute(
        "select * from privacy.erasure_requests where request_id = ?", [request_id]
    )
    row = cursor.fetchone()
    if row is None:
        return None
    values = dict(zip([d[0] for d in cursor.description], row, strict=True))
    return RequestRecord(
        request_id=values["request_id"],
        received_at=values["received_at"],
        identifier_type=values["identifier_type"],
        identifier_hash=values["identifier_hash"],
        outcome=values["outcome"],
        steps={step: values[step] for step in STEPS},
        identifier_hashes=json.loads(values["identifier_hashes"] or "[]"),
        details=json.loads(values["details"] or "{}"),
    )


def open_request(
    con: duckdb.DuckDBPyConnection, request_id: str, identifier: Identifier
) -> RequestRecord:
    """The ledger row of `request_id`, recorded now if new. The same id for another identifier
    is refused: a request id names one request forever."""
    record = read(con, request_id)
    if record is None:
        con.execute(
            "insert into privacy.erasure_requests"
            " (request_id, received_at, identifier_type, identifier_hash, outcome)"
            " values (?, ?, ?, ?, 'in_progress')",
            [request_id, _now(), identifier.type.value, identifier.hash],
        )
        record = read(con, request_id)
        assert record is not None
        return record
    if (record.identifier_type, record.identifier_hash) != (identifier.type.value, identifier.hash):
        raise RequestConflictError(
            f"request {request_id} is already recorded for another identifier; use a new id"
        )
    return record


def mark(
    con: duckdb.DuckDBPyConnection,
    record: RequestRecord,
    step: str,
    status: str,
    *,
    details: dict[str, object] | None = None,
    error: str | None = None,
) -> None:
    """Record a step's status (and time), merging `details` into the request's details."""
    if step not in STEPS:
        raise ValueError(f"unknown erasure step {step!r}")
    record.steps[step] = status
    if details is not None:
        record.details[step] = details
    con.execute(
        f"update privacy.erasure_requests set {step} = ?, {step}_at = ?, details = ?, error = ?"
        " where request_id = ?",
        [status, _now(), json.dumps(record.details, sort_keys=True), error, record.request_id],
    )


def set_identifier_hashes(
    con: duckdb.DuckDBPyConnection, record: RequestRecord, hashes: list[str]
) -> None:
    record.identifier_hashes = hashes
    con.execute(
        "update privacy.erasure_requests set identifier_hashes = ? where request_id = ?",
        [json.dumps(hashes), record.request_id],
    )


def set_outcome(con: duckdb.DuckDBPyConnection, record: RequestRecord, outcome: str) -> None:
    record.outcome = outcome
    con.execute(
        "update privacy.erasure_requests set outcome = ? where request_id = ?",
        [outcome, record.request_id],
    )


def record_receipt(
    con: duckdb.DuckDBPyConnection,
    request_id: str,
    *,
    path: str,
    sha256: str,
    outcome: str,
    tables_scanned: int,
    rows_matched: int,
) -> None:
    con.execute(
        "insert into privacy.erasure_receipts values (?, ?, ?, ?, ?, ?, ?)",
        [request_id, _now(), path, sha256, outcome, tables_scanned, rows_matched],
    )
