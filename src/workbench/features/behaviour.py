"""Account behaviour features from the monthly table, up to the observation month only.

The monthly table is laid out as a dense obligor x month matrix (NaN where the
obligor was not a performing client), so every window feature is a slice
``[t - w + 1 .. t]`` gathered for all observation rows at once: no rolling over
tens of millions of rows and nothing after ``t`` can enter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["behaviour_features"]

_WINDOW = 12
_MISSING_MONTH = np.iinfo(np.int64).min  # what a NaT month gives
SPIKE = 0.15  # a month-on-month rise in utilisation of at least this much counts as a spike


def _month_index(dates: pd.Series | np.ndarray, origin: np.datetime64) -> np.ndarray:
    if isinstance(dates, pd.Series) and isinstance(dates.dtype, pd.CategoricalDtype):
        # Dates as categories (compact tables): each distinct month end converted once, not once per row.
        per_category = _month_index(np.asarray(dates.cat.categories), origin)
        return np.append(per_category, _MISSING_MONTH)[dates.cat.codes.to_numpy()]
    d = np.asarray(dates, dtype="datetime64[M]")
    return (d - origin).astype(np.int64)


def behaviour_features(beh: pd.DataFrame, obligor_id: pd.Series, obs_date: pd.Series) -> pd.DataFrame:
    """Behaviour features for each (obligor_id, obs_date) pair; rows in the same order.

    ``active`` is 1 when the obligor has a behaviour record in the observation month
    (a performing client then); the panel keeps only those rows.
    """
    origin = np.asarray(beh["month_end"].min(), dtype="datetime64[M]")
    n_months = int(_month_index([beh["month_end"].max()], origin)[0]) + 1
    codes, ids = pd.factorize(beh["obligor_id"])
    codes = codes.astype(np.int32)
    ids = pd.Index(ids)
    months = _month_index(beh["month_end"], origin).astype(np.int32)
    pad = _WINDOW - 1  # leading NaN columns so every window slice stays in bounds

    def dense(values: pd.Series) -> np.ndarray:
        m = np.full((len(ids), n_months + pad), np.nan, dtype=np.float32)
        m[codes, months + pad] = np.asarray(values, dtype=np.float32)
        return m

    dpd, util = dense(beh["days_past_due"]), dense(beh["utilisation"])
    overdue, breach = dense(beh["overdue_amount"]), dense(beh["covenant_breach"].astype(np.float32))
    # Optional column: without it the turnover features are NaN (the panel keeps its columns).
    # float32 first, as every behaviour input: compact and full-width tables then give the same features.
    turnover = dense(np.log(beh["credit_turnover"].astype(np.float32).where(beh["credit_turnover"] > 0))) \
        if "credit_turnover" in beh.columns else None

    obs_code = ids.get_indexer(pd.Index(obligor_id))
    known = obs_code >= 0
    t = _month_index(obs_date, origin)
    inside = known & (t >= 0) & (t < n_months)
    rows = np.where(inside, obs_code, 0)
    cols = np.where(inside, t, 0) + pad

    idx = (cols[:, None] - np.arange(_WINDOW)[None, ::-1]).astype(np.int32)  # oldest month first
    flat_idx = rows[:, None].astype(np.int64) * (n_months + pad) + idx

    def window(m: np.ndarray, width: int) -> np.ndarray:
        w = m.ravel()[flat_idx[:, -width:]]
        w[~inside] = np.nan
        return w

    out: dict[str, np.ndarray] = {}
    d12 = window(dpd, _WINDOW)
    out["active"] = (~np.isnan(d12[:, -1])).astype(np.int8)
    with np.errstate(invalid="ignore"):
        out["dpd"] = d12[:, -1]
        for w in (3, 6, 12):
            out[f"dpd_max_{w}m"] = _nanmax(d12[:, -w:], axis=1)
            out[f"dpd_mean_{w}m"] = _nanmean(d12[:, -w:], axis=1)
        out["months_dpd30_12m"] = np.where(np.isnan(d12[:, -1]), np.nan, (d12 > 30).sum(axis=1))
        u12 = window(util, _WINDOW)
        out["utilisation"] = u12[:, -1]
        out["utilisation_mean_3m"] = _nanmean(u12[:, -3:], axis=1)
        # Against the client's own habit: a line always half drawn says less than one drawn up lately.
        out["utilisation_vs_12m_mean"] = out["utilisation_mean_3m"] - _nanmean(u12, axis=1)
        out["utilisation_max_12m"] = _nanmax(u12, axis=1)
        out["utilisation_trend_6m"] = _monthly_slope(u12[:, -6:])
        rises = np.diff(u12, axis=1) >= SPIKE
        out["utilisation_spikes_12m"] = np.where(np.isnan(u12[:, -1]), np.nan, rises.sum(axis=1))
        o12 = window(overdue, _WINDOW)
        out["overdue_amount"] = o12[:, -1]
        out["overdue_amount_max_12m"] = _nanmax(o12, axis=1)
        if turnover is not None:
            t12 = window(turnover, _WINDOW)
            # Receipts of the last 3 months against the client's own 12-month habit (log ratio).
            out["credit_turnover_vs_12m"] = _nanmean(t12[:, -3:], axis=1) - _nanmean(t12, axis=1)
            out["credit_turnover_trend_6m"] = _monthly_slope(t12[:, -6:])
        else:
            out["credit_turnover_vs_12m"] = np.full(len(rows), np.nan, dtype=np.float32)
            out["credit_turnover_trend_6m"] = np.full(len(rows), np.nan, dtype=np.float32)
        b12 = window(breach, _WINDOW)
        out["covenant_breaches_12m"] = np.where(np.isnan(b12[:, -1]), np.nan, np.nansum(b12, axis=1))
    frame = pd.DataFrame({k: v.astype(np.float32) if k != "active" else v for k, v in out.items()})
    frame.index = obligor_id.index if isinstance(obligor_id, pd.Series) else frame.index
    return frame


def _monthly_slope(w: np.ndarray, min_points: int = 3) -> np.ndarray:
    """OLS slope per month of each row of a window (oldest month first), over its observed months;
    NaN with fewer than ``min_points`` of them."""
    x = np.where(np.isnan(w), np.nan, np.arange(w.shape[1], dtype=np.float32)[None, :])
    xc = x - _nanmean(x, keepdims=True)
    yc = w - _nanmean(w, keepdims=True)
    slope = np.nansum(xc * yc, axis=1) / np.nansum(xc * xc, axis=1)
    return np.where((~np.isnan(w)).sum(axis=1) >= min_points, slope, np.nan)


# numpy's nanmax / nanmean, value for value, without their "All-NaN slice" / "Mean of empty slice"
# warnings (NaN is the intended result): silencing those takes warnings.catch_warnings, which
# changes process-wide state and is not safe while other threads compute blocks of the panel.
def _nanmax(a: np.ndarray, axis: int = 1) -> np.ndarray:
    return np.fmax.reduce(a, axis=axis)  # what np.nanmax computes before it warns


def _nanmean(a: np.ndarray, axis: int = 1, keepdims: bool = False) -> np.ndarray:
    """np.nanmean's own steps: NaN as 0, the sum over the count (0 / 0 is NaN, under errstate)."""
    mask = np.isnan(a)
    count = np.sum(~mask, axis=axis, dtype=np.intp, keepdims=keepdims)
    total = np.sum(np.where(mask, 0, a), axis=axis, keepdims=keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.divide(total, count, out=total, casting="unsafe")
