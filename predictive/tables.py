"""The two output tables (`model_fits`, `customer_predictions`) as typed Arrow tables.

The dbt Python models under `dbt_project/models/marts/predictions/` only read orders and call
these functions; keeping the shaping here means the exact column types are unit-tested without a
warehouse, and any other runner (a notebook, another scheduler) produces identical tables.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pyarrow as pa

from predictive import rfm, scoring
from predictive.bgnbd import BgNbdParameters
from predictive.errors import DegenerateDataError, FitError
from predictive.fitting import DEFAULT_MIN_REPEAT_BUYERS, fit_transactions
from predictive.gamma_gamma import GammaGammaParameters
from predictive.version import MODEL_VERSION

FITTED, REFUSED = "fitted", "refused"

MODEL_FITS_SCHEMA = pa.schema(
    [
        ("fit_id", pa.string()),
        ("model_version", pa.string()),
        ("currency", pa.string()),
        ("fit_date", pa.date32()),
        ("fitted_at", pa.timestamp("us")),
        ("status", pa.string()),
        ("status_reason", pa.string()),
        ("calibration_end", pa.date32()),
        ("observation_end", pa.date32()),
        ("time_unit_days", pa.float64()),
        ("n_customers", pa.int64()),
        ("n_repeat_buyers", pa.int64()),
        ("bgnbd_r", pa.float64()),
        ("bgnbd_alpha", pa.float64()),
        ("bgnbd_a", pa.float64()),
        ("bgnbd_b", pa.float64()),
        ("bgnbd_log_likelihood", pa.float64()),
        ("gg_p", pa.float64()),
        ("gg_q", pa.float64()),
        ("gg_gamma", pa.float64()),
        ("gg_log_likelihood", pa.float64()),
        ("gg_n_customers", pa.int64()),
        ("spend_frequency_correlation", pa.float64()),
        ("holdout_duration", pa.float64()),
        ("holdout_predicted_purchases", pa.float64()),
        ("holdout_actual_purchases", pa.int64()),
        ("holdout_relative_error", pa.float64()),
    ]
)

CUSTOMER_PREDICTIONS_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("p_alive", pa.float64()),
        ("expected_purchases_90d", pa.float64()),
        ("expected_purchases_365d", pa.float64()),
        ("expected_order_value_usd", pa.float64()),
        ("predicted_clv_12m_usd", pa.float64()),
        ("churn_risk", pa.string()),
        ("model_version", pa.string()),
        ("fit_id", pa.string()),
        ("fit_date", pa.date32()),
    ]
)


@dataclass(frozen=True)
class FitSettings:
    """Run settings; the dbt models fill them from vars."""

    as_of: date
    currency: str = "USD"
    holdout_days: int = 90
    min_repeat_buyers: int = DEFAULT_MIN_REPEAT_BUYERS

    def __post_init__(self) -> None:
        if self.holdout_days < 1:
            raise ValueError(f"holdout_days must be at least 1, got {self.holdout_days}")

    @property
    def calibration_end(self) -> date:
        return self.as_of - timedelta(days=self.holdout_days)


def parse_as_of(value: object) -> date:
    """The `as_of` var as a date; unset (None, '', 'None' as dbt renders null) means today (UTC)."""
    if value is None or str(value).strip() in ("", "None", "none", "null"):
        return datetime.now(UTC).date()
    return pd.Timestamp(str(value)).date()


def _refused_id(settings: FitSettings, reason: str) -> str:
    key = f"{MODEL_VERSION}|{settings.currency}|{settings.as_of}|{REFUSED}|{reason}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def model_fit_row(orders: pd.DataFrame, settings: FitSettings) -> pa.Table:
    """One `model_fits` row: a fit calibrated up to as_of - holdout and checked on the holdout.

    Data that cannot support the models gives a row with status 'refused' and the reason, so
    the run goes on, the reason is visible in the warehouse and no predictions are made from it.
    """
    fitted_at = datetime.now(UTC).replace(tzinfo=None)
    base = {name: None for name in MODEL_FITS_SCHEMA.names}
    base.update(
        model_version=MODEL_VERSION,
        currency=settings.currency,
        fit_date=settings.as_of,
        fitted_at=fitted_at,
        calibration_end=settings.calibration_end,
        observation_end=settings.as_of,
    )
    try:
        model = fit_transactions(
            orders,
            currency=settings.currency,
            calibration_end=settings.calibration_end,
            observation_end=settings.as_of,
            min_repeat_buyers=settings.min_repeat_buyers,
        )
    except (DegenerateDataError, FitError) as error:
        base.update(fit_id=_refused_id(settings, str(error)), status=REFUSED)
        base["status_reason"] = str(error)
    else:
        record = model.as_record()
        record["calibration_end"] = model.calibration_end
        record["observation_end"] = model.observation_end
        base.update(record, status=FITTED)
    return pa.Table.from_pylist([base], schema=MODEL_FITS_SCHEMA)


def latest_fit(fits: pd.DataFrame, currency: str) -> pd.Series | None:
    """The most recent fit for the currency (refused ones included: they stop predictions)."""
    mine = fits[fits["currency"] == currency]
    if mine.empty:
        return None
    return mine.sort_values(["fitted_at", "fit_id"]).iloc[-1]


def customer_prediction_rows(
    orders: pd.DataFrame,
    fit: pd.Series | None,
    settings: scoring.ScoringSettings,
) -> pa.Table:
    """Predictions for every customer with an order up to the fit's observation end.

    Customers are summarised over their whole history (calibration and holdout), so a purchase
    last week counts; the parameters are those the holdout check validated. No fit, or a refused
    one, gives an empty table.
    """
    if fit is None or fit["status"] != FITTED or orders.empty:
        return CUSTOMER_PREDICTIONS_SCHEMA.empty_table()
    observation_end = pd.Timestamp(fit["observation_end"]).date()
    customers = rfm.summarize(
        orders, observation_end, time_unit_days=float(fit["time_unit_days"])
    ).customers
    bg = BgNbdParameters(
        r=fit["bgnbd_r"], alpha=fit["bgnbd_alpha"], a=fit["bgnbd_a"], b=fit["bgnbd_b"]
    )
    gg = GammaGammaParameters(p=fit["gg_p"], q=fit["gg_q"], gamma=fit["gg_gamma"])
    scored = scoring.score(customers, bg, gg, float(fit["time_unit_days"]), settings)
    n = len(scored)
    return pa.table(
        {
            "customer_id": pa.array(scored["customer_id"].astype(str), pa.string()),
            "p_alive": scored["p_alive"].to_numpy(),
            "expected_purchases_90d": scored["expected_purchases_90d"].to_numpy(),
            "expected_purchases_365d": scored["expected_purchases_365d"].to_numpy(),
            "expected_order_value_usd": scored["expected_average_spend"].to_numpy(),
            "predicted_clv_12m_usd": scored["predicted_clv_12m"].to_numpy(),
            "churn_risk": pa.array(scored["churn_risk"].tolist(), pa.string()),
            "model_version": pa.array([MODEL_VERSION] * n, pa.string()),
            "fit_id": pa.array([str(fit["fit_id"])] * n, pa.string()),
            "fit_date": pa.array([pd.Timestamp(fit["fit_date"]).date()] * n, pa.date32()),
        },
        schema=CUSTOMER_PREDICTIONS_SCHEMA,
    )
