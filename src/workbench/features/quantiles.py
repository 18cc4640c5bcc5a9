"""Quantiles of arrays that are already sorted, without sorting them again.

Peer benchmarks take a median and a leader quantile of millions of small sorted groups and
the data profile takes percentiles of sorted columns; both use this one function, which is
``numpy.quantile``'s default (linear) method with numpy's own arithmetic.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sorted_quantile"]


def sorted_quantile(sorted_values: np.ndarray, q: float) -> float:
    """``numpy.quantile(sorted_values, q)`` of a non-empty, already sorted array."""
    k = len(sorted_values)
    virtual = q * (k - 1)
    lo = int(np.floor(virtual))
    hi = min(lo + 1, k - 1)
    t = virtual - lo
    a, b = sorted_values[lo], sorted_values[hi]
    diff = b - a
    # numpy lerps from the nearer end, so that q = 1 gives exactly the maximum.
    return float(b - diff * (1 - t)) if t >= 0.5 else float(a + diff * t)
