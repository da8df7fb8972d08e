"""Predictions built by dbt on the sample warehouse: shape, holdout check and consistency."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from orchestration.dbt_runner import run_dbt
from predictive.fitting import fit_transactions

pytestmark = pytest.mark.slow

AS_OF = date(2026, 11, 2)  # tests/conftest.py SAMPLE_AS_OF
HOLDOUT_DAYS = 90  # the clv_holdout_days default
MODELS_YML = (
    Path(__file__).parents[2] / "dbt_project/models/marts/predictions/_predictions__models.yml"
)
ORDERS = """
    select customer_id, occurred_at as date, amount_usd as amount
    from marts.customer_events
    where event_type = 'order' and amount_usd is not null
"""


@pytest.fixture(scope="module")
def warehouse(built_warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(built_warehouse), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def fit(warehouse: duckdb.DuckDBPyConnection) -> pd.Series:
    fits = warehouse.sql("select * from marts.model_fits").df()
    assert len(fits) == 1
    return fits.iloc[0]


def test_sample_fit_succeeds_with_its_window(fit: pd.Series) -> None:
    assert fit["status"] == "fitted", fit["status_reason"]
    assert fit["currency"] == "USD"
    assert fit["fit_date"].date() == AS_OF
    assert fit["calibration_end"].date() == AS_OF - timedelta(days=HOLDOUT_DAYS)
    assert fit["n_repeat_buyers"] >= 20


def test_holdout_actuals_match_the_events_and_predictions_are_close(
    warehouse: duckdb.DuckDBPyConnection, fit: pd.Series
) -> None:
    """Actual holdout repeat purchases recounted in SQL; the model within 30% of them."""
    calibration_end = fit["calibration_end"].date()
    actual = warehouse.execute(
        """
        with days as (
            select distinct customer_id, cast(occurred_at as date) as day
            from marts.customer_events
            where event_type = 'order' and amount_usd is not null
        ),
        calibration_customers as (
            select customer_id from days group by 1 having min(day) <= ?
        )
        select count(*) from days join calibration_customers using (customer_id)
        where day > ? and day <= ?
        """,
        [calibration_end, calibration_end, AS_OF],
    ).fetchall()[0][0]
    assert fit["holdout_actual_purchases"] == actual > 0
    assert abs(fit["holdout_predicted_purchases"] - actual) / actual < 0.3


def test_the_cli_path_refits_the_same_parameters_from_exported_orders(
    warehouse: duckdb.DuckDBPyConnection, fit: pd.Series
) -> None:
    orders = warehouse.sql(ORDERS).df()
    refit = fit_transactions(
        orders, "USD", calibration_end=fit["calibration_end"].date(), observation_end=AS_OF
    ).as_record()
    for name in ("bgnbd_r", "bgnbd_alpha", "bgnbd_a", "bgnbd_b", "gg_p", "gg_q", "gg_gamma"):
        assert refit[name] == pytest.approx(fit[name], rel=1e-9), name
    assert refit["fit_id"] == fit["fit_id"]


def test_every_buyer_gets_one_prediction_from_the_fit(
    warehouse: duckdb.DuckDBPyConnection, fit: pd.Series
) -> None:
    predictions = warehouse.sql("select * from marts.customer_predictions").df()
    buyers = warehouse.sql(f"select count(distinct customer_id) from ({ORDERS})").fetchall()[0][0]
    assert len(predictions) == buyers and predictions["customer_id"].is_unique
    assert set(predictions["fit_id"]) == {fit["fit_id"]}
    expected_band = pd.cut(
        predictions["p_alive"], [-1.0, 0.3, 0.7, 2.0], right=False, labels=["high", "medium", "low"]
    ).astype(str)
    assert (predictions["churn_risk"] == expected_band).all()
    assert (predictions["expected_purchases_365d"] >= predictions["expected_purchases_90d"]).all()
    assert predictions["predicted_clv_12m_usd"].ge(0).all()


@pytest.mark.parametrize("model", ["model_fits", "customer_predictions"])
def test_built_tables_have_the_declared_column_types(
    warehouse: duckdb.DuckDBPyConnection, model: str
) -> None:
    models = {m["name"]: m for m in yaml.safe_load(MODELS_YML.read_text())["models"]}
    declared = [(c["name"], c["data_type"].upper()) for c in models[model]["columns"]]
    built = warehouse.execute(
        """
        select column_name, data_type from information_schema.columns
        where table_schema = 'marts' and table_name = ? order by ordinal_position
        """,
        [model],
    ).fetchall()
    assert built == declared


@pytest.fixture(scope="module")
def rerun_warehouse(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample where the predictions were rebuilt: same as_of, then a week later."""
    root = tmp_path_factory.mktemp("predictions_rerun")
    warehouse = root / "cdp.duckdb"
    shutil.copy(built_warehouse, warehouse)
    for as_of in (AS_OF, AS_OF + timedelta(days=7)):
        run_dbt(
            ["run", "--select", "model_fits", "customer_predictions"],
            warehouse,
            target_dir=root / "target",
            dbt_vars={"as_of": as_of.isoformat()},
        ).raise_on_failure()
    return warehouse


def test_rerun_replaces_its_fit_and_a_later_run_adds_one_that_scores(
    rerun_warehouse: Path, fit: pd.Series
) -> None:
    with duckdb.connect(str(rerun_warehouse), read_only=True) as connection:
        fits = connection.sql("select fit_id, fit_date from marts.model_fits order by 2").df()
        used = connection.sql("select distinct fit_id, fit_date from marts.customer_predictions")
        used = used.df()
    assert len(fits) == 2  # the same-as_of rerun did not add a row
    assert fits["fit_id"].iloc[0] == fit["fit_id"]
    assert fits["fit_date"].iloc[1].date() == AS_OF + timedelta(days=7)
    assert used["fit_id"].tolist() == [fits["fit_id"].iloc[1]]
