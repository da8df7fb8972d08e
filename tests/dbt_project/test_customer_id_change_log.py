"""A customer id that changes twice, with a stopped run in between, keeps both changes.

A copy of the built S warehouse gets three new people (an email each, no phone), built through
customer_id_changes and customer_identifiers. Then two records bridge the youngest person to the
middle one through one phone, built only as far as the customer ids (as when a test fails right
after them): the youngest's record changes P -> Y. Then a record puts the oldest person's email
on that phone, built whole: the same record changes Y -> O, and int_identity__record_customers
overwrites its row of the first change. customer_id_changes must hold both, from the log of
changes (macros/identity/customer_id_change_log.sql); an erasure must find the ids only the log
knows and leave none of them in it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from ingestion.pipelines import load_all
from orchestration.dbt_runner import run_dbt
from orchestration.privacy.deletion import delete_person
from orchestration.privacy.identifiers import parse_identifier
from orchestration.privacy.resolve import resolve
from tests.dbt_project.test_stable_customer_ids import write_vnpay_delivery

pytestmark = pytest.mark.slow

AS_OF = {"as_of": "2026-11-05"}
LOG = "intermediate.int_identity__record_customers__id_changes"
PEOPLE = {
    "DH2026110300011": "khach.mot.20261103@example.vn",
    "DH2026110300012": "khach.hai.20261103@example.vn",
    "DH2026110300013": "khach.ba.20261103@example.vn",
}
BRIDGE_PHONE = "0987 000 444"
WHOLE = ("+customer_id_changes", "+customers", "+customer_identifiers")
"""A whole build, as far as these tests look: the id changes, and the customers and identifiers
an erasure resolves through."""


@dataclass(frozen=True)
class Builds:
    stopped: Path
    """The warehouse after the run that stopped after the customer ids."""
    final: Path
    oldest: str
    middle: str
    youngest: str
    youngest_email: str


def _dbt(warehouse: Path, target: Path, command: str, *selection: str) -> None:
    run_dbt(
        [command, "--select", *selection], warehouse, target_dir=target, dbt_vars=AS_OF
    ).raise_on_failure()


def _deliver(landing: Path, warehouse: Path, records: dict[str, tuple[str, str]]) -> None:
    """One VNPay file per record: transaction ref (`DH<YYYYMMDD><n>`) -> (email, phone)."""
    for txn_ref, (email, phone) in records.items():
        name = f"transactions_{txn_ref[2:10]}_{txn_ref[10:]}.csv"
        write_vnpay_delivery(landing, name, txn_ref, email, phone)
    load_all(landing, warehouse, systems=["vnpay"])


def _rows(warehouse: Path, query: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(query).fetchall()


@pytest.fixture(scope="module")
def builds(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Builds:
    root = tmp_path_factory.mktemp("customer_id_change_log")
    warehouse = root / "cdp.duckdb"
    shutil.copy(built_warehouse, warehouse)
    target = root / "dbt_target"

    _deliver(root / "landing_1", warehouse, {ref: (email, "") for ref, email in PEOPLE.items()})
    _dbt(warehouse, target, "build", *WHOLE)
    ids = dict(
        _rows(
            warehouse,
            "select record_key, customer_id from intermediate.int_identity__record_customers",
        )
    )
    # Created by the same run, the customers are as old as each other: the smaller id is older.
    by_age = sorted((ids[f"vnpay:transactions:{ref}"], email) for ref, email in PEOPLE.items())
    (oldest, oldest_email), (middle, middle_email), (youngest, youngest_email) = by_age

    _deliver(
        root / "landing_2",
        warehouse,
        {
            "DH2026110400011": (youngest_email, BRIDGE_PHONE),
            "DH2026110400012": (middle_email, BRIDGE_PHONE),
        },
    )
    _dbt(warehouse, target, "run", "+int_identity__record_customers")
    stopped = root / "stopped.duckdb"
    shutil.copy(warehouse, stopped)

    _deliver(root / "landing_3", warehouse, {"DH2026110500011": (oldest_email, BRIDGE_PHONE)})
    _dbt(warehouse, target, "build", *WHOLE)
    return Builds(stopped, warehouse, oldest, middle, youngest, youngest_email)


def test_a_record_changed_twice_across_a_stopped_run_keeps_both_changes(builds: Builds) -> None:
    changes = _rows(
        builds.final,
        "select old_customer_id, new_customer_id, reason from marts.customer_id_changes",
    )
    assert (builds.youngest, builds.middle, "merge") in changes
    assert (builds.middle, builds.oldest, "merge") in changes
    overwritten = _rows(
        builds.final,
        "select count(*) from intermediate.int_identity__record_customers"
        f" where previous_customer_id = '{builds.youngest}'",
    )
    assert overwritten == [(0,)]


def test_the_log_holds_every_change_customer_id_changes_holds(builds: Builds) -> None:
    recorded = "select old_customer_id, new_customer_id, changed_at, reason from "
    logged = set(_rows(builds.final, recorded + LOG))
    assert set(_rows(builds.final, recorded + "marts.customer_id_changes")) <= logged
    assert (builds.youngest, builds.middle) in {(old, new) for old, new, _, _ in logged}


def test_an_erasure_after_a_stopped_run_finds_and_deletes_the_ids_only_the_log_holds(
    builds: Builds, tmp_path: Path
) -> None:
    warehouse = tmp_path / "cdp.duckdb"
    shutil.copy(builds.stopped, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        person = resolve(con, parse_identifier("email", builds.youngest_email))
        assert {builds.youngest, builds.middle} <= set(person.customer_ids)
        delete_person(con, person)
        left = con.execute(
            f"select count(*) from {LOG}"
            " where list_contains($ids, old_customer_id) or list_contains($ids, new_customer_id)",
            {"ids": [builds.youngest, builds.middle]},
        ).fetchone()
    assert left == (0,)
