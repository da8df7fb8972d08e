"""Predictive customer traits: BG/NBD purchase and dropout model plus Gamma-Gamma spend model.

A plain library (numpy, scipy, pandas): no warehouse, dbt or Dagster knowledge, so it can be fit
from the CLI, a dbt Python model or a notebook alike. Nothing is defined here: the editable install
can resolve this folder as a namespace package (skipping this file), so every name lives in a
submodule.
"""
