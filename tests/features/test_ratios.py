from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.features.ratios import RATIO_NAMES, RATIOS, altman_z2, compute_ratios, safe_divide


def test_safe_divide_gives_nan_and_flag_never_inf():
    num = pd.Series([10.0, 10.0, 10.0, np.nan, 10.0])
    den = pd.Series([2.0, 0.0, -5.0, 1.0, np.nan])
    ratio, flag = safe_divide(num, den)
    assert ratio.iloc[0] == 5.0
    assert ratio.iloc[1:].isna().all()
    assert flag.tolist() == [False, True, True, False, True]
    assert np.isfinite(ratio.dropna()).all()


def test_negative_denominator_is_kept_where_meaningful():
    ratio, flag = safe_divide(pd.Series([3.0]), pd.Series([-2.0]), positive_denominator=False)
    assert ratio.iloc[0] == -1.5 and not flag.iloc[0]


def _statement(**overrides) -> pd.DataFrame:
    base = dict(revenue=100.0, cogs=60.0, ebitda=20.0, ebit=12.0, interest_expense=4.0, net_income=6.0,
                total_assets=200.0, current_assets=80.0, cash=10.0, receivables=25.0, inventory=15.0, payables=12.0,
                total_liabilities=120.0, current_liabilities=50.0, total_debt=90.0, equity=80.0,
                retained_earnings=40.0, operating_cash_flow=18.0, capex=8.0)
    base.update(overrides)
    return pd.DataFrame([base])


def test_at_least_25_ratios_each_documented():
    assert len(RATIO_NAMES) >= 25
    for spec in RATIOS:
        assert spec.formula and spec.label and spec.unit and spec.direction in (-1, 0, 1), spec.name
        if spec.flag:
            assert spec.undefined_means, spec.name


def test_ratios_match_hand_computation():
    r = compute_ratios(_statement()).iloc[0]
    expected = {
        "leverage": 90 / 200, "debt_to_ebitda": 90 / 20, "net_debt_to_ebitda": 80 / 20, "interest_cover": 12 / 4,
        "dscr_proxy": 18 / (4 + 90 / 5), "current_ratio": 80 / 50, "quick_ratio": 65 / 50, "cash_ratio": 10 / 50,
        "ebitda_margin": 0.2, "ebit_margin": 0.12, "net_margin": 0.06, "roa": 6 / 200, "roe": 6 / 80,
        "asset_turnover": 0.5, "dso": 25 / 100 * 365, "dio": 15 / 60 * 365, "dpo": 12 / 60 * 365,
        "capex_to_revenue": 0.08, "ocf_to_debt": 18 / 90, "equity_ratio": 0.4, "retained_earnings_to_assets": 0.2,
        "working_capital_to_assets": 30 / 200, "log_revenue": np.log(100), "log_assets": np.log(200),
        "cash_to_assets": 0.05,
    }
    for name, value in expected.items():
        assert r[name] == pytest.approx(value), name
    assert r["cash_conversion_cycle"] == pytest.approx(r["dso"] + r["dio"] - r["dpo"])


def test_altman_z2_matches_the_published_formula_by_hand():
    # Altman (1995) Z'' = 6.56 WC/TA + 3.26 RE/TA + 6.72 EBIT/TA + 1.05 BE/TL
    expected = 6.56 * 30 / 200 + 3.26 * 40 / 200 + 6.72 * 12 / 200 + 1.05 * 80 / 120
    assert np.isclose(altman_z2(_statement()).iloc[0], expected)


def test_undefined_ratios_are_nan_with_a_flag_in_both_directions():
    loss = compute_ratios(_statement(ebitda=-5.0)).iloc[0]
    assert np.isnan(loss["debt_to_ebitda"]) and loss["debt_to_ebitda__undefined"] == 1
    assert np.isnan(loss["net_debt_to_ebitda"]) and loss["net_debt_to_ebitda__undefined"] == 1
    debt_free = compute_ratios(_statement(total_debt=0.0, interest_expense=0.0)).iloc[0]
    assert np.isnan(debt_free["interest_cover"]) and debt_free["interest_cover__undefined"] == 1
    assert np.isnan(debt_free["dscr_proxy"]) and debt_free["dscr_proxy__undefined"] == 1
    insolvent = compute_ratios(_statement(equity=-10.0)).iloc[0]
    assert np.isnan(insolvent["roe"]) and insolvent["roe__undefined"] == 1
    ok = compute_ratios(_statement()).iloc[0]
    assert ok[[c for c in ok.index if c.endswith("__undefined")]].sum() == 0


def test_no_ratio_is_ever_infinite():
    zeros = _statement(revenue=0.0, total_assets=1e-300, current_liabilities=0.0, cogs=0.0, equity=0.0,
                       interest_expense=0.0, total_debt=0.0, ebitda=0.0)
    values = compute_ratios(zeros).to_numpy(dtype=float)
    assert not np.isinf(values).any()


def test_ratio_columns_do_not_depend_on_the_data():
    assert list(compute_ratios(_statement()).columns) == list(compute_ratios(_statement(ebitda=-1.0)).columns)
