"""The guardrails an audience passes before any send, and the size each send leaves behind.

Both ways to send an audience go through here: the Dagster sync assets (`defs/activation.py`)
and `cdp sync`. A send that skipped the guardrails would push a false merge or a broken segment
to a destination; a send that did not record its audience size would leave the next size-swing
check comparing with an older sync. The size is kept where Dagster keeps it, in the metadata of
the sync asset's latest materialization in the shared instance, so each path sees the other's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dagster as dg
import duckdb

from orchestration.guardrails import (
    GuardrailOutcome,
    audience_change,
    largest_customer,
    merges_in_latest_build,
    segment_size,
)

if TYPE_CHECKING:
    from activation.engine import SyncResult
    from orchestration.guardrail_limits import GuardrailLimits

AUDIENCE_METADATA = "segment_members"
"""Metadata of each sync materialization: the segment's size when it was synced."""


def sync_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["activation", name])


def last_synced_audience(instance: dg.DagsterInstance, sync: str) -> int | None:
    event = instance.get_latest_materialization_event(sync_key(sync))
    if event is None or event.asset_materialization is None:
        return None
    value = event.asset_materialization.metadata.get(AUDIENCE_METADATA)
    return int(value.value) if value is not None else None


def audience_outcome(
    con: duckdb.DuckDBPyConnection,
    instance: dg.DagsterInstance,
    sync: str,
    segment: str,
    limits: GuardrailLimits,
) -> GuardrailOutcome:
    return audience_change(
        segment,
        segment_size(con, segment),
        last_synced_audience(instance, sync),
        limits.max_audience_change_share,
        limits.min_audience_size_for_change_check,
    )


def pre_send_verdicts(
    con: duckdb.DuckDBPyConnection,
    instance: dg.DagsterInstance,
    sync: str,
    segment: str,
    limits: GuardrailLimits,
) -> dict[str, GuardrailOutcome]:
    """Every guardrail a send must pass, keyed by its setting in orchestration/guardrails.yaml
    (the one place to raise a limit after a human looked)."""
    return {
        "max_customer_source_records": largest_customer(con, limits.max_customer_source_records),
        "max_merges_per_run": merges_in_latest_build(con, limits.max_merges_per_run),
        "max_audience_change_share": audience_outcome(con, instance, sync, segment, limits),
    }


def tripped(verdicts: dict[str, GuardrailOutcome]) -> list[str]:
    """The guardrails that hold a send back, each as its setting and what it measured."""
    return [f"{name}: {outcome.detail}" for name, outcome in verdicts.items() if not outcome.passed]


def synced_metadata(result: SyncResult, members: int) -> dict[str, Any]:
    """What a sync's materialization records; `members` is what the next size check compares."""
    return {
        "status": result.status,
        "added": result.added,
        "updated": result.updated,
        "removed": result.removed,
        "failed": result.failed,
        "skipped_consent": result.skipped_consent,
        "skipped_missing_key": result.skipped_missing_key,
        AUDIENCE_METADATA: members,
        "sync_run_id": result.run_id,
    }


def record_sync(instance: dg.DagsterInstance, result: SyncResult, members: int) -> None:
    """Record a send made outside Dagster as a materialization of its sync asset, as the asset
    itself would have."""
    instance.report_runless_asset_event(
        dg.AssetMaterialization(sync_key(result.sync), metadata=synced_metadata(result, members))
    )
