"""Models that read the rows stamped after their mark still see every change when the machine's
clock has gone back behind the stamps (an NTP step, a VM restored from a snapshot).

int_identity__record_customers reads the links whose `resolved_at` is above its mark
`links_consumed`; customer_events re-keys the email activity of the records whose `assigned_at`
is above its mark `assignments_seen`; customer_id_changes appends the id changes stamped after
the newest it holds (macros/incremental/consumed_marks.sql). A copy of the built S warehouse gets
every stamp and mark set a day ahead of now, as if the runs that wrote them had a clock a day fast.
Then:
  - an erasure's rebuild (`dbt run --full-refresh`, which keeps the customer ids incremental)
    after a new person arrives: the person must get a customer id;
  - an incremental run after a record joins a Mailchimp member's customer to an older customer:
    the member's records must move to the older id, the merge must be recorded, and the
    member's email activity must be re-keyed to it.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import duckdb
import pytest

from ingestion.pipelines import load_all
from orchestration.dbt_runner import run_dbt
from orchestration.privacy.deletion import rebuild_models
from tests.dbt_project.test_stable_customer_ids import write_vnpay_delivery

pytestmark = pytest.mark.slow

AS_OF = {"as_of": "2026-11-05"}
NEW_PERSON = {"email": "khach.dong.ho.20261103@example.vn", "phone": "0987 000 444"}
NEW_RECORD = "vnpay:transactions:DH2026110300004"
BRIDGE_RECORD = "vnpay:transactions:DH2026110400004"

STAMPS = {
    "intermediate.int_identity__links": "resolved_at",
    "intermediate.int_identity__record_customers__links_consumed": "resolved_at",
    "intermediate.int_identity__record_customers": "assigned_at",
    "intermediate.customer_events__assignments_seen": "assigned_at",
    "marts.customer_id_changes": "changed_at",
}
"""Every stamp and mark the consumers compare, by table."""


def set_the_clock_back(warehouse: Path) -> datetime:
    """Moves every stamp and mark a day past the newest stamp or now, whichever is later: the
    machine's clock now stands a day behind what the stored runs saw. Returns that instant."""
    with duckdb.connect(str(warehouse)) as con:
        stored = [
            con.execute(f"select max({column}) from {table}").fetchone()[0]
            for table, column in STAMPS.items()
        ]
        now = datetime.now(UTC).replace(tzinfo=None)
        ahead = max([now, *(stamp for stamp in stored if stamp)]) + timedelta(days=1)
        for table, column in STAMPS.items():
            con.execute(f"update {table} set {column} = ?", [ahead])
    return ahead


def _deliver(root: Path, warehouse: Path, name: str, txn_ref: str, person: dict[str, str]) -> None:
    landing = root / f"landing_{txn_ref}"
    write_vnpay_delivery(landing, name, txn_ref, person["email"], person["phone"])
    load_all(landing, warehouse, systems=["vnpay"])


