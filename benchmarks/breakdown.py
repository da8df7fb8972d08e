"""Where the time of one `cdp run` went, per stage, from what the run itself recorded.

Nothing is re-run to measure a part: Dagster's step events give each step's window, dlt's trace
of each system's pipeline gives extract / normalize / load, dbt's `run_results.json` (with the
manifest beside it) gives every model's execution time, and the activation library's log line
after its diff splits each sync step into diff and send. Peak RSS of a part is the largest
sample of `benchmarks.sampling` inside its windows.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.sampling import RssSampler

Window = tuple[float, float]

IDENTITY_LOOP = "int_identity__links"
"""The connected-components model; its passes are logged beside it (int_identity__links__runs)."""
DBT_LAYERS = {
    # (fqn folder, model name) rules -> reported stage, in order; the first match wins
    ("marts", "customer_traits"): "traits",
    ("marts", "predictions"): "predictions",
    ("intermediate", "identity"): "identity",
}


@dataclass(frozen=True)
class Part:
    """One row of the breakdown: a stage of the chain and what it did."""

    stage: str
    part: str
    seconds: float
    rows: int | None
    peak_rss_bytes: int
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class SyncDiffTimes(logging.Handler):
    """Notes when each sync finished its diff: `activation.engine` logs the plan right after."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.planned_at: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("sync ") and "planned" in record.getMessage():
            self.planned_at[str(record.args[0]) if record.args else ""] = record.created


def step_windows(instance: Any, run_id: str) -> dict[str, Window]:
    """Dagster step key -> (start, end) in unix seconds, for the steps that succeeded."""
    started: dict[str, float] = {}
    windows: dict[str, Window] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif event.event_type_value == "STEP_SUCCESS" and event.step_key in started:
            windows[event.step_key] = (started[event.step_key], entry.timestamp)
    return windows


def ingestion_parts(
    windows: dict[str, Window],
    rows_read: dict[str, int],
    warehouse: Path,
    sampler: RssSampler,
) -> list[Part]:
    """The one load step of every system, then per system the span of its dlt pipeline in this
    run and dlt's extract / normalize / load (a system's extract overlaps the previous one's
    load, so the systems' spans add up to more than the step)."""
    import dlt

    from orchestration.defs.ingest import INGESTION_STEP

    window = windows.get(INGESTION_STEP)
    if window is None:
        return []
    total = sum(rows_read.values())
    parts = [_part("ingestion", INGESTION_STEP, [window], total, sampler, "Dagster step")]
    for system, rows in sorted(rows_read.items()):
        pipeline = dlt.attach(
            pipeline_name=f"{warehouse.stem}_{system}",
            pipelines_dir=str(warehouse.parent / ".dlt" / "pipelines"),
        )
        trace = pipeline.last_trace
        if trace is None or trace.started_at.timestamp() < window[0]:
            continue  # nothing new to load for this system in this run
        spans = {
            step_trace.step: (step_trace.started_at.timestamp(), step_trace.finished_at.timestamp())
            for step_trace in trace.steps
            if step_trace.step in ("extract", "normalize", "load") and step_trace.finished_at
        }
        if not spans:
            continue
        whole = (min(start for start, _ in spans.values()), max(end for _, end in spans.values()))
        parts.append(_part("ingestion", system, [whole], rows, sampler, "dlt: extract to load"))
        parts += [
            _part("ingestion", f"{system} {step}", [span], rows, sampler, "dlt trace")
            for step, span in spans.items()
        ]
    return parts


def dbt_parts(
    target: Path, step_window: Window, warehouse: Path, sampler: RssSampler
) -> list[Part]:
    """Per dbt layer (staging, identity, intermediate, marts, traits, predictions, segments),
    data and unit tests, and the rest of the dbt step (start-up, parse, hooks)."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    seconds: dict[str, float] = defaultdict(float)
    spans: dict[str, list[Window]] = defaultdict(list)
    relations: dict[str, list[str]] = defaultdict(list)
    for result in results:
        node = nodes.get(result["unique_id"], {})
        stage = _dbt_stage(result["unique_id"], node)
        seconds[stage] += result["execution_time"]
        spans[stage].extend(_timing_windows(result))
        if node.get("config", {}).get("materialized") in ("table", "incremental", "seed"):
            relations[stage].append(node["relation_name"])
    rows = _relation_rows(warehouse, relations)
    loop = identity_loop(target, warehouse)
    parts = [
        _part(
            "dbt",
            stage,
            spans[stage],
            rows.get(stage),
            sampler,
            _dbt_detail(stage, loop),
            seconds=seconds[stage],
        )
        for stage in sorted(seconds, key=_layer_order)
    ]
    rest = (step_window[1] - step_window[0]) - sum(seconds.values())
    parts.append(_part("dbt", "start-up and parse", [step_window], None, sampler, "", seconds=rest))
    return parts


def identity_loop(target: Path, warehouse: Path) -> dict[str, Any]:
    """Seconds of the connected-components model in this build and its passes (component
    computations): the figure compared with Splink's and scipy's clustering of the same links."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    seconds = next(
        (r["execution_time"] for r in results if r["unique_id"].endswith(f".{IDENTITY_LOOP}")),
        None,
    )
    return {"seconds": seconds, "passes": _identity_passes(warehouse)}


