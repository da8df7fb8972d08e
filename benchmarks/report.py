"""Results as a dated Markdown section appended to docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import RunResult

_INTRO = """# Benchmarks

Written by `make bench` (`python -m benchmarks --size S|M|L --engine duckdb`). Each measurement
runs in a child process, three times by default; wall time and rows/s are the median run, peak
RSS the largest of the runs (kernel accounting of the child and the processes it waited for).
Rows are the records in the input (for ingestion: lines of the landing files, less CSV headers),
the same count for every tool of a stage, so rows/s compares the work done. Newest results last.
"""


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


def render(
    size: str,
    engine: str,
    machine: dict[str, str],
    results: list[MeasurementResult],
    dataset_note: str,
    now: dt.datetime,
) -> str:
    lines = [
        f"## {now:%Y-%m-%d %H:%M} UTC: size {size}, engine {engine}",
        "",
        f"- data: {dataset_note}",
        *(f"- {key}: {value}" for key, value in machine.items()),
        "",
        "| stage | measurement | rows | wall s | rows/s | vs reference | peak RSS MB | runs |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    references = {r.stage: r for r in results if r.reference}
    for result in results:
        reference = references.get(result.stage)
        share = (
            f"{result.rows_per_second / reference.rows_per_second:.0%}"
            if reference and not result.reference and reference.rows_per_second
            else ("(reference)" if result.reference else "")
        )
        lines.append(
            f"| {result.stage} | {result.name} | {result.rows:,} | {result.wall_seconds:.2f} | "
            f"{result.rows_per_second:,.0f} | {share} | {result.peak_rss_bytes / 2**20:,.0f} | "
            f"{len(result.runs)} |"
        )
    return "\n".join(lines) + "\n"


def append(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else _INTRO
    path.write_text(text.rstrip("\n") + "\n\n" + section, encoding="utf-8")
