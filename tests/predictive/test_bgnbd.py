"""BG/NBD likelihood, gradient and predictions behave as the model says they must."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import optimize

from predictive import bgnbd
from predictive.bgnbd import BgNbdParameters

TRUE = BgNbdParameters(r=0.5, alpha=6.0, a=1.4, b=3.2)


def _sample(simulate: Callable[..., pd.DataFrame], n: int, holdout: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(20260522)
    T = rng.uniform(10.0, 60.0, n)
    return simulate(TRUE.r, TRUE.alpha, TRUE.a, TRUE.b, T, holdout, rng)


def test_analytic_gradient_matches_finite_differences(simulate: Callable) -> None:
    data = _sample(simulate, 500)
    x, t_x, T = (data[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    data = bgnbd._Data.build(x, t_x, T, np.ones_like(x))
    point = np.log([0.7, 3.0, 0.9, 2.5])

    def value(theta: np.ndarray) -> float:
        return bgnbd._negative_ll_and_gradient(theta, data)[0]

    analytic = bgnbd._negative_ll_and_gradient(point, data)[1]
    numeric = optimize.approx_fprime(point, value, 1e-7)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-6)


def test_pooled_likelihood_equals_sum_of_individual_likelihoods(simulate: Callable) -> None:
    data = _sample(simulate, 300)
    data = pd.concat([data, data.head(50)])  # duplicates to pool
    x, t_x, T = (data[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    result = bgnbd.fit(x, t_x, T)
    individual = bgnbd.log_likelihood_per_customer(result.parameters, x, t_x, T)
    assert np.isclose(individual.sum(), result.log_likelihood, rtol=1e-10)


def test_fit_on_simulated_customers_recovers_the_true_parameters(simulate: Callable) -> None:
    data = _sample(simulate, 30_000)
    result = bgnbd.fit(data["frequency"], data["recency"], data["T"])
    fitted = result.parameters.as_dict()
    for name, truth in TRUE.as_dict().items():
        assert abs(fitted[name] - truth) / truth < 0.15, (name, fitted[name], truth)
    # the population mean purchase rate r/alpha is identified much more tightly
    assert abs(fitted["r"] / fitted["alpha"] - TRUE.r / TRUE.alpha) / (TRUE.r / TRUE.alpha) < 0.05


def test_conditional_expectation_predicts_simulated_holdout_purchases(
    simulate: Callable,
) -> None:
    data = _sample(simulate, 30_000, holdout=26.0)
    predicted = bgnbd.expected_purchases(TRUE, 26.0, data["frequency"], data["recency"], data["T"])
    assert abs(predicted.sum() - data["frequency_holdout"].sum()) / predicted.sum() < 0.03
    # and per group: heavier past buyers are predicted to buy more, as they do
    heavy = data["frequency"] >= 3
    assert predicted[heavy].mean() > predicted[~heavy].mean()
    assert (
        abs(predicted[heavy].sum() - data.loc[heavy, "frequency_holdout"].sum())
        / predicted[heavy].sum()
        < 0.05
    )


def test_customer_without_history_is_predicted_like_a_new_customer() -> None:
    zero = np.zeros(1)
    for t in (1.0, 13.0, 52.0):
        conditional = bgnbd.expected_purchases(TRUE, t, zero, zero, zero)[0]
        assert np.isclose(conditional, bgnbd.expected_purchases_new_customer(TRUE, t))


def test_p_alive_is_one_without_repeat_and_falls_with_time_since_last_purchase() -> None:
    x = np.array([0.0, 3.0, 3.0, 3.0])
    t_x = np.array([0.0, 30.0, 20.0, 5.0])
    T = np.full(4, 30.0)
    p = bgnbd.probability_alive(TRUE, x, t_x, T)
    assert p[0] == 1.0
    assert 1.0 > p[1] > p[2] > p[3] > 0.0


def test_expected_purchases_grow_with_horizon_and_are_zero_for_no_time() -> None:
    x, t_x, T = np.array([2.0]), np.array([20.0]), np.array([30.0])
    values = [bgnbd.expected_purchases(TRUE, t, x, t_x, T)[0] for t in (0.0, 4.0, 13.0, 52.0)]
    assert values[0] == 0.0
    assert values[0] < values[1] < values[2] < values[3]


def test_extreme_histories_give_finite_predictions() -> None:
    x = np.array([0.0, 400.0, 400.0])
    t_x = np.array([0.0, 500.0, 1.0])
    T = np.array([1000.0, 500.0, 500.0])
    params = BgNbdParameters(r=0.24, alpha=4.4, a=0.79, b=2.4)
    assert np.all(np.isfinite(bgnbd.log_likelihood_per_customer(params, x, t_x, T)))
    p = bgnbd.probability_alive(params, x, t_x, T)
    assert np.all(np.isfinite(p)) and p[2] < 1e-6
    assert np.all(np.isfinite(bgnbd.expected_purchases(params, 52.0, x, t_x, T)))


def test_conditional_expectation_matches_the_papers_direct_form() -> None:
    """The stable (Euler-transformed) evaluation equals equation 10 as printed."""
    from scipy import special

    params = BgNbdParameters(r=0.243, alpha=4.414, a=0.793, b=2.426)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x = np.array([0.0, 1.0, 2.0, 7.0, 15.0])
    t_x = np.array([0.0, 5.0, 30.4, 35.0, 38.0])
    T = np.full(5, 38.86)
    t = 39.0
    direct = (
        (a + b + x - 1)
        / (a - 1)
        * (
            1
            - ((alpha + T) / (alpha + T + t)) ** (r + x)
            * special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
        )
        / (1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    )
    np.testing.assert_allclose(bgnbd.expected_purchases(params, t, x, t_x, T), direct, rtol=1e-9)


def test_heavy_buyer_with_short_history_gets_a_finite_plausible_prediction() -> None:
    params = BgNbdParameters(r=0.243, alpha=4.414, a=0.793, b=2.426)
    x, t_x, T = np.array([300.0]), np.array([1.9]), np.array([2.0])
    expected = bgnbd.expected_purchases(params, 52.0, x, t_x, T)[0]
    # posterior mean rate (r+x)/(alpha+T) ~ 47 a week, posterior dropout chance per purchase
    # a/(a+b+x-1) ~ 1/380: a few hundred purchases, far below the naive 150 a week for a year
    assert np.isfinite(expected)
    assert 300.0 < expected < 150.0 * 52.0


def test_almost_no_dropout_reduces_to_the_poisson_gamma_prediction() -> None:
    """a, b huge with a/(a+b) tiny: nobody drops out, E[Y(t)] -> t (r+x)/(alpha+T)."""
    params = BgNbdParameters(r=0.9, alpha=5.1, a=8.0e4, b=1.0e11)
    x = np.array([0.0, 1.0, 4.0, 30.0])
    t_x = np.array([0.0, 10.0, 40.0, 90.0])
    T = np.array([20.0, 50.0, 60.0, 100.0])
    expected = bgnbd.expected_purchases(params, 52.0, x, t_x, T)
    np.testing.assert_allclose(expected, 52.0 * (0.9 + x) / (5.1 + T), rtol=1e-3)
