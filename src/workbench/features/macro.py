"""Macro features as of the observation date, lagged by their publication delay.

Values are those of the month ``macro_lag_months`` before the observation month, because
GDP and activity indices are published with a delay; the industry index is the client's
own industry's, its change over 12 months and its annualised change over 3 months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .codes import NAT_NUMBER, date_numbers, text_codes

__all__ = ["macro_features"]


def macro_features(macro: pd.DataFrame, keys: pd.DataFrame, lag_months: int) -> pd.DataFrame:
    """Macro features for each ``keys`` row (``obs_date``, ``industry``), published-lag aware."""
    macro = macro.sort_values("month_end")
    month = date_numbers(macro["month_end"], "M")
    # Changes are against the row 12 (3) months back in the table, which has one row per month.
    gdp, rate = macro["gdp_growth"].to_numpy(float), macro["policy_rate"].to_numpy(float)
    base = {"gdp_growth": gdp, "gdp_growth_change_12m": gdp - _back(gdp, 12),
            "policy_rate": rate, "policy_rate_change_12m": rate - _back(rate, 12)}
    idx_cols = [c for c in macro.columns if c.startswith("idx_")]
    industries = pd.Index([c.removeprefix("idx_") for c in idx_cols])
    index = macro[idx_cols].to_numpy(float)
    with np.errstate(all="ignore"):  # an index at 0 gives inf or NaN, as in pandas, without a warning
        yoy = index / _back(index, 12) - 1
        # Momentum: the last quarter's change, annualised; reacts sooner than the year-on-year change.
        q3 = (index / _back(index, 3)) ** 4 - 1

    # The table's row of the month ``lag_months`` before each observation month, where it has one.
    obs_month = date_numbers(keys["obs_date"], "M")
    as_of = obs_month - lag_months
    pos = np.minimum(np.searchsorted(month, as_of), max(len(month) - 1, 0))
    found = (obs_month != NAT_NUMBER) & (month[pos] == as_of) if len(month) else np.zeros(len(keys), dtype=bool)
    col = text_codes(keys["industry"], industries)
    have = found & (col >= 0)
    out = {}
    for name, values in [*base.items(), ("industry_index_yoy", yoy), ("industry_index_3m", q3)]:
        picked = np.full(len(keys), np.nan)
        if values.ndim == 1:
            picked[found] = values[pos[found]]
        else:  # one column per industry: the client's own
            picked[have] = values[pos[have], col[have]]
        out[name] = picked
    return pd.DataFrame(out, index=keys.index)


def _back(values: np.ndarray, k: int) -> np.ndarray:
    """``values`` k rows back (NaN for the first k), as ``Series.shift(k)``."""
    out = np.full(values.shape, np.nan)
    out[k:] = values[:len(values) - k]
    return out
