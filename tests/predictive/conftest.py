"""CDNOW fixtures and a BG/NBD / Gamma-Gamma simulator for the predictive tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).parent / "data"
CDNOW_CALIBRATION_END = "1997-09-30"
CDNOW_OBSERVATION_END = "1998-06-30"


@pytest.fixture(scope="session")
def cdnow_transactions() -> pd.DataFrame:
    """The 2,357-customer CDNOW cohort as `customer_id,date,amount` rows (see data/README.md)."""
    raw = pd.read_csv(
        DATA / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"customer_id": np.int64, "date": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw[["customer_id", "date", "amount"]]


@pytest.fixture(scope="session")
def cdnow_published_summary() -> pd.DataFrame:
    return pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")


def simulate_bgnbd(
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: np.ndarray,
    holdout: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Customers born at 0 who buy at Poisson rate lambda and may drop out after each repeat.

    Returns frequency, recency, T (calibration) and frequency_holdout in (T, T + holdout].
    """
    n = len(T)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    now = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    x = np.zeros(n, dtype=np.int64)
    t_x = np.zeros(n)
    x_holdout = np.zeros(n, dtype=np.int64)
    end = T + holdout
    while alive.any():
        now[alive] += rng.exponential(1.0 / lam[alive])
        alive &= now <= end
        in_calibration = alive & (now <= T)
        x[in_calibration] += 1
        t_x[in_calibration] = now[in_calibration]
        x_holdout[alive & (now > T)] += 1
        alive &= rng.random(n) >= p
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T, "frequency_holdout": x_holdout})


@pytest.fixture
def simulate() -> object:
    """`simulate_bgnbd`, handed to tests as a fixture (test folders are not packages)."""
    return simulate_bgnbd
