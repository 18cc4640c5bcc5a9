"""Macro features, lagged by their publication delay."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.features.macro import macro_features


def test_macro_is_lagged_by_its_publication_delay():
    months = pd.date_range("2019-01-31", periods=24, freq="ME")
    macro = pd.DataFrame({"month_end": months, "gdp_growth": np.arange(24.0), "policy_rate": 1.0,
                          "idx_retail": 100 * 1.01 ** np.arange(24)})
    keys = pd.DataFrame({"obs_date": [months[-1]], "industry": ["retail"]})
    out = macro_features(macro, keys, lag_months=1).iloc[0]
    assert out["gdp_growth"] == 22 and out["gdp_growth_change_12m"] == 12
    assert out["industry_index_yoy"] == pytest.approx(1.01 ** 12 - 1)
    assert out["industry_index_3m"] == pytest.approx(1.01 ** 12 - 1)  # 3 months of 1 %, annualised
    unknown = macro_features(macro, keys.assign(industry="shipping"), lag_months=0).iloc[0]
    assert np.isnan(unknown["industry_index_yoy"]) and unknown["gdp_growth"] == 23
