"""Resuming a request whose resolved identifiers were lost: after the deletion the identity graph
no longer knows the person, so resolving again would find only the requested identifier and
report success. The request is refused instead, naming the request and the missing file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.privacy import erasure
from orchestration.privacy.deletion import DeletionResult
from orchestration.privacy.erasure import ErasureSettings, ResolvedPersonMissingError, forget
from orchestration.privacy.identifiers import parse_identifier
from orchestration.privacy.resolve import Person

REQUEST_ID = "dsr-resume-1"
EMAIL = "ann@example.com"


def _warehouse(path: Path) -> Path:
    """A warehouse whose identity graph knows Ann by her email, phone and one source record."""
    with duckdb.connect(str(path)) as con:
        for statement in (
            "create schema marts",
            "create table marts.customers (customer_id varchar, email varchar, phone varchar)",
            f"insert into marts.customers values ('cus_ann', '{EMAIL}', '+84912345678')",
            "create table marts.customer_identifiers"
            " (identifier_type varchar, identifier_value varchar, customer_id varchar)",
            f"insert into marts.customer_identifiers values ('email', '{EMAIL}', 'cus_ann'),"
            " ('phone', '+84912345678', 'cus_ann')",
            "create table marts.customer_source_records (source varchar,"
            " source_table varchar, source_record_id varchar, customer_id varchar)",
            "insert into marts.customer_source_records values"
            " ('hubspot', 'contacts', '1001', 'cus_ann')",
        ):
            con.execute(statement)
    return path


def _delete_then_crash(con: duckdb.DuckDBPyConnection, person: Person) -> DeletionResult:
    """The deletion commits and the process dies before the step is recorded; deleting again
    finds nothing more."""
    deleted = con.execute(
        "select count(*) from marts.customers where customer_id = 'cus_ann'"
    ).fetchone()
    for table in ("customer_identifiers", "customer_source_records", "customers"):
        con.execute(f"delete from marts.{table} where customer_id = 'cus_ann'")
    if deleted and deleted[0]:
        raise SystemError("killed during the deletion")
    return DeletionResult({}, {})


def test_a_resume_without_the_resolved_identifiers_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = ErasureSettings(
        warehouse=_warehouse(tmp_path / "cdp.duckdb"),
        serving=tmp_path / "serving.duckdb",
        privacy_dir=tmp_path / "privacy",
    )
    identifier = parse_identifier("email", EMAIL)
    monkeypatch.setattr(erasure, "delete_person", _delete_then_crash)
    monkeypatch.setattr(erasure, "rebuild_models", lambda *args, **kwargs: 0.0)
    with pytest.raises(erasure.ErasureStepError):
        forget(settings, identifier, REQUEST_ID)
    assert Person.load(settings.pending(REQUEST_ID)).phones == ("+84912345678",)
    settings.pending(REQUEST_ID).unlink()

    with pytest.raises(ResolvedPersonMissingError, match=REQUEST_ID) as refused:
        forget(settings, identifier, REQUEST_ID)
    assert str(settings.pending(REQUEST_ID)) in str(refused.value)
    assert EMAIL not in str(refused.value)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        steps = con.execute(
            "select outcome, resolved, warehouse_deleted, suppressed, receipt"
            " from privacy.erasure_requests where request_id = ?",
            [REQUEST_ID],
        ).fetchone()
    assert steps == ("failed", "done", "failed", None, None)
