"""Stage `predictive`: fit BG/NBD + Gamma-Gamma and score every customer (target at M: < 10 s).

The orders are simulated from the models (`benchmarks.predictive.simulate_orders`, one customer
per person of the size) and written to Parquet before the clock starts; the timed call reads
them and does what the two dbt models do: `model_fit_row` then `customer_prediction_rows`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.datasets import SIZES
from benchmarks.predictive import AS_OF, simulate_orders
from benchmarks.registry import BenchContext, Measurement, Stage, register
from predictive.scoring import ScoringSettings
from predictive.tables import FitSettings, customer_prediction_rows, model_fit_row


def fit_and_score(orders: str, as_of: str) -> dict[str, Any]:
    transactions = pd.read_parquet(orders)
    fit = model_fit_row(transactions, FitSettings(as_of=date.fromisoformat(as_of)))
    row = fit.to_pandas().iloc[0]
    if row["status"] != "fitted":
        raise RuntimeError(f"fit refused: {row['status_reason']}")
    predictions = customer_prediction_rows(transactions, row, ScoringSettings())
    return {"rows": predictions.num_rows, "orders": len(transactions)}


def _simulated_orders(context: BenchContext, run: int) -> dict[str, Any]:
    path = Path(context.work_dir) / f"predictive-{run}" / "orders.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    simulate_orders(SIZES[context.size], seed=42).to_parquet(path, index=False)
    return {"orders": str(path), "as_of": AS_OF.isoformat()}


register(
    Stage(
        name="predictive",
        description="orders → model_fits row + customer_predictions (BG/NBD, Gamma-Gamma)",
        measurements=(
            Measurement(
                name="fit + score (predictive.tables)",
                target="benchmarks.stages.predictive:fit_and_score",
                kwargs=_simulated_orders,
            ),
        ),
    )
)
