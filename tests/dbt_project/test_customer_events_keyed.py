"""customer_events rewrites only the keyed events (orders, refunds, leads, clicks) that differ from
their records now. The changes planted here keep each record's `load_id` (keyed staging
re-inserts a stored row with its old lineage) and the assignments' `assigned_at` (so the consumed
mark sees nothing new): only the comparison with the stored events can find them. An incremental
build must then leave the rows a `--full-refresh` on the same input builds.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_runner import run_dbt
from tests.dbt_project.dbt_invocations import last_invocation_start
from tests.dbt_project.stored_events import StoredEvent, stored_events

pytestmark = pytest.mark.slow

AS_OF = {"as_of": "2026-11-05"}


@dataclass(frozen=True)
class Planted:
    withdrawn_charge: str
    corrected_charge: str
    corrected_amount_usd: float
    deleted_refund: str
    moved_lead: str
    lead_customer: str
    repeated_charge: str


@dataclass(frozen=True)
class Builds:
    incremental: Path
    full: Path
    planted: Planted
    events_before: dict[str, StoredEvent]
    """customer_events before the incremental run."""


def _first(con: duckdb.DuckDBPyConnection, source_table: str, count: int = 1) -> list[tuple]:
    return con.execute(
        "select source_record_id, customer_id from marts.customer_events"
        " where source_table = ? order by event_id limit ?",
        [source_table, count],
    ).fetchall()


def _plant_changes(warehouse: Path) -> Planted:
    """A charge corrected to failed, a charge corrected to another amount, a refund deleted, and
    a lead whose record moves to another customer, all in place; and the charge whose order
    `_repeat_order` stores twice."""
    with duckdb.connect(str(warehouse)) as con:
        (withdrawn, _), (corrected, _), (repeated, _) = _first(con, "charges", 3)
        (corrected_amount,) = con.execute(
            "select amount_usd from marts.customer_events where source_record_id = ?", [corrected]
        ).fetchone()
        ((refund, _),) = _first(con, "refunds")
        ((lead, old_customer),) = _first(con, "leads")
        (other_customer,) = con.execute(
            "select min(customer_id) from marts.customers where customer_id <> ?", [old_customer]
        ).fetchone()
        con.execute(
            "update staging.stg_stripe__charges set is_succeeded = false where charge_id = ?",
            [withdrawn],
        )
        con.execute(
            "update staging.stg_stripe__charges set amount = amount + 1 where charge_id = ?",
            [corrected],
        )
        con.execute("delete from staging.stg_stripe__refunds where refund_id = ?", [refund])
        con.execute(
            "update intermediate.int_identity__record_customers set customer_id = ?"
            " where record_key = ?",
            [other_customer, f"facebook_ads:leads:{lead}"],
        )
    return Planted(withdrawn, corrected, corrected_amount, refund, lead, other_customer, repeated)


def _repeat_order(warehouse: Path, charge: str) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into marts.customer_events select * from marts.customer_events"
            " where source_record_id = ?",
            [charge],
        )


def _build_events(warehouse: Path, target: Path, *extra: str) -> None:
    run_dbt(
        ["run", "--select", "customer_events", *extra],
        warehouse,
        target_dir=target,
        dbt_vars=AS_OF,
    ).raise_on_failure()


@pytest.fixture(scope="module")
def builds(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Builds:
    root = tmp_path_factory.mktemp("customer_events_keyed")
    incremental = root / "incremental.duckdb"
    shutil.copy(built_warehouse, incremental)
    planted = _plant_changes(incremental)
    events_before = stored_events(incremental)
    _repeat_order(incremental, planted.repeated_charge)
    full = root / "full.duckdb"
    shutil.copy(incremental, full)
    _build_events(incremental, root / "target")
    _build_events(full, root / "target_full", "--full-refresh")
    return Builds(incremental=incremental, full=full, planted=planted, events_before=events_before)


def _rows(warehouse: Path, query: str, *params: object) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return sorted(con.execute(query, list(params)).fetchall(), key=repr)


def test_an_incremental_build_leaves_the_rows_of_a_full_rebuild(builds: Builds) -> None:
    """Every column but `written_at`, which the rebuild renews on every row."""
    query = "select * exclude (written_at) from marts.customer_events"
    incremental = _rows(builds.incremental, query)
    assert incremental == _rows(builds.full, query)
    assert incremental


@pytest.mark.parametrize("planted", ["withdrawn_charge", "deleted_refund"])
def test_a_withdrawn_record_leaves_no_event(builds: Builds, planted: str) -> None:
    """A charge corrected to failed leaves no order, a deleted refund no refund."""
    events = _rows(
        builds.incremental,
        "select count(*) from marts.customer_events where source_record_id = ?",
        getattr(builds.planted, planted),
    )
    assert events == [(0,)]


def test_a_corrected_amount_replaces_the_order(builds: Builds) -> None:
    (amount,) = _rows(
        builds.incremental,
        "select amount_usd from marts.customer_events where source_record_id = ?",
        builds.planted.corrected_charge,
    )
    assert amount[0] > builds.planted.corrected_amount_usd


def test_a_lead_whose_record_moved_follows_its_new_customer(builds: Builds) -> None:
    customers = _rows(
        builds.incremental,
        "select customer_id from marts.customer_events where event_id = ?",
        f"facebook_ads:leads:{builds.planted.moved_lead}",
    )
    assert customers == [(builds.planted.lead_customer,)]


def test_an_order_stored_twice_is_written_once(builds: Builds) -> None:
    """Equal in every column to its record, each copy alone would stay: the repeated id is what
    sends it to be rewritten."""
    stamps = _rows(
        builds.incremental,
        "select written_at from marts.customer_events where source_record_id = ?",
        builds.planted.repeated_charge,
    )
    assert stamps == [(last_invocation_start(builds.incremental),)]


def test_an_incremental_build_stamps_the_events_it_writes_and_leaves_the_others(
    builds: Builds,
) -> None:
    planted = builds.planted
    rewritten = {
        f"stripe:charges:{planted.corrected_charge}",
        f"facebook_ads:leads:{planted.moved_lead}",
        f"stripe:charges:{planted.repeated_charge}",
    }
    gone = {
        f"stripe:charges:{planted.withdrawn_charge}",
        f"stripe:refunds:{planted.deleted_refund}",
    }
    events = stored_events(builds.incremental)
    written = {event_id: events[event_id].written_at for event_id in rewritten}
    untouched = {event_id: event for event_id, event in events.items() if event_id not in rewritten}

    assert written == dict.fromkeys(rewritten, last_invocation_start(builds.incremental))
    assert untouched == {
        event_id: event
        for event_id, event in builds.events_before.items()
        if event_id not in rewritten | gone
    }


def test_a_full_rebuild_stamps_every_event_with_its_start(builds: Builds) -> None:
    stamps = _rows(builds.full, "select distinct written_at from marts.customer_events")
    assert stamps == [(last_invocation_start(builds.full),)]
