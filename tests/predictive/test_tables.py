"""The model_fits / customer_predictions tables: shape, refusals and the fit-to-score hand-off."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import yaml

from predictive.scoring import ScoringSettings
from predictive.tables import (
    CUSTOMER_PREDICTIONS_SCHEMA,
    MODEL_FITS_SCHEMA,
    FitSettings,
    customer_prediction_rows,
    latest_fit,
    model_fit_row,
    parse_as_of,
)

MODELS_YML = (
    Path(__file__).parents[2]
    / "dbt_project"
    / "models"
    / "marts"
    / "predictions"
    / "_predictions__models.yml"
)
ARROW_TO_DUCKDB = {
    pa.string(): "varchar",
    pa.float64(): "double",
    pa.int64(): "bigint",
    pa.date32(): "date",
    pa.timestamp("us"): "timestamp",
}
CDNOW = FitSettings(as_of=date(1998, 6, 30), holdout_days=273)


@pytest.fixture(scope="module")
def cdnow_fit(cdnow_transactions: pd.DataFrame) -> pa.Table:
    return model_fit_row(cdnow_transactions, CDNOW)


@pytest.mark.parametrize(
    ("model", "schema"),
    [("model_fits", MODEL_FITS_SCHEMA), ("customer_predictions", CUSTOMER_PREDICTIONS_SCHEMA)],
)
def test_model_yaml_declares_exactly_the_columns_and_types_the_library_writes(
    model: str, schema: pa.Schema
) -> None:
    models = {m["name"]: m for m in yaml.safe_load(MODELS_YML.read_text())["models"]}
    declared = [(c["name"], c["data_type"]) for c in models[model]["columns"]]
    written = [(f.name, ARROW_TO_DUCKDB[f.type]) for f in schema]
    assert declared == written


def test_fit_row_on_cdnow_records_parameters_window_and_holdout(cdnow_fit: pa.Table) -> None:
    row = cdnow_fit.to_pylist()[0]
    assert cdnow_fit.schema == MODEL_FITS_SCHEMA
    assert row["status"] == "fitted" and row["status_reason"] is None
    assert row["calibration_end"] == date(1997, 9, 30)
    assert row["observation_end"] == row["fit_date"] == date(1998, 6, 30)
    assert round(row["bgnbd_alpha"], 3) == 4.414 and round(row["gg_q"], 2) == 3.74
    assert row["holdout_actual_purchases"] == 1882
    assert row["holdout_predicted_purchases"] > 0


def test_degenerate_orders_give_a_refused_row_with_the_reason() -> None:
    orders = pd.DataFrame(
        {"customer_id": ["a", "b", "a"], "date": ["2026-01-01"] * 3, "amount": [5.0, 7.0, 1.0]}
    )
    settings = FitSettings(as_of=date(2026, 3, 1), holdout_days=30)
    first = model_fit_row(orders, settings).to_pylist()[0]
    again = model_fit_row(orders, settings).to_pylist()[0]
    assert first["status"] == "refused"
    assert "single day" in first["status_reason"]
    assert first["bgnbd_r"] is None
    assert first["fit_id"] == again["fit_id"]  # a rerun replaces, not duplicates, the row


def test_predictions_come_from_the_fit_and_cover_every_customer(
    cdnow_transactions: pd.DataFrame, cdnow_fit: pa.Table
) -> None:
    fit = cdnow_fit.to_pandas().iloc[0]
    table = customer_prediction_rows(cdnow_transactions, fit, ScoringSettings())
    assert table.schema == CUSTOMER_PREDICTIONS_SCHEMA
    frame = table.to_pandas()
    assert len(frame) == 2357 and frame["customer_id"].is_unique
    assert set(frame["fit_id"]) == {fit["fit_id"]}
    assert set(frame["fit_date"]) == {date(1998, 6, 30)}
    assert frame["predicted_clv_12m_usd"].gt(0).all()


def test_a_refused_latest_fit_gives_no_predictions(cdnow_transactions: pd.DataFrame) -> None:
    fits = pd.DataFrame(
        {
            "fit_id": ["old", "new"],
            "currency": ["USD", "USD"],
            "status": ["fitted", "refused"],
            "fitted_at": [datetime(2026, 1, 1), datetime(2026, 2, 1)],
        }
    )
    latest = latest_fit(fits, "USD")
    assert latest is not None and latest["fit_id"] == "new"
    assert customer_prediction_rows(cdnow_transactions, latest, ScoringSettings()).num_rows == 0
    assert latest_fit(fits, "EUR") is None


def test_as_of_var_null_means_today_and_a_date_is_parsed() -> None:
    assert parse_as_of(None) == parse_as_of("None") == datetime.now(UTC).date()
    assert parse_as_of("2026-11-01") == date(2026, 11, 1)
    assert parse_as_of("2026-11-01 13:00:00") == date(2026, 11, 1)


def test_holdout_must_be_at_least_a_day() -> None:
    with pytest.raises(ValueError, match="holdout_days"):
        FitSettings(as_of=date(2026, 1, 1), holdout_days=0)
