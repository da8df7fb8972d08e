"""What the measurements add up to: medians per stage, ratios to the peers, and the targets.

Kept apart from the Markdown so the JSON results and the report say the same thing.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from benchmarks.measure import RunResult
from orchestration.quality.identity import PRECISION_TARGET, RECALL_TARGET

GB = 10**9
FULL_REFRESH = "full refresh"
INCREMENTAL = "incremental"


@dataclass(frozen=True)
class MeasurementResult:
    stage: str
    name: str
    reference: bool
    runs: list[RunResult]

    @property
    def median(self) -> RunResult:
        ordered = sorted(self.runs, key=lambda run: run.wall_seconds)
        return ordered[(len(ordered) - 1) // 2]

    @property
    def wall_seconds(self) -> float:
        return statistics.median(run.wall_seconds for run in self.runs)

    @property
    def rows(self) -> int:
        return int(self.median.outcome["rows"])

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def peak_rss_bytes(self) -> int:
        return max(run.peak_rss_bytes for run in self.runs)

    def outcome_median(self, *keys: str) -> float | None:
        """Median over the runs of a number in the outcome (nested keys), None if absent."""
        values = []
        for run in self.runs:
            value: Any = run.outcome
            for key in keys:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, int | float):
                values.append(value)
        return statistics.median(values) if values else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "name": self.name,
            "reference": self.reference,
            "wall_seconds_median": self.wall_seconds,
            "rows": self.rows,
            "rows_per_second": self.rows_per_second,
            "peak_rss_bytes": self.peak_rss_bytes,
            "runs": [
                {
                    "wall_seconds": run.wall_seconds,
                    "peak_rss_bytes": run.peak_rss_bytes,
                    "outcome": run.outcome,
                }
                for run in self.runs
            ],
        }


@dataclass(frozen=True)
class PartMedian:
    stage: str
    part: str
    seconds: float
    rows: int | None
    peak_rss_bytes: int
    detail: str

    @property
    def rows_per_second(self) -> float | None:
        return self.rows / self.seconds if self.rows and self.seconds > 0 else None


def chain_run(results: list[MeasurementResult], kind: str) -> MeasurementResult | None:
    return next((r for r in results if r.stage == "chain" and r.name.startswith(kind)), None)


def find(results: list[MeasurementResult], stage: str, prefix: str) -> MeasurementResult | None:
    return next((r for r in results if r.stage == stage and r.name.startswith(prefix)), None)


def part_medians(result: MeasurementResult) -> list[PartMedian]:
    """Each part of the breakdown, median seconds over the runs, largest peak RSS."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for run in result.runs:
        for part in run.outcome.get("parts", []):
            grouped[(part["stage"], part["part"])].append(part)
    return [
        PartMedian(
            stage,
            name,
            statistics.median(p["seconds"] for p in parts),
            parts[0]["rows"],
            max(p["peak_rss_bytes"] for p in parts),
            parts[0]["detail"],
        )
        for (stage, name), parts in grouped.items()
    ]


def ingestion_seconds(result: MeasurementResult) -> float:
    """The chain's load step(s): dlt's extract / normalize / load of every system are inside."""
    return sum(
        part.seconds
        for part in part_medians(result)
        if part.stage == "ingestion" and part.detail == "Dagster step"
    )


def ratios(results: list[MeasurementResult]) -> list[dict[str, Any]]:
    """Ours against each peer, measured in the same run on the same data."""
    rows: list[dict[str, Any]] = []
    full = chain_run(results, FULL_REFRESH)
    readers = find(results, "ingestion_peer", "DuckDB")
    if full and readers:
        ours = full.rows / ingestion_seconds(full)
        rows.append(
            {
                "key": "ingestion",
                "comparison": "ingestion rows/s: chain's dlt loaders / DuckDB read_csv+read_json",
                "ours": ours,
                "peer": readers.rows_per_second,
                "ratio": ours / readers.rows_per_second,
                "unit": "rows/s",
            }
        )
    loop = full.outcome_median("identity_loop", "seconds") if full else None
    for prefix in ("Splink", "scipy"):
        peer = find(results, "identity_peers", prefix)
        if loop and peer:
            rows.append(
                {
                    "key": prefix.lower(),
                    "comparison": f"identity clustering s: ours (int_identity__links) / {prefix}",
                    "ours": loop,
                    "peer": peer.wall_seconds,
                    "ratio": loop / peer.wall_seconds,
                    "unit": "s",
                }
            )
    return rows


def targets(results: list[MeasurementResult], size: str) -> list[dict[str, Any]]:
    """The issues' targets, each with what was measured and whether it was met (None: not
    measured in this run)."""
    full = chain_run(results, FULL_REFRESH)
    incremental = chain_run(results, INCREMENTAL)
    found = {ratio["key"]: ratio for ratio in ratios(results)}
    ingestion, splink = found.get("ingestion"), found.get("splink")
    predictive = find(results, "predictive", "")
    chain = [r for r in (full, incremental) if r]
    rows = [
        _seconds("full refresh under 120 s (aim 60 s)", full, 120.0),
        _seconds("incremental run under 15 s", incremental, 15.0),
        {
            "target": "peak RSS under 4 GB (whole chain)",
            "measured": f"{max(r.peak_rss_bytes for r in chain) / GB:.2f} GB" if chain else None,
            "met": max(r.peak_rss_bytes for r in chain) < 4 * GB if chain else None,
        },
        {
            "target": "ingestion at least 50% of DuckDB's own readers",
            "measured": f"{ingestion['ratio']:.0%}" if ingestion else None,
            "met": ingestion["ratio"] >= 0.5 if ingestion else None,
        },
        {
            "target": "identity no slower than Splink's clustering",
            "measured": (
                f"{splink['ours']:.2f} s vs {splink['peer']:.2f} s ({splink['ratio']:.2f}x)"
                if splink
                else None
            ),
            "met": splink["ratio"] <= 1.0 if splink else None,
        },
        _seconds("predictions: fit + score under 10 s (issue 9)", predictive, 10.0),
        *(_quality(r) for r in chain),
    ]
    if size == "L":
        rows.append(
            {
                "target": "L completes without running out of memory",
                "measured": "completed" if full else None,
                "met": True if full else None,
            }
        )
    return rows


def _seconds(target: str, result: MeasurementResult | None, limit: float) -> dict[str, Any]:
    return {
        "target": target,
        "measured": f"{result.wall_seconds:.1f} s" if result else None,
        "met": result.wall_seconds < limit if result else None,
    }


def _quality(result: MeasurementResult) -> dict[str, Any]:
    precision = result.outcome_median("identity_quality", "precision") or 0.0
    recall = result.outcome_median("identity_quality", "recall") or 0.0
    kind = result.name.split(" (")[0]
    return {
        "target": f"identity precision >= {PRECISION_TARGET}, recall >= {RECALL_TARGET} ({kind})",
        "measured": f"precision {precision:.4f}, recall {recall:.4f}",
        "met": precision >= PRECISION_TARGET and recall >= RECALL_TARGET,
    }
