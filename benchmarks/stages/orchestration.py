"""Stage `orchestration`: the whole chain through Dagster, as `make run` executes it.

Two measurements, both `orchestration.runner.run_pipeline()` (the in-process Dagster run of the
full-chain job: ingestion, dbt build with its tests, guardrails, syncs, serving copy, dbt docs):

- full refresh: an empty warehouse and every landing file (target under 120 s at M);
- incremental: after a full refresh (prepared, not timed), 1% of keyed records re-delivered with a
  new modification time plus one new day of email events and ad insights (target under 15 s).

Each outcome also carries the wall time of every Dagster step, so a slow run shows where.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks.registry import BenchContext, Measurement, Stage, register

INCREMENT_STAMP = "20261102"
CHANGED_SHARE = 0.01
CHANGED_RECORDS = {
    # export file prefix -> (column holding the modification time, its new value)
    "hubspot/contacts_": ("Last Modified Date", "2026-11-02 09:00"),
    "hubspot/deals_": ("Last Modified Date", "2026-11-02 09:00"),
    "mailchimp/subscribed_": ("LAST_CHANGED", "2026-11-02 09:00:00"),
    "vnpay/transactions_": (None, None),
}
DAILY_EVENTS = {
    # export file prefix -> the date field of each event or row
    "mailchimp/campaign_activity_": "timestamp",
    "facebook_ads/insights_": "date_start",
    "google_ads/campaign_performance_": "segments.date",
}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def run_chain(landing: str, root: str) -> dict[str, Any]:
    """One `cdp run` on `landing`, with the warehouse and Dagster home under `root`."""
    base = Path(root)
    os.environ["CDP_DATA_DIR"] = str(base / "data")
    os.environ["CDP_WAREHOUSE"] = str(base / "data" / "warehouse" / "cdp.duckdb")
    os.environ["CDP_LANDING"] = landing
    os.environ["DAGSTER_HOME"] = str(base / "dagster_home")
    import dagster as dg

    from orchestration.runner import run_pipeline

    result = run_pipeline(launched_by="benchmark")
    steps: dict[str, float] = {}
    started: dict[str, float] = {}
    with dg.DagsterInstance.get() as instance:
        for entry in instance.all_logs(result.run_id):
            event = entry.dagster_event
            if event is None or event.step_key is None:
                continue
            if event.event_type_value == "STEP_START":
                started[event.step_key] = entry.timestamp
            elif event.event_type_value == "STEP_SUCCESS":
                steps[event.step_key] = round(entry.timestamp - started[event.step_key], 2)
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        raise RuntimeError(f"the Dagster run failed in steps {failed}")
    return {"rows": _rows_loaded(result), "steps": steps}


def _rows_loaded(result: Any) -> int:
    """Each system reports its load on every one of its tables: count each system once."""
    seen: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        system = materialization.asset_key.path[0]
        if system.startswith("raw_") and "rows_loaded" in materialization.metadata:
            seen[system] = int(materialization.metadata["rows_loaded"].value)
    return sum(seen.values())


def _linked_landing(source: Path, target: Path) -> None:
    """A landing folder of symlinks: the chain reads the generated files without copying GBs."""
    for path in source.rglob("*"):
        if path.is_file():
            link = target / path.relative_to(source)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)


def _full_refresh_kwargs(context: BenchContext, run: int) -> dict[str, Any]:
    root = context.work_dir / f"full-{run}"
    shutil.rmtree(root, ignore_errors=True)
    _linked_landing(context.landing, root / "landing")
    return {"landing": str(root / "landing"), "root": str(root)}


def _incremental_kwargs(context: BenchContext, run: int) -> dict[str, Any]:
    """Full refresh first (in a child, untimed), then land the increment for the timed run."""
    from benchmarks.measure import run_in_child

    kwargs = _full_refresh_kwargs(context, run)
    run_in_child("benchmarks.stages.orchestration:run_chain", kwargs)
    write_increment(context.landing, Path(kwargs["landing"]))
    return kwargs


def write_increment(source: Path, landing: Path) -> dict[str, int]:
    """Into `landing`: 1% of keyed records re-delivered (with a new modification time where the
    export has one) and the last day of each daily event export repeated as the next day."""
    written: dict[str, int] = {}
    for prefix, (column, value) in CHANGED_RECORDS.items():
        for path in sorted(source.glob(f"{prefix}*.csv")):
            out = landing / f"{prefix}{INCREMENT_STAMP}_bench_changes_{path.stem}.csv"
            written[out.name] = _every_nth_row(path, out, round(1 / CHANGED_SHARE), column, value)
    for prefix, field in DAILY_EVENTS.items():
        for path in sorted(source.glob(f"{prefix}*")):
            out = landing / f"{prefix}{INCREMENT_STAMP}_bench_next_day{path.suffix}"
            written[out.name] = _next_day(path, out, field)
    return written


def _every_nth_row(path: Path, out: Path, nth: int, column: str | None, value: str | None) -> int:
    count = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with path.open(newline="", encoding="utf-8") as src, out.open("w", newline="") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        for index, row in enumerate(reader):
            if index % nth == 0:
                if column is not None and column in row:
                    row[column] = value or ""
                writer.writerow(row)
                count += 1
    return count


def _next_day(path: Path, out: Path, field: str) -> int:
    last = _last_day(path, field)
    following = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    count = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with path.open(encoding="utf-8", newline="") as src, out.open("w", newline="") as dst:
        if path.suffix == ".jsonl":
            for line in src:
                event = _json_or_none(line) if last in line else None
                if event and str(event.get(field, "")).startswith(last):
                    event[field] = event[field].replace(last, following, 1)
                    dst.write(json.dumps(event, ensure_ascii=False) + "\n")
                    count += 1
        else:
            reader = csv.DictReader(src)
            writer = csv.DictWriter(dst, fieldnames=reader.fieldnames or [])
            writer.writeheader()
            for row in reader:
                if row.get(field, "").startswith(last):
                    writer.writerow({k: (v or "").replace(last, following) for k, v in row.items()})
                    count += 1
    return count


def _json_or_none(line: str) -> dict[str, Any] | None:
    """The exports carry deliberately malformed lines; the increment repeats only sound ones."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


def _last_day(path: Path, field: str) -> str:
    last = ""
    with path.open(encoding="utf-8", newline="") as src:
        if path.suffix == ".jsonl":
            pattern = re.compile(rf'"{re.escape(field)}"\s*:\s*"(\d{{4}}-\d{{2}}-\d{{2}})')
            for line in src:
                match = pattern.search(line)
                if match and match.group(1) > last:
                    last = match.group(1)
        else:
            for row in csv.DictReader(src):
                match = _ISO_DAY.match(row.get(field, ""))
                if match and match.group(0) > last:
                    last = match.group(0)
    if not last:
        raise ValueError(f"{path}: no {field} dates found")
    return last


register(
    Stage(
        name="orchestration",
        description="the whole chain through Dagster in-process (`cdp run`)",
        measurements=(
            Measurement(
                name="full refresh (cdp run, empty warehouse)",
                target="benchmarks.stages.orchestration:run_chain",
                kwargs=_full_refresh_kwargs,
            ),
            Measurement(
                name="incremental (1% records changed + 1 new day of events)",
                target="benchmarks.stages.orchestration:run_chain",
                kwargs=_incremental_kwargs,
            ),
        ),
    )
)
