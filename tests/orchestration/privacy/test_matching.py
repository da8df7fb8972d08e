"""The predicates deletion and the receipt share: each identifier in the forms exports write it,
and nothing that merely looks alike."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from orchestration.privacy.identifiers import (
    InvalidIdentifierError,
    parse_identifier,
    phone_digit_forms,
)
from orchestration.privacy.matching import patterns, row_matches
from orchestration.privacy.resolve import Person

PERSON = Person(
    customer_ids=("cus_0123456789abcdef0123",),
    emails=("ann.lee@example.com",),
    phones=("+84901234567",),
    source_records=(("hubspot", "contacts", "15000000048"),),
    known=True,
)


def _matches(text: str | None) -> bool:
    sql = row_matches(["value"], patterns(PERSON))
    with duckdb.connect() as con:
        con.execute("create table t (value varchar)")
        con.execute("insert into t values (?)", [text])
        return bool(con.execute(f"select count(*) from t where {sql}").fetchone()[0])


@pytest.mark.parametrize(
    "text",
    [
        "ANN.LEE@EXAMPLE.COM",
        '"15000000099","Ann","Lee","Ann.Lee@Example.com","x"',
        "0901 234 567",
        "+84901234567",
        "84 90 123 4567",
        "(090) 123-4567",
        '{"phone": "+84 901.234.567"}',
        "+840901234567",
        "+84 (0) 901 234 567",
        "cus_0123456789abcdef0123",
        "15000000048",
        "hubspot:contacts:15000000048",
        '"21000000153","Deal","Closed Won","15000000048"',
        hashlib.sha256(b"ann.lee@example.com").hexdigest(),
        hashlib.sha256(b"+84901234567").hexdigest(),
    ],
)
def test_every_written_form_of_the_person_matches(text: str):
    assert _matches(text)


@pytest.mark.parametrize(
    "text",
    [
        "joann.lee@example.com",
        "ann.lee@example.com.vn",
        "0901 234 568",
        "+849012345670",
        "150000000481",
        "x15000000048",
        "2026-09-01 12:34:56",
        hashlib.sha256(b"bob@example.com").hexdigest(),
        None,
    ],
)
def test_lookalikes_and_nulls_do_not_match(text: str | None):
    assert not _matches(text)


def test_phone_forms_cover_international_and_national_writing():
    assert phone_digit_forms("+84901234567") == [
        "00840901234567",
        "0084901234567",
        "0901234567",
        "840901234567",
        "84901234567",
        "901234567",
    ]


def test_requested_identifiers_are_normalized_and_hashed_the_same_way():
    assert parse_identifier("email", "  Ann.Lee@Example.COM ").value == "ann.lee@example.com"
    assert parse_identifier("phone", "0901 234 567").value == "+84901234567"
    assert (
        parse_identifier("phone", "+84 901 234 567").hash
        == parse_identifier("phone", "0901234567").hash
    )
    assert "ann" not in repr(parse_identifier("email", "ann@example.com"))


@pytest.mark.parametrize(
    ("kind", "value"), [("email", "no-at-sign"), ("phone", "abc"), ("ssn", "1")]
)
def test_invalid_identifiers_are_refused_without_echoing_the_value(kind: str, value: str):
    with pytest.raises(InvalidIdentifierError) as raised:
        parse_identifier(kind, value)
    assert value not in str(raised.value) or kind == "ssn"
