"""Finding the rows of an export chunk that belong to an erased person.

The list holds hashes, so every identifier of every row is normalized and hashed, column at a
time inside an in-memory DuckDB (`sha256` is vectorized there), and semi-joined with the list.
Phones are normalized to E.164 by a cheap text rule in SQL; only values the rule is not sure
about (letters, odd lengths) go through `phonenumbers` in Python. With an empty list nothing runs.
"""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pyarrow as pa

from ingestion.exports import ExportSpec
from ingestion.suppression import (
    EMAIL_TRIM,
    QUALIFIED,
    IdentifierType,
    identifier_hash,
    normalize_email,
    normalize_phone,
)

_CHUNK = "_cdp_suppression_chunk"
_LIST = "_cdp_suppression_list"
_ROW = "_cdp_row"
_E164 = r"\+[1-9][0-9]{7,14}"
_PLAIN_PHONE = r"[+0-9 .()\-]*"

_EMAIL_IN_TEXT = re.compile(r"[^\s\"',;:<>{}\[\]]+@[^\s\"',;:<>{}\[\]]+")
_PHONE_IN_TEXT = re.compile(r"\+?[0-9][0-9 .()\-]{6,}[0-9]")
_TOKEN_SEPARATORS = re.compile(r"[\s\",;:{}\[\]]+")


def cheap_e164_sql(column: str) -> str:
    """SQL turning a phone as exported into E.164 without phonenumbers: drop formatting and a
    `(0)` trunk prefix, `00` and a bare `84` become the country code, a leading `0` is
    Vietnam's trunk prefix. Equals phonenumbers' E.164 for the exports' formats (tested)."""
    digits = f"regexp_replace(replace(CAST({column} AS VARCHAR), '(0)', ''), '[^0-9+]', '', 'g')"
    joined = (
        f"(case when starts_with({digits}, '+') then '+' || replace({digits}, '+', '')"
        f" when starts_with({digits}, '00') then '+' || substr({digits}, 3)"
        f" when starts_with({digits}, '84') and length({digits}) >= 11 then '+' || {digits}"
        f" when starts_with({digits}, '0') then '+84' || substr({digits}, 2)"
        f" else '+84' || {digits} end)"
    )
    return (
        f"(case when starts_with({joined}, '+840') then '+84' || substr({joined}, 5)"
        f" else {joined} end)"
    )


def cheap_rule_applies_sql(column: str) -> str:
    """SQL: whether `cheap_e164_sql` can be trusted for this value (only formatting characters
    around digits, and a result shaped like E.164); the rest go through phonenumbers."""
    return (
        f"(regexp_full_match(CAST({column} AS VARCHAR), '{_PLAIN_PHONE}')"
        f" and regexp_full_match({cheap_e164_sql(column)}, '{_E164}'))"
    )


