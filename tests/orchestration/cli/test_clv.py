"""`cdp clv fit` prints a fit as JSON, and fails with a clear message on unusable files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from orchestration.cli.main import main

CDNOW = Path(__file__).parents[2] / "predictive" / "data" / "CDNOW_sample.txt"


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = pd.read_csv(
        CDNOW,
        sep=r"\s+",
        header=None,
        names=["master", "customer_id", "date", "cds", "amount"],
        dtype={"customer_id": str, "date": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d").dt.strftime("%Y-%m-%d")
    path = tmp_path_factory.mktemp("clv") / "transactions.csv"
    raw[["customer_id", "date", "amount"]].to_csv(path, index=False)
    return path


def test_clv_fit_prints_parameters_and_holdout_as_json(
    cdnow_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["clv", "fit", "--transactions", str(cdnow_csv), "--calibration-end", "1997-09-30"])
    assert code == 0
    fit = json.loads(capsys.readouterr().out)
    assert round(fit["bgnbd_r"], 3) == 0.243 and round(fit["bgnbd_b"], 3) == 2.426
    assert round(fit["gg_p"], 2) == 6.25
    assert fit["calibration_end"] == "1997-09-30"
    assert fit["holdout_actual_purchases"] == 1882
    assert fit["currency"] == "USD"


def test_clv_fit_on_a_degenerate_file_exits_nonzero_naming_the_file_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "one_day.csv"
    path.write_text("customer_id,date,amount\na,2026-01-01,5\nb,2026-01-01,7\na,2026-01-01,1\n")
    code = main(["clv", "fit", "--transactions", str(path)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert str(path) in captured.err and "single day" in captured.err


def test_clv_fit_names_missing_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("id,when,value\na,2026-01-01,5\n")
    assert main(["clv", "fit", "--transactions", str(path)]) == 2
    assert "customer_id" in capsys.readouterr().err
