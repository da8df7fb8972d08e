"""Finding the rows of an export chunk that belong to an erased person.

The list holds hashes, so every identifier of every row is normalized (Arrow compute, column at
a time), hashed with DuckDB's vectorized `sha256` in an in-memory database, and semi-joined with
the list. Phones are brought to E.164 by a cheap text rule; only values the rule cannot vouch for
(letters, odd shapes) go through `phonenumbers` in Python. With an empty list nothing runs.
"""

from __future__ import annotations

import re
import threading

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.exports import ExportSpec
from ingestion.suppression import (
    EMAIL_TRIM,
    QUALIFIED,
    IdentifierType,
    identifier_hash,
    normalize_phone,
)

_VALUES = "_cdp_suppression_values"
_LIST = "_cdp_suppression_list"
_PHONE_FORMATTING = (" ", ".", "(", ")", "-")
_PLAIN_PHONE = r"^[+0-9 .()\-]*$"
_E164 = r"^\+[1-9][0-9]{7,14}$"

_EMAIL_IN_TEXT = re.compile(r"[^\s\"',;:<>{}\[\]]+@[^\s\"',;:<>{}\[\]]+")
_PHONE_IN_TEXT = re.compile(r"\+?[0-9][0-9 .()\-]{6,}[0-9]")
_TOKEN = re.compile(r"[^\s\",;:{}\[\]]+")


