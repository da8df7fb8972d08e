"""Carry out one erasure request, step by step, each step's status in the ledger.

Order matters: the person is resolved while the identity graph still knows them; deleted from the
warehouse (and the models rebuilt without them); suppressed, so no load brings them back and no
sync sends to them; removed from every destination that received them; and last, the serving
copies are republished and a receipt proves, by scanning every table, that nothing is left.

A request id names one request forever. Running a complete request again does nothing and answers
with the recorded outcome; running an interrupted or failed one resumes at its first unfinished
step. Between steps nothing holds the warehouse open: dbt, ingestion's suppression list, the
activation erasure and the serving publisher each open it themselves.
"""

from __future__ import annotations

import logging
import re
import secrets as random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from activation.config import ActivationConfig
from activation.erasure import ErasureSubject, erase_from_destinations
from activation.secrets import SecretResolver
from activation.suppression import suppress, suppression_hashes
from ingestion.suppression import add_suppressions
from orchestration.privacy import ledger
from orchestration.privacy.compaction import compact
from orchestration.privacy.deletion import delete_person, rebuild_models
from orchestration.privacy.identifiers import Identifier
from orchestration.privacy.receipt import databases_to_scan, scan_database, write_receipt
from orchestration.privacy.resolve import Person, resolve
from orchestration.serving import publish_serving_copy

log = logging.getLogger(__name__)

REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
ERASED, NO_DATA_HELD, FAILED = "erased", "no_data_held", "failed"


class ErasureStepError(RuntimeError):
    """A step failed; the ledger says which. Run the same request id again to resume."""


class ResolvedPersonMissingError(ErasureStepError):
    """A resumed request lost what it resolved before deleting. Resolving again would ask an
    identity graph the deletion may already have emptied, find only the requested identifier,
    and report success while other stores and destinations still hold the person."""


class StepFailed(Exception):
    """A step ran but did not achieve its aim; `details` are recorded like a finished step's."""

    def __init__(self, message: str, details: dict[str, object]) -> None:
        super().__init__(message)
        self.details = details


@dataclass(frozen=True)
class ErasureSettings:
    """Where things are. `activation` None means no destinations are configured (nothing to
    remove remotely); `dbt_vars` and `dbt_target_dir` go to the rebuild; `restricted_copy` says
    whether the republish writes the raw restricted copy again or deletes one left behind."""

    warehouse: Path
    serving: Path
    privacy_dir: Path
    activation: ActivationConfig | None = None
    secrets: SecretResolver | None = None
    dbt_target_dir: Path | None = None
    dbt_vars: Mapping[str, Any] | None = None
    restricted_copy: bool = False

    @property
    def receipts_dir(self) -> Path:
        return self.privacy_dir / "receipts"

    def pending(self, request_id: str) -> Path:
        return self.privacy_dir / "pending" / f"{request_id}.json"


@dataclass(frozen=True)
class ErasureOutcome:
    request_id: str
    outcome: str
    steps: dict[str, str | None]
    receipt: Path | None
    rows_matched: int | None
    repeated: bool
    """The request was already complete: this run did nothing."""


def new_request_id() -> str:
    return f"erq-{datetime.now(UTC):%Y%m%d%H%M%S}-{random.token_hex(3)}"


def check_request_id(request_id: str) -> str:
    if not REQUEST_ID.match(request_id):
        raise ValueError(
            "a request id is 1-128 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit"
        )
    return request_id


@contextmanager
def _ledger(settings: ErasureSettings) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(settings.warehouse)) as con:
        ledger.ensure_schema(con)
        yield con


def _step(
    settings: ErasureSettings,
    record: ledger.RequestRecord,
    step: str,
    action: Callable[[], tuple[str, dict[str, object]]],
) -> None:
    """Run one unfinished step and record its status; a failure is recorded by error type only
    (an error's text could quote a personal value) and stops the request."""
    if record.finished(step):
        return
    try:
        status, details = action()
    except Exception as exc:
        details = exc.details if isinstance(exc, StepFailed) else None
        with _ledger(settings) as con:
            ledger.mark(con, record, step, "failed", details=details, error=type(exc).__name__)
            ledger.set_outcome(con, record, FAILED)
        log.error("erasure %s: step %s failed (%s)", record.request_id, step, type(exc).__name__)
        raise ErasureStepError(
            f"request {record.request_id}: step {step} failed ({type(exc).__name__});"
            " run the same request id again to resume"
        ) from exc
    with _ledger(settings) as con:
        ledger.mark(con, record, step, status, details=details)
    log.info("erasure %s: %s %s", record.request_id, step, status)


