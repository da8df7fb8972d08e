"""Predictive traits per customer from the latest row of `model_fits`.

Scores every customer with an order (up to the fit's as_of) using the parameters that fit's
holdout check validated; an empty table when the latest fit was refused (its reason is in
`model_fits.status_reason`). A dbt Python model: the closed forms need scipy's hypergeometric
function, and the maths lives in the `predictive` library.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from predictive.scoring import ScoringSettings
from predictive.tables import customer_prediction_rows, latest_fit


def model(dbt: Any, session: Any) -> pa.Table:
    currency = str(dbt.config.get("reporting_currency") or "USD")
    fit = latest_fit(dbt.ref("model_fits").df(), currency)
    orders = (
        dbt.ref("customer_events")
        .filter("event_type = 'order' and customer_id is not null and amount_usd is not null")
        .project("customer_id, occurred_at as date, amount_usd as amount")
        .df()
    )
    settings = ScoringSettings(
        annual_discount_rate=float(dbt.config.get("clv_annual_discount_rate")),
        high_risk_below=float(dbt.config.get("clv_churn_high_below")),
        medium_risk_below=float(dbt.config.get("clv_churn_medium_below")),
    )
    return customer_prediction_rows(orders, fit, settings)
