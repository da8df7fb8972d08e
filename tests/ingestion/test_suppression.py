"""The erasure suppression list: an erased person's rows never load again, and counts reconcile."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from landing_fixtures import (
    CONTACTS_HEADER,
    DEALS_HEADER,
    TRANSACTIONS_HEADER,
    activity,
    charge,
    contact,
    deal,
    lead,
    query,
    transaction,
    write,
)

from ingestion.lake import load_all_to_lake
from ingestion.pipelines import load_all, suppression_list
from ingestion.suppressed_rows import cheap_e164
from ingestion.suppression import (
    QUALIFIED,
    add_suppressions,
    add_suppressions_conn,
    normalize_phone,
    suppressed_count,
)

pytestmark = pytest.mark.slow

PHONE_FORMATS = ["0901 234 567", "+84 90 123 4567", "84901234567", "0901.234.567", "(090) 123-4567"]


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse" / "cdp.duckdb"
    path.parent.mkdir(parents=True)
    return path


def _contacts(landing: Path, name: str, *record_ids: str, modified: str = "2026-11-01 08:00"):
    write(
        landing,
        f"hubspot/{name}",
        CONTACTS_HEADER,
        *(contact(record_id, modified=modified) for record_id in record_ids),
    )


def _every_value(warehouse: Path) -> str:
    """All text of every table in the warehouse but the suppression list, as one string."""
    tables = query(
        warehouse,
        "select schema_name, table_name from duckdb_tables() where schema_name <> 'privacy'",
    )
    return json.dumps(
        [query(warehouse, f'select * from "{schema}"."{table}"') for schema, table in tables],
        default=str,
        ensure_ascii=False,
    )


def _ledger(warehouse: Path, system: str) -> list[tuple]:
    return query(
        warehouse,
        f"select source_file, rows_read, rows_loaded, rows_rejected, rows_suppressed"
        f" from raw_{system}._files order by source_file",
    )


def test_redelivery_after_suppression_does_not_bring_the_person_back(landing, warehouse):
    _contacts(landing, "contacts_20261101.csv", "1", "2")
    load_all(landing, warehouse, ["hubspot"])
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("delete from raw_hubspot.contacts where record_id = '1'")
    assert add_suppressions(warehouse, "req-1", emails=[" AN1@Gmail.com "]) == 1
    _contacts(landing, "contacts_20261102_resend.csv", "1", "2", modified="2026-11-02 08:00")
    (summary,) = load_all(landing, warehouse, ["hubspot"])
    assert (summary.rows_read, summary.rows_loaded, summary.rows_suppressed) == (2, 1, 1)
    assert query(warehouse, "select record_id from raw_hubspot.contacts") == [("2",)]


def test_the_spark_lake_leaves_out_a_suppressed_person_too(landing, warehouse, tmp_path):
    add_suppressions(warehouse, "req-1", emails=["an1@gmail.com"])
    _contacts(landing, "contacts_20261101.csv", "1", "2")
    lake = tmp_path / "lake"
    (summary,) = load_all_to_lake(
        landing, lake, ["hubspot"], suppression=suppression_list(warehouse)
    )
    assert (summary.rows_read, summary.rows_loaded, summary.rows_suppressed) == (2, 1, 1)
    files = lake / "raw_hubspot" / "contacts" / "*.parquet"
    assert query(warehouse, f"select record_id from read_parquet('{files}')") == [("2",)]


def test_first_load_leaves_out_every_record_of_a_suppressed_person(landing, warehouse):
    add_suppressions(
        warehouse,
        "req-1",
        emails=["a@b.com", "m-erased@gmail.com", "lead5@gmail.com"],
        source_records=[("hubspot", "contacts", "1"), ("google_ads", "clicks", "g1")],
    )
    _contacts(landing, "contacts_20261101.csv", "1", "2")
    other_deal = deal("11").removesuffix(',"1"') + ',"2"'
    write(landing, "hubspot/deals_20261101.csv", DEALS_HEADER, deal("10"), other_deal)
    other_charge = charge("ch_2").replace("a@b.com", "c@d.com").replace("cus_1", "cus_2")
    write(landing, "stripe/charges_20261101.jsonl", charge("ch_1"), other_charge)
    write(
        landing,
        "mailchimp/campaign_activity_20261101.jsonl",
        activity("M-Erased@gmail.com"),
        activity("kept@gmail.com"),
    )
    write(landing, "facebook_ads/leads_20261101.jsonl", lead("5"), lead("6"))
    summaries = {s.system: s for s in load_all(landing, warehouse)}
    assert query(warehouse, "select record_id from raw_hubspot.contacts") == [("2",)]
    assert query(warehouse, "select record_id from raw_hubspot.deals") == [("11",)]
    assert query(warehouse, "select id from raw_stripe.charges") == [("ch_2",)]
    assert query(warehouse, "select email_address from raw_mailchimp.campaign_activity") == [
        ("kept@gmail.com",)
    ]
    assert query(warehouse, "select id from raw_facebook_ads.leads") == [("6",)]
    assert summaries["hubspot"].rows_suppressed == 2
    assert summaries["stripe"].rows_suppressed == 1


def test_charge_of_a_suppressed_stripe_customer_is_left_out(landing, warehouse):
    add_suppressions(warehouse, "req-1", source_records=[("stripe", "customers", "cus_1")])
    other_charge = charge("ch_2").replace("a@b.com", "c@d.com").replace("cus_1", "cus_2")
    write(landing, "stripe/charges_20261101.jsonl", charge("ch_1"), other_charge)
    (summary,) = load_all(landing, warehouse, ["stripe"])
    assert (summary.rows_read, summary.rows_suppressed) == (2, 1)
    assert query(warehouse, "select id from raw_stripe.charges") == [("ch_2",)]


@pytest.mark.parametrize("suppressed", PHONE_FORMATS)
def test_every_phone_format_of_a_suppressed_number_matches(landing, warehouse, suppressed):
    add_suppressions(warehouse, "req-1", phones=[suppressed])
    rows = [
        transaction(f"T{i}").replace('"0912345678"', f'"{phone}"')
        for i, phone in enumerate([*PHONE_FORMATS, "+84 (0) 90 123 4567", "0912 345 678"])
    ]
    write(landing, "vnpay/transactions_20261101.csv", TRANSACTIONS_HEADER, *rows)
    (summary,) = load_all(landing, warehouse, ["vnpay"])
    assert summary.rows_suppressed == len(PHONE_FORMATS) + 1
    assert query(warehouse, "select vnp_bill_mobile from raw_vnpay.transactions") == [
        ("0912 345 678",)
    ]


def test_ledger_reconciles_with_suppressed_rows_for_every_file(landing, warehouse):
    add_suppressions(warehouse, "req-1", emails=["an1@gmail.com"])
    _contacts(landing, "contacts_20261101.csv", "1", "2", "3")
    write(
        landing,
        "hubspot/contacts_20261102_corrections.csv",
        CONTACTS_HEADER,
        contact("1", modified="2026-11-02 08:00"),
        contact("4", modified="2026-13-02 08:00"),
    )
    load_all(landing, warehouse, ["hubspot"])
    ledger = _ledger(warehouse, "hubspot")
    assert ledger == [
        ("hubspot/contacts_20261101.csv", 3, 2, 0, 1),
        ("hubspot/contacts_20261102_corrections.csv", 2, 0, 1, 1),
    ]
    assert all(read == ok + bad + gone for _, read, ok, bad, gone in ledger)


def test_nothing_of_a_suppressed_row_lands_in_raw_tables_or_rejects(landing, warehouse):
    add_suppressions(warehouse, "req-1", emails=["an1@gmail.com"], phones=["0987 654 321"])
    broken = (
        contact("1").replace('"Nguyen"', '"Nguyen')
        + "\n"
        + contact("5")
        .replace('"0912 345 678"', '"0987654321"')
        .replace('"2026-11-01 08:00"', '"not a time"')
    )
    write(landing, "hubspot/contacts_20261101.csv", CONTACTS_HEADER, contact("1"), broken)
    (summary,) = load_all(landing, warehouse, ["hubspot"])
    assert (summary.rows_read, summary.rows_rejected, summary.rows_suppressed) == (3, 0, 3)
    everything = _every_value(warehouse)
    for erased in ("an1@gmail.com", "an5@gmail.com", "0987654321"):
        assert erased not in everything


def test_empty_suppression_list_changes_nothing(landing, tmp_path):
    plain, listed = tmp_path / "plain" / "cdp.duckdb", tmp_path / "listed" / "cdp.duckdb"
    listed.parent.mkdir()
    add_suppressions(listed, "req-none")
    _contacts(landing, "contacts_20261101.csv", "1", "2")
    write(landing, "hubspot/deals_20261101.csv", DEALS_HEADER, deal("10"))
    assert load_all(landing, plain, ["hubspot"])[0].rows_loaded == 3
    assert load_all(landing, listed, ["hubspot"])[0].rows_loaded == 3
    columns = "record_id, email, phone_number, _source_file, _source_line"
    sql = f"select {columns} from raw_hubspot.contacts order by 1"
    assert query(plain, sql) == query(listed, sql)
    assert [row[1:] for row in _ledger(plain, "hubspot")] == [
        row[1:] for row in _ledger(listed, "hubspot")
    ]


def test_only_hashes_are_stored_and_an_identifier_counts_once(warehouse):
    assert add_suppressions(warehouse, "req-1", emails=["An@x.vn"], phones=["0901234567"]) == 2
    assert add_suppressions(warehouse, "req-2", emails=["an@x.vn "], phones=["+84901234567"]) == 0
    assert suppressed_count(warehouse) == 2
    stored = json.dumps(query(warehouse, f"select * from {QUALIFIED}"), default=str)
    assert "x.vn" not in stored and "901234567" not in stored
    assert query(warehouse, f"select distinct request_id from {QUALIFIED}") == [("req-1",)]


def test_suppressions_can_be_added_on_an_open_connection(warehouse):
    with duckdb.connect(str(warehouse)) as conn:
        added = add_suppressions_conn(conn, "req-1", source_records=[("hubspot", "contacts", "1")])
    assert (added, suppressed_count(warehouse)) == (1, 1)


def test_cheap_phone_rule_equals_phonenumbers_for_every_sample_phone(sample_exports: Path):
    columns = {"hubspot": "Phone Number", "mailchimp": "Phone Number", "vnpay": "vnp_Bill_Mobile"}
    phones = pa.array(sorted(_sample_phones(sample_exports / "landing", columns)))
    e164, trusted = cheap_e164(phones)
    assert pc.sum(trusted).as_py() > 0.99 * len(phones)
    checked = zip(phones.to_pylist(), e164.to_pylist(), trusted.to_pylist(), strict=True)
    wrong = [(phone, rule) for phone, rule, ok in checked if ok and rule != normalize_phone(phone)]
    assert wrong == []


def _sample_phones(landing: Path, columns: dict[str, str]) -> set[str]:
    found: set[str] = set()
    for system, column in columns.items():
        for path in (landing / system).glob("*.csv"):
            with path.open(encoding="utf-8", newline="") as handle:
                found |= {row.get(column) or "" for row in csv.DictReader(handle)}
    return {phone for phone in found if phone.strip()}
