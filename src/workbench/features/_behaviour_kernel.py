"""The window statistics of ``behaviour``, compiled with numba: one pass over each observation's
12 months of every monthly series, instead of a window array and a numpy reduction per feature.

The arithmetic is numpy's, value for value (``tests/features/test_behaviour.py`` compares with
numpy on random windows): means are ``np.nanmean`` of float32 windows, the sum in float32 in
numpy's pairwise order and the division in float64, then rounded to float32; maxima are
``np.fmax.reduce``; the utilisation and turnover trends are the OLS slope per month of
``behaviour._monthly_slope`` on float32 values, sums in numpy's order.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["WINDOW", "WINDOW_FEATURES", "month_matrices", "window_features"]

WINDOW = 12
SPIKE = 0.15  # a month-on-month rise in utilisation of at least this much counts as a spike
#: The rows of ``window_features``' result, in order.
WINDOW_FEATURES = (
    "dpd", "dpd_max_3m", "dpd_mean_3m", "dpd_max_6m", "dpd_mean_6m", "dpd_max_12m", "dpd_mean_12m",
    "months_dpd30_12m", "utilisation", "utilisation_mean_3m", "utilisation_vs_12m_mean", "utilisation_max_12m",
    "utilisation_trend_6m", "utilisation_spikes_12m", "overdue_amount", "overdue_amount_max_12m",
    "credit_turnover_vs_12m", "credit_turnover_trend_6m", "covenant_breaches_12m")
_NAN = np.float32(np.nan)
_ZERO = np.float32(0.0)


@numba.njit(cache=True, nogil=True)
def _value(w, j):
    """w[j], NaN as 0: what np.nanmean and np.nansum sum."""
    v = w[j]
    return v if v == v else _ZERO


@numba.njit(cache=True, nogil=True)
def _sum(w, lo, hi):
    """numpy's float32 sum of w[lo:hi] (NaN as 0), in its pairwise order: for fewer than 8 values
    one after the other from 0, else eight running sums added as a tree, then the rest."""
    n = hi - lo
    if n < 8:
        res = _ZERO
        for j in range(lo, hi):
            res = res + _value(w, j)
        return res
    r0, r1, r2, r3 = _value(w, lo), _value(w, lo + 1), _value(w, lo + 2), _value(w, lo + 3)
    r4, r5, r6, r7 = _value(w, lo + 4), _value(w, lo + 5), _value(w, lo + 6), _value(w, lo + 7)
    j = lo + 8
    while j < hi - n % 8:
        r0, r1, r2, r3 = r0 + _value(w, j), r1 + _value(w, j + 1), r2 + _value(w, j + 2), r3 + _value(w, j + 3)
        r4, r5, r6, r7 = r4 + _value(w, j + 4), r5 + _value(w, j + 5), r6 + _value(w, j + 6), r7 + _value(w, j + 7)
        j += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while j < hi:
        res = res + _value(w, j)
        j += 1
    return res


@numba.njit(cache=True, nogil=True)
def _count(w, lo, hi):
    c = 0
    for j in range(lo, hi):
        if w[j] == w[j]:
            c += 1
    return c


@numba.njit(cache=True, nogil=True)
def _mean(w, lo, hi):
    """np.nanmean(w[lo:hi]) of float32 values: NaN without any."""
    c = _count(w, lo, hi)
    if c == 0:
        return _NAN
    return np.float32(np.float64(_sum(w, lo, hi)) / c)


@numba.njit(cache=True, nogil=True)
def _max(w, lo, hi):
    """np.fmax.reduce(w[lo:hi]): the largest value ignoring NaN, NaN without any."""
    m = _NAN
    for j in range(lo, hi):
        v = w[j]
        if v == v and (m != m or v > m):
            m = v
    return m


@numba.njit(cache=True, nogil=True)
def _slope(w, lo, hi, x, xc, yc):
    """OLS slope per month of w[lo:hi] over its observed months (at least 3), as
    ``behaviour._monthly_slope`` computes it in float32; x, xc, yc are scratch of the window's size."""
    n = hi - lo
    for j in range(n):
        x[j] = np.float32(j) if w[lo + j] == w[lo + j] else _NAN
    if _count(x, 0, n) < 3:
        return _NAN
    mean_x, mean_y = _mean(x, 0, n), _mean(w, lo, hi)
    for j in range(n):
        xc[j] = x[j] - mean_x
        yc[j] = w[lo + j] - mean_y
    for j in range(n):
        yc[j] = xc[j] * yc[j]
        xc[j] = xc[j] * xc[j]
    return _sum(yc, 0, n) / _sum(xc, 0, n)


