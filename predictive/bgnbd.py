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
from predictive.optimization import converged, wsum
from predictive.weights import pooled

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


@dataclass(frozen=True)
class _Data:
    """Pooled customers, with repeat counts split into their few distinct levels.

    Every special function of the likelihood depends on x only through r + x, a + b + x, b + x,
    so it is evaluated once per distinct x and indexed; per-customer work is a few logs.
    """

    levels: np.ndarray  # distinct x values
    level: np.ndarray  # index into levels, per row
    level_weight: np.ndarray  # total weight per level
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    weight: np.ndarray

    @classmethod
    def build(cls, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weight: np.ndarray) -> _Data:
        levels, level = np.unique(x, return_inverse=True)
        level = level.ravel()
        return cls(
            levels=levels,
            level=level,
            level_weight=np.bincount(level, weights=weight, minlength=len(levels)),
            x=x,
            t_x=t_x,
            T=T,
            weight=weight,
        )


def _level_terms(
    params: np.ndarray, levels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct x: ln A1 without r ln alpha, and the beta-function parts of ln A2 and ln A3."""
    r, _alpha, a, b = params
    ln_beta_ab = special.betaln(a, b)
    a1 = special.gammaln(r + levels) - special.gammaln(r)
    b2 = special.betaln(a, b + levels) - ln_beta_ab
    b3 = np.full_like(levels, -np.inf)
    repeat = levels > 0
    b3[repeat] = special.betaln(a + 1.0, b + levels[repeat] - 1.0) - ln_beta_ab
    return a1, b2, b3


def _row_terms(
    params: np.ndarray, data: _Data
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per customer: ln A2, ln A3 and the logs of alpha + T, alpha + t_x, plus per-level ln A1."""
    r, alpha, _a, _b = params
    a1, b2, b3 = _level_terms(params, data.levels)
    ln_alpha_T = np.log(alpha + data.T)
    ln_alpha_tx = np.log(alpha + data.t_x)
    r_x = r + data.x
    a2 = b2[data.level] - r_x * ln_alpha_T
    a3 = b3[data.level] - r_x * ln_alpha_tx
    return a1, a2, a3, ln_alpha_T, ln_alpha_tx, r_x


def log_likelihood_per_customer(
    params: BgNbdParameters, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """ln L(r, alpha, a, b | x, t_x, T) for each customer (paper equation 6)."""
    values = np.array([params.r, params.alpha, params.a, params.b], dtype=np.float64)
    x, t_x, T = _as_arrays(x, t_x, T)
    data = _Data.build(x, t_x, T, np.ones_like(x))
    a1, a2, a3, *_ = _row_terms(values, data)
    return a1[data.level] + values[0] * np.log(values[1]) + np.logaddexp(a2, a3)


def _negative_ll_and_gradient(log_params: np.ndarray, data: _Data) -> tuple[float, np.ndarray]:
    """Minus the mean log-likelihood and its gradient in log-parameters.

    The mean (not the sum) keeps the objective's scale independent of the number of customers,
    so the optimiser's tolerances mean the same for 2,000 customers and for a million.
    """
    params = np.exp(log_params)
    r, alpha, a, b = params
    a1, a2, a3, ln_alpha_T, ln_alpha_tx, r_x = _row_terms(params, data)
    total = np.logaddexp(a2, a3)
    w2 = np.exp(a2 - total) * data.weight
    w3 = np.exp(a3 - total) * data.weight
    n = data.weight.sum()

    psi = special.digamma
    levels, lw = data.levels, data.level_weight
    psi_ab, psi_abx = psi(a + b), psi(a + b + levels)
    repeat = levels > 0
    psi_bx1 = np.zeros_like(levels)
    psi_bx1[repeat] = psi(b + levels[repeat] - 1.0)
    # per-level derivative parts of ln A2 and ln A3 with respect to a and b
    d2_a = psi_ab - psi_abx
    d3_a = psi(a + 1.0) - psi(a) + psi_ab - psi_abx
    d2_b = psi(b + levels) - psi_abx - psi(b) + psi_ab
    d3_b = psi_bx1 - psi_abx - psi(b) + psi_ab
    w2_level = np.bincount(data.level, weights=w2, minlength=len(levels))
    w3_level = np.bincount(data.level, weights=w3, minlength=len(levels))

    ll = wsum(lw, a1) + n * r * np.log(alpha) + wsum(data.weight, total)
    d_r = (
        wsum(lw, psi(r + levels) - psi(r))
        + n * np.log(alpha)
        - wsum(w2, ln_alpha_T)
        - wsum(w3, ln_alpha_tx)
    )
    d_alpha = n * r / alpha - wsum(w2, r_x / (alpha + data.T)) - wsum(w3, r_x / (alpha + data.t_x))
    d_a = wsum(w2_level, d2_a) + wsum(w3_level[repeat], d3_a[repeat])
    d_b = wsum(w2_level, d2_b) + wsum(w3_level[repeat], d3_b[repeat])
    gradient = np.array([d_r, d_alpha, d_a, d_b]) * params
    return -float(ll) / n, -gradient / n


def _as_arrays(*columns: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(c, dtype=np.float64) for c in columns)


def fit(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> BgNbdFit:
    """Maximum-likelihood fit; deterministic (fixed start, no randomness)."""
    x, t_x, T = _as_arrays(x, t_x, T)
    (ux, utx, uT), weight = pooled(x, t_x, T)
    data = _Data.build(ux, utx, uT, weight)
    result = optimize.minimize(
        _negative_ll_and_gradient,
        _START,
        args=(data,),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-12.0, 12.0)] * 4,
        options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 2000},
    )
    if not converged(result):
        raise FitError(f"BG/NBD fit did not converge: {result.message}")
    r, alpha, a, b = np.exp(result.x)
    return BgNbdFit(
        parameters=BgNbdParameters(float(r), float(alpha), float(a), float(b)),
        log_likelihood=-float(result.fun) * float(weight.sum()),
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
    return expected_purchases_if_alive(params, t, x, T) * probability_alive(params, x, t_x, T)


def expected_purchases_if_alive(
    params: BgNbdParameters, t: float, x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """E[purchases in the next t units | still active at T, x]: equation 10 without P(alive).

    It does not depend on recency, so a scorer can evaluate it once per distinct (x, T), which
    are far fewer than customers; the hypergeometric function is the costly part of scoring.
    """
    x, T = _as_arrays(x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if t <= 0:
        return np.zeros_like(x)
    # term = ((alpha+T)/(alpha+T+t))^(r+x) * 2F1(r+x, b+x; a+b+x-1; z), z = t/(alpha+T+t).
    # Euler's transformation gives the same value as (1-z)^(a-1) * 2F1(a+b-1-r, a-1; a+b+x-1; z),
    # whose first arguments do not grow with x, so heavy buyers with short histories do not
    # overflow; it is the printed form that stays finite when a is huge (almost no dropout), so
    # the printed form is the fallback wherever the transformed one is not finite.
    z = t / (alpha + T + t)
    log_one_minus_z = np.log(alpha + T) - np.log(alpha + T + t)
    with np.errstate(invalid="ignore", over="ignore"):
        term = np.exp((a - 1.0) * log_one_minus_z) * special.hyp2f1(
            a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z
        )
    bad = ~np.isfinite(term)
    if bad.any():
        xb = x[bad]
        term[bad] = np.exp((r + xb) * log_one_minus_z[bad]) * special.hyp2f1(
            r + xb, b + xb, a + b + xb - 1.0, z[bad]
        )
    return (a + b + x - 1.0) / (a - 1.0) * (1.0 - term)


def expected_purchases_new_customer(params: BgNbdParameters, t: float) -> float:
    """E[X(t)] for a customer just acquired (paper equation 9); used for population checks."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    hyper = special.hyp2f1(r, b, a + b - 1.0, t / (alpha + t))
    return float((a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + t)) ** r * hyper))