def forget(settings: ErasureSettings, identifier: Identifier, request_id: str) -> ErasureOutcome:
    """Erase the person `identifier` belongs to; see the module docstring for the steps."""
    check_request_id(request_id)
    if not settings.warehouse.exists():
        raise FileNotFoundError(f"warehouse {settings.warehouse} does not exist: nothing to erase")
    with _ledger(settings) as con:
        record = ledger.open_request(con, request_id, identifier)
    if record.complete:
        settings.pending(request_id).unlink(missing_ok=True)
        log.info("erasure %s: already complete (%s), nothing done", request_id, record.outcome)
        return _outcome(settings, record, repeated=True)
    log.info("erasure %s: started for a %s", request_id, identifier.type.value)
    person = _resolved_person(settings, record, identifier)
    _step(settings, record, "warehouse_deleted", lambda: _delete(settings, record, person))
    _step(settings, record, "suppressed", lambda: _suppress(settings, request_id, person))
    _step(settings, record, "destinations", lambda: _remove_from_destinations(settings, person))
    _step(settings, record, "receipt", lambda: _receipt(settings, record, identifier, person))
    settings.pending(request_id).unlink(missing_ok=True)
    return _outcome(settings, record, repeated=False)


def _resolved_person(
    settings: ErasureSettings, record: ledger.RequestRecord, identifier: Identifier
) -> Person:
    """Resolve once and keep the result until the receipt: after the deletion the identity
    graph no longer knows the person, so a resumed request reads what was resolved. Once the
    step is recorded, a missing file is refused rather than resolved again: a crash inside the
    deletion leaves no status, so nothing proves the graph still knows the person."""
    pending = settings.pending(record.request_id)
    if record.finished("resolved"):
        if not pending.exists():
            raise ResolvedPersonMissingError(
                f"request {record.request_id}: the identifiers resolved before deletion"
                f" ({pending}) are missing, so it cannot resume safely; restore that file and"
                " run it again, or, only if nothing was deleted yet, use a new request id"
            )
        return Person.load(pending)
    resolved: list[Person] = []

    def action() -> tuple[str, dict[str, object]]:
        with duckdb.connect(str(settings.warehouse)) as con:
            person = resolve(con, identifier)
            ledger.set_identifier_hashes(con, record, person.hashes())
        person.save(pending)
        resolved.append(person)
        return "done", {**person.counts(), "known": person.known}

    record.steps["resolved"] = None
    _step(settings, record, "resolved", action)
    return resolved[0]


def _delete(
    settings: ErasureSettings, record: ledger.RequestRecord, person: Person
) -> tuple[str, dict[str, object]]:
    with duckdb.connect(str(settings.warehouse)) as con:
        result = delete_person(con, person)
    attempted_before = record.steps.get("warehouse_deleted") is not None
    if not (result.total_deleted or person.known or attempted_before):
        return "skipped", {"rows_deleted": 0}
    seconds = rebuild_models(
        settings.warehouse, target_dir=settings.dbt_target_dir, dbt_vars=settings.dbt_vars
    )
    return "done", {
        "rows_deleted": result.total_deleted,
        "rows_deleted_by_table": result.rows_deleted,
        "rows_redacted_by_table": result.rows_redacted,
        "dbt_rebuild_seconds": round(seconds, 1),
    }


def _suppress(
    settings: ErasureSettings, request_id: str, person: Person
) -> tuple[str, dict[str, object]]:
    ingestion_new = add_suppressions(
        settings.warehouse,
        request_id,
        emails=person.emails,
        phones=person.phones,
        source_records=person.source_records,
    )
    activation_new = suppress(
        settings.warehouse,
        suppression_hashes(person.emails, person.phones, person.customer_ids),
        f"erasure {request_id}",
    )
    return "done", {"ingestion_new": ingestion_new, "activation_new": activation_new}