@numba.njit(cache=True, nogil=True)
def _window_features(dpd, util, overdue, breach, turnover, has_turnover, rows, cols, inside, out):
    width = WINDOW
    d = np.empty(width, dtype=np.float32)
    u, o, b, t = d.copy(), d.copy(), d.copy(), d.copy()
    x, xc, yc = d.copy(), d.copy(), d.copy()
    for i in range(len(rows)):
        if not inside[i]:
            continue  # out is NaN already: no month of this observation is in the table
        r, c0 = rows[i], cols[i] - width + 1  # the window, oldest month first
        for j in range(width):
            d[j], u[j], o[j], b[j] = dpd[r, c0 + j], util[r, c0 + j], overdue[r, c0 + j], breach[r, c0 + j]
            t[j] = turnover[r, c0 + j] if has_turnover else _NAN
        last = width - 1
        out[0, i] = d[last]
        k = 1
        for w in (3, 6, 12):
            out[k, i] = _max(d, width - w, width)
            out[k + 1, i] = _mean(d, width - w, width)
            k += 2
        if d[last] == d[last]:
            above = 0
            for j in range(width):
                if d[j] > 30:
                    above += 1
            out[7, i] = above
        out[8, i] = u[last]
        mean_3m = _mean(u, width - 3, width)
        out[9, i] = mean_3m
        out[10, i] = mean_3m - _mean(u, 0, width)
        out[11, i] = _max(u, 0, width)
        out[12, i] = _slope(u, width - 6, width, x, xc, yc)
        if u[last] == u[last]:
            rises = 0
            for j in range(width - 1):
                if u[j + 1] - u[j] >= SPIKE:
                    rises += 1
            out[13, i] = rises
        out[14, i] = o[last]
        out[15, i] = _max(o, 0, width)
        out[16, i] = _mean(t, width - 3, width) - _mean(t, 0, width)
        out[17, i] = _slope(t, width - 6, width, x, xc, yc)
        if b[last] == b[last]:
            out[18, i] = _sum(b, 0, width)


@numba.njit(cache=True, nogil=True)
def _scatter(matrices, rows, cols, series):
    for i in range(len(rows)):
        for k in range(series.shape[0]):
            matrices[k, rows[i], cols[i]] = series[k, i]


def month_matrices(rows: np.ndarray, cols: np.ndarray, series: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The monthly ``series`` (series x records, float32) as obligor x month matrices, one per
    series (``[k, row, col]``), NaN where there is no record; where two records share a cell the
    later one is kept, as numpy's fancy assignment does."""
    if len(rows) and (rows.min() < 0 or rows.max() >= shape[0] or cols.min() < 0 or cols.max() >= shape[1]):
        raise IndexError(f"a record falls outside the {shape[0]} x {shape[1]} obligor x month matrix")
    matrices = np.full((len(series), *shape), np.nan, dtype=np.float32)
    _scatter(matrices, rows.astype(np.int64, copy=False), cols.astype(np.int64, copy=False),
             np.ascontiguousarray(series, dtype=np.float32))
    return matrices


def window_features(dpd: np.ndarray, util: np.ndarray, overdue: np.ndarray, breach: np.ndarray,
                    turnover: np.ndarray | None, rows: np.ndarray, cols: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """``WINDOW_FEATURES`` (rows of the result, float32) of each observation: the months up to column
    ``cols[i]`` of row ``rows[i]`` of the obligor x month matrices (float32, NaN where there is no
    record, at least ``WINDOW - 1`` columns before any observed month); all NaN where not ``inside``.
    Without ``turnover`` its features are NaN."""
    out = np.full((len(WINDOW_FEATURES), len(rows)), np.nan, dtype=np.float32)
    has_turnover = turnover is not None
    _window_features(dpd, util, overdue, breach, turnover if has_turnover else np.empty((1, 1), np.float32),
                     has_turnover, rows.astype(np.int64), cols.astype(np.int64), inside.astype(np.bool_), out)
    return out
