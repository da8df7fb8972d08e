"""Gamma-Gamma likelihood, gradient, recovery and conditional spend."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from predictive import gamma_gamma
from predictive.errors import DegenerateDataError
from predictive.gamma_gamma import GammaGammaParameters

TRUE = GammaGammaParameters(p=5.0, q=4.0, gamma=20.0)


def _simulate(n: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = 1 + rng.poisson(2.5, n)
    nu = rng.gamma(TRUE.q, 1.0 / TRUE.gamma, n)
    totals = rng.gamma(TRUE.p * x, 1.0 / nu)  # a sum of x Gamma(p, nu) values
    return x.astype(float), totals / x


def test_analytic_gradient_matches_finite_differences() -> None:
    x, zbar = _simulate(400)
    data = gamma_gamma._Data.build(x, zbar, np.ones_like(x))
    point = np.log([3.0, 2.0, 10.0])

    def value(theta: np.ndarray) -> float:
        return gamma_gamma._negative_ll_and_gradient(theta, data)[0]

    analytic = gamma_gamma._negative_ll_and_gradient(point, data)[1]
    np.testing.assert_allclose(
        analytic, optimize.approx_fprime(point, value, 1e-7), rtol=1e-4, atol=1e-6
    )


def test_fit_on_simulated_spend_recovers_the_true_parameters() -> None:
    x, zbar = _simulate(20_000)
    fitted = gamma_gamma.fit(x, zbar).parameters
    for name, truth in TRUE.as_dict().items():
        assert abs(fitted.as_dict()[name] - truth) / truth < 0.1, (name, fitted, truth)
    assert abs(fitted.population_mean_spend - TRUE.population_mean_spend) < 0.5


def test_expected_spend_shrinks_towards_the_population_mean() -> None:
    mean = TRUE.population_mean_spend
    x = np.array([0.0, 1.0, 50.0])
    zbar = np.array([0.0, 200.0, 200.0])
    spend = gamma_gamma.expected_average_spend(TRUE, x, zbar)
    assert spend[0] == pytest.approx(mean)
    assert mean < spend[1] < spend[2] < 200.0
    assert spend[2] > 190.0  # fifty purchases: the customer's own average dominates


def test_nonpositive_average_spend_is_refused() -> None:
    with pytest.raises(DegenerateDataError, match="positive average repeat spend"):
        gamma_gamma.fit(np.array([1.0, 2.0]), np.array([10.0, 0.0]))


def test_customers_without_repeat_are_refused_as_input() -> None:
    with pytest.raises(ValueError, match="at least one repeat"):
        gamma_gamma.fit(np.array([0.0, 2.0]), np.array([10.0, 5.0]))


def test_fitted_log_likelihood_equals_sum_of_individual_log_likelihoods() -> None:
    x, zbar = _simulate(300)
    x, zbar = np.r_[x, x[:40]], np.r_[zbar, zbar[:40]]  # duplicates to pool
    result = gamma_gamma.fit(x, zbar)
    individual = gamma_gamma.log_likelihood_per_customer(result.parameters, x, zbar)
    assert np.isclose(individual.sum(), result.log_likelihood, rtol=1e-10)
