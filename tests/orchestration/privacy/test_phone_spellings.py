"""An erasure request names a phone however the person typed it: with the trunk 0 kept after
the country code, nationally, or as digits with the country code. Every spelling resolves to the
person the warehouse stores as `+84912345678` and deletes their rows, including a quarantined
line that wrote the number with the trunk 0 after the country code."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.privacy.deletion import delete_person
from orchestration.privacy.identifiers import parse_identifier
from orchestration.privacy.resolve import resolve

SPELLINGS = ["+84 0912 345 678", "+840912345678", "0912345678", "84912345678"]


def _warehouse() -> duckdb.DuckDBPyConnection:
    """Ann (`+84912345678`, HubSpot contact 1001) and Bob, who has another phone."""
    con = duckdb.connect()
    for statement in (
        "create schema marts",
        "create schema raw_hubspot",
        "create table marts.customers (customer_id varchar, email varchar, phone varchar)",
        "insert into marts.customers values ('cus_ann', 'ann@example.com', '+84912345678'),"
        " ('cus_bob', 'bob@example.com', '+84987654321')",
        "create table marts.customer_identifiers"
        " (identifier_type varchar, identifier_value varchar, customer_id varchar)",
        "insert into marts.customer_identifiers values"
        " ('phone', '+84912345678', 'cus_ann'), ('email', 'ann@example.com', 'cus_ann'),"
        " ('phone', '+84987654321', 'cus_bob'), ('email', 'bob@example.com', 'cus_bob')",
        "create table marts.customer_source_records (source varchar, source_table varchar,"
        " source_record_id varchar, customer_id varchar)",
        "insert into marts.customer_source_records values"
        " ('hubspot', 'contacts', '1001', 'cus_ann'), ('hubspot', 'contacts', '1002', 'cus_bob')",
        "create table raw_hubspot.contacts"
        " (record_id varchar, email varchar, phone_number varchar)",
        "insert into raw_hubspot.contacts values ('1001', 'ann@example.com', '0912 345 678'),"
        " ('1002', 'bob@example.com', '0987 654 321')",
        "create table raw_hubspot._rejects (source_file varchar, raw_text varchar)",
        'insert into raw_hubspot._rejects values (\'c.csv\', \'"1009","Ann","+840912345678"\'),'
        ' (\'c.csv\', \'"1010","Bob","+84 0987 654 321"\')',
    ):
        con.execute(statement)
    return con


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_erasure_by_each_spelling_of_the_phone_erases_the_person(spelling: str) -> None:
    con = _warehouse()
    identifier = parse_identifier("phone", spelling)
    assert identifier.value == "+84912345678"
    person = resolve(con, identifier)
    assert (person.known, person.customer_ids) == (True, ("cus_ann",))
    delete_person(con, person)
    assert con.execute("select record_id from raw_hubspot.contacts").fetchall() == [("1002",)]
    assert con.execute("select raw_text from raw_hubspot._rejects").fetchall() == [
        ('"1010","Bob","+84 0987 654 321"',)
    ]
