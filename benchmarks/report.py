"""Results as a dated Markdown section appended to docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import RunResult

_INTRO = """# Benchmarks

Written by `make bench` (`python -m benchmarks --size S|M|L --engine duckdb`; `--stage NAME` to
run one stage, `--runs N` to change the number of runs). The data is generated once per size
under `data/bench/<size>` (S 1k, M 1M, L 10M people) and reused.

How it measures: each measurement runs in a child process, three times by default, each time
into a fresh warehouse. Wall time is the function's own (interpreter start-up excluded), the
median of the runs; rows/s is rows over that median. Rows are the records in the input (for
ingestion: the lines of the landing files, less CSV headers), the same count for every tool of a
stage, so rows/s compares the work done. Peak RSS is the largest of the runs, from the kernel's
accounting of the child and of the processes it started. Stages live in `benchmarks/stages/`
(one module each, registered in `benchmarks/registry.py`); a stage's reference measurement is
what the others are compared with ("vs reference").

Targets (issue 2): ingestion at least 50 % of DuckDB's own `read_csv`/`read_json` rate on the
same files, peak RSS under 4 GB. The machine is shared with other work; the load average printed
with each result says how busy it was. Newest results last.
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
