"""The fits reproduce the published CDNOW results to the precision the papers print.

BG/NBD: Fader, Hardie & Lee (2005), 39-week calibration on the 2,357-customer cohort.
Gamma-Gamma: Fader & Hardie (2013) note, the 946 customers with a repeat purchase.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from predictive import bgnbd, gamma_gamma, rfm

CALIBRATION_END = "1997-09-30"


@pytest.fixture(scope="module")
def cdnow_summary(cdnow_transactions: pd.DataFrame) -> pd.DataFrame:
    return rfm.summarize(cdnow_transactions, CALIBRATION_END).customers


def test_rfm_summary_of_raw_cdnow_transactions_matches_the_papers_summary(
    cdnow_summary: pd.DataFrame, cdnow_published_summary: pd.DataFrame
) -> None:
    merged = cdnow_summary.merge(cdnow_published_summary, left_on="customer_id", right_on="ID")
    assert len(cdnow_summary) == len(merged) == 2357
    assert (merged["frequency"] == merged["x"]).all()
    # the published file is rounded to 2 decimals
    assert np.abs(merged["recency"] - merged["t_x"]).max() <= 0.005
    assert np.abs(merged["T_x"] - merged["T_y"]).max() <= 0.005
    assert np.abs(merged["monetary_value"] - merged["zbar"]).max() <= 0.005 + 1e-9


def test_bgnbd_reproduces_fader_hardie_lee_2005_cdnow_estimates(
    cdnow_summary: pd.DataFrame,
) -> None:
    result = bgnbd.fit(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])
    params = result.parameters
    assert result.n_customers == 2357
    assert round(params.r, 3) == 0.243
    assert round(params.alpha, 3) == 4.414
    assert round(params.a, 3) == 0.793
    assert round(params.b, 3) == 2.426
    assert round(result.log_likelihood, 1) == -9582.4


def test_bgnbd_reproduces_estimates_from_the_published_summary_file(
    cdnow_published_summary: pd.DataFrame,
) -> None:
    s = cdnow_published_summary
    result = bgnbd.fit(s["x"], s["t_x"], s["T"])
    params = result.parameters
    assert (round(params.r, 3), round(params.alpha, 3)) == (0.243, 4.414)
    assert (round(params.a, 3), round(params.b, 3)) == (0.793, 2.426)
    assert round(result.log_likelihood, 1) == -9582.4


def test_gamma_gamma_reproduces_fader_hardie_2013_cdnow_estimates(
    cdnow_summary: pd.DataFrame,
) -> None:
    repeat = cdnow_summary[cdnow_summary["frequency"] > 0]
    assert len(repeat) == 946
    # the note's sample mean of average repeat spend: $35.08
    assert round(repeat["monetary_value"].mean(), 2) == 35.08
    result = gamma_gamma.fit(repeat["frequency"], repeat["monetary_value"])
    params = result.parameters
    assert round(params.p, 2) == 6.25
    assert round(params.q, 2) == 3.74
    assert round(params.gamma, 2) == 15.44
