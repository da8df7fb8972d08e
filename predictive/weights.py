"""Pooling of identical customer summaries, so a likelihood is evaluated once per distinct row.

Customers with the same (x, t_x, T) contribute identical terms; with day-level dates a million
customers collapse to far fewer distinct rows, which is what makes fitting and scoring cheap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def pooled(*columns: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Distinct rows of the given equal-length columns and how many times each occurs."""
    frame = pd.DataFrame({str(i): np.asarray(c, dtype=np.float64) for i, c in enumerate(columns)})
    counts = frame.groupby(list(frame.columns), sort=True).size()
    index = counts.index.to_frame(index=False)
    distinct = tuple(index[str(i)].to_numpy(dtype=np.float64) for i in range(len(columns)))
    return distinct, counts.to_numpy(dtype=np.float64)


def distinct_rows(*columns: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Distinct rows, and for every input row the position of its distinct row (to scatter back)."""
    frame = pd.DataFrame({str(i): np.asarray(c, dtype=np.float64) for i, c in enumerate(columns)})
    codes = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
    firsts = frame.drop_duplicates()
    distinct = tuple(firsts[str(i)].to_numpy(dtype=np.float64) for i in range(len(columns)))
    return distinct, codes
