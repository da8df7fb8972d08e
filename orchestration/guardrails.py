"""Guardrails: sudden identity or audience changes that must stop activation until a human looks.

A false merge or a broken segment rule is cheap to fix in the warehouse and expensive once it has
been synced: thousands of people emailed or removed from an ad audience. Each function measures
one signal on the warehouse and says whether it is within its limit.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def merges_in_latest_build(con: duckdb.DuckDBPyConnection, limit: int) -> GuardrailOutcome:
    """Merges recorded by the latest build (its `changed_at`) must stay within `limit`."""
    row = con.execute(
        """
        select count(*) filter (where reason = 'merge'), max(changed_at)
        from marts.customer_id_changes
        where changed_at = (select max(changed_at) from marts.customer_id_changes)
        """
    ).fetchone()
    merges = int(row[0]) if row and row[0] is not None else 0
    at = row[1] if row else None
    return GuardrailOutcome(
        passed=merges <= limit,
        observed=merges,
        limit=limit,
        detail=f"{merges} customers merged in the build of {at} (limit {limit})"
        if at is not None
        else "no customer id changes recorded",
    )


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
