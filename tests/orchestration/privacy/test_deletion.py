"""Deletion on a tiny warehouse: the person's rows go, other customers' rows stay (with a shared
identifier blanked), history tables lose the person, and running it twice changes nothing more;
the rebuild after it recomputes every model from raw."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from orchestration.privacy.deletion import delete_person, rebuild_models
from orchestration.privacy.resolve import Person
from tests.conftest import SAMPLE_AS_OF

PERSON = Person(
    customer_ids=("cus_person0000000000001",),
    emails=("ann@example.com",),
    phones=("+84901234567",),
    source_records=(("hubspot", "contacts", "1001"),),
    known=True,
)


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for statement in (
        "create schema raw_hubspot",
        "create schema marts",
        "create schema privacy",
        "create table raw_hubspot.contacts"
        " (record_id varchar, email varchar, phone_number varchar)",
        "insert into raw_hubspot.contacts values ('1001', 'ann@example.com', '0901 234 567'),"
        " ('1002', 'bob@example.com', '+84 901 234 567'), ('1003', 'cy@example.com', null),"
        " ('1004', 'ANN@EXAMPLE.COM', null)",
        "create table raw_hubspot._rejects (source_file varchar, raw_text varchar)",
        'insert into raw_hubspot._rejects values (\'c.csv\', \'"1009","Ann","ann@example.com"\'),'
        ' (\'c.csv\', \'"1010","Dan","dan@example.com"\')',
        "create table marts.customer_source_records (source varchar, source_table varchar,"
        " source_record_id varchar, customer_id varchar)",
        "insert into marts.customer_source_records values"
        " ('hubspot', 'contacts', '1001', 'cus_person0000000000001'),"
        " ('hubspot', 'contacts', '1002', 'cus_other00000000000002'),"
        " ('hubspot', 'contacts', '1003', 'cus_other00000000000003')",
        "create table marts.segment_membership_history (segment varchar, customer_id varchar)",
        "insert into marts.segment_membership_history values ('vip', 'cus_person0000000000001'),"
        " ('vip', 'cus_other00000000000002')",
        "create schema intermediate",
        "create table intermediate.int_identity__record_customers__id_changes"
        " (old_customer_id varchar, new_customer_id varchar, changed_at timestamp, reason varchar)",
        "insert into intermediate.int_identity__record_customers__id_changes values"
        " ('cus_person0000000000001', 'cus_other00000000000002', '2026-01-01', 'split'),"
        " ('cus_other00000000000003', 'cus_other00000000000002', '2026-01-01', 'merge')",
        "create table privacy.erasure_requests (identifier_hash varchar)",
        "insert into privacy.erasure_requests values ('cus_person0000000000001')",
    ):
        con.execute(statement)
    return con


def test_the_persons_rows_go_and_a_shared_phone_is_blanked_in_the_other_customers_row():
    con = _warehouse()
    result = delete_person(con, PERSON)
    contacts = con.execute("select * from raw_hubspot.contacts order by record_id").fetchall()
    assert contacts == [("1002", "bob@example.com", None), ("1003", "cy@example.com", None)]
    assert result.rows_deleted["raw_hubspot.contacts"] == 2
    assert result.rows_redacted == {"raw_hubspot.contacts": 1}
    assert con.execute("select source_record_id from marts.customer_source_records").fetchall() == [
        ("1002",),
        ("1003",),
    ]
    assert con.execute("select raw_text from raw_hubspot._rejects").fetchall() == [
        ('"1010","Dan","dan@example.com"',)
    ]
    assert con.execute("select customer_id from marts.segment_membership_history").fetchall() == [
        ("cus_other00000000000002",)
    ]
    assert con.execute(
        "select old_customer_id from intermediate.int_identity__record_customers__id_changes"
    ).fetchall() == [("cus_other00000000000003",)]
    assert con.execute("select count(*) from privacy.erasure_requests").fetchone() == (1,)


def test_deleting_twice_deletes_nothing_more():
    con = _warehouse()
    delete_person(con, PERSON)
    again = delete_person(con, PERSON)
    assert again.total_deleted == 0 and again.rows_redacted == {}


STALE = "stale.derived.copy@example.com"


def test_the_rebuild_replaces_derived_rows_whose_raw_row_kept_its_lineage(
    built_warehouse: Path, tmp_path: Path
):
    """A raw row redacted in place keeps its lineage, so an incremental run would keep every row
    derived from it; a derived form the deletion's patterns missed must still go. The stale value
    stands for such a form, in staging and in identity."""
    warehouse = tmp_path / "cdp.duckdb"
    shutil.copy(built_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        contact = con.execute(
            "select min(contact_id) from staging.stg_hubspot__contacts"
        ).fetchone()
        con.execute(
            "update staging.stg_hubspot__contacts set email = ? where contact_id = ?",
            [STALE, contact[0]],
        )
        con.execute(
            "update intermediate.int_identity__record_identifiers set identifier_value = ?"
            " where record_key = 'hubspot:contacts:' || ?",
            [STALE, contact[0]],
        )
    rebuild_models(warehouse, target_dir=tmp_path / "dbt_target", dbt_vars={"as_of": SAMPLE_AS_OF})
    with duckdb.connect(str(warehouse), read_only=True) as con:
        staged = con.execute(
            "select count(*) from staging.stg_hubspot__contacts where email = ?", [STALE]
        ).fetchone()
        derived = con.execute(
            "select count(*) from intermediate.int_identity__record_identifiers"
            " where identifier_value = ?",
            [STALE],
        ).fetchone()
    assert staged == derived == (0,)
