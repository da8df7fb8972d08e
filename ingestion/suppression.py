"""The erasure suppression list: hashed identifiers of erased people ingestion never loads again.

`cdp forget` erases a person from the warehouse; the export files in the landing folder still
hold them, and a re-delivery would bring them back. So erasure adds the person's identifiers
here and every load drops the rows that carry one of them (`ingestion.suppressed_rows`). Only
sha256 hashes of normalized values are stored: the list itself holds no personal data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

import duckdb
import phonenumbers
import pyarrow as pa

SCHEMA = "privacy"
TABLE = "suppressed_identifiers"
QUALIFIED = f"{SCHEMA}.{TABLE}"
DEFAULT_PHONE_REGION = "VN"
EMAIL_TRIM = " \t\r\n"
"""Characters trimmed around an email, here and in the loaders' SQL (`trim(email, …)`)."""
_INCOMING = "_cdp_incoming_suppressions"


class IdentifierType(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    SOURCE_RECORD = "source_record"


def normalize_email(value: str) -> str:
    return value.strip(EMAIL_TRIM).lower()


def normalize_phone(value: str) -> str:
    """E.164 (`+84901234567`); numbers without a country code are read as Vietnamese.

    Raises `ValueError` for text phonenumbers cannot read as a number at all.
    """
    try:
        number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"not a phone number: {value!r}") from error
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def source_record(system: str, table: str, record_id: str) -> str:
    """`system:table:record_id`: table is the raw table name, record_id its key text as loaded
    (the same triple as `truth/records.csv`)."""
    return f"{system}:{table}:{record_id}"


def identifier_hash(value: str) -> str:
    """sha256 hex of an already normalized value."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def add_suppressions(
    warehouse: Path,
    request_id: str,
    *,
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    source_records: Iterable[tuple[str, str, str]] = (),
) -> int:
    """Suppress these identifiers from every later load; returns how many were new.

    Opens the warehouse itself: call it when nothing else in the process holds the file open,
    otherwise use `add_suppressions_conn` with the open connection.
    """
    with duckdb.connect(str(warehouse)) as conn:
        return add_suppressions_conn(
            conn, request_id, emails=emails, phones=phones, source_records=source_records
        )


def add_suppressions_conn(
    conn: duckdb.DuckDBPyConnection,
    request_id: str,
    *,
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    source_records: Iterable[tuple[str, str, str]] = (),
) -> int:
    """`add_suppressions` on a connection the caller holds (inside its own transaction if it has
    one open); an identifier already listed keeps its first request id."""
    hashes = {(IdentifierType.EMAIL.value, identifier_hash(normalize_email(e))) for e in emails}
    hashes |= {(IdentifierType.PHONE.value, identifier_hash(normalize_phone(p))) for p in phones}
    hashes |= {
        (IdentifierType.SOURCE_RECORD.value, identifier_hash(source_record(*record)))
        for record in source_records
    }
    ensure_table(conn)
    if not hashes:
        return 0
    ((before,),) = conn.execute(f"select count(*) from {QUALIFIED}").fetchall()
    kinds, digests = zip(*sorted(hashes), strict=True)
    incoming = pa.table(
        {
            "identifier_type": list(kinds),
            "identifier_hash": list(digests),
            "request_id": [request_id] * len(hashes),
            "suppressed_at": [dt.datetime.now(dt.UTC).replace(tzinfo=None)] * len(hashes),
        }
    )
    conn.register(_INCOMING, incoming)
    try:
        conn.execute(f"insert into {QUALIFIED} select * from {_INCOMING} on conflict do nothing")
    finally:
        conn.unregister(_INCOMING)
    ((after,),) = conn.execute(f"select count(*) from {QUALIFIED}").fetchall()
    return int(after) - int(before)


def suppressed_count(warehouse: Path) -> int:
    if not Path(warehouse).exists():
        return 0
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        try:
            ((count,),) = conn.execute(f"select count(*) from {QUALIFIED}").fetchall()
        except duckdb.CatalogException:
            return 0
    return int(count)


def ensure_table(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"create schema if not exists {SCHEMA}")
    conn.execute(
        f"create table if not exists {QUALIFIED} (identifier_type varchar not null,"
        " identifier_hash varchar not null, request_id varchar not null,"
        " suppressed_at timestamp not null, primary key (identifier_type, identifier_hash))"
    )
