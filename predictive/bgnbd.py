"""BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

While alive a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after each
purchase they drop out with probability p ~ Beta(a, b). The likelihood, P(alive) and the
conditional expectation are the paper's closed forms (equations 6, 10 and 13), evaluated in log
space so that customers with many purchases or long histories do not overflow.

Fitting maximises the log-likelihood over log-parameters (so they stay positive) with L-BFGS-B and
the analytic gradient; customers with identical (x, t_x, T) are pooled with a weight, which is
what keeps a fit on a million customers to a second or two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from predictive.errors import FitError
from predictive.weights import pooled

PARAMETER_NAMES = ("r", "alpha", "a", "b")
_START = np.log([1.0, 1.0, 1.0, 1.0])


@dataclass(frozen=True)
class BgNbdParameters:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


@dataclass(frozen=True)
class BgNbdFit:
    parameters: BgNbdParameters
    log_likelihood: float
    n_customers: int
    iterations: int


def _terms(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The three log terms of the individual likelihood and the x > 0 mask."""
    r, alpha, a, b = params
    repeat = x > 0
    ln_beta_ab = special.betaln(a, b)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + x) - ln_beta_ab - (r + x) * np.log(alpha + T)
    a3 = np.full_like(a2, -np.inf)
    xr = x[repeat]
    a3[repeat] = (
        special.betaln(a + 1.0, b + xr - 1.0) - ln_beta_ab - (r + xr) * np.log(alpha + t_x[repeat])
    )
    return a1, a2, a3, repeat


def log_likelihood_per_customer(
    params: BgNbdParameters, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """ln L(r, alpha, a, b | x, t_x, T) for each customer (paper equation 6)."""
    values = np.array([params.r, params.alpha, params.a, params.b], dtype=np.float64)
    a1, a2, a3, _ = _terms(values, *_as_arrays(x, t_x, T))
    return a1 + np.logaddexp(a2, a3)


def _negative_ll_and_gradient(
    log_params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weight: np.ndarray
) -> tuple[float, np.ndarray]:
    params = np.exp(log_params)
    r, alpha, a, b = params
    a1, a2, a3, repeat = _terms(params, x, t_x, T)
    total = np.logaddexp(a2, a3)
    w2 = np.exp(a2 - total)
    w3 = np.exp(a3 - total)

    psi = special.digamma
    psi_ab, psi_abx = psi(a + b), psi(a + b + x)
    psi_b = psi(b)
    ln_alpha_T = np.log(alpha + T)
    ln_alpha_tx = np.log(alpha + t_x)
    d_a3_db = np.zeros_like(x)
    d_a3_db[repeat] = psi(b + x[repeat] - 1.0)

    d_r = psi(r + x) - psi(r) + np.log(alpha) - w2 * ln_alpha_T - w3 * ln_alpha_tx
    d_alpha = r / alpha - w2 * (r + x) / (alpha + T) - w3 * (r + x) / (alpha + t_x)
    d_a = w2 * (psi_ab - psi_abx) + w3 * (psi(a + 1.0) - psi(a) + psi_ab - psi_abx)
    d_b = w2 * (psi(b + x) - psi_abx - psi_b + psi_ab) + w3 * (d_a3_db - psi_abx - psi_b + psi_ab)

    ll = float(np.dot(weight, a1 + total))
    gradient = np.array([np.dot(weight, d) for d in (d_r, d_alpha, d_a, d_b)]) * params
    return -ll, -gradient


def _as_arrays(*columns: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(c, dtype=np.float64) for c in columns)


def fit(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> BgNbdFit:
    """Maximum-likelihood fit; deterministic (fixed start, no randomness)."""
    x, t_x, T = _as_arrays(x, t_x, T)
    (ux, utx, uT), weight = pooled(x, t_x, T)
    result = optimize.minimize(
        _negative_ll_and_gradient,
        _START,
        args=(ux, utx, uT, weight),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-12.0, 12.0)] * 4,
        options={"ftol": 1e-15, "gtol": 1e-8, "maxiter": 2000},
    )
    if not np.isfinite(result.fun) or not result.success:
        raise FitError(f"BG/NBD fit did not converge: {result.message}")
    r, alpha, a, b = np.exp(result.x)
    return BgNbdFit(
        parameters=BgNbdParameters(float(r), float(alpha), float(a), float(b)),
        log_likelihood=-float(result.fun),
        n_customers=len(x),
        iterations=int(result.nit),
    )


def _log_dropout_odds(
    params: BgNbdParameters, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """ln of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x) for x > 0; -inf for x = 0."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    odds = np.full_like(x, -np.inf)
    repeat = x > 0
    xr = x[repeat]
    odds[repeat] = (
        np.log(a)
        - np.log(b + xr - 1.0)
        + (r + xr) * (np.log(alpha + T[repeat]) - np.log(alpha + t_x[repeat]))
    )
    return odds


def probability_alive(
    params: BgNbdParameters, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """P(still active at T | x, t_x, T) (paper equation 13); 1 for customers with no repeat."""
    x, t_x, T = _as_arrays(x, t_x, T)
    return special.expit(-_log_dropout_odds(params, x, t_x, T))


def expected_purchases(
    params: BgNbdParameters, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """E[purchases in the next t units | x, t_x, T] (paper equation 10)."""
    x, t_x, T = _as_arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if t <= 0:
        return np.zeros_like(x)
    # ((alpha+T)/(alpha+T+t))^(r+x) * 2F1(r+x, b+x; a+b+x-1; z) with z = t/(alpha+T+t), rewritten
    # by Euler's transformation as (1-z)^(a-1) * 2F1(a+b-1-r, a-1; a+b+x-1; z): the same value,
    # but the first two arguments no longer grow with x, so heavy buyers with short histories do
    # not overflow the hypergeometric series.
    z = t / (alpha + T + t)
    log_one_minus_z = np.log(alpha + T) - np.log(alpha + T + t)
    hyper = special.hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
    numerator = (a + b + x - 1.0) / (a - 1.0) * (1.0 - np.exp((a - 1.0) * log_one_minus_z) * hyper)
    return numerator * special.expit(-_log_dropout_odds(params, x, t_x, T))


def expected_purchases_new_customer(params: BgNbdParameters, t: float) -> float:
    """E[X(t)] for a customer just acquired (paper equation 9); used for population checks."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    hyper = special.hyp2f1(r, b, a + b - 1.0, t / (alpha + t))
    return float((a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + t)) ** r * hyper))
