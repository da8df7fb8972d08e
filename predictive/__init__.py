"""Predictive customer traits: BG/NBD purchase and dropout model plus Gamma-Gamma spend model.

A plain library (numpy, scipy, pandas): no warehouse, dbt or Dagster knowledge, so it can be fit
from the CLI, a dbt Python model or a notebook alike. `MODEL_VERSION` changes whenever the maths
or the summary definitions change, so stored predictions say which code produced them.
"""

from __future__ import annotations

MODEL_VERSION = "bgnbd-gg-1"
