from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.config import CalibratePricingParams
from workbench.pricing import assign_grades, grade_table, master_scale, price_grid


def test_master_scale_is_geometric_and_contiguous():
    scale = master_scale(10, 0.0005, 0.30)
    assert scale["pd_low"].iloc[0] == pytest.approx(0.0005) and scale["pd_high"].iloc[-1] == pytest.approx(0.30)
    assert np.allclose(scale["pd_high"].iloc[:-1].to_numpy(), scale["pd_low"].iloc[1:].to_numpy())
    ratios = scale["pd_high"] / scale["pd_low"]
    assert np.allclose(ratios, ratios.iloc[0])


def test_grades_cover_pds_outside_the_scale():
    scale = master_scale(5, 0.001, 0.2)
    assert assign_grades(np.array([1e-6, 0.001, 0.5]), scale).tolist() == [1, 1, 5]


def test_price_earns_exactly_the_hurdle_rate():
    params = CalibratePricingParams()
    grid = price_grid(master_scale(8, params.pd_floor, params.pd_cap), params)
    spread = grid["spread_bps"] / 1e4
    el = grid["el_bps"] / 1e4
    k = grid["capital_k"]
    raroc = ((spread - el - params.opex_bps / 1e4) * (1 - params.tax_rate) + params.capital_return_rate * k) / k
    assert np.allclose(raroc, params.hurdle_rate)
    assert grid["spread_bps"].is_monotonic_increasing
    assert np.allclose(grid["all_in_rate_bps"] - grid["spread_bps"], params.cost_of_funds_bps)


def test_grade_table_counts_defaults_per_grade():
    scale = master_scale(3, 0.001, 0.1)
    pds = pd.Series([0.001, 0.002, 0.05, 0.09])
    table = grade_table(pds, pd.Series([0, 0, 1, 0]), scale)
    assert table["n"].tolist() == [2, 0, 2]
    assert table["defaults"].tolist() == [0, 0, 1]
    assert table.loc[2, "default_rate"] == 0.5 and np.isnan(table.loc[1, "default_rate"])
