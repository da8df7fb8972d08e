"""customer_identifiers compares the fingerprints of candidate customers only (macros/marts/
changed_customers.sql). Each test changes the identity tables the way one safeguard exists for,
with nothing else marking the change, then an incremental run of the mart must leave the rows a
rebuild from scratch of the same inputs leaves (both ways, duplicates counted) and differ from
before."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.dbt_project.test_incremental_customer_marts import _run
from tests.dbt_project.test_incremental_staging import _rows

pytestmark = pytest.mark.slow

MART = "customer_identifiers"
IDENTITY = "intermediate.int_identity__record_customers"


def _record_of_a_customer_with_linked_records(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """A record with a linked identifier no other record carries, and its customer, which has
    other records: whatever happens to the record shows in the mart."""
    row = con.execute(
        "select links.record_key, assignments.customer_id"
        " from intermediate.int_identity__links as links"
        f" join {IDENTITY} as assignments using (record_key)"
        " where links.link_status = 'linked' and assignments.customer_id in ("
        f"  select customer_id from {IDENTITY} group by 1 having count(*) > 1)"
        "  and not exists (select 1 from intermediate.int_identity__links as other"
        "   where other.link_status = 'linked' and other.record_key <> links.record_key"
        "    and other.identifier_type = links.identifier_type"
        "    and other.identifier_value = links.identifier_value)"
        " order by 2, 1 limit 1"
    ).fetchone()
    assert row
    return str(row[0]), str(row[1])


def _move_twice(con: duckdb.DuckDBPyConnection) -> None:
    """A record moves to a new customer in two identity runs the mart did not see: its row
    names only the second move (`previous_customer_id` is the customer between), so only the
    mart's own record customers tell which customer lost it."""
    record, _ = _record_of_a_customer_with_linked_records(con)
    con.execute(
        f"update {IDENTITY} set customer_id = 'cus_moved_twice',"
        " previous_customer_id = 'cus_between', change_reason = 'split',"
        f" assigned_at = (select max(assigned_at) from {IDENTITY}) + interval 1 day"
        " where record_key = ?",
        [record],
    )


def _drop_a_record(con: duckdb.DuckDBPyConnection) -> None:
    """A record leaves int_identity__records and its link rows go, while no other row of its
    component is resolved again: only the mart's record customers still name it."""
    record, _ = _record_of_a_customer_with_linked_records(con)
    con.execute("delete from intermediate.int_identity__records where record_key = ?", [record])
    con.execute("delete from intermediate.int_identity__links where record_key = ?", [record])


def _resolve_a_link_again(con: duckdb.DuckDBPyConnection) -> None:
    """A link row rewritten with a new value and a new `resolved_at`, as int_identity__links
    writes a changed component."""
    record, _ = _record_of_a_customer_with_linked_records(con)
    con.execute(
        "update intermediate.int_identity__links set identifier_value = identifier_value || '~',"
        " resolved_at = (select max(resolved_at) from intermediate.int_identity__links)"
        " + interval 1 day"
        " where record_key = ? and link_status = 'linked'",
        [record],
    )


@pytest.mark.parametrize("change", [_move_twice, _drop_a_record, _resolve_a_link_again])
def test_an_incremental_run_finds_the_changed_customer(
    built_warehouse: Path,
    tmp_path: Path,
    change: Callable[[duckdb.DuckDBPyConnection], None],
) -> None:
    warehouse = tmp_path / "incremental.duckdb"
    shutil.copy(built_warehouse, warehouse)
    query = f"select * from marts.{MART}"
    before = _rows(warehouse, query)
    with duckdb.connect(str(warehouse)) as con:
        change(con)
    full = tmp_path / "full.duckdb"
    shutil.copy(warehouse, full)
    _run(warehouse, tmp_path / "target", [MART])
    _run(full, tmp_path / "target_full", [MART], "--full-refresh")
    rebuilt = _rows(full, query)
    assert rebuilt != before
    assert _rows(warehouse, query) == rebuilt
    fingerprints = f"select * from intermediate.{MART}__input_fingerprints"
    assert _rows(warehouse, fingerprints) == _rows(full, fingerprints)


def test_a_run_only_compares_the_candidates(built_warehouse: Path, tmp_path: Path) -> None:
    """With nothing changed there is no candidate; a stored fingerprint outside the candidates
    is not looked at (which is what makes the run cheap), so a planted wrong one survives."""
    warehouse = tmp_path / "incremental.duckdb"
    shutil.copy(built_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        _, customer = _record_of_a_customer_with_linked_records(con)
        con.execute(
            f"update intermediate.{MART}__input_fingerprints set fingerprint = 0"
            " where customer_id = ?",
            [customer],
        )
    _run(warehouse, tmp_path / "target", [MART])
    assert _rows(
        warehouse,
        f"select fingerprint from intermediate.{MART}__input_fingerprints where customer_id = ?",
        customer,
    ) == [(0,)]
