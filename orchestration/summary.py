"""What a run did, in the words an operator checks first: loads, customers, segments, syncs.

Counts of this run come from the materialization metadata its assets reported; the state of the
warehouse (customers, segment sizes) is read from the serving copy, which is what analysts see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb


@dataclass
class RunSummary:
    success: bool
    run_id: str
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    syncs: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    skipped_steps: list[str] = field(default_factory=list)
    customers: int | None = None
    segments: dict[str, int] = field(default_factory=dict)
    serving_copy: Path | None = None


def _plain(metadata: dict[str, dg.MetadataValue]) -> dict[str, Any]:
    return {name: value.value for name, value in metadata.items()}


def summarize(result: dg.ExecuteInProcessResult, serving: Path) -> RunSummary:
    summary = RunSummary(success=result.success, run_id=result.run_id)
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        key = materialization.asset_key.path
        metadata = _plain(dict(materialization.metadata))
        if key[0].startswith("raw_"):
            summary.sources.setdefault(key[0].removeprefix("raw_"), metadata)
        elif key[0] == "activation":
            summary.syncs[key[-1]] = metadata
        elif key[0] == "serving":
            summary.serving_copy = serving
    summary.failed_checks = sorted(
        f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed
    )
    summary.failed_steps = sorted(e.step_key or "" for e in result.all_events if e.is_step_failure)
    summary.skipped_steps = sorted(e.step_key or "" for e in result.all_events if e.is_step_skipped)
    if serving.exists():
        with duckdb.connect(str(serving), read_only=True) as con:
            summary.customers = _scalar(con, "select count(*) from marts.customers")
            summary.segments = _segment_sizes(con)
    return summary


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int | None:
    try:
        row = con.execute(sql).fetchone()
    except duckdb.CatalogException:
        return None
    return int(row[0]) if row else None


def _segment_sizes(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Latest size of every segment, empty ones included (they have no membership rows)."""
    try:
        rows = con.execute(
            """
            select segment, members from marts.segment_sizes
            qualify row_number() over (partition by segment order by run_date desc) = 1
            order by segment
            """
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    return {str(segment): int(size) for segment, size in rows}


def render(summary: RunSummary) -> list[str]:
    lines = [f"run {summary.run_id}: {'succeeded' if summary.success else 'FAILED'}"]
    if summary.sources:
        lines.append("sources (this run):")
        lines.append(
            f"  {'system':<14}{'files':>7}{'rows read':>12}{'loaded':>12}{'rejected':>10}"
            f"{'suppressed':>12}"
        )
        for system, counts in sorted(summary.sources.items()):
            lines.append(
                f"  {system:<14}{counts.get('files_loaded', 0):>7}{counts.get('rows_read', 0):>12}"
                f"{counts.get('rows_loaded', 0):>12}{counts.get('rows_rejected', 0):>10}"
                f"{counts.get('rows_suppressed', 0):>12}"
            )
    if summary.customers is not None:
        lines.append(f"customers: {summary.customers}")
    if summary.segments:
        lines.append("segments (members):")
        lines.extend(f"  {name:<32}{size:>8}" for name, size in summary.segments.items())
    if summary.syncs:
        lines.append("syncs (this run):")
        for name, counts in sorted(summary.syncs.items()):
            shown = ", ".join(f"{k} {v}" for k, v in counts.items() if isinstance(v, int))
            lines.append(f"  {name}: {shown}")
    if summary.failed_checks:
        lines.append("failed checks (downstream syncs held back):")
        lines.extend(f"  {check}" for check in summary.failed_checks)
    if summary.failed_steps:
        lines.append(f"failed steps: {', '.join(summary.failed_steps)}")
    if summary.skipped_steps:
        lines.append(f"skipped steps: {', '.join(summary.skipped_steps)}")
    if summary.serving_copy is not None:
        lines.append(f"serving copy for analysts: {summary.serving_copy} (docs/serving.md)")
    return lines