def cheap_e164(phones: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Phones as exported to E.164 without phonenumbers, and whether the rule can be trusted.

    Formatting and a `(0)` trunk prefix are dropped; `00` and a bare `84` (11+ digits) become the
    country code, a leading `0` is Vietnam's trunk prefix, anything else without `+` is a
    Vietnamese national number. Trusted: only formatting around digits, and a result shaped like
    E.164. For those it equals phonenumbers' E.164 (tested on every phone of the sample).
    """
    raw = pc.cast(phones, pa.string())
    text = pc.replace_substring(raw, "(0)", "")
    for character in _PHONE_FORMATTING:
        text = pc.replace_substring(text, character, "")
    digits = pc.replace_substring(text, "+", "")
    national = pc.if_else(
        pc.starts_with(text, "+"),
        digits,
        pc.if_else(
            pc.starts_with(text, "00"),
            pc.utf8_slice_codeunits(digits, 2),
            pc.if_else(
                pc.and_(pc.starts_with(text, "84"), pc.greater_equal(pc.utf8_length(text), 11)),
                digits,
                _join(
                    "84",
                    pc.if_else(
                        pc.starts_with(text, "0"), pc.utf8_slice_codeunits(digits, 1), digits
                    ),
                ),
            ),
        ),
    )
    national = pc.if_else(
        pc.starts_with(national, "840"),
        _join("84", pc.utf8_slice_codeunits(national, 3)),
        national,
    )
    e164 = _join("+", national)
    trusted = pc.and_(
        pc.match_substring_regex(raw, _PLAIN_PHONE), pc.match_substring_regex(e164, _E164)
    )
    return e164, trusted.fill_null(False)


def _join(prefix: str, values: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(pa.scalar(prefix), values, "")


class SuppressionList:
    """The hashes of `privacy.suppressed_identifiers`, ready to test chunks of rows against."""

    def __init__(self, hashes: dict[str, frozenset[str]]) -> None:
        self.hashes = {kind.value: hashes.get(kind.value, frozenset()) for kind in IdentifierType}
        self._db: duckdb.DuckDBPyConnection | None = None
        self._db_lock = threading.Lock()
        """Chunks of a file are checked on two threads; one DuckDB connection serves one."""

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
        present = set(rows.column_names)
        pieces = [
            (kind, rows[column].combine_chunks(), None)
            for kind, columns in (
                (IdentifierType.EMAIL, spec.emails),
                (IdentifierType.PHONE, spec.phones),
            )
            if self.hashes[kind.value]
            for column in columns
            if column in present
        ]
        if self.hashes[IdentifierType.SOURCE_RECORD.value]:
            pieces += [
                (
                    IdentifierType.SOURCE_RECORD,
                    _prefixed(prefix, rows[column].combine_chunks()),
                    None,
                )
                for column, prefix in spec.record_prefixes.items()
                if column in present
            ]
        return self._match(pieces, rows.num_rows)

    def lines_to_drop(self, lines: list[str], spec: ExportSpec) -> np.ndarray:
        """Boolean mask over quarantined lines: True where the text holds a listed identifier
        anywhere (an email, a phone, a record id of the export's own or referenced tables), so
        that `_rejects` never keeps an erased person's raw text."""
        pieces: list[tuple[IdentifierType, pa.Array, np.ndarray | None]] = []
        for kind, pattern in (
            (IdentifierType.EMAIL, _EMAIL_IN_TEXT),
            (IdentifierType.PHONE, _PHONE_IN_TEXT),
            (IdentifierType.SOURCE_RECORD, _TOKEN),
        ):
            if not self.hashes[kind.value]:
                continue
            found = [
                (line, text) for line, raw in enumerate(lines) for text in pattern.findall(raw)
            ]
            line_of = np.array([line for line, _ in found], dtype=np.int64)
            values = pa.array([text for _, text in found], pa.string())
            if kind is not IdentifierType.SOURCE_RECORD:
                pieces.append((kind, values, line_of))
                continue
            pieces += [
                (kind, _prefixed(prefix, values), line_of)
                for prefix in set(spec.record_prefixes.values())
            ]
        return self._match(pieces, len(lines))

    def _match(
        self,
        pieces: list[tuple[IdentifierType, pa.Array, np.ndarray | None]],
        count: int,
    ) -> np.ndarray:
        """`pieces`: (kind, values as found, the row of each value or None for one per row).

        Only the distinct normalized values are hashed (events repeat the same email many
        times); the hits are mapped back to rows through the dictionary indices."""
        drop = np.zeros(count, dtype=bool)
        encoded: list[tuple[pa.DictionaryArray, np.ndarray]] = []
        distinct: list[pa.Table] = []
        for number, (kind, values, row_of) in enumerate(pieces):
            rows = np.arange(len(values)) if row_of is None else row_of
            dictionary = pc.dictionary_encode(self._normalized(kind, values, rows, drop))
            encoded.append((dictionary, rows))
            entries = len(dictionary.dictionary)
            distinct.append(
                pa.table(
                    {
                        "piece": pa.array(np.full(entries, number), pa.int32()),
                        "entry": pa.array(np.arange(entries), pa.int32()),
                        "kind": pa.array([kind.value] * entries, pa.string()),
                        "value": dictionary.dictionary,
                    }
                )
            )
        if not any(table.num_rows for table in distinct):
            return drop
        with self._db_lock:
            db = self._database()
            db.register(_VALUES, pa.concat_tables(distinct))
            try:
                hits = db.execute(
                    f"select piece, entry from {_VALUES} v semi join {_LIST} l"
                    " on l.identifier_type = v.kind and l.identifier_hash = sha256(v.value)"
                ).fetchnumpy()
            finally:
                db.unregister(_VALUES)
        for number in np.unique(hits["piece"]).tolist():
            dictionary, rows = encoded[number]
            listed = pa.array(hits["entry"][hits["piece"] == number], dictionary.indices.type)
            found = pc.is_in(dictionary.indices, value_set=listed).fill_null(False)
            drop[rows[found.to_numpy(zero_copy_only=False)]] = True
        return drop

    def _normalized(
        self, kind: IdentifierType, values: pa.Array, rows: np.ndarray, drop: np.ndarray
    ) -> pa.Array:
        """Values normalized as the list hashed them; null where there is nothing to look up.
        Phones the cheap rule cannot vouch for are checked here, exactly, with phonenumbers
        (they mark `drop` directly)."""
        if kind is IdentifierType.EMAIL:
            return pc.utf8_lower(pc.utf8_trim(pc.cast(values, pa.string()), EMAIL_TRIM))
        if kind is IdentifierType.SOURCE_RECORD:
            return values
        e164, trusted = cheap_e164(values)
        unusual = pc.and_(pc.is_valid(values), pc.invert(trusted))
        listed = self.hashes[kind.value]
        for index in np.flatnonzero(unusual.to_numpy(zero_copy_only=False)).tolist():
            if _phone_hash(str(values[index].as_py())) in listed:
                drop[rows[index]] = True
        return pc.if_else(trusted, e164, pa.scalar(None, pa.string()))

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


def _prefixed(prefix: str, values: pa.Array) -> pa.Array:
    """`system:table:record_id` for each record id."""
    return pc.binary_join_element_wise(pa.scalar(prefix), pc.cast(values, pa.string()), ":")


def _phone_hash(text: str) -> str | None:
    try:
        return identifier_hash(normalize_phone(text))
    except ValueError:
        return None
