"""Whole fits: calibration and holdout, degenerate data refused with a reason, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from predictive.errors import DegenerateDataError
from predictive.fitting import fit_transactions


def _tx(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def test_cdnow_fit_records_a_holdout_check_close_to_actual(
    cdnow_transactions: pd.DataFrame,
) -> None:
    model = fit_transactions(cdnow_transactions, "USD", calibration_end="1997-09-30")
    record = model.as_record()
    assert record["observation_end"] == "1998-06-30"
    assert record["holdout_duration"] == 39.0
    assert record["n_customers"] == 2357 and record["n_repeat_buyers"] == 946
    assert record["holdout_actual_purchases"] == 1882
    assert abs(record["holdout_relative_error"]) < 0.15
    assert round(record["bgnbd_r"], 3) == 0.243 and round(record["gg_gamma"], 2) == 15.44


def test_fit_is_deterministic(cdnow_transactions: pd.DataFrame) -> None:
    first = fit_transactions(cdnow_transactions, "USD", calibration_end="1997-09-30")
    shuffled = cdnow_transactions.sample(frac=1.0, random_state=3)
    second = fit_transactions(shuffled, "USD", calibration_end="1997-09-30")
    assert first.as_record() == second.as_record()


def test_without_calibration_end_the_whole_file_calibrates(
    cdnow_transactions: pd.DataFrame,
) -> None:
    record = fit_transactions(cdnow_transactions, "USD").as_record()
    assert record["calibration_end"] == "1998-06-30"
    assert record["holdout_predicted_purchases"] is None


def test_too_few_repeat_buyers_is_refused_with_counts() -> None:
    rows = [(f"c{i}", "2026-01-01", 10.0) for i in range(50)]
    rows += [("c1", "2026-01-05", 10.0), ("c2", "2026-01-09", 12.0)]
    with pytest.raises(DegenerateDataError, match=r"only 2 of 50 customers .* at least 20"):
        fit_transactions(_tx(rows), "USD")


def test_all_same_day_purchases_are_refused_as_such() -> None:
    rows = [(f"c{i}", f"2026-01-{1 + i % 28:02d} 0{h}:00", 10.0) for i in range(60) for h in (1, 5)]
    with pytest.raises(DegenerateDataError, match="single day"):
        fit_transactions(_tx(rows), "USD")


def test_zero_spend_is_refused() -> None:
    rng = np.random.default_rng(1)
    rows = []
    for i in range(100):
        days = np.sort(rng.choice(np.arange(1, 200), size=3, replace=False))
        rows += [
            (f"c{i}", str(pd.Timestamp("2026-01-01") + pd.Timedelta(days=int(d))), 0.0)
            for d in days
        ]
    with pytest.raises(DegenerateDataError, match="positive average repeat spend"):
        fit_transactions(_tx(rows), "USD")


def test_no_transactions_is_refused() -> None:
    with pytest.raises(DegenerateDataError, match="no transactions"):
        fit_transactions(_tx([]), "USD")
