"""The receipt: a scan of every text column of every table, in the warehouse and in each serving
copy beside it, for each identifier of the person, written as JSON with hashes only.

The scan uses the predicates the deletion used (`matching`), so a receipt with 0 rows matched
says: no table of these databases still mentions any of the person's emails, phones, customer ids
or source record ids, in any of the forms the exports write them. A search of each file's raw
bytes adds that no freed block still carries them (see `compaction`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.privacy.deletion import text_tables
from orchestration.privacy.matching import HASH_LISTS, patterns, quote_identifier, row_matches
from orchestration.privacy.resolve import Person

RECEIPT_VERSION = 1


@dataclass(frozen=True)
class DatabaseScan:
    database: str
    rows_matched: dict[str, int]
    """`schema.table` -> rows mentioning the person, for every table scanned."""
    file_bytes_matched: int = 0

    @property
    def total(self) -> int:
        return sum(self.rows_matched.values()) + self.file_bytes_matched


def scan_database(path: Path, person: Person) -> DatabaseScan:
    """Count the rows of each table of `path` (opened read-only) that mention the person."""
    found = patterns(person)
    unhashed = {kind: pattern for kind, pattern in found.items() if kind != "hashed"}
    counts: dict[str, int] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for (schema, table), columns in text_tables(con).items():
            qualified = f"{quote_identifier(schema)}.{quote_identifier(table)}"
            wanted = unhashed if f"{schema}.{table}" in HASH_LISTS else found
            row = con.execute(
                f"select count(*) from {qualified} where {row_matches(columns, wanted)}"
            ).fetchone()
            counts[f"{schema}.{table}"] = int(row[0]) if row else 0
    return DatabaseScan(
        database=path.name, rows_matched=counts, file_bytes_matched=bytes_mentioning(path, person)
    )


def databases_to_scan(warehouse: Path) -> list[Path]:
    """The warehouse and every DuckDB file beside it (the serving copies, masked and restricted),
    whatever their names: a copy nobody listed is scanned too."""
    siblings = sorted(
        path
        for path in warehouse.parent.glob("*.duckdb")
        if path != warehouse and not path.name.startswith(".")
    )
    return [warehouse, *siblings]


@dataclass(frozen=True)
class Receipt:
    path: Path
    sha256: str
    outcome: str
    tables_scanned: int
    rows_matched: int
    """Table rows plus raw-byte mentions found: anything but 0 means the erasure is not done."""


def write_receipt(
    receipts_dir: Path,
    request_id: str,
    *,
    outcome: str,
    request: dict[str, object],
    scans: list[DatabaseScan],
    steps: dict[str, object],
) -> Receipt:
    """Write `<receipts_dir>/<request_id>.json` atomically. Only hashes and counts go in it."""
    rows_matched = sum(scan.total for scan in scans)
    bytes_matched = sum(scan.file_bytes_matched for scan in scans)
    document = {
        "receipt_version": RECEIPT_VERSION,
        "request_id": request_id,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "outcome": outcome,
        "request": request,
        "scan": {
            "rows_matched": rows_matched - bytes_matched,
            "file_bytes_matched": bytes_matched,
            "databases": [
                {
                    "database": scan.database,
                    "tables_scanned": len(scan.rows_matched),
                    "rows_matched": sum(scan.rows_matched.values()),
                    "file_bytes_matched": scan.file_bytes_matched,
                    "tables": scan.rows_matched,
                }
                for scan in scans
            ],
        },
        "steps": steps,
    }
    text = json.dumps(document, indent=2, sort_keys=True, default=str) + "\n"
    receipts_dir.mkdir(parents=True, exist_ok=True)
    path = receipts_dir / f"{request_id}.json"
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
    return Receipt(
        path=path,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        outcome=outcome,
        tables_scanned=sum(len(scan.rows_matched) for scan in scans),
        rows_matched=rows_matched,
    )


def bytes_mentioning(path: Path, person: Person) -> int:
    """How many times the file's raw bytes hold an email (any case), a customer id or an E.164
    phone of the person: evidence beyond SQL that no freed block still carries them. A compressed
    value can hide from this search, so 0 here supports, and never replaces, the table scan."""
    needles = [*person.emails, *person.customer_ids, *person.phones]
    if not needles:
        return 0
    pattern = re.compile(b"|".join(re.escape(n.encode()) for n in needles), re.IGNORECASE)
    return len(pattern.findall(path.read_bytes()))
