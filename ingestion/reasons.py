"""How a rejected row's reason is worded: one spelling for the JSONL parser's check of a line
and for the typing of a column (`_rejects.reason`, docs/raw-tables.md)."""

from __future__ import annotations

from ingestion.exports import Typed


def not_valid(name: str, typed: Typed) -> str:
    """`amount: not a valid integer`, `create_date: not a valid timestamp (%Y-%m-%d %H:%M)`."""
    described = f"{typed.kind.value} ({typed.fmt})" if typed.fmt else typed.kind.value
    return f"{name}: not a valid {described}"


def showing(reason: str, value: object) -> str:
    """The reason followed by the value as found (`: 'N/A'`); a missing value adds nothing."""
    return reason if value is None else f"{reason}: {value!r}"
