"""Statement features as of the date each statement becomes usable: ratios, trends, history.

A statement is *usable* from ``available_date = max(reported_date, period_end + lag)``;
its observation date is that day's month end. Trend features compare it with the
obligor's earlier-period statements usable by the same observation date: "k
statements back" is the k-th most recent of those, so a statement that arrives late
never feeds, nor shifts the history of, a row observed before it arrived. An
observation row is kept only if its statement is the newest usable one then: an
old statement arriving after a newer one adds no panel row (it still counts as a
peer-group member).

Everything is vectorised over the statement table (groupby shifts, no per-obligor
Python loops), so 2 million statements take seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .ratios import ratio_arrays

__all__ = ["TREND_RATIOS", "HISTORY", "statement_features"]

#: Ratios whose year-on-year change is a feature (``<ratio>_yoy``).
TREND_RATIOS = ("leverage", "debt_to_ebitda", "interest_cover", "ebitda_margin", "current_ratio", "dso", "roa")
#: How many earlier statements the trend features look back over.
HISTORY = 3
_YEAR_DAYS = (300, 430)  # a "previous year" statement ends 10 to 14 months earlier


def _earlier(codes: np.ndarray, available: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """Position of the k-th most recent earlier-period statement of the same obligor usable at each
    row's observation date (``available_date <= obs_date``), for k = 1 .. HISTORY; -1 where there is
    none. Rows are sorted by obligor, period; the result has shape ``(HISTORY, n)``.

    Usually the k-th usable earlier statement is simply the k-th earlier row. Only a row with a
    not-yet-usable statement among its HISTORY earlier rows (a late statement for an in-between period,
    reported after a newer one: rare) needs more; those rows are redone from all their earlier
    statements at once, vectorised over the pairs (row, earlier statement).
    """
    n = len(codes)
    rows = np.arange(n)
    pos = np.full((HISTORY, n), -1, dtype=np.int64)
    blocked = np.zeros(n, dtype=bool)  # a same-obligor statement in the window that is not usable yet
    for k in range(1, HISTORY + 1):
        if k >= n:
            break
        same = np.zeros(n, dtype=bool)
        same[k:] = codes[k:] == codes[:-k]
        ok = np.zeros(n, dtype=bool)
        ok[k:] = same[k:] & (available[:-k] <= obs[k:])
        pos[k - 1] = np.where(ok, rows - k, -1)
        blocked |= same & ~ok
    fix = np.flatnonzero(blocked)
    if len(fix) == 0:
        return pos
    # Each row to fix with every earlier statement of its obligor: positions start .. row - 1.
    start = np.searchsorted(codes, codes[fix], side="left")  # codes are sorted (rows grouped by obligor)
    lengths = fix - start
    owner = np.repeat(np.arange(len(fix)), lengths)
    earlier = np.repeat(start - (np.cumsum(lengths) - lengths), lengths) + np.arange(lengths.sum())
    usable = available[earlier] <= obs[fix[owner]]
    owner, earlier = owner[usable], earlier[usable]
    # Rank from the most recent: the last usable earlier statement of a row is k = 1.
    last = np.cumsum(np.bincount(owner, minlength=len(fix))) - 1
    k = last[owner] - np.arange(len(owner)) + 1
    pos[:, fix] = -1
    near = k <= HISTORY
    pos[k[near] - 1, fix[owner[near]]] = earlier[near]
    return pos


def statement_features(fin: pd.DataFrame, lag_days: int) -> pd.DataFrame:
    """Every statement with its features as of its observation date; ``_newest`` marks the
    rows that are the newest usable statement at that date (one per obligor and date).

    Columns: ``obligor_id``, ``obs_date``, ``period_end``, ``available_date`` and the
    features of ``compute_ratios`` plus ``revenue_growth``, ``revenue_cagr_3y``,
    ``<ratio>_yoy``, ``ebitda_margin_volatility``, ``leverage_trend``,
    ``years_of_history``, ``audited`` and ``statement_age_days``.
    """
    lag = pd.Timedelta(days=lag_days)
    fin = fin.sort_values(["obligor_id", "period_end"], kind="stable").reset_index(drop=True)
    codes = pd.factorize(fin["obligor_id"], sort=False)[0]
    available = np.maximum(fin["reported_date"].to_numpy(), (fin["period_end"] + lag).to_numpy())
    obs = (pd.DatetimeIndex(available) + pd.offsets.MonthEnd(0)).to_numpy()
    period = fin["period_end"].to_numpy()

    # Columns as arrays, made a frame once at the end (a frame grown column by column copies).
    out: dict[str, np.ndarray] = {"obligor_id": fin["obligor_id"].to_numpy(), "obs_date": obs, "period_end": period,
                                  "available_date": available, **ratio_arrays(fin)}

    # Earlier statements usable at this row's observation date, the most recent first, and how many years back.
    earlier = _earlier(codes, available, obs)
    has = {k: earlier[k - 1] >= 0 for k in range(1, HISTORY + 1)}
    years_back = {k: np.where(has[k], (period - period[earlier[k - 1]]) / np.timedelta64(1, "D") / 365.25, np.nan)
                  for k in range(1, HISTORY + 1)}

    def prior(values: np.ndarray, k: int, exact_years: bool = True) -> np.ndarray:
        ok = has[k]
        if exact_years:
            ok = ok & (np.abs(years_back[k] - k) <= (_YEAR_DAYS[1] - 365) / 365.25)
        return np.where(ok, np.asarray(values, dtype=float)[earlier[k - 1]], np.nan)

    revenue = fin["revenue"].where(fin["revenue"] > 0).to_numpy(dtype=float)
    rev_1, rev_3 = prior(revenue, 1), prior(revenue, 3)
    out["revenue_growth"] = revenue / rev_1 - 1
    with np.errstate(invalid="ignore"):
        out["revenue_cagr_3y"] = (revenue / rev_3) ** (1 / 3) - 1
    for name in TREND_RATIOS:
        out[f"{name}_yoy"] = out[name] - prior(out[name], 1)

    # Volatility and trend over this and up to HISTORY earlier usable statements (at least 3 points).
    margins = np.column_stack([out["ebitda_margin"]] + [prior(out["ebitda_margin"], k, False)
                                                                   for k in range(1, HISTORY + 1)])
    enough = (~np.isnan(margins)).sum(axis=1) >= 3
    # Only rows with enough points are computed: a row's result does not depend on the others, and
    # the rest (NaN by design) would make numpy warn, which only process-wide warning filters silence.
    vol = np.full(len(fin), np.nan)
    vol[enough] = np.nanstd(margins[enough], axis=1, ddof=1)
    out["ebitda_margin_volatility"] = vol
    lev = np.column_stack([out["leverage"]] + [prior(out["leverage"], k, False)
                                                          for k in range(1, HISTORY + 1)])
    t = np.column_stack([np.zeros(len(fin))] + [-years_back[k] for k in range(1, HISTORY + 1)])
    t = np.where(np.isnan(lev), np.nan, t)
    lev = np.where(np.isnan(t), np.nan, lev)
    fit = (~np.isnan(lev)).sum(axis=1) >= 3
    t, lev = t[fit], lev[fit]
    with np.errstate(invalid="ignore", divide="ignore"):
        tc = t - np.nanmean(t, axis=1, keepdims=True)
        lc = lev - np.nanmean(lev, axis=1, keepdims=True)
        slope = np.full(len(fin), np.nan)
        slope[fit] = np.nansum(tc * lc, axis=1) / np.nansum(tc * tc, axis=1)
    out["leverage_trend"] = slope

    # Statements usable by the observation date, this one included (late arrivals counted when they arrive).
    key_avail = codes.astype(np.int64) * 10**6 + (available.astype("datetime64[D]").astype(np.int64))
    key_obs = codes.astype(np.int64) * 10**6 + (obs.astype("datetime64[D]").astype(np.int64))
    order = np.sort(key_avail)
    first = np.searchsorted(order, codes.astype(np.int64) * 10**6 - 10**6 // 2)
    out["years_of_history"] = (np.searchsorted(order, key_obs, side="right") - first).astype(float)
    out["audited"] = fin["audited"].astype(np.int8).to_numpy()
    out["statement_age_days"] = ((obs - period) / np.timedelta64(1, "D")).astype(float)

    # Keep a row only if no newer-period statement was already usable at its observation date.
    newer_avail = (pd.Series(available).iloc[::-1].groupby(codes[::-1]).cummin().iloc[::-1]
                   .groupby(codes).shift(-1).to_numpy())
    superseded = ~np.isnat(newer_avail) & (newer_avail <= obs)
    # Several statements usable in the same month (onboarding files): the newest period wins.
    last_in_month = ~pd.DataFrame({"obligor_id": codes, "obs_date": obs}).duplicated(keep="last").to_numpy()
    out["_newest"] = ~superseded & last_in_month
    # Features leave here as float32, the precision the model works in, at half the memory.
    return pd.DataFrame({c: v.astype(np.float32) if v.dtype == np.float64 else v for c, v in out.items()}, copy=False)