def _rows(warehouse: Path, query: str, parameters: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(query, parameters or []).fetchall()


def _customer_of(warehouse: Path, record_key: str) -> str | None:
    rows = _rows(
        warehouse,
        "select customer_id from intermediate.int_identity__record_customers where record_key = ?",
        [record_key],
    )
    return rows[0][0] if rows else None


@pytest.fixture(scope="module")
def erased(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new person delivered after the clock went back, then an erasure's rebuild."""
    root = tmp_path_factory.mktemp("clock_back_erasure")
    warehouse = root / "cdp.duckdb"
    shutil.copy(built_warehouse, warehouse)
    set_the_clock_back(warehouse)
    _deliver(root, warehouse, "transactions_20261103.csv", NEW_RECORD.split(":")[-1], NEW_PERSON)
    rebuild_models(warehouse, target_dir=root / "target", dbt_vars=AS_OF)
    return warehouse


def test_an_erasure_rebuild_gives_a_new_person_a_customer_id(erased: Path) -> None:
    customer = _customer_of(erased, NEW_RECORD)
    assert customer is not None
    assert _rows(
        erased,
        "select customer_id from marts.customers where customer_id = ?",
        [customer],
    ) == [(customer,)]


class Merge(NamedTuple):
    warehouse: Path
    member_record: str
    member_customer: str
    older_customer: str
    clock_ahead: datetime


def _member_and_older_customer(warehouse: Path) -> tuple[str, str, str, str, str]:
    """A Mailchimp member with email activity whose customer has the largest id of those, its
    email, and a customer with a smaller id (the older, as all were created by one run) holding
    a linked phone and no identifier a merge would exceed its limit of, with that phone as typed."""
    (member_record, member_customer, email) = _rows(
        warehouse,
        """
        select records.record_key, records.customer_id, emails.identifier_value
        from intermediate.int_identity__record_customers as records
        join intermediate.int_identity__links as emails
            on emails.record_key = records.record_key
            and emails.identifier_type = 'email' and emails.link_status = 'linked'
        where records.record_key like 'mailchimp:members:%'
            and records.customer_id in (
                select customer_id from marts.customer_events where event_type like 'email_%'
            )
        order by records.customer_id desc, emails.identifier_value
        limit 1
        """,
    )[0]
    (older_customer, phone) = _rows(
        warehouse,
        """
        select phones.customer_id, phones.identifier_value
        from marts.customer_identifiers as phones
        where phones.identifier_type = 'phone' and phones.identifier_value like '+84%'
            and phones.customer_id < ?
            and phones.customer_id not in (
                select customer_id from marts.customer_identifiers
                where identifier_type in (
                    'mailchimp_member_id', 'hubspot_contact_id', 'stripe_customer_id'
                )
            )
            and phones.identifier_value in (
                select identifier_value from intermediate.int_identity__links
                where identifier_type = 'phone' and link_status = 'linked'
            )
        order by phones.customer_id
        limit 1
        """,
        [member_customer],
    )[0]
    return member_record, member_customer, older_customer, email, "0" + phone.removeprefix("+84")


@pytest.fixture(scope="module")
def merged(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Merge:
    """A record joining a member's customer to an older one, delivered after the clock went
    back, then an incremental run of the customer marts."""
    root = tmp_path_factory.mktemp("clock_back_merge")
    warehouse = root / "cdp.duckdb"
    shutil.copy(built_warehouse, warehouse)
    member_record, member_customer, older_customer, email, phone = _member_and_older_customer(
        warehouse
    )
    ahead = set_the_clock_back(warehouse)
    bridge = {"email": email, "phone": phone}
    _deliver(root, warehouse, "transactions_20261104.csv", BRIDGE_RECORD.split(":")[-1], bridge)
    run_dbt(
        ["run", "--select", "+customer_events", "+customer_id_changes"],
        warehouse,
        target_dir=root / "target",
        dbt_vars=AS_OF,
    ).raise_on_failure()
    return Merge(warehouse, member_record, member_customer, older_customer, ahead)


def test_the_member_moves_to_the_older_customer(merged: Merge) -> None:
    assert _customer_of(merged.warehouse, merged.member_record) == merged.older_customer
    assert _customer_of(merged.warehouse, BRIDGE_RECORD) == merged.older_customer


def test_the_merge_is_recorded_as_an_id_change(merged: Merge) -> None:
    assert _rows(
        merged.warehouse,
        "select old_customer_id, new_customer_id, reason from marts.customer_id_changes"
        " where changed_at > ?",
        [merged.clock_ahead],
    ) == [(merged.member_customer, merged.older_customer, "merge")]


def test_the_members_email_activity_moves_to_the_older_customer(merged: Merge) -> None:
    assert _rows(
        merged.warehouse,
        "select customer_id, count(*) > 0 from marts.customer_events"
        " where event_type like 'email_%' and customer_id in (?, ?) group by all",
        [merged.member_customer, merged.older_customer],
    ) == [(merged.older_customer, True)]
