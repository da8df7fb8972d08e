"""Fit both models on a transaction table, with a calibration window and a holdout check.

This is the one entry point the CLI and the dbt models share, so "a fit" means the same thing
everywhere: summarise to the papers' RFM definitions, refuse data that cannot support the models,
fit BG/NBD on every calibration customer and Gamma-Gamma on repeat buyers with positive spend,
then compare predicted with actual repeat purchases in the holdout period.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from predictive import bgnbd, gamma_gamma, rfm
from predictive.errors import DegenerateDataError
from predictive.version import MODEL_VERSION
from predictive.weights import distinct_rows

DEFAULT_MIN_REPEAT_BUYERS = 20


@dataclass(frozen=True)
class Holdout:
    """Repeat purchases in the holdout period: model prediction vs what happened."""

    duration: float
    predicted: float
    actual: int

    @property
    def relative_error(self) -> float | None:
        return None if self.actual == 0 else (self.predicted - self.actual) / self.actual


@dataclass(frozen=True)
class ModelFit:
    bgnbd: bgnbd.BgNbdFit
    gamma_gamma: gamma_gamma.GammaGammaFit
    calibration_end: date
    observation_end: date
    time_unit_days: float
    currency: str
    n_customers: int
    n_repeat_buyers: int
    holdout: Holdout | None
    spend_frequency_correlation: float

    @property
    def fit_id(self) -> str:
        """Stable for identical inputs and results, so reruns are recognisable."""
        digest = hashlib.sha256(
            json.dumps(self._identity(), sort_keys=True, default=str).encode()
        ).hexdigest()
        return digest[:16]

    def _identity(self) -> dict[str, Any]:
        return {
            "model_version": MODEL_VERSION,
            "currency": self.currency,
            "calibration_end": self.calibration_end.isoformat(),
            "observation_end": self.observation_end.isoformat(),
            "bgnbd": {k: round(v, 10) for k, v in self.bgnbd.parameters.as_dict().items()},
            "gamma_gamma": {
                k: round(v, 10) for k, v in self.gamma_gamma.parameters.as_dict().items()
            },
        }

    def as_record(self) -> dict[str, Any]:
        """A flat record: one `marts.model_fits` row, and what `cdp clv fit` prints."""
        bg, gg = self.bgnbd, self.gamma_gamma
        holdout = self.holdout
        return {
            "fit_id": self.fit_id,
            "model_version": MODEL_VERSION,
            "currency": self.currency,
            "calibration_end": self.calibration_end.isoformat(),
            "observation_end": self.observation_end.isoformat(),
            "time_unit_days": self.time_unit_days,
            "n_customers": self.n_customers,
            "n_repeat_buyers": self.n_repeat_buyers,
            "bgnbd_r": bg.parameters.r,
            "bgnbd_alpha": bg.parameters.alpha,
            "bgnbd_a": bg.parameters.a,
            "bgnbd_b": bg.parameters.b,
            "bgnbd_log_likelihood": bg.log_likelihood,
            "gg_p": gg.parameters.p,
            "gg_q": gg.parameters.q,
            "gg_gamma": gg.parameters.gamma,
            "gg_log_likelihood": gg.log_likelihood,
            "gg_n_customers": gg.n_customers,
            "spend_frequency_correlation": self.spend_frequency_correlation,
            "holdout_duration": holdout.duration if holdout else None,
            "holdout_predicted_purchases": holdout.predicted if holdout else None,
            "holdout_actual_purchases": holdout.actual if holdout else None,
            "holdout_relative_error": holdout.relative_error if holdout else None,
        }


def check_fittable(customers: pd.DataFrame, min_repeat_buyers: int) -> pd.DataFrame:
    """The repeat buyers Gamma-Gamma can use; raises with the reason when the data cannot fit."""
    n = len(customers)
    repeat = customers[customers["frequency"] > 0]
    if len(repeat) < min_repeat_buyers:
        why = (
            "every customer's purchases fall on a single day (same-day purchases count as one)"
            if repeat.empty
            else f"only {len(repeat)} of {n} customers bought again on a later day"
        )
        raise DegenerateDataError(
            f"cannot fit BG/NBD: {why} before the calibration end; need at least "
            f"{min_repeat_buyers} repeat buyers"
        )
    if repeat["recency"].nunique() < 2 and repeat["T"].nunique() < 2:
        raise DegenerateDataError(
            "cannot fit BG/NBD: every repeat buyer has the same recency and age, so purchase "
            "timing carries no information"
        )
    spenders = repeat[repeat["monetary_value"] > 0]
    if len(spenders) < min_repeat_buyers:
        raise DegenerateDataError(
            f"cannot fit Gamma-Gamma: only {len(spenders)} repeat buyers have a positive average "
            f"repeat spend (zero-amount orders?); need at least {min_repeat_buyers}"
        )
    if spenders["monetary_value"].nunique() < 2:
        raise DegenerateDataError(
            "cannot fit Gamma-Gamma: every repeat buyer has the same average spend"
        )
    return spenders


def fit_summary(
    summary: rfm.Summary,
    currency: str,
    min_repeat_buyers: int = DEFAULT_MIN_REPEAT_BUYERS,
) -> ModelFit:
    customers = summary.customers
    spenders = check_fittable(customers, min_repeat_buyers)
    x = customers["frequency"].to_numpy(dtype=np.float64)
    t_x = customers["recency"].to_numpy(dtype=np.float64)
    T = customers["T"].to_numpy(dtype=np.float64)
    bg_fit = bgnbd.fit(x, t_x, T)
    gg_fit = gamma_gamma.fit(spenders["frequency"], spenders["monetary_value"])
    holdout = None
    if "frequency_holdout" in customers.columns and summary.holdout_duration > 0:
        # equation 10 = E[purchases | alive] (a function of x and T only) * P(alive)
        (xp, Tp), pair = distinct_rows(x, T)
        if_alive = bgnbd.expected_purchases_if_alive(
            bg_fit.parameters, summary.holdout_duration, xp, Tp
        )
        predicted = if_alive[pair] * bgnbd.probability_alive(bg_fit.parameters, x, t_x, T)
        holdout = Holdout(
            duration=summary.holdout_duration,
            predicted=math.fsum(predicted),  # exact sum: independent of row order
            actual=int(customers["frequency_holdout"].sum()),
        )
    return ModelFit(
        bgnbd=bg_fit,
        gamma_gamma=gg_fit,
        calibration_end=summary.calibration_end,
        observation_end=summary.observation_end,
        time_unit_days=summary.time_unit_days,
        currency=currency,
        n_customers=len(customers),
        n_repeat_buyers=int((customers["frequency"] > 0).sum()),
        holdout=holdout,
        spend_frequency_correlation=gamma_gamma.spend_frequency_correlation(
            spenders["frequency"], spenders["monetary_value"]
        ),
    )


def fit_transactions(
    transactions: pd.DataFrame,
    currency: str,
    calibration_end: date | datetime | str | None = None,
    observation_end: date | datetime | str | None = None,
    time_unit_days: float = rfm.DAYS_PER_WEEK,
    min_repeat_buyers: int = DEFAULT_MIN_REPEAT_BUYERS,
) -> ModelFit:
    """Fit on `customer_id,date,amount` rows (amounts in `currency`).

    Without `calibration_end` the whole file calibrates and there is no holdout; without
    `observation_end` the holdout runs to the last transaction date.
    """
    rfm.check_columns(transactions)
    if transactions.empty:
        raise DegenerateDataError("cannot fit: there are no transactions")
    if calibration_end is not None and observation_end is not None:
        summary = rfm.summarize(transactions, calibration_end, observation_end, time_unit_days)
        return fit_summary(summary, currency, min_repeat_buyers)
    last_day = pd.to_datetime(transactions["date"], utc=True).max().date()
    if calibration_end is None:
        summary = rfm.summarize(transactions, last_day, None, time_unit_days)
    else:
        end = max(last_day, pd.Timestamp(calibration_end).date())
        summary = rfm.summarize(transactions, calibration_end, end, time_unit_days)
    return fit_summary(summary, currency, min_repeat_buyers)
