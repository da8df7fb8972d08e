"""Who the request is about: every identifier of the person, found through the identity graph.

One email leads to the customer that holds it (`marts.customer_identifiers`), the customer to all
its emails, phones and source records, and `marts.customer_id_changes` to the ids the person had
before a merge or split (and, for an old id given in a request, to the id it became), with the log
of id changes it is built from, which also holds the changes of a run that stopped before it. The
requested identifier is always part of the result, even when the graph does not know it, so rows
that never made it into a customer (a rejected line, an unlinked event) are still found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from activation.normalize import sha256_hex
from orchestration.privacy.identifiers import Identifier, IdentifierType

EMAIL_TYPES = ("email", "email_canonical")


@dataclass(frozen=True)
class Person:
    """Everything that identifies one person. Personal data: keep it out of logs and ledgers."""

    customer_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    source_records: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)
    known: bool = False
    """The identity graph holds a customer for this person."""

    def hashes(self) -> list[str]:
        """SHA-256 of every identifier (source records as `system:table:id`), for the ledger."""
        values = [*self.customer_ids, *self.emails, *self.phones]
        values += [":".join(record) for record in self.source_records]
        return sorted({sha256_hex(value) for value in values})

    def counts(self) -> dict[str, int]:
        return {
            "customer_ids": len(self.customer_ids),
            "emails": len(self.emails),
            "phones": len(self.phones),
            "source_records": len(self.source_records),
        }

    def save(self, path: Path) -> None:
        """Keep the person while the request is in flight (owner-only file; removed by the
        receipt step), so a resumed request still knows whom to delete once the marts are
        rebuilt without them."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "customer_ids": self.customer_ids,
                    "emails": self.emails,
                    "phones": self.phones,
                    "source_records": self.source_records,
                    "known": self.known,
                }
            )
        )

    @classmethod
    def load(cls, path: Path) -> Person:
        data = json.loads(path.read_text())
        return cls(
            customer_ids=tuple(data["customer_ids"]),
            emails=tuple(data["emails"]),
            phones=tuple(data["phones"]),
            source_records=tuple(tuple(record) for record in data["source_records"]),
            known=data["known"],
        )


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def _column(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> set[str]:
    return {row[0] for row in con.execute(sql, params).fetchall() if row[0] is not None}


def _customers_of(con: duckdb.DuckDBPyConnection, requested: Identifier) -> set[str]:
    if requested.type is IdentifierType.CUSTOMER_ID:
        return {requested.value}
    types = list(EMAIL_TYPES) if requested.type is IdentifierType.EMAIL else ["phone"]
    return _column(
        con,
        "select customer_id from marts.customer_identifiers"
        " where list_contains(?, identifier_type) and identifier_value = ?",
        [types, requested.value],
    )


ID_CHANGES = (
    ("marts", "customer_id_changes"),
    ("intermediate", "int_identity__record_customers__id_changes"),
)
"""Where id changes are kept: the mart, and the log the customer ids append to as they change
(macros/identity/customer_id_change_log.sql), which also holds the changes of a run that stopped
before the mart was built."""


def _with_id_changes(con: duckdb.DuckDBPyConnection, ids: set[str]) -> set[str]:
    """Follow merges and splits both ways until no new id turns up."""
    tables = [f"{schema}.{table}" for schema, table in ID_CHANGES if _has_table(con, schema, table)]
    if not tables:
        return ids
    pairs = " union all ".join(
        f"select old_customer_id, new_customer_id from {table}" for table in tables
    )
    found = set(ids)
    while True:
        more = _column(
            con,
            f"with changes as ({pairs})"
            " select new_customer_id from changes where list_contains(?, old_customer_id)"
            " union select old_customer_id from changes where list_contains(?, new_customer_id)",
            [sorted(found), sorted(found)],
        )
        if more <= found:
            return found
        found |= more


def resolve(con: duckdb.DuckDBPyConnection, requested: Identifier) -> Person:
    """The person `requested` belongs to; only the requested identifier when the graph lacks it."""
    emails = {requested.value} if requested.type is IdentifierType.EMAIL else set()
    phones = {requested.value} if requested.type is IdentifierType.PHONE else set()
    if not _has_table(con, "marts", "customer_identifiers"):
        ids = {requested.value} if requested.type is IdentifierType.CUSTOMER_ID else set()
        return Person(tuple(sorted(ids)), tuple(sorted(emails)), tuple(sorted(phones)))
    ids = _with_id_changes(con, _customers_of(con, requested))
    current = _column(
        con,
        "select customer_id from marts.customers where list_contains(?, customer_id)",
        [sorted(ids)],
    )
    params = [sorted(ids)]
    emails |= _column(
        con,
        "select identifier_value from marts.customer_identifiers"
        " where list_contains(?, customer_id) and list_contains(?, identifier_type)"
        " union select lower(trim(email)) from marts.customers where list_contains(?, customer_id)",
        [sorted(ids), list(EMAIL_TYPES), sorted(ids)],
    )
    phones |= _column(
        con,
        "select identifier_value from marts.customer_identifiers"
        " where list_contains(?, customer_id) and identifier_type = 'phone'"
        " union select phone from marts.customers where list_contains(?, customer_id)",
        params * 2,
    )
    records = con.execute(
        "select distinct source, source_table, source_record_id"
        " from marts.customer_source_records where list_contains(?, customer_id)",
        params,
    ).fetchall()
    return Person(
        customer_ids=tuple(sorted(ids)),
        emails=tuple(sorted(emails)),
        phones=tuple(sorted(phones)),
        source_records=tuple(sorted((str(s), str(t), str(r)) for s, t, r in records)),
        known=bool(current or records),
    )
