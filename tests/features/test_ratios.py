from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.features.ratios import altman_z2, compute_ratios, safe_divide


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
                total_assets=200.0, current_assets=80.0, cash=10.0, receivables=25.0, inventory=15.0,
                total_liabilities=120.0, current_liabilities=50.0, total_debt=90.0, equity=80.0,
                retained_earnings=40.0, operating_cash_flow=18.0, capex=8.0)
    base.update(overrides)
    return pd.DataFrame([base])


def test_altman_z2_matches_the_published_formula_by_hand():
    # Altman (1995) Z'' = 6.56 WC/TA + 3.26 RE/TA + 6.72 EBIT/TA + 1.05 BE/TL
    expected = 6.56 * 30 / 200 + 3.26 * 40 / 200 + 6.72 * 12 / 200 + 1.05 * 80 / 120
    assert np.isclose(altman_z2(_statement()).iloc[0], expected)


def test_loss_making_obligor_has_undefined_debt_to_ebitda_flagged():
    ratios = compute_ratios(_statement(ebitda=-5.0, interest_expense=0.0))
    assert np.isnan(ratios.loc[0, "debt_to_ebitda"]) and ratios.loc[0, "debt_to_ebitda__undefined"] == 1
    assert np.isnan(ratios.loc[0, "interest_cover"]) and ratios.loc[0, "interest_cover__undefined"] == 1
    ok = compute_ratios(_statement())
    assert ok.loc[0, "debt_to_ebitda"] == 4.5 and ok.loc[0, "debt_to_ebitda__undefined"] == 0
    assert ok.loc[0, "dso"] == 25.0 / 100.0 * 365


def test_ratio_columns_do_not_depend_on_the_data():
    assert list(compute_ratios(_statement()).columns) == list(compute_ratios(_statement(ebitda=-1.0)).columns)
