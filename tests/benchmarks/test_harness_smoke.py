"""The `make bench` harness end to end on a tiny size: one pass of the chain (full refresh and
increment through `cdp run`) and its peers, then the report and the JSON it writes.

No time is asserted anywhere: the machine running the tests may be busy. What must hold is that
the report has every stage, the ratios to the peers and the targets table.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.__main__ import main

pytestmark = pytest.mark.slow

STAGES = "chain,ingestion_peer,identity_peers"


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    folder = tmp_path_factory.mktemp("bench")
    report = folder / "benchmarks.md"
    report.write_text("# Benchmarks\n\nIntro kept above the sections.\n")
    argv = ["--size", "XS", "--repeat", "1", "--stages", STAGES, "--data", str(folder / "data")]
    argv += ["--report", str(report), "--results", str(folder / "results")]
    assert main(argv) == 0
    (results,) = (folder / "results").glob("*-XS-duckdb.json")
    return report.read_text(), json.loads(results.read_text())


def _rows(report: str, heading: str) -> list[list[str]]:
    """The body rows of the Markdown table under `heading`, as lists of cells."""
    section = report.split(f"### {heading}", 1)[1].split("###", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table]


def test_report_is_appended_after_the_intro(bench_run: tuple[str, dict]) -> None:
    report, _ = bench_run
    assert report.startswith("# Benchmarks\n\nIntro kept above the sections.")
    assert "size XS, engine duckdb, median of 1 run(s)" in report
    for described in ("cores:", "memory:", "python:", "duckdb ", "dbt-core ", "dlt ", "dagster "):
        assert described in report
    assert "load average (1/5/15 min) at start" in report


def test_breakdown_has_every_stage_of_the_chain(bench_run: tuple[str, dict]) -> None:
    report, _ = bench_run
    parts = {(row[0], row[1]) for row in _rows(report, "Per stage")}
    for system in ("hubspot", "mailchimp", "stripe", "vnpay", "facebook_ads", "google_ads"):
        assert ("ingestion", system) in parts
        for step in ("extract", "normalize", "load"):
            assert ("ingestion", f"{system} {step}") in parts
    for layer in ("staging", "identity", "marts", "traits", "segments", "data tests"):
        assert ("dbt", layer) in parts
    assert ("activation", "diff (guardrails + diff)") in parts
    assert ("activation", "sync (send + acknowledge)") in parts
    identity = next(row for row in _rows(report, "Per stage") if row[:2] == ["dbt", "identity"])
    assert "connected-components passes" in identity[-1]


def test_end_to_end_reports_size_and_identity_quality(bench_run: tuple[str, dict]) -> None:
    report, _ = bench_run
    runs = {row[0].split(" (")[0]: row for row in _rows(report, "End to end")}
    assert set(runs) == {"full refresh", "incremental"}
    for row in runs.values():
        megabytes, precision, recall = float(row[5]), float(row[6]), float(row[7])
        assert megabytes > 0
        assert 0.9 < precision <= 1.0 and 0.9 < recall <= 1.0


def test_ratios_compare_with_every_peer(bench_run: tuple[str, dict]) -> None:
    report, results = bench_run
    comparisons = [row[0] for row in _rows(report, "Against the peers")]
    assert any("DuckDB read_csv" in c for c in comparisons)
    assert any("Splink" in c for c in comparisons)
    assert any("scipy" in c for c in comparisons)
    assert all(ratio["ratio"] > 0 for ratio in results["ratios"])


def test_targets_table_says_met_or_not_for_each_target(bench_run: tuple[str, dict]) -> None:
    report, results = bench_run
    rows = _rows(report, "Targets")
    targets = {row[0]: row[2] for row in rows}
    assert any(t.startswith("full refresh under 120 s") for t in targets)
    assert any(t.startswith("incremental run under 15 s") for t in targets)
    assert any(t.startswith("identity no slower than Splink") for t in targets)
    measured = [v for t, v in targets.items() if not t.startswith("predictions")]
    assert set(measured) <= {"yes", "**no**"}
    assert targets["predictions: fit + score under 10 s (issue 9)"] == "not measured"
    assert len(results["targets"]) == len(rows)


def test_json_holds_every_run_and_the_incremental_merge(bench_run: tuple[str, dict]) -> None:
    _, results = bench_run
    names = [m["name"] for m in results["measurements"]]
    assert len(names) == 5 and all(len(m["runs"]) == 1 for m in results["measurements"])
    incremental = next(m for m in results["measurements"] if m["name"].startswith("incremental"))
    outcome = incremental["runs"][0]["outcome"]
    assert outcome["identity_loop"]["passes"] >= 1
    assert outcome["identity_quality"]["truth_records"] > 0


def test_unknown_stage_is_refused(tmp_path: Path) -> None:
    assert main(["--size", "XS", "--stages", "chain,nonsense", "--data", str(tmp_path)]) == 2