def _remove_from_destinations(
    settings: ErasureSettings, person: Person
) -> tuple[str, dict[str, object]]:
    if settings.activation is None or settings.secrets is None:
        return "skipped", {"reason": "no activation configuration", "removals": []}
    removals = erase_from_destinations(
        settings.warehouse,
        settings.activation,
        settings.secrets,
        ErasureSubject(person.customer_ids, person.emails, person.phones),
    )
    listed = [
        {
            "destination": removal.destination,
            "sync": removal.sync,
            "status": removal.status,
            "detail": removal.detail,
        }
        for removal in removals
    ]
    failed = [removal.sync for removal in removals if removal.status == "failed"]
    if failed:
        raise StepFailed(f"removal failed for sync(s) {', '.join(failed)}", {"removals": listed})
    return ("done" if removals else "skipped"), {"removals": listed}


def _receipt(
    settings: ErasureSettings,
    record: ledger.RequestRecord,
    identifier: Identifier,
    person: Person,
) -> tuple[str, dict[str, object]]:
    """Rewrite the warehouse file, republish the serving copies, scan everything, write the
    receipt. Rows still found mark the deletion failed too, so running the request again deletes
    and scans again."""
    bytes_before, bytes_after = compact(settings.warehouse)
    publish_serving_copy(settings.warehouse, settings.serving, restricted=settings.restricted_copy)
    scans = [scan_database(path, person) for path in databases_to_scan(settings.warehouse)]
    rows_matched = sum(scan.total for scan in scans)
    deleted = record.details.get("warehouse_deleted", {})
    removals = record.details.get("destinations", {})
    held = (
        person.known
        or bool(isinstance(deleted, dict) and deleted.get("rows_deleted"))
        or bool(isinstance(removals, dict) and removals.get("removals"))
    )
    outcome = FAILED if rows_matched else (ERASED if held else NO_DATA_HELD)
    receipt = write_receipt(
        settings.receipts_dir,
        record.request_id,
        outcome=outcome,
        request={
            "received_at": record.received_at.isoformat(timespec="seconds"),
            "identifier_type": identifier.type.value,
            "identifier_sha256": identifier.hash,
            "resolved_identifiers_sha256": person.hashes(),
            "resolved_counts": person.counts(),
            "known_to_identity_graph": person.known,
        },
        scans=scans,
        steps={step: _step_summary(record, step) for step in ledger.STEPS[:-1]}
        | {"warehouse_rewrite": {"bytes_before": bytes_before, "bytes_after": bytes_after}},
    )
    with _ledger(settings) as con:
        ledger.record_receipt(
            con,
            record.request_id,
            path=str(receipt.path),
            sha256=receipt.sha256,
            outcome=outcome,
            tables_scanned=receipt.tables_scanned,
            rows_matched=rows_matched,
        )
        ledger.set_outcome(con, record, outcome)
        if rows_matched:
            ledger.mark(con, record, "warehouse_deleted", "failed", error="RowsStillFound")
    summary = {
        "path": str(receipt.path),
        "tables_scanned": receipt.tables_scanned,
        "rows_matched": rows_matched,
    }
    if rows_matched:
        raise StepFailed(f"{rows_matched} row(s) still mention the person", summary)
    return "done", summary


def _step_summary(record: ledger.RequestRecord, step: str) -> dict[str, object]:
    details = record.details.get(step)
    return {"status": record.steps.get(step), **(details if isinstance(details, dict) else {})}


def _outcome(
    settings: ErasureSettings, record: ledger.RequestRecord, *, repeated: bool
) -> ErasureOutcome:
    receipt = settings.receipts_dir / f"{record.request_id}.json"
    with _ledger(settings) as con:
        row = con.execute(
            "select rows_matched from privacy.erasure_receipts where request_id = ?"
            " order by written_at desc limit 1",
            [record.request_id],
        ).fetchone()
    return ErasureOutcome(
        request_id=record.request_id,
        outcome=record.outcome,
        steps=dict(record.steps),
        receipt=receipt if receipt.exists() else None,
        rows_matched=int(row[0]) if row else None,
        repeated=repeated,
    )
