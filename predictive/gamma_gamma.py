"""Gamma-Gamma model of spend per transaction (Fader & Hardie 2013 note; Fader, Hardie & Lee 2005).

A customer's transaction values are Gamma(p, nu) around their own mean, and nu varies across
customers as Gamma(q, gamma). Only customers with at least one repeat transaction enter the fit,
with x their repeat transactions and zbar the average value of those. Independence of spend and
purchase frequency is an assumption of the model; `spend_frequency_correlation` lets a caller
record how far the data depart from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from predictive.errors import DegenerateDataError, FitError
from predictive.optimization import converged, wsum
from predictive.weights import pooled

_START = np.log([1.0, 1.0, 1.0])


@dataclass(frozen=True)
class GammaGammaParameters:
    p: float
    q: float
    gamma: float

    def as_dict(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "gamma": self.gamma}

    @property
    def population_mean_spend(self) -> float:
        """E[Z] for a customer about whom nothing is known: p * gamma / (q - 1)."""
        return self.p * self.gamma / (self.q - 1.0)


@dataclass(frozen=True)
class GammaGammaFit:
    parameters: GammaGammaParameters
    log_likelihood: float
    n_customers: int
    iterations: int


def _check_inputs(x: np.ndarray, zbar: np.ndarray) -> None:
    if np.any(x <= 0):
        raise ValueError("Gamma-Gamma takes customers with at least one repeat transaction only")
    if np.any(zbar <= 0) or not np.all(np.isfinite(zbar)):
        raise DegenerateDataError(
            "Gamma-Gamma needs a positive average repeat spend for every customer it is fit on"
        )


def log_likelihood_per_customer(
    params: GammaGammaParameters, x: np.ndarray, zbar: np.ndarray
) -> np.ndarray:
    """ln f(zbar | p, q, gamma; x) for each customer (note equation 5)."""
    x = np.asarray(x, dtype=np.float64)
    zbar = np.asarray(zbar, dtype=np.float64)
    p, q, g = params.p, params.q, params.gamma
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(g)
        + (px - 1.0) * np.log(zbar)
        + px * np.log(x)
        - (px + q) * np.log(g + x * zbar)
    )


@dataclass(frozen=True)
class _Data:
    """Repeat buyers with everything that does not depend on the parameters precomputed.

    The gamma functions depend on a customer only through x, so they are evaluated per distinct
    x; the data-only sums (of ln zbar, x ln zbar) are computed once; per customer and evaluation
    only ln(gamma + x zbar) remains.
    """

    levels: np.ndarray
    level_weight: np.ndarray
    x: np.ndarray
    x_zbar: np.ndarray
    weight: np.ndarray
    n: float
    sum_ln_z: float
    sum_x_ln_z: float

    @classmethod
    def build(cls, x: np.ndarray, zbar: np.ndarray, weight: np.ndarray) -> _Data:
        levels, level = np.unique(x, return_inverse=True)
        ln_z = np.log(zbar)
        return cls(
            levels=levels,
            level_weight=np.bincount(level.ravel(), weights=weight, minlength=len(levels)),
            x=x,
            x_zbar=x * zbar,
            weight=weight,
            n=float(weight.sum()),
            sum_ln_z=float(wsum(weight, ln_z)),
            sum_x_ln_z=float(wsum(weight, x * ln_z)),
        )


def _negative_ll_and_gradient(log_params: np.ndarray, data: _Data) -> tuple[float, np.ndarray]:
    """Minus the mean log-likelihood (scale-free tolerances) and its gradient in log-parameters."""
    params = np.exp(log_params)
    p, q, g = params
    levels, lw, n = data.levels, data.level_weight, data.n
    pl = p * levels
    psi_plq = special.digamma(pl + q)
    ln_levels = np.log(levels)
    ln_g_xz = np.log(g + data.x_zbar)
    w_ln = data.weight * ln_g_xz
    ll = (
        wsum(lw, special.gammaln(pl + q) - special.gammaln(pl) + pl * ln_levels)
        - n * special.gammaln(q)
        + n * q * np.log(g)
        + p * data.sum_x_ln_z
        - data.sum_ln_z
        - p * wsum(w_ln, data.x)
        - q * w_ln.sum()
    )
    d_p = (
        wsum(lw, levels * (psi_plq - special.digamma(pl) + ln_levels))
        + data.sum_x_ln_z
        - wsum(w_ln, data.x)
    )
    d_q = wsum(lw, psi_plq) - n * special.digamma(q) + n * np.log(g) - w_ln.sum()
    d_g = n * q / g - wsum(data.weight * (p * data.x + q), 1.0 / (g + data.x_zbar))
    gradient = np.array([d_p, d_q, d_g]) * params
    return -float(ll) / n, -gradient / n


def fit(x: np.ndarray, zbar: np.ndarray) -> GammaGammaFit:
    """Maximum-likelihood fit on repeat buyers; deterministic (fixed start, no randomness)."""
    x = np.asarray(x, dtype=np.float64)
    zbar = np.asarray(zbar, dtype=np.float64)
    _check_inputs(x, zbar)
    (ux, uz), weight = pooled(x, zbar)
    # Start at a spend scale that matches the data, so the optimiser works in a sane region.
    start = _START.copy()
    start[2] = np.log(float(np.mean(zbar)))
    result = optimize.minimize(
        _negative_ll_and_gradient,
        start,
        args=(_Data.build(ux, uz, weight),),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-12.0, 12.0), (-12.0, 12.0), (-20.0, 25.0)],
        options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 2000},
    )
    if not converged(result):
        raise FitError(f"Gamma-Gamma fit did not converge: {result.message}")
    p, q, g = np.exp(result.x)
    if q <= 1.0:
        raise DegenerateDataError(
            f"Gamma-Gamma fit gives q = {q:.3f} <= 1: spend is so heavy-tailed that the mean spend "
            "of a customer is undefined; check the amounts for outliers or mixed currencies"
        )
    return GammaGammaFit(
        parameters=GammaGammaParameters(float(p), float(q), float(g)),
        log_likelihood=-float(result.fun) * float(weight.sum()),
        n_customers=len(x),
        iterations=int(result.nit),
    )


def expected_average_spend(
    params: GammaGammaParameters, x: np.ndarray, zbar: np.ndarray
) -> np.ndarray:
    """E[Z | x, zbar]: a weighted mean of the population mean and the customer's own average.

    Customers with no repeat transaction get the population mean (their zbar carries no weight).
    """
    x = np.asarray(x, dtype=np.float64)
    zbar = np.asarray(zbar, dtype=np.float64)
    p, q = params.p, params.q
    own_weight = p * x / (p * x + q - 1.0)
    own = np.where(x > 0, zbar, 0.0)
    return (1.0 - own_weight) * params.population_mean_spend + own_weight * own


def spend_frequency_correlation(x: np.ndarray, zbar: np.ndarray) -> float:
    """Pearson correlation of repeat count and average spend of repeat buyers (0 if undefined)."""
    x = np.asarray(x, dtype=np.float64)
    zbar = np.asarray(zbar, dtype=np.float64)
    if len(x) < 2 or np.std(x) == 0 or np.std(zbar) == 0:
        return 0.0
    order = np.lexsort((zbar, x))  # a fixed summation order: same value whatever the row order
    return float(np.corrcoef(x[order], zbar[order])[0, 1])
