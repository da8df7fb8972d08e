"""Errors the predictive library raises instead of returning a fit that means nothing."""

from __future__ import annotations


class DegenerateDataError(ValueError):
    """The transactions cannot support the model (too few repeat buyers, no spend, one day only).

    A maximum-likelihood fit on such data still "converges", to parameters at the edge of the
    space (a zero dropout rate, an infinite spend scale) that would then score every customer with
    confident nonsense; callers get this error with the reason instead.
    """


class FitError(RuntimeError):
    """The optimiser did not reach a proper maximum of the likelihood."""
