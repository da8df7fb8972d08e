"""BG/NBD + Gamma-Gamma fit on the warehouse's orders: one row per fit, kept across runs.

A dbt Python model because the fit is numerical optimisation (scipy), which SQL cannot do; all
maths and the table's shape live in the `predictive` library, this file only reads orders and
vars. Incremental on `fit_id` (identical data and as_of give the same id, so a rerun replaces its
row instead of adding one) and protected from --full-refresh, so the fit history survives.
Under --empty it makes no fit: dbt hands a Python model its refs whole even then, and the fit (of
the stored orders, or of none on a first build) would stay in the history
(macros/incremental/empty_refs.sql).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from predictive.tables import MODEL_FITS_SCHEMA, FitSettings, model_fit_row, parse_as_of


def model(dbt: Any, session: Any) -> pa.Table:
    if dbt.empty_refs:
        return MODEL_FITS_SCHEMA.empty_table()
    orders = (
        dbt.ref("customer_events")
        .filter("event_type = 'order' and customer_id is not null and amount_usd is not null")
        .project("customer_id, occurred_at as date, amount_usd as amount")
        .df()
    )
    settings = FitSettings(
        as_of=parse_as_of(dbt.config.get("as_of")),
        currency=str(dbt.config.get("reporting_currency") or "USD"),
        holdout_days=int(dbt.config.get("clv_holdout_days")),
        min_repeat_buyers=int(dbt.config.get("clv_min_repeat_buyers")),
    )
    return model_fit_row(orders, settings)
