"""Results as a dated Markdown section of docs/benchmarks.md, and as JSON for diffing.

A section holds, in this order: the machine and data, the targets table (target, measured,
met?), the end-to-end runs, the per-stage breakdown of the full refresh and the increment, the
ratios to the peers, and every measurement as measured.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from benchmarks import summary
from benchmarks.summary import MeasurementResult

MB = 2**20
NONE = "-"


def render(
    header: dict[str, Any],
    machine: dict[str, str],
    results: list[MeasurementResult],
    now: dt.datetime,
) -> str:
    lines = [
        f"## {now:%Y-%m-%d %H:%M} UTC: size {header['size']}, engine {header['engine']}, "
        f"median of {header['repeat']} run(s)",
        "",
        f"- data: {header['dataset']}",
        f"- stages: {', '.join(header['stages'])}",
        *(f"- {key}: {value}" for key, value in machine.items()),
        "",
        *_targets(results, header["size"]),
        *_end_to_end(results),
        *_breakdown(results),
        *_ratios(results),
        *_measurements(results),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def _targets(results: list[MeasurementResult], size: str) -> list[str]:
    note = "" if size == "M" else f" The targets are set for M; at {size} they are indicative."
    lines = [
        "### Targets",
        "",
        f"Issue 8 (M on 2 cores / 24 GiB) and issue 9 (predictions).{note}",
        "",
        "| target | measured | met? |",
        "|---|---|---|",
    ]
    for target in summary.targets(results, size):
        met = {True: "yes", False: "**no**", None: "not measured"}[target["met"]]
        lines.append(f"| {target['target']} | {target['measured'] or NONE} | {met} |")
    return [*lines, ""]


def _end_to_end(results: list[MeasurementResult]) -> list[str]:
    chain = [r for r in results if r.stage == "chain"]
    if not chain:
        return []
    lines = [
        "### End to end (`cdp run`)",
        "",
        "| run | wall s | records | records/s | peak RSS MB | DuckDB file MB "
        "| precision | recall | F1 | runs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in chain:
        quality = [
            result.outcome_median("identity_quality", key) for key in ("precision", "recall", "f1")
        ]
        size = result.outcome_median("warehouse_bytes") or 0
        shown = " | ".join(NONE if q is None else f"{q:.4f}" for q in quality)
        lines.append(
            f"| {result.name} | {result.wall_seconds:.2f} | {result.rows:,} | "
            f"{result.rows_per_second:,.0f} | {result.peak_rss_bytes / MB:,.0f} | "
            f"{size / MB:,.0f} | {shown} | {len(result.runs)} |"
        )
    return [*lines, ""]


def _breakdown(results: list[MeasurementResult]) -> list[str]:
    full = summary.chain_run(results, summary.FULL_REFRESH)
    incremental = summary.chain_run(results, summary.INCREMENTAL)
    if full is None:
        return []
    later = {(p.stage, p.part): p for p in summary.part_medians(incremental)} if incremental else {}
    lines = [
        "### Per stage (median seconds; rows are what the part read or wrote)",
        "",
        "| stage | part | rows | full s | rows/s | peak RSS MB | incr. rows | incr. s "
        "| incr. peak RSS MB | note |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for part in summary.part_medians(full):
        after = later.get((part.stage, part.part))
        lines.append(
            f"| {part.stage} | {part.part} | {_count(part.rows)} | {part.seconds:.2f} | "
            f"{_count(part.rows_per_second)} | {part.peak_rss_bytes / MB:,.0f} | "
            + (
                f"{_count(after.rows)} | {after.seconds:.2f} | {after.peak_rss_bytes / MB:,.0f}"
                if after
                else f"{NONE} | {NONE} | {NONE}"
            )
            + f" | {part.detail} |"
        )
    return [*lines, ""]


def _ratios(results: list[MeasurementResult]) -> list[str]:
    found = summary.ratios(results)
    if not found:
        return []
    lines = [
        "### Against the peers (same data, same run)",
        "",
        "| comparison | ours | peer | ours / peer |",
        "|---|---:|---:|---:|",
    ]
    for ratio in found:
        fmt = "{:,.0f}" if ratio["unit"] == "rows/s" else "{:.2f}"
        lines.append(
            f"| {ratio['comparison']} | {fmt.format(ratio['ours'])} | "
            f"{fmt.format(ratio['peer'])} | {ratio['ratio']:.2f} |"
        )
    return [*lines, ""]


def _measurements(results: list[MeasurementResult]) -> list[str]:
    lines = [
        "### Every measurement",
        "",
        "| stage | measurement | rows | wall s | rows/s | vs reference | peak RSS MB | runs |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    references = {r.stage: r for r in results if r.reference}
    for result in results:
        reference = references.get(result.stage)
        allowed = result.median.outcome.get("share_of_allowed")  # activation throughput
        share = (
            f"{result.rows_per_second / reference.rows_per_second:.0%}"
            if reference and not result.reference and reference.rows_per_second
            else ("(reference)" if result.reference else "")
        )
        share = f"{allowed:.0%} of allowed rate" if allowed is not None else share
        lines.append(
            f"| {result.stage} | {result.name} | {result.rows:,} | {result.wall_seconds:.2f} | "
            f"{result.rows_per_second:,.0f} | {share} | {result.peak_rss_bytes / MB:,.0f} | "
            f"{len(result.runs)} |"
        )
    return lines


def _count(value: float | None) -> str:
    return NONE if value is None else f"{value:,.0f}"


def append(path: Path, section: str) -> None:
    """Add the section after the last one (newest last); the intro above them is kept."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    path.write_text(text.rstrip("\n") + "\n\n" + section, encoding="utf-8")


def write_json(
    folder: Path,
    header: dict[str, Any],
    machine: dict[str, str],
    results: list[MeasurementResult],
    now: dt.datetime,
) -> Path:
    """Everything measured, every run, under `folder/<date>-<size>.json`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{now:%Y%m%dT%H%M%S}-{header['size']}-{header['engine']}.json"
    document = {
        "date": now.isoformat(),
        **header,
        "machine": machine,
        "targets": summary.targets(results, header["size"]),
        "ratios": summary.ratios(results),
        "breakdown": {
            result.name: [vars(part) for part in summary.part_medians(result)]
            for result in results
            if result.stage == "chain"
        },
        "measurements": [result.as_dict() for result in results],
    }
    path.write_text(json.dumps(document, indent=2, default=str), encoding="utf-8")
    return path
