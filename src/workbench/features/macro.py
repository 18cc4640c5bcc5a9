"""Macro features as of the observation date, lagged by their publication delay.

Values are those of the month ``macro_lag_months`` before the observation month, because
GDP and activity indices are published with a delay; the industry index is the client's
own industry's, its change over 12 months and its annualised change over 3 months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .codes import text_codes

__all__ = ["macro_features"]


def macro_features(macro: pd.DataFrame, keys: pd.DataFrame, lag_months: int) -> pd.DataFrame:
    """Macro features for each ``keys`` row (``obs_date``, ``industry``), published-lag aware."""
    macro = macro.sort_values("month_end").reset_index(drop=True)
    month = pd.DatetimeIndex(macro["month_end"]).to_period("M")
    base = pd.DataFrame({
        "gdp_growth": macro["gdp_growth"].to_numpy(float),
        "gdp_growth_change_12m": (macro["gdp_growth"] - macro["gdp_growth"].shift(12)).to_numpy(float),
        "policy_rate": macro["policy_rate"].to_numpy(float),
        "policy_rate_change_12m": (macro["policy_rate"] - macro["policy_rate"].shift(12)).to_numpy(float),
    }, index=month)
    idx_cols = [c for c in macro.columns if c.startswith("idx_")]
    industries = [c.removeprefix("idx_") for c in idx_cols]
    yoy = pd.DataFrame((macro[idx_cols] / macro[idx_cols].shift(12) - 1).to_numpy(float), index=month,
                       columns=industries)
    # Momentum: the last quarter's change, annualised; reacts sooner than the year-on-year change.
    q3 = pd.DataFrame(((macro[idx_cols] / macro[idx_cols].shift(3)) ** 4 - 1).to_numpy(float), index=month,
                      columns=industries)
    as_of = pd.DatetimeIndex(keys["obs_date"]).to_period("M") - lag_months
    out = base.reindex(as_of)
    out.index = keys.index
    col_pos = text_codes(keys["industry"], pd.Index(industries))
    have = col_pos >= 0
    for name, table in (("industry_index_yoy", yoy), ("industry_index_3m", q3)):
        values = table.reindex(as_of).to_numpy()
        picked = np.full(len(keys), np.nan)
        picked[have] = values[np.arange(len(keys))[have], col_pos[have]]
        out[name] = picked
    return out
