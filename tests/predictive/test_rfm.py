"""RFM summary follows the papers' definitions: repeat transactions only, one per day."""

from __future__ import annotations

import pandas as pd
import pytest

from predictive import rfm
from predictive.errors import DegenerateDataError


def _tx(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def test_same_day_purchases_count_as_one_with_their_amounts_added() -> None:
    summary = rfm.summarize(
        _tx(
            [
                ("a", "2026-01-01 09:00", 10.0),
                ("a", "2026-01-01 17:00", 5.0),
                ("a", "2026-01-08 10:00", 20.0),
                ("a", "2026-01-08 11:00", 20.0),
            ]
        ),
        "2026-01-15",
        time_unit_days=1.0,
    )
    row = summary.customers.iloc[0]
    assert row["frequency"] == 1
    assert row["recency"] == 7.0
    assert row["T"] == 14.0
    assert row["monetary_value"] == 40.0  # the first day's 15 is not a repeat purchase


def test_times_are_in_the_chosen_unit_and_calibration_end_is_inclusive() -> None:
    transactions = _tx(
        [("a", "2026-01-01", 1.0), ("a", "2026-01-15", 3.0), ("a", "2026-01-29", 5.0)]
    )
    weeks = rfm.summarize(transactions, "2026-01-29").customers.iloc[0]
    assert (weeks["frequency"], weeks["recency"], weeks["T"]) == (2, 4.0, 4.0)
    assert weeks["monetary_value"] == 4.0


def test_holdout_purchases_are_counted_per_day_and_later_ones_ignored() -> None:
    summary = rfm.summarize(
        _tx(
            [
                ("a", "2026-01-01", 1.0),
                ("a", "2026-01-10", 1.0),
                ("a", "2026-01-11", 1.0),
                ("a", "2026-01-11", 1.0),
                ("a", "2026-02-20", 1.0),
                ("b", "2026-01-05", 1.0),
                ("c", "2026-01-12", 1.0),  # first buys in the holdout: not a calibration customer
            ]
        ),
        calibration_end="2026-01-07",
        observation_end="2026-01-31",
        time_unit_days=1.0,
    )
    customers = summary.customers.set_index("customer_id")
    assert list(customers.index) == ["a", "b"]
    assert customers.loc["a", "frequency_holdout"] == 2
    assert customers.loc["b", "frequency_holdout"] == 0
    assert summary.holdout_duration == 24.0


def test_time_zones_are_normalised_to_utc_days() -> None:
    summary = rfm.summarize(
        _tx([("a", "2026-01-01T23:30:00-05:00", 1.0), ("a", "2026-01-02T06:00:00+00:00", 2.0)]),
        "2026-01-03",
    )
    assert summary.customers.iloc[0]["frequency"] == 0  # both on 2026-01-02 in UTC


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="amount"):
        rfm.summarize(pd.DataFrame({"customer_id": ["a"], "date": ["2026-01-01"]}), "2026-02-01")


def test_calibration_end_before_any_purchase_is_refused() -> None:
    with pytest.raises(DegenerateDataError, match="no purchase on or before"):
        rfm.summarize(_tx([("a", "2026-03-01", 1.0)]), "2026-01-01")
