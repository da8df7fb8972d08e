"""Identity on the S sample against the generator's truth, through `cdp identity-report`'s logic."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.quality.identity import (
    PRECISION_TARGET,
    RECALL_TARGET,
    format_report,
    measure_identity,
)

pytestmark = pytest.mark.slow


def test_customers_match_the_truth_pairwise_above_targets(
    built_warehouse: Path, sample_exports: Path
) -> None:
    report = measure_identity(built_warehouse, sample_exports / "truth" / "records.csv")
    assert report.matched_records == report.truth_records, format_report(report)
    assert report.precision >= PRECISION_TARGET, format_report(report)
    assert report.recall >= RECALL_TARGET, format_report(report)
    assert report.meets_targets


def test_the_largest_customer_is_no_bigger_than_the_largest_person(
    built_warehouse: Path, sample_exports: Path
) -> None:
    truth = sample_exports / "truth" / "records.csv"
    with duckdb.connect() as con:
        largest_person = con.execute(
            "select max(n) from (select count(*) as n from read_csv(?, all_varchar = true) "
            "group by person_id)",
            [str(truth)],
        ).fetchone()[0]
    report = measure_identity(built_warehouse, truth)
    assert 1 < report.largest_customer_records <= largest_person


def test_the_cli_prints_precision_recall_f1_and_the_largest_customer(
    built_warehouse: Path, sample_exports: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestration.cli.main import main

    code = main(
        [
            "identity-report",
            "--warehouse",
            str(built_warehouse),
            "--truth",
            str(sample_exports / "truth" / "records.csv"),
            "--strict",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    for label in ("precision", "recall", "F1", "largest customer", "links refused by rules"):
        assert label in printed


def test_a_missing_truth_file_is_reported_not_raised(
    built_warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestration.cli.main import main

    code = main(
        [
            "identity-report",
            "--warehouse",
            str(built_warehouse),
            "--truth",
            str(tmp_path / "nope.csv"),
        ]
    )
    assert code == 2
    assert "nope.csv" in capsys.readouterr().out
