"""Resolving a request through the identity graph: one identifier leads to all of the person's,
an old customer id to the id it became (in customer_id_changes or only in the log of id changes
it is built from), and an unknown identifier to itself alone."""

from __future__ import annotations

import duckdb

from orchestration.privacy.identifiers import parse_identifier
from orchestration.privacy.resolve import resolve


def _graph() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for statement in (
        "create schema marts",
        "create table marts.customers (customer_id varchar, email varchar, phone varchar)",
        "insert into marts.customers values ('cus_new', 'Ann@Example.com', '+84901234567'),"
        " ('cus_bob', 'bob@example.com', null)",
        "create table marts.customer_identifiers"
        " (identifier_type varchar, identifier_value varchar, customer_id varchar)",
        "insert into marts.customer_identifiers values ('email', 'ann@example.com', 'cus_new'),"
        " ('email', 'ann.work@example.com', 'cus_new'), ('phone', '+84901234567', 'cus_new'),"
        " ('email_canonical', 'annwork@example.com', 'cus_new'),"
        " ('email', 'bob@example.com', 'cus_bob')",
        "create table marts.customer_source_records"
        " (source varchar, source_table varchar, source_record_id varchar, customer_id varchar)",
        "insert into marts.customer_source_records values"
        " ('hubspot', 'contacts', '1001', 'cus_new'), ('stripe', 'charges', 'ch_1', 'cus_new'),"
        " ('hubspot', 'contacts', '1002', 'cus_bob')",
        "create table marts.customer_id_changes (old_customer_id varchar,"
        " new_customer_id varchar, changed_at timestamp, reason varchar)",
        "insert into marts.customer_id_changes values"
        " ('cus_old', 'cus_new', '2026-01-01', 'merge')",
    ):
        con.execute(statement)
    return con


def test_one_email_resolves_every_identifier_and_the_id_before_a_merge():
    person = resolve(_graph(), parse_identifier("email", "ANN.WORK@example.com"))
    assert person.known
    assert person.customer_ids == ("cus_new", "cus_old")
    assert person.emails == ("ann.work@example.com", "ann@example.com", "annwork@example.com")
    assert person.phones == ("+84901234567",)
    assert person.source_records == (("hubspot", "contacts", "1001"), ("stripe", "charges", "ch_1"))


def test_an_old_customer_id_resolves_to_the_customer_it_became():
    person = resolve(_graph(), parse_identifier("customer_id", "cus_old"))
    assert person.known and "cus_new" in person.customer_ids
    assert "+84901234567" in person.phones


def test_an_id_change_only_the_log_holds_is_followed():
    """The customer ids changed again and the run stopped before customer_id_changes: only the
    log of id changes knows the id the person's customer became."""
    con = _graph()
    con.execute("create schema intermediate")
    con.execute(
        "create table intermediate.int_identity__record_customers__id_changes"
        " as select * from marts.customer_id_changes"
    )
    con.execute(
        "insert into intermediate.int_identity__record_customers__id_changes values"
        " ('cus_new', 'cus_newer', '2026-02-01', 'merge')"
    )
    person = resolve(con, parse_identifier("email", "ann@example.com"))
    assert person.customer_ids == ("cus_new", "cus_newer", "cus_old")


def test_an_unknown_identifier_resolves_to_itself_alone():
    person = resolve(_graph(), parse_identifier("phone", "0912 000 111"))
    assert not person.known
    assert person.phones == ("+84912000111",)
    assert (person.customer_ids, person.emails, person.source_records) == ((), (), ())
