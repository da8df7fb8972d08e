"""The global suppression list: hashed identifiers no sync may send to, whatever the segment.

Stored as SHA-256 of the normalized identifier (email trimmed and lowercased, phone in E.164,
or a customer_id), so the list itself holds no readable PII.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from activation.normalize import normalize_email, phone_e164, sha256_hex
from activation.state import ensure_schema


def suppression_hashes(
    emails: Iterable[str] = (), phones: Iterable[str] = (), customer_ids: Iterable[str] = ()
) -> list[str]:
    hashes = [sha256_hex(e) for e in map(normalize_email, emails) if e]
    hashes += [sha256_hex(p) for p in map(phone_e164, phones) if p]
    hashes += [sha256_hex(c) for c in customer_ids]
    return hashes


def suppress(warehouse: Path, hashes: Iterable[str], reason: str) -> int:
    """Add identifier hashes to the list; returns how many were new."""
    rows = [[h, reason] for h in dict.fromkeys(hashes)]
    conn = duckdb.connect(str(warehouse))
    try:
        ensure_schema(conn)
        before = conn.execute("select count(*) from activation.suppressions").fetchone()[0]
        if rows:
            conn.executemany(
                "insert or ignore into activation.suppressions (identifier_hash, reason)"
                " values (?, ?)",
                rows,
            )
        after = conn.execute("select count(*) from activation.suppressions").fetchone()[0]
        return int(after - before)
    finally:
        conn.close()