def activation_parts(
    windows: dict[str, Window], diffs: SyncDiffTimes, sampler: RssSampler
) -> list[Part]:
    """Every sync step split at the end of its diff: guardrails + diff, then sending."""
    diff_spans: list[Window] = []
    send_spans: list[Window] = []
    for step, (start, end) in windows.items():
        if not step.startswith("activation__"):
            continue
        sync = step.removeprefix("activation__")
        planned = diffs.planned_at.get(sync)
        if planned is None:  # skipped: its destination is not configured
            continue
        diff_spans.append((start, planned))
        send_spans.append((planned, end))
    count = f"{len(diff_spans)} syncs run (unconfigured destinations are skipped)"
    return [
        _part("activation", "diff (guardrails + diff)", diff_spans, None, sampler, count),
        _part("activation", "sync (send + acknowledge)", send_spans, None, sampler, count),
    ]


GUARDRAIL_STEPS = ("_within_limit", "_audience_size_stable_")
OTHER_STEPS = {"serving__warehouse_copy": "serving copy", "serving__dbt_docs": "dbt docs"}


def other_parts(windows: dict[str, Window], wall: Window, sampler: RssSampler) -> list[Part]:
    """Guardrail checks together, the serving copy, dbt docs, and the time outside any step
    (loading definitions, checking the dbt manifest, starting and finishing the run)."""
    guardrails = [w for step, w in windows.items() if any(g in step for g in GUARDRAIL_STEPS)]
    parts = [
        _part("other", "guardrail checks", guardrails, None, sampler, f"{len(guardrails)} checks")
    ]
    parts += [
        _part("other", name, [windows[step]], None, sampler, "Dagster step")
        for step, name in OTHER_STEPS.items()
        if step in windows
    ]
    in_steps = sum(end - start for start, end in windows.values())
    outside = (wall[1] - wall[0]) - in_steps
    note = "definitions, manifest, run start and end"
    parts.append(_part("other", "outside steps", [wall], None, sampler, note, outside))
    return parts


def _part(
    stage: str,
    part: str,
    windows: list[Window],
    rows: int | None,
    sampler: RssSampler,
    detail: str,
    seconds: float | None = None,
) -> Part:
    total = sum(end - start for start, end in windows) if seconds is None else seconds
    return Part(stage, part, round(total, 3), rows, sampler.peak(windows), detail)


def _dbt_stage(unique_id: str, node: dict[str, Any]) -> str:
    kind = unique_id.split(".", 1)[0]
    if kind != "model":
        return _NOT_MODELS.get(kind, kind)
    folders = node.get("fqn", [])[1:-1]
    for (folder, name), stage in DBT_LAYERS.items():
        if folder in folders[:1] and (name in folders or node.get("name") == name):
            return stage
    return folders[0] if folders else "models"


_NOT_MODELS = {
    "test": "data tests",
    "unit_test": "unit tests",
    "seed": "seeds",
    "operation": "hooks",
}
_ORDER = (
    "hooks",
    "seeds",
    "staging",
    "identity",
    "intermediate",
    "marts",
    "traits",
    "predictions",
    "segments",
    "data tests",
    "unit tests",
)


def _layer_order(stage: str) -> tuple[int, str]:
    return (_ORDER.index(stage) if stage in _ORDER else len(_ORDER), stage)


def _timing_windows(result: dict[str, Any]) -> list[Window]:
    windows = []
    for timing in result.get("timing", []):
        if timing.get("started_at") and timing.get("completed_at"):
            windows.append((_unix(timing["started_at"]), _unix(timing["completed_at"])))
    return windows


def _unix(stamp: str) -> float:
    parsed = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp()


def _relation_rows(warehouse: Path, relations: dict[str, list[str]]) -> dict[str, int]:
    """Rows each stage wrote: the sum of its tables' row counts after the run."""
    totals: dict[str, int] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        database = con.execute("select current_database()").fetchone()[0]
        for stage, names in relations.items():
            total = 0
            for name in names:
                local = name.replace(f'"{database}".', "", 1)
                try:
                    total += int(con.execute(f"select count(*) from {local}").fetchone()[0])
                except duckdb.CatalogException:
                    continue
            totals[stage] = total
    return totals


def _identity_passes(warehouse: Path) -> int | None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        try:
            row = con.execute(
                f"select iterations from intermediate.{IDENTITY_LOOP}__runs "
                "order by finished_at desc limit 1"
            ).fetchone()
        except duckdb.CatalogException:
            return None
    return int(row[0]) if row else None


def _dbt_detail(stage: str, loop: dict[str, Any]) -> str:
    if stage != "identity" or loop["seconds"] is None:
        return ""
    return (
        f"of which connected components ({IDENTITY_LOOP}) {loop['seconds']:.2f} s, "
        f"{loop['passes']} connected-components passes"
    )
