"""``macro``: GDP growth, the policy rate and an index per industry, monthly."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .frames import frame, ns
from .latent import Latent
from .norms import INDUSTRY_NORMS
from .streams import S_MACRO, rng

__all__ = ["policy_rate", "macro_table"]


def policy_rate(L: Latent) -> np.ndarray:
    """Policy rate in percent: follows the cycle with a six-month lag, floored at zero."""
    lagged = np.concatenate([np.full(6, L.M[0]), L.M[:-6]]) if L.T > 6 else L.M
    smooth = pd.Series(lagged).rolling(12, min_periods=1).mean().to_numpy()
    return np.clip(1.75 + 1.4 * smooth, 0.0, 6.0)


def macro_table(L: Latent) -> pd.DataFrame:
    rng_noise = np.concatenate([rng(L.s.seed, S_MACRO + 200, y + 1).normal(0, 0.25, 12) for y in range(L.s.years)])
    columns = {
        "month_end": ns(L.months.values),
        "gdp_growth": np.round(1.6 + 1.9 * L.M + rng_noise[: L.T], 3),
        "policy_rate": np.round(policy_rate(L), 3),
    }
    for k, ind in enumerate(INDUSTRY_NORMS):
        monthly = 0.002 + 0.012 * (ind.cyclicality * L.M + 0.7 * L.I[k])
        columns[f"idx_{ind.code}"] = np.round(100 * np.exp(np.cumsum(monthly)), 3)
    return frame(columns)
