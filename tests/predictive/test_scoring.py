"""Per-customer traits: bands, discounting and consistency with the model's predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from predictive import bgnbd, rfm
from predictive.bgnbd import BgNbdParameters
from predictive.gamma_gamma import GammaGammaParameters
from predictive.scoring import ScoringSettings, churn_risk, score

BG = BgNbdParameters(r=0.243, alpha=4.414, a=0.793, b=2.426)
GG = GammaGammaParameters(p=6.25, q=3.74, gamma=15.44)


@pytest.fixture(scope="module")
def cdnow_scored(cdnow_transactions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    customers = rfm.summarize(cdnow_transactions, "1998-06-30").customers
    return customers, score(customers, BG, GG, time_unit_days=7.0)


def test_churn_bands_follow_configured_thresholds() -> None:
    settings = ScoringSettings(high_risk_below=0.2, medium_risk_below=0.6)
    bands = churn_risk(np.array([0.0, 0.19, 0.2, 0.59, 0.6, 1.0]), settings)
    assert list(bands) == ["high", "high", "medium", "medium", "low", "low"]


def test_inconsistent_thresholds_are_refused() -> None:
    with pytest.raises(ValueError, match="churn thresholds"):
        ScoringSettings(high_risk_below=0.8, medium_risk_below=0.5)


def test_every_customer_gets_one_row_of_finite_traits(
    cdnow_scored: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    customers, scored = cdnow_scored
    assert list(scored["customer_id"]) == list(customers["customer_id"])
    numeric = scored[["p_alive", "expected_purchases_90d", "expected_purchases_365d"]]
    assert np.isfinite(numeric.to_numpy()).all()
    assert ((scored["p_alive"] > 0) & (scored["p_alive"] <= 1)).all()
    assert (scored["expected_purchases_365d"] >= scored["expected_purchases_90d"]).all()
    assert set(scored["churn_risk"]) <= {"low", "medium", "high"}


def test_scattered_predictions_equal_direct_per_customer_predictions(
    cdnow_scored: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    customers, scored = cdnow_scored
    direct = bgnbd.expected_purchases(
        BG, 90 / 7.0, customers["frequency"], customers["recency"], customers["T"]
    )
    np.testing.assert_allclose(scored["expected_purchases_90d"], direct, rtol=1e-12)


def test_clv_is_discounted_and_undiscounted_clv_is_a_year_of_purchases_times_spend(
    cdnow_transactions: pd.DataFrame,
) -> None:
    customers = rfm.summarize(cdnow_transactions, "1998-06-30").customers
    plain = score(customers, BG, GG, 7.0, ScoringSettings(annual_discount_rate=0.0))
    discounted = score(customers, BG, GG, 7.0, ScoringSettings(annual_discount_rate=0.15))
    year = bgnbd.expected_purchases(
        BG, 365.25 / 7.0, customers["frequency"], customers["recency"], customers["T"]
    )
    np.testing.assert_allclose(
        plain["predicted_clv_12m"], year * plain["expected_average_spend"], rtol=1e-9
    )
    assert (discounted["predicted_clv_12m"] < plain["predicted_clv_12m"]).all()
    assert (discounted["predicted_clv_12m"] > plain["predicted_clv_12m"] / 1.15).all()
