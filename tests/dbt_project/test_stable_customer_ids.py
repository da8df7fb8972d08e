"""Customer ids across runs: a copy of the built S warehouse is rebuilt, then fed a new person,
then a record that joins that new person to an existing customer."""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from ingestion.pipelines import load_all
from orchestration.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

IDENTITY_MODELS = ["+customer_source_records", "+customer_id_changes", "+customers"]
VNPAY_HEADER = [
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_OrderInfo",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_BankTranNo",
    "vnp_CardType",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_ResponseCode",
    "vnp_TransactionStatus",
    "vnp_Bill_Mobile",
    "vnp_Bill_Email",
    "vnp_Bill_FirstName",
    "vnp_Bill_LastName",
    "vnp_Bill_City",
    "vnp_Bill_Country",
]
NEW_PERSON = {"email": "khach.moi.20261103@example.vn", "phone": "0987 000 111"}


@dataclass(frozen=True)
class Runs:
    before: dict[str, str]
    rerun: dict[str, str]
    with_new_person: dict[str, str]
    merged: dict[str, str]
    anchor_record: str
    anchor_customer: str
    new_record: str
    changes: list[tuple[str, str, str]]
    changes_after_rerun: int


def record_customers(warehouse: Path) -> dict[str, str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select source || ':' || source_table || ':' || source_record_id, customer_id "
            "from marts.customer_source_records"
        ).fetchall()
    return dict(rows)


def write_vnpay_delivery(
    landing: Path, name: str, txn_ref: str, email: str, phone: str, response_code: str = "00"
) -> None:
    """One VNPay transaction in the report format: every value quoted, empty means missing;
    a `response_code` other than "00" is a failed payment."""
    row = {
        "vnp_TmnCode": "CDPSHOP1",
        "vnp_TxnRef": txn_ref,
        "vnp_OrderInfo": f"Thanh toan don hang {txn_ref}",
        "vnp_Amount": "45000000",
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "VNP" + txn_ref[-8:],
        "vnp_CardType": "ATM",
        "vnp_PayDate": "20261103101500",
        "vnp_TransactionNo": txn_ref[-8:],
        "vnp_ResponseCode": response_code,
        "vnp_TransactionStatus": "00" if response_code == "00" else "02",
        "vnp_Bill_Mobile": phone,
        "vnp_Bill_Email": email,
        "vnp_Bill_FirstName": "Văn Mới",
        "vnp_Bill_LastName": "Khách",
        "vnp_Bill_City": "Hà Nội",
        "vnp_Bill_Country": "VN",
    }
    folder = landing / "vnpay"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(VNPAY_HEADER)
        writer.writerow([row[column] for column in VNPAY_HEADER])


def build(warehouse: Path, target: Path) -> None:
    run_dbt(
        ["build", "--select", *IDENTITY_MODELS],
        warehouse,
        target_dir=target,
        dbt_vars={"as_of": "2026-11-05"},
    ).raise_on_failure()


@pytest.fixture(scope="module")
def runs(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("stable_ids")
    warehouse = root / "warehouse" / "cdp.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(built_warehouse, warehouse)
    target = root / "dbt_target"
    before = record_customers(warehouse)

    build(warehouse, target)
    rerun = record_customers(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        changes_after_rerun = con.execute(
            "select count(*) from marts.customer_id_changes"
        ).fetchone()[0]
        anchor_customer, anchor_phone = con.execute(
            "select customer_id, identifier_value from marts.customer_identifiers "
            "where identifier_type = 'phone' and identifier_value like '+84%' "
            "order by customer_id limit 1"
        ).fetchone()
        anchor_record = con.execute(
            "select source || ':' || source_table || ':' || source_record_id "
            "from marts.customer_source_records where customer_id = ? order by 1 limit 1",
            [anchor_customer],
        ).fetchone()[0]

    write_vnpay_delivery(
        root / "landing_1",
        "transactions_20261103.csv",
        "DH2026110300001",
        NEW_PERSON["email"],
        NEW_PERSON["phone"],
    )
    load_all(root / "landing_1", warehouse, systems=["vnpay"])
    build(warehouse, target)
    with_new_person = record_customers(warehouse)

    bridge_phone = "0" + anchor_phone.removeprefix("+84")
    write_vnpay_delivery(
        root / "landing_2",
        "transactions_20261104.csv",
        "DH2026110400001",
        NEW_PERSON["email"],
        bridge_phone,
    )
    load_all(root / "landing_2", warehouse, systems=["vnpay"])
    build(warehouse, target)
    merged = record_customers(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        changes = con.execute(
            "select old_customer_id, new_customer_id, reason from marts.customer_id_changes"
        ).fetchall()

    return Runs(
        before=before,
        rerun=rerun,
        with_new_person=with_new_person,
        merged=merged,
        anchor_record=anchor_record,
        anchor_customer=anchor_customer,
        new_record="vnpay:transactions:DH2026110300001",
        changes=changes,
        changes_after_rerun=changes_after_rerun,
    )


def test_a_rerun_without_new_data_keeps_every_customer_id(runs: Runs) -> None:
    assert runs.rerun == runs.before
    assert runs.changes_after_rerun == 0


def test_new_data_keeps_existing_ids_and_gives_a_new_person_a_new_id(runs: Runs) -> None:
    existing = {key: value for key, value in runs.with_new_person.items() if key in runs.before}
    new_id = runs.with_new_person[runs.new_record]
    assert existing == runs.before
    assert new_id not in set(runs.before.values())


def test_a_merge_keeps_the_older_id_and_records_the_change(runs: Runs) -> None:
    new_person_id = runs.with_new_person[runs.new_record]
    assert runs.merged[runs.anchor_record] == runs.anchor_customer
    assert runs.merged[runs.new_record] == runs.anchor_customer
    assert runs.merged["vnpay:transactions:DH2026110400001"] == runs.anchor_customer
    assert (new_person_id, runs.anchor_customer, "merge") in runs.changes
    untouched = {key: value for key, value in runs.merged.items() if key in runs.before}
    assert untouched == runs.before
