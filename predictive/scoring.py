"""Per-customer predictive traits from fitted BG/NBD and Gamma-Gamma parameters.

The 12-month CLV follows the usual discrete approximation: expected purchases in each month
(differences of the BG/NBD conditional expectation) times the expected spend per purchase,
discounted at the end of that month with the monthly rate equivalent to the annual one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from predictive import bgnbd, gamma_gamma
from predictive.weights import distinct_rows

DAYS_PER_MONTH = 365.25 / 12
CLV_HORIZON_MONTHS = 12


@dataclass(frozen=True)
class ScoringSettings:
    """What a deployment chooses; defaults match the dbt vars' defaults."""

    annual_discount_rate: float = 0.10
    high_risk_below: float = 0.3
    medium_risk_below: float = 0.7

    def __post_init__(self) -> None:
        if not 0.0 <= self.annual_discount_rate < 10.0:
            raise ValueError(f"annual discount rate {self.annual_discount_rate} is not a rate")
        if not 0.0 <= self.high_risk_below <= self.medium_risk_below <= 1.0:
            raise ValueError(
                "churn thresholds need 0 <= high_risk_below <= medium_risk_below <= 1, got "
                f"{self.high_risk_below} and {self.medium_risk_below}"
            )


def churn_risk(p_alive: np.ndarray, settings: ScoringSettings) -> np.ndarray:
    """'high' below the high threshold, 'medium' below the medium one, otherwise 'low'."""
    p_alive = np.asarray(p_alive, dtype=np.float64)
    return np.where(
        p_alive < settings.high_risk_below,
        "high",
        np.where(p_alive < settings.medium_risk_below, "medium", "low"),
    ).astype(object)


def discounted_purchases_if_alive(
    params: bgnbd.BgNbdParameters,
    x: np.ndarray,
    T: np.ndarray,
    time_unit_days: float,
    settings: ScoringSettings,
) -> np.ndarray:
    """Sum over the next 12 months of expected purchases in that month (if alive), discounted."""
    monthly_rate = (1.0 + settings.annual_discount_rate) ** (1.0 / 12.0) - 1.0
    month = DAYS_PER_MONTH / time_unit_days
    total = np.zeros_like(np.asarray(x, dtype=np.float64))
    previous = np.zeros_like(total)
    for k in range(1, CLV_HORIZON_MONTHS + 1):
        cumulative = bgnbd.expected_purchases_if_alive(params, k * month, x, T)
        total += (cumulative - previous) / (1.0 + monthly_rate) ** k
        previous = cumulative
    return total


def score(
    customers: pd.DataFrame,
    bg: bgnbd.BgNbdParameters,
    gg: gamma_gamma.GammaGammaParameters,
    time_unit_days: float,
    settings: ScoringSettings | None = None,
) -> pd.DataFrame:
    """Traits for every row of an RFM summary (see `predictive.rfm.summarize`).

    P(alive) depends on (frequency, recency, T) and is computed once per distinct triple; expected
    purchases if alive depend on (frequency, T) only and are computed once per distinct pair.
    Their product is equation 10; results are scattered back to customers.
    """
    settings = settings or ScoringSettings()
    (x, t_x, T), codes = distinct_rows(
        customers["frequency"].to_numpy(),
        customers["recency"].to_numpy(),
        customers["T"].to_numpy(),
    )
    (xp, Tp), pair = distinct_rows(x, T)
    alive = bgnbd.probability_alive(bg, x, t_x, T)

    def expected(t: float) -> np.ndarray:
        return (bgnbd.expected_purchases_if_alive(bg, t, xp, Tp)[pair] * alive)[codes]

    days = 1.0 / time_unit_days
    p_alive = alive[codes]
    purchases_90 = expected(90 * days)
    purchases_365 = expected(365 * days)
    discounted = (
        discounted_purchases_if_alive(bg, xp, Tp, time_unit_days, settings)[pair] * alive
    )[codes]
    spend = gamma_gamma.expected_average_spend(
        gg, customers["frequency"].to_numpy(), customers["monetary_value"].to_numpy()
    )
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy(),
            "p_alive": p_alive,
            "expected_purchases_90d": purchases_90,
            "expected_purchases_365d": purchases_365,
            "expected_average_spend": spend,
            "predicted_clv_12m": discounted * spend,
            "churn_risk": churn_risk(p_alive, settings),
        }
    )
