"""Guardrails: sudden identity or audience changes that must stop activation until a human looks.

A false merge or a broken segment rule is cheap to fix in the warehouse and expensive once it has
been synced: thousands of people emailed or removed from an ad audience. Each function measures
one signal on the warehouse and says whether it is within its limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass(frozen=True)
class GuardrailOutcome:
    passed: bool
    observed: float
    limit: float
    detail: str


def largest_customer(con: duckdb.DuckDBPyConnection, limit: int) -> GuardrailOutcome:
    """The customer stitched from the most source records must stay within `limit` records."""
    row = con.execute(
        """
        select customer_id, source_record_count
        from marts.customers
        order by source_record_count desc, customer_id
        limit 1
        """
    ).fetchone()
    if row is None:
        return GuardrailOutcome(True, 0, limit, "no customers yet")
    customer_id, size = row[0], int(row[1])
    return GuardrailOutcome(
        passed=size <= limit,
        observed=size,
        limit=limit,
        detail=f"largest customer {customer_id} has {size} source records (limit {limit})",
    )


BEFORE_LATEST_BUILD = "intermediate.customer_id_changes__before_build"
"""The newest change recorded before customer_id_changes' latest build (its pre-hook)."""


def merges_in_latest_build(con: duckdb.DuckDBPyConnection, limit: int) -> GuardrailOutcome:
    """Merges the latest build of customer_id_changes added must stay within `limit`.

    That build added every change after the newest one stored before it, which can span several
    identity runs when an earlier build was skipped, so the newest `changed_at` alone would
    undercount. A warehouse without the mark (built before it was kept) counts every change.
    """
    has_mark = con.execute(
        "select count(*) from information_schema.tables"
        " where table_schema || '.' || table_name = ?",
        [BEFORE_LATEST_BUILD],
    ).fetchone() == (1,)
    before = f"(select max(changed_at) from {BEFORE_LATEST_BUILD})" if has_mark else "null"
    row = con.execute(
        f"""
        select count(*) filter (where reason = 'merge'), min(changed_at), max(changed_at)
        from marts.customer_id_changes
        where changed_at > coalesce({before}, cast('0001-01-01' as timestamp))
        """
    ).fetchone()
    merges = int(row[0]) if row and row[0] is not None else 0
    first, last = (row[1], row[2]) if row else (None, None)
    return GuardrailOutcome(
        passed=merges <= limit,
        observed=merges,
        limit=limit,
        detail=f"{merges} customers merged in the latest build, changes of {_span(first, last)} "
        f"(limit {limit})"
        if last is not None
        else "no customer id changes in the latest build",
    )


def _span(first: datetime, last: datetime) -> str:
    return str(last) if first == last else f"{first} to {last}"


def audience_change(
    segment: str,
    current: int,
    last_synced: int | None,
    max_share: float,
    min_size: int,
) -> GuardrailOutcome:
    """An audience must not grow or shrink by more than `max_share` since its last sync.

    The first sync has nothing to compare with; tiny audiences (both sizes under `min_size`) swing
    by large shares for no reason, so they pass.
    """
    if last_synced is None:
        return GuardrailOutcome(True, 0.0, max_share, f"{segment}: first sync, {current} members")
    if max(current, last_synced) < min_size:
        return GuardrailOutcome(
            True,
            0.0,
            max_share,
            f"{segment}: {last_synced} -> {current} members, below {min_size}, not compared",
        )
    share = abs(current - last_synced) / max(last_synced, 1)
    return GuardrailOutcome(
        passed=share <= max_share,
        observed=round(share, 4),
        limit=max_share,
        detail=f"{segment}: {last_synced} -> {current} members, changed {share:.0%} "
        f"(limit {max_share:.0%})",
    )


def segment_size(con: duckdb.DuckDBPyConnection, segment: str) -> int:
    row = con.execute(
        "select count(*) from marts.segment_memberships where segment = ?", [segment]
    ).fetchone()
    return int(row[0]) if row else 0
