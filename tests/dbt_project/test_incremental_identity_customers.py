"""Stable customer ids when a run stops between int_identity__links and the customer ids.

int_identity__record_customers reads only the links resolved since the ones it has consumed. A
copy of the built S warehouse gets a new person; then a record that joins that person to an
existing customer, built only as far as the links (as when a run fails right after them); then
another new person, built through the customer ids. The merge the stopped run left must be
applied by the next run although its links are not the latest, and the customer ids must equal
those of a copy that reads every link (no mark of consumed links, as on the first run that keeps
one).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from ingestion.pipelines import load_all
from orchestration.dbt_runner import run_dbt
from tests.dbt_project.test_stable_customer_ids import write_vnpay_delivery

pytestmark = pytest.mark.slow

AS_OF = {"as_of": "2026-11-05"}
NEW_PERSON = {"email": "khach.dung.20261103@example.vn", "phone": "0987 000 222"}
LATER_PERSON = {"email": "khach.sau.20261105@example.vn", "phone": "0987 000 333"}
NEW_RECORD = "vnpay:transactions:DH2026110300002"
BRIDGE_RECORD = "vnpay:transactions:DH2026110400002"
LATER_RECORD = "vnpay:transactions:DH2026110500002"
ASSIGNMENTS = """
select
    record_key, customer_id, previous_customer_id, change_reason,
    nullif(assigned_at, latest.at) as assigned_before_the_last_run,
    nullif(customer_created_at, latest.at) as created_before_the_last_run
from intermediate.int_identity__record_customers,
    (select max(assigned_at) as at from intermediate.int_identity__record_customers) as latest
order by all
"""
"""The customer ids with the last run's time left out, which differs between the two copies."""


@dataclass(frozen=True)
class Builds:
    incremental: Path
    every_link: Path
    anchor_record: str
    anchor_customer: str


def _run(warehouse: Path, target: Path, model: str) -> None:
    run_dbt(
        ["run", "--select", "+" + model], warehouse, target_dir=target, dbt_vars=AS_OF
    ).raise_on_failure()


def _deliver(root: Path, warehouse: Path, name: str, txn_ref: str, person: dict[str, str]) -> None:
    landing = root / f"landing_{txn_ref}"
    write_vnpay_delivery(landing, name, txn_ref, person["email"], person["phone"])
    load_all(landing, warehouse, systems=["vnpay"])


def _anchor(warehouse: Path) -> tuple[str, str, str]:
    """A customer with a Vietnamese phone: one of its records, its id and the phone as typed."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        customer, phone = con.execute(
            "select customer_id, identifier_value from marts.customer_identifiers "
            "where identifier_type = 'phone' and identifier_value like '+84%' "
            "order by customer_id limit 1"
        ).fetchone()
        record = con.execute(
            "select record_key from intermediate.int_identity__record_customers "
            "where customer_id = ? order by 1 limit 1",
            [customer],
        ).fetchone()[0]
    return record, customer, "0" + phone.removeprefix("+84")


@pytest.fixture(scope="module")
def builds(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Builds:
    root = tmp_path_factory.mktemp("incremental_identity_customers")
    warehouse = root / "incremental.duckdb"
    shutil.copy(built_warehouse, warehouse)
    anchor_record, anchor_customer, anchor_phone = _anchor(warehouse)

    _deliver(root, warehouse, "transactions_20261103.csv", NEW_RECORD.split(":")[-1], NEW_PERSON)
    _run(warehouse, root / "target", "int_identity__record_customers")
    bridge = {"email": NEW_PERSON["email"], "phone": anchor_phone}
    _deliver(root, warehouse, "transactions_20261104.csv", BRIDGE_RECORD.split(":")[-1], bridge)
    _run(warehouse, root / "target", "int_identity__links")
    _deliver(
        root, warehouse, "transactions_20261105.csv", LATER_RECORD.split(":")[-1], LATER_PERSON
    )

    every_link = root / "every_link.duckdb"
    shutil.copy(warehouse, every_link)
    with duckdb.connect(str(every_link)) as con:
        con.execute("drop table intermediate.int_identity__record_customers__links_consumed")
    _run(warehouse, root / "target", "int_identity__record_customers")
    _run(every_link, root / "target_every_link", "int_identity__record_customers")
    return Builds(warehouse, every_link, anchor_record, anchor_customer)


def _rows(warehouse: Path, query: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(query).fetchall()


def _customer_of(warehouse: Path) -> dict[str, str]:
    return dict(
        _rows(
            warehouse,
            "select record_key, customer_id from intermediate.int_identity__record_customers",
        )
    )


def test_the_merge_left_by_the_stopped_run_is_applied(builds: Builds) -> None:
    customer = _customer_of(builds.incremental)
    merges = _rows(
        builds.incremental,
        "select record_key, previous_customer_id from intermediate.int_identity__record_customers"
        " where change_reason = 'merge'",
    )
    assert customer[builds.anchor_record] == builds.anchor_customer
    assert customer[NEW_RECORD] == customer[BRIDGE_RECORD] == builds.anchor_customer
    assert [record for record, _ in merges] == [NEW_RECORD]
    assert customer[LATER_RECORD] not in {builds.anchor_customer, merges[0][1]}


def test_the_merged_links_are_not_the_latest_the_model_read(builds: Builds) -> None:
    """The merge came from the links of the stopped run: reading only the latest links run's rows
    would have missed it."""
    resolved = dict(
        _rows(
            builds.incremental,
            "select record_key, max(resolved_at) from intermediate.int_identity__links"
            f" where record_key in ('{BRIDGE_RECORD}', '{LATER_RECORD}') group by 1",
        )
    )
    assert resolved[BRIDGE_RECORD] < resolved[LATER_RECORD]


def test_the_customer_ids_equal_those_of_reading_every_link(builds: Builds) -> None:
    incremental = _rows(builds.incremental, ASSIGNMENTS)
    assert incremental
    assert incremental == _rows(builds.every_link, ASSIGNMENTS)
