"""The peer-group statistics of ``peers``, compiled with numba.

For each group (industry or sector, and fiscal year) and key ratio, the group's values are sorted
once; the queries of the group are visited in observation-date order while the statements usable
by that date are added to a Fenwick tree over the sorted positions. A query's rank is then two
prefix sums and a month's quantiles a descent of the tree: O((statements + queries) log statements)
per group and ratio, where a usable-prefix mask per month costs statements x months.

The arithmetic is ``peers``' documented rule and numpy's: ranks are integer counts, the mid-rank
percentile is computed in float64 and stored as float32, and quantiles interpolate like
``quantiles.sorted_quantile`` in the values' own precision (float32), so the results equal what
numpy gives value for value. A missing date (NaT) is never usable and a query without a date
sees no peer.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["group_stats"]

_NAT = np.iinfo(np.int64).min


@numba.njit(cache=True, nogil=True)
def _search(sorted_vals, x, right):
    """numpy.searchsorted(sorted_vals, x, side="right" if right else "left")."""
    lo, hi = 0, len(sorted_vals)
    while lo < hi:
        mid = (lo + hi) >> 1
        if sorted_vals[mid] < x or (right and sorted_vals[mid] == x):
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True, nogil=True)
def _prefix(tree, i):
    """How many added positions are below ``i`` (Fenwick prefix sum over positions 0 .. i - 1)."""
    total = 0
    while i > 0:
        total += tree[i]
        i -= i & -i
    return total


@numba.njit(cache=True, nogil=True)
def _add(tree, pos):
    i = pos + 1
    while i < len(tree):
        tree[i] += 1
        i += i & -i


@numba.njit(cache=True, nogil=True)
def _kth(tree, k, log):
    """Position of the k-th (from 0) added position."""
    pos, rest, step = 0, k + 1, log
    while step > 0:
        nxt = pos + step
        if nxt < len(tree) and tree[nxt] < rest:
            pos = nxt
            rest -= tree[nxt]
        step >>= 1
    return pos  # 1-based index of the last position below it, i.e. the 0-based position itself


@numba.njit(cache=True, nogil=True)
def _quantile(sorted_vals, tree, log, count, q, weight):
    """``quantiles.sorted_quantile`` of the ``count`` added values, in their own precision: the
    weight goes through ``weight`` (a one-element array of the values' type) as numpy rounds a
    Python float meeting a float32."""
    virtual = q * (count - 1)
    lo = int(np.floor(virtual))
    hi = min(lo + 1, count - 1)
    t = virtual - lo
    a = sorted_vals[_kth(tree, lo, log)]
    b = sorted_vals[_kth(tree, hi, log)]
    diff = b - a
    if t >= 0.5:
        weight[0] = 1 - t
        return b - diff * weight[0]
    weight[0] = t
    return a + diff * weight[0]


@numba.njit(cache=True, nogil=True, parallel=True)
def _group_stats(u_bounds, u_avail, u_vals, q_bounds, q_obs, q_vals, lead_q, pct, median, leader, size):
    """Fill pct / median / leader (queries x ratios) and size (queries) for every group.

    Universe rows are grouped (``u_bounds``), query rows grouped and, within a group, in date
    order (``q_bounds``); dates are int64 nanoseconds, NaT being the int64 minimum. Groups run
    in parallel: each writes only its own queries' rows.
    """
    n_ratios = u_vals.shape[1]
    for g in numba.prange(len(q_bounds) - 1):
        weight = np.empty(1, dtype=u_vals.dtype)
        q0, q1 = q_bounds[g], q_bounds[g + 1]
        u0, u1 = u_bounds[g], u_bounds[g + 1]
        if q1 == q0 or u1 == u0:
            continue
        avail = u_avail[u0:u1]
        dated = np.sort(avail[avail != _NAT])
        for i in range(q0, q1):
            if q_obs[i] != _NAT:
                size[i] = _search(dated, q_obs[i], True)
        for r in range(n_ratios):
            vals = u_vals[u0:u1, r]
            keep = ~np.isnan(vals)
            order = np.argsort(vals[keep], kind="mergesort")
            sorted_vals = vals[keep][order]
            sorted_avail = avail[keep][order]
            n = len(sorted_vals)
            by_date = np.argsort(sorted_avail, kind="mergesort")
            tree = np.zeros(n + 1, dtype=np.int64)
            log = 1
            while log * 2 <= n:
                log *= 2
            added, count = 0, 0
            # NaT sorts first: skip those, they never become usable.
            while added < n and sorted_avail[by_date[added]] == _NAT:
                added += 1
            month = _NAT
            med = lead = u_vals[0, 0] * np.nan  # of the values' type
            started = False
            for i in range(q0, q1):
                obs = q_obs[i]
                if obs == _NAT:
                    continue
                if not started or obs != month:
                    started, month = True, obs
                    while added < n and sorted_avail[by_date[added]] <= obs:
                        _add(tree, by_date[added])
                        added += 1
                        count += 1
                    if count > 0:
                        med = _quantile(sorted_vals, tree, log, count, 0.5, weight)
                        lead = _quantile(sorted_vals, tree, log, count, lead_q[r], weight)
                if count == 0:
                    continue
                median[i, r] = med
                leader[i, r] = lead
                x = q_vals[i, r]
                if not np.isnan(x):
                    less = _prefix(tree, _search(sorted_vals, x, False))
                    leq = _prefix(tree, _search(sorted_vals, x, True))
                    pct[i, r] = (less + 0.5 * (leq - less)) / count


def group_stats(u_group: np.ndarray, u_avail: np.ndarray, u_vals: np.ndarray, q_group: np.ndarray,
                q_obs: np.ndarray, q_vals: np.ndarray, lead_q: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(pct, median, leader, size) of each query row (rows x ratios, and rows), among the universe
    rows of its group usable by its date: ``peers``' rule. Groups are codes 0 .. n - 1."""
    n_q, n_r = q_vals.shape
    pct = np.full((n_q, n_r), np.nan, dtype=np.float32)
    median, leader = pct.copy(), pct.copy()
    size = np.zeros(n_q, dtype=np.float32)
    if n_q == 0 or len(u_group) == 0:
        return pct, median, leader, size
    n_groups = int(max(u_group.max(), q_group.max())) + 1
    u_order = np.argsort(u_group, kind="stable")
    q_obs_ns = q_obs.astype("datetime64[ns]").view(np.int64)
    q_order = np.lexsort((q_obs_ns, q_group))
    groups = np.arange(n_groups + 1)
    u_bounds = np.searchsorted(u_group[u_order], groups, side="left")
    q_bounds = np.searchsorted(q_group[q_order], groups, side="left")
    u_vals = np.ascontiguousarray(u_vals[u_order])
    _group_stats(u_bounds, u_avail.astype("datetime64[ns]").view(np.int64)[u_order], u_vals, q_bounds,
                 q_obs_ns[q_order], np.ascontiguousarray(q_vals[q_order]),
                 np.asarray(lead_q, dtype=np.float64), pct, median, leader, size)
    out = []
    for a in (pct, median, leader, size):
        back = np.empty_like(a)
        back[q_order] = a
        out.append(back)
    return out[0], out[1], out[2], out[3]
