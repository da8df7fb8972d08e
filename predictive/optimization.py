"""When an optimiser's answer counts as the maximum-likelihood estimate.

L-BFGS-B sometimes stops with "ABNORMAL" when the line search can no longer improve the
objective in floating point: at the optimum itself, on a flat ridge (BG/NBD with almost no
dropout, where a and b grow together). The answer is then still the maximum if the gradient of the
mean log-likelihood is essentially zero; anything else is a failed fit.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import OptimizeResult

GRADIENT_TOLERANCE = 1e-5


def converged(result: OptimizeResult) -> bool:
    if not np.isfinite(result.fun) or not np.all(np.isfinite(result.x)):
        return False
    return bool(result.success) or float(np.max(np.abs(result.jac))) < GRADIENT_TOLERANCE


def wsum(weights: np.ndarray, values: np.ndarray) -> float:
    """Sum of weights * values, without BLAS.

    `np.dot` on vectors goes through BLAS, whose worker threads spin and fight for the cores on a
    busy machine (a likelihood evaluation measured 4x slower on 2 loaded cores); a plain product
    and sum stays single-threaded and predictable.
    """
    return float(np.sum(weights * values))
