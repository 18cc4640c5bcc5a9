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

__all__ = ["group_stats", "stats_into"]

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
def _group_stats(u_bounds, u_rows, u_avail, u_vals, q_bounds, q_rows, q_obs, table, x_cols, pct_cols, med_cols,
                 lead_cols, size_col, lead_q):
    """Write pct / median / leader of each ratio and the group size into the columns of ``table``
    at each query's row, for every group; leave them where a query has no usable peer.

    Group g's universe rows are ``u_rows[u_bounds[g]:u_bounds[g + 1]]`` (rows of ``u_avail`` and
    ``u_vals``), its queries ``q_rows[q_bounds[g]:q_bounds[g + 1]]`` (rows of ``q_obs`` and
    ``table``, whose ``x_cols`` hold the query's own ratios); dates are int64 nanoseconds, NaT being
    the int64 minimum. Groups run in parallel: each writes only its own queries' rows.
    """
    n_ratios = u_vals.shape[1]
    for g in numba.prange(len(q_bounds) - 1):
        q0, q1 = q_bounds[g], q_bounds[g + 1]
        u0, u1 = u_bounds[g], u_bounds[g + 1]
        if q1 == q0 or u1 == u0:
            continue
        weight = np.empty(1, dtype=u_vals.dtype)
        rows = q_rows[q0:q1]
        obs = q_obs[rows]
        by_obs = np.argsort(obs, kind="mergesort")
        # The group's statements in the order they become usable (NaT first: never usable).
        members = u_rows[u0:u1]
        avail = u_avail[members]
        by_avail = np.argsort(avail, kind="mergesort")
        members, avail = members[by_avail], avail[by_avail]
        first_dated = _search(avail, _NAT, True)
        dated = avail[first_dated:]
        for i in by_obs:
            if obs[i] != _NAT:
                table[rows[i], size_col] = _search(dated, obs[i], True)
        for r in range(n_ratios):
            vals = np.empty(len(members), dtype=u_vals.dtype)
            for k in range(len(members)):
                vals[k] = u_vals[members[k], r]
            keep = ~np.isnan(vals)
            kept_vals, kept_avail = vals[keep], avail[keep]  # still in the order they become usable
            order = np.argsort(kept_vals, kind="mergesort")
            sorted_vals = kept_vals[order]
            n = len(sorted_vals)
            position = np.empty(n, dtype=np.int64)  # of each kept statement among the sorted values
            position[order] = np.arange(n)
            tree = np.zeros(n + 1, dtype=np.int64)
            log = 1
            while log * 2 <= n:
                log *= 2
            added = _search(kept_avail, _NAT, True)  # NaT sorts first: those never become usable
            count = 0
            month = _NAT
            med = lead = u_vals[0, 0] * np.nan  # of the values' type
            started = False
            for i in by_obs:
                o = obs[i]
                if o == _NAT:
                    continue
                if not started or o != month:
                    started, month = True, o
                    while added < n and kept_avail[added] <= o:
                        _add(tree, position[added])
                        added += 1
                        count += 1
                    if count > 0:
                        med = _quantile(sorted_vals, tree, log, count, 0.5, weight)
                        lead = _quantile(sorted_vals, tree, log, count, lead_q[r], weight)
                if count == 0:
                    continue
                row = rows[i]
                table[row, med_cols[r]] = med
                table[row, lead_cols[r]] = lead
                x = table[row, x_cols[r]]
                if not np.isnan(x):
                    less = _prefix(tree, _search(sorted_vals, x, False))
                    leq = _prefix(tree, _search(sorted_vals, x, True))
                    table[row, pct_cols[r]] = (less + 0.5 * (leq - less)) / count


def _ns(dates: np.ndarray) -> np.ndarray:
    return np.asarray(dates, dtype="datetime64[ns]").view(np.int64)


def stats_into(table: np.ndarray, cols: dict[str, np.ndarray | int], q_group: np.ndarray, q_obs: np.ndarray,
               u_group: np.ndarray, u_avail: np.ndarray, u_vals: np.ndarray, lead_q: np.ndarray,
               q_rows: np.ndarray | None = None) -> None:
    """``peers``' statistics of the rows ``q_rows`` of ``table`` (all if None: rows x columns,
    Fortran order), among the universe rows of their group usable by their date, written into the
    columns ``cols["pct"][r]``, ``cols["median"][r]``, ``cols["leader"][r]`` for ratio r (the query's
    own value in ``cols["x"][r]``) and ``cols["size"]``: NaN (size 0) where a query has no usable peer.

    ``q_group`` and ``q_obs`` are per row of ``table``, ``u_group``, ``u_avail`` and ``u_vals``
    (rows x ratios) per universe row; groups are codes 0 .. n - 1, -1 for none.
    """
    selected = slice(None) if q_rows is None else np.asarray(q_rows, dtype=np.int64)
    for name in ("pct", "median", "leader"):
        for c in cols[name]:
            table[selected, c] = np.nan
    table[selected, cols["size"]] = 0
    groups = q_group[selected]
    n_groups = int(max(u_group.max(initial=-1), groups.max(initial=-1))) + 1
    if len(groups) == 0 or len(u_group) == 0 or n_groups == 0:
        return
    # Stable sorts of small integer codes (numpy sorts 16-bit keys by radix).
    u_order = np.argsort(u_group, kind="stable")
    q_order = np.argsort(groups, kind="stable")
    bounds = np.arange(n_groups + 1)
    u_bounds = np.searchsorted(u_group[u_order], bounds, side="left")
    q_bounds = np.searchsorted(groups[q_order], bounds, side="left")
    _group_stats(u_bounds, u_order, _ns(u_avail), u_vals, q_bounds, q_order if q_rows is None else q_rows[q_order],
                 _ns(q_obs), table, *(np.asarray(cols[c], dtype=np.int64) for c in ("x", "pct", "median", "leader")),
                 int(cols["size"]), np.asarray(lead_q, dtype=np.float64))


def group_stats(u_group: np.ndarray, u_avail: np.ndarray, u_vals: np.ndarray, q_group: np.ndarray,
                q_obs: np.ndarray, q_vals: np.ndarray, lead_q: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(pct, median, leader, size) of each query row (rows x ratios float32, and rows), among the
    universe rows of its group usable by its date: ``peers``' rule. Groups are codes 0 .. n - 1."""
    n_q, n_r = q_vals.shape
    table = np.empty((n_q, 4 * n_r + 1), dtype=q_vals.dtype, order="F")
    table[:, :n_r] = q_vals
    cols = {"x": np.arange(n_r), "pct": np.arange(n_r, 2 * n_r), "median": np.arange(2 * n_r, 3 * n_r),
            "leader": np.arange(3 * n_r, 4 * n_r), "size": 4 * n_r}
    stats_into(table, cols, np.asarray(q_group), q_obs, np.asarray(u_group), u_avail,
               np.ascontiguousarray(u_vals), lead_q)
    return (table[:, n_r:2 * n_r].astype(np.float32), table[:, 2 * n_r:3 * n_r].astype(np.float32),
            table[:, 3 * n_r:4 * n_r].astype(np.float32), table[:, 4 * n_r].astype(np.float32))