class SuppressionList:
    """The hashes of `privacy.suppressed_identifiers`, ready to test chunks of rows against."""

    def __init__(self, hashes: dict[str, frozenset[str]]) -> None:
        self.hashes = {kind.value: hashes.get(kind.value, frozenset()) for kind in IdentifierType}
        self._db: duckdb.DuckDBPyConnection | None = None

    @classmethod
    def read(cls, conn: duckdb.DuckDBPyConnection) -> SuppressionList:
        """The list as stored; an absent table is an empty list."""
        try:
            rows = conn.execute(
                f"select identifier_type, identifier_hash from {QUALIFIED}"
            ).fetchall()
        except duckdb.CatalogException:
            rows = []
        hashes: dict[str, set[str]] = {}
        for kind, digest in rows:
            hashes.setdefault(kind, set()).add(digest)
        return cls({kind: frozenset(values) for kind, values in hashes.items()})

    @property
    def is_empty(self) -> bool:
        return not any(self.hashes.values())

    def rows_to_drop(self, rows: pa.Table, spec: ExportSpec) -> np.ndarray:
        """Boolean mask over `rows`: True where an identifier column holds a listed value."""
        drop = np.zeros(rows.num_rows, dtype=bool)
        checks = self._checks(rows, spec)
        if not checks or rows.num_rows == 0:
            return drop
        columns = sorted({column for column, _ in checks})
        chunk = rows.select(columns).append_column(_ROW, pa.array(np.arange(rows.num_rows)))
        db = self._database()
        db.register(_CHUNK, chunk)
        try:
            conditions = " or ".join(sql for _, sql in checks)
            hits = db.execute(f"select {_ROW} from {_CHUNK} where {conditions}").fetchnumpy()
            drop[hits[_ROW]] = True
            for column in spec.phones if self.hashes[IdentifierType.PHONE.value] else ():
                if column in rows.column_names:
                    drop |= self._unusual_phones(db, column, rows.num_rows)
        finally:
            db.unregister(_CHUNK)
        return drop

    def mentions(self, raw_text: str, spec: ExportSpec) -> bool:
        """Whether a quarantined line holds a listed identifier anywhere in its text: such a line
        is dropped, not kept in `_rejects`. Only rejected lines come here, so Python is fine."""
        emails = self.hashes[IdentifierType.EMAIL.value]
        if emails and any(
            identifier_hash(normalize_email(found)) in emails
            for found in _EMAIL_IN_TEXT.findall(raw_text)
        ):
            return True
        phones = self.hashes[IdentifierType.PHONE.value]
        if phones and any(
            _phone_hash(found) in phones for found in _PHONE_IN_TEXT.findall(raw_text)
        ):
            return True
        records = self.hashes[IdentifierType.SOURCE_RECORD.value]
        tokens = {token for token in _TOKEN_SEPARATORS.split(raw_text) if token}
        return bool(records) and any(
            identifier_hash(f"{prefix}:{token}") in records
            for prefix in set(spec.record_prefixes.values())
            for token in tokens
        )

    def _checks(self, rows: pa.Table, spec: ExportSpec) -> list[tuple[str, str]]:
        """(column, SQL condition) for every identifier column present whose type is listed."""
        present = set(rows.column_names)
        checks: list[tuple[str, str]] = []
        if self.hashes[IdentifierType.EMAIL.value]:
            checks += [
                (
                    c,
                    self._listed(
                        IdentifierType.EMAIL, f"lower(trim(\"{c}\"::VARCHAR, '{EMAIL_TRIM}'))"
                    ),
                )
                for c in spec.emails
                if c in present
            ]
        if self.hashes[IdentifierType.PHONE.value]:
            checks += [
                (c, self._listed(IdentifierType.PHONE, cheap_e164_sql(f'"{c}"')))
                for c in spec.phones
                if c in present
            ]
        if self.hashes[IdentifierType.SOURCE_RECORD.value]:
            checks += [
                (c, self._listed(IdentifierType.SOURCE_RECORD, f"'{prefix}:' || \"{c}\"::VARCHAR"))
                for c, prefix in spec.record_prefixes.items()
                if c in present
            ]
        return checks

    @staticmethod
    def _listed(kind: IdentifierType, normalized_sql: str) -> str:
        return (
            f"sha256({normalized_sql}) in"
            f" (select identifier_hash from {_LIST} where identifier_type = '{kind.value}')"
        )

    def _unusual_phones(self, db: duckdb.DuckDBPyConnection, column: str, count: int) -> np.ndarray:
        """Phones the cheap rule may read wrongly, checked exactly with phonenumbers."""
        quoted = f'"{column}"'
        unusual = db.execute(
            f"select {_ROW}, {quoted}::VARCHAR from {_CHUNK} where {quoted} is not null"
            f" and not {cheap_rule_applies_sql(quoted)}"
        ).fetchall()
        drop = np.zeros(count, dtype=bool)
        phones = self.hashes[IdentifierType.PHONE.value]
        for row, value in unusual:
            drop[row] = _phone_hash(value) in phones
        return drop

    def _database(self) -> duckdb.DuckDBPyConnection:
        if self._db is None:
            self._db = duckdb.connect()
            listed = pa.table(
                {
                    "identifier_type": [k for k, values in self.hashes.items() for _ in values],
                    "identifier_hash": [h for values in self.hashes.values() for h in values],
                }
            )
            self._db.register("_listed_arrow", listed)
            self._db.execute(f"create table {_LIST} as select * from _listed_arrow")
            self._db.unregister("_listed_arrow")
        return self._db


def _phone_hash(text: str) -> str | None:
    try:
        return identifier_hash(normalize_phone(text))
    except ValueError:
        return None
