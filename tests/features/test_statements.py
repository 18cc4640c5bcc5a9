"""Trend and history features of one obligor's statements, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.features.statements import statement_features


def _statements(revenue, leverage, margins, reported_offset_days=90) -> pd.DataFrame:
    n = len(revenue)
    ends = pd.to_datetime([f"{2015 + i}-12-31" for i in range(n)])
    rev = np.array(revenue, float)
    ta = np.full(n, 1000.0)
    df = pd.DataFrame({
        "obligor_id": "OB1", "period_end": ends, "reported_date": ends + pd.Timedelta(days=reported_offset_days),
        "audited": True, "revenue": rev, "cogs": rev * 0.6, "ebitda": rev * np.array(margins), "ebit": rev * 0.1,
        "interest_expense": 5.0, "net_income": 10.0, "total_assets": ta, "current_assets": 300.0, "cash": 50.0,
        "receivables": 80.0, "inventory": 60.0, "payables": 40.0, "total_liabilities": 600.0,
        "current_liabilities": 200.0, "total_debt": ta * np.array(leverage), "equity": 400.0,
        "retained_earnings": 100.0, "operating_cash_flow": 60.0, "capex": 20.0,
    })
    return df


def test_trends_use_earlier_statements():
    fin = _statements([100, 110, 121, 133.1], [0.30, 0.35, 0.40, 0.45], [0.10, 0.12, 0.08, 0.10])
    out = statement_features(fin, lag_days=120)
    last = out.iloc[-1]
    assert last["revenue_growth"] == pytest.approx(0.1)
    assert last["revenue_cagr_3y"] == pytest.approx(0.1)
    assert last["leverage_yoy"] == pytest.approx(0.05)
    assert last["leverage_trend"] == pytest.approx(0.05, rel=1e-3)  # +5 points a year (of 365.25 days)
    assert last["ebitda_margin_volatility"] == pytest.approx(np.std([0.10, 0.12, 0.08, 0.10], ddof=1))
    assert last["years_of_history"] == 4
    assert out["years_of_history"].tolist() == [1, 2, 3, 4]
    # The first statement has no history: trends are NaN, never made up.
    assert np.isnan(out.iloc[0][["revenue_growth", "leverage_yoy", "leverage_trend"]].astype(float)).all()
    assert out["_newest"].all()


def test_observation_date_is_the_month_end_of_usability():
    fin = _statements([100, 110], [0.3, 0.3], [0.1, 0.1], reported_offset_days=200)
    out = statement_features(fin, lag_days=120)
    # Reported 200 days after 2015-12-31 = 2016-07-18, later than the 120-day lag: usable then.
    assert out.iloc[0]["obs_date"] == pd.Timestamp("2016-07-31")
    assert out.iloc[0]["statement_age_days"] == (pd.Timestamp("2016-07-31") - pd.Timestamp("2015-12-31")).days


def test_an_earlier_statement_not_yet_usable_is_not_history():
    fin = _statements([100, 110], [0.3, 0.4], [0.1, 0.1])
    fin.loc[0, "reported_date"] = pd.Timestamp("2017-09-30")  # arrives after the 2016 statement (2017-03-31)
    out = statement_features(fin, lag_days=120).set_index("period_end")
    newest = out.loc[pd.Timestamp("2016-12-31")]
    assert np.isnan(newest["revenue_growth"]) and newest["years_of_history"] == 1
    # The late 2015 statement is superseded by 2016 when it arrives: not a panel row of its own.
    assert not out.loc[pd.Timestamp("2015-12-31"), "_newest"]


def test_statements_arriving_in_the_same_month_keep_the_newest_as_the_row():
    fin = _statements([100, 110], [0.3, 0.4], [0.1, 0.1])
    fin["reported_date"] = pd.Timestamp("2017-06-15")  # onboarding file with two years at once
    out = statement_features(fin, lag_days=120)
    rows = out[out["_newest"]]
    assert len(rows) == 1 and rows.iloc[0]["period_end"] == pd.Timestamp("2016-12-31")
    assert rows.iloc[0]["revenue_growth"] == pytest.approx(0.1)


def test_a_late_statement_for_an_in_between_period_changes_no_row_observed_before_it_arrives():
    fin = _statements([100, 110, 121, 133.1], [0.30, 0.35, 0.40, 0.45], [0.10, 0.12, 0.08, 0.10])
    before = statement_features(fin, lag_days=120)
    # A half-year statement between 2017 and 2018 that only arrives in 2020, after all of them.
    late = fin.iloc[[3]].assign(period_end=pd.Timestamp("2018-06-30"), reported_date=pd.Timestamp("2020-01-15"),
                                revenue=1e6, ebitda=5e5)
    after = statement_features(pd.concat([fin, late], ignore_index=True), lag_days=120)
    assert list(after["period_end"]).index(pd.Timestamp("2018-06-30")) == 3  # sorted between 2017 and 2018
    # 2018 still compares with 2017 one year back and 2015 three years back, over four points.
    pd.testing.assert_frame_equal(after.drop(index=3).reset_index(drop=True), before)
    assert before.iloc[-1]["revenue_growth"] == pytest.approx(0.1)
    assert before.iloc[-1]["revenue_cagr_3y"] == pytest.approx(0.1)
    # Once it has arrived, it is history like any other statement: the next year's volatility uses it.
    nxt = _statements([100] * 5, [0.3] * 5, [0.1] * 5).iloc[[4]]
    full = statement_features(pd.concat([fin, late, nxt], ignore_index=True), lag_days=120).iloc[-1]
    assert full["period_end"] == pd.Timestamp("2019-12-31") and full["years_of_history"] == 6
    assert full["ebitda_margin_volatility"] == pytest.approx(np.std([0.10, 0.10, 0.5, 0.08], ddof=1), rel=1e-6)
    assert full["revenue_growth"] == pytest.approx(100 / 133.1 - 1, rel=1e-6)
