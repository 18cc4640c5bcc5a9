"""Covenant tests: headroom and breach per covenant type on hand-made statements, the test schedule, the
statement a test uses, and the generator's breaches are exactly what these tests say."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.accounts.covenants import TEST_COLUMNS, CovenantParams, covenant_table, covenant_tests
from workbench.data.covenants import DEFAULT_REPORTING_LAG_DAYS

STATEMENT = dict(obligor_id="O1", period_end=pd.Timestamp("2022-12-31"), reported_date=pd.Timestamp("2023-03-15"),
                 total_debt=60.0, total_assets=100.0, ebit=8.0, interest_expense=4.0, operating_cash_flow=12.0,
                 equity=25.0)


def _financials(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame([{**STATEMENT, **r} for r in rows] or [STATEMENT])


def _covenants(*rows: dict) -> pd.DataFrame:
    base = dict(covenant_id="C1", facility_id="F1", obligor_id="O1", type="max_leverage", threshold=0.65,
                test_frequency_months=3, start_date=pd.Timestamp("2022-01-15"))
    df = pd.DataFrame([{**base, "covenant_id": f"C{i}", **r} for i, r in enumerate(rows, 1)])
    return df.astype({"start_date": "datetime64[ns]"})


# The statement: leverage 0.60, interest cover 2.0x, DSCR 12 / (4 + 60 / 12) = 1.333x, equity ratio 0.25.
@pytest.mark.parametrize("covenant_type, threshold, headroom, breached", [
    ("max_leverage", 0.65, 0.05, False),
    ("max_leverage", 0.55, -0.05, True),
    ("min_interest_cover", 1.5, 0.5, False),
    ("min_interest_cover", 2.5, -0.5, True),
    ("min_dscr", 1.2, 12 / 9 - 1.2, False),
    ("min_dscr", 1.4, 12 / 9 - 1.4, True),
    ("min_equity_ratio", 0.20, 0.05, False),
    ("min_equity_ratio", 0.30, -0.05, True),
])
def test_headroom_is_negative_exactly_when_the_covenant_is_breached(covenant_type, threshold, headroom, breached):
    tests = covenant_tests(_covenants(dict(type=covenant_type, threshold=threshold)), _financials(), "2023-06-30")
    row = tests.iloc[0]
    assert row["headroom"] == pytest.approx(headroom)
    assert row["headroom_rel"] == pytest.approx(headroom / threshold)
    assert bool(row["breached"]) is breached and bool(row["tested"])
    assert row["period_end"] == pd.Timestamp("2022-12-31")


def test_last_and_next_test_dates_follow_the_frequency_from_the_start_month():
    cov = _covenants(dict(test_frequency_months=3), dict(test_frequency_months=6), dict(test_frequency_months=12),
                     dict(start_date=pd.Timestamp("2023-05-02")))
    tests = covenant_tests(cov, _financials(), pd.Timestamp("2023-06-15")).set_index("covenant_id")
    # Start January 2022: quarterly tests at April, July, October, January month ends, ...
    assert tests.loc["C1", "last_test_date"] == pd.Timestamp("2023-04-30")
    assert tests.loc["C1", "next_test_date"] == pd.Timestamp("2023-07-31")
    assert tests.loc["C2", "last_test_date"] == pd.Timestamp("2023-01-31")
    assert tests.loc["C2", "next_test_date"] == pd.Timestamp("2023-07-31")
    assert tests.loc["C3", "last_test_date"] == pd.Timestamp("2023-01-31")
    assert tests.loc["C3", "next_test_date"] == pd.Timestamp("2024-01-31")
    # Started in May 2023: nothing tested yet, the first test in August.
    assert pd.isna(tests.loc["C4", "last_test_date"]) and not tests.loc["C4", "tested"]
    assert not tests.loc["C4", "breached"] and tests.loc["C4", "next_test_date"] == pd.Timestamp("2023-08-31")


def test_a_test_falls_due_on_its_month_end_not_before():
    cov = _covenants(dict())
    on_the_day = covenant_tests(cov, _financials(), "2023-07-31").iloc[0]
    day_before = covenant_tests(cov, _financials(), "2023-07-30").iloc[0]
    assert on_the_day["last_test_date"] == pd.Timestamp("2023-07-31") == day_before["next_test_date"]
    assert day_before["last_test_date"] == pd.Timestamp("2023-04-30")


def test_a_test_uses_the_latest_statement_usable_at_its_date_and_the_lag_is_a_parameter():
    fin = _financials(dict(), dict(period_end=pd.Timestamp("2023-12-31"), reported_date=pd.Timestamp("2024-02-01"),
                                   total_debt=70.0))
    cov = _covenants(dict(threshold=0.65))
    # At the April 2024 test the 2023 statement is usable (period end + 120 days = 2024-04-29) and breaches.
    tests = covenant_tests(cov, fin, "2024-04-30").iloc[0]
    assert tests["period_end"] == pd.Timestamp("2023-12-31") and tests["breached"]
    # With a longer lag the April test still reads the 2022 statement, which keeps its headroom.
    later = covenant_tests(cov, fin, "2024-04-30", CovenantParams(reporting_lag_days=150)).iloc[0]
    assert later["period_end"] == pd.Timestamp("2022-12-31") and not later["breached"]
    # The reported date counts too: a statement reported after the test date is not used.
    late = fin.assign(reported_date=[pd.Timestamp("2023-03-15"), pd.Timestamp("2024-06-01")])
    assert covenant_tests(cov, late, "2024-04-30").iloc[0]["period_end"] == pd.Timestamp("2022-12-31")
    assert CovenantParams().reporting_lag_days == DEFAULT_REPORTING_LAG_DAYS == 120


def test_a_missing_item_or_no_usable_statement_is_untested_not_a_breach():
    cov = _covenants(dict(type="min_dscr", threshold=5.0), dict(obligor_id="O2", threshold=0.01))
    tests = covenant_tests(cov, _financials(dict(operating_cash_flow=np.nan)), "2023-06-30")
    assert tests["tested"].tolist() == [False, False] and not tests["breached"].any()
    assert tests["value"].isna().all() and tests["last_test_date"].notna().all()


def test_no_interest_means_an_infinite_cover_that_passes():
    tests = covenant_tests(_covenants(dict(type="min_interest_cover", threshold=2.0)),
                           _financials(dict(interest_expense=0.0, total_debt=0.0)), "2023-06-30")
    assert np.isinf(tests.iloc[0]["value"]) and tests.iloc[0]["tested"] and not tests.iloc[0]["breached"]


def test_an_unknown_type_or_a_missing_column_is_refused_by_name():
    with pytest.raises(ValueError, match=r"unknown type\(s\) \['max_gearing'\].*C1"):
        covenant_tests(_covenants(dict(type="max_gearing")), _financials(), "2023-06-30")
    with pytest.raises(KeyError, match="threshold"):
        covenant_tests(_covenants(dict()).drop(columns="threshold"), _financials(), "2023-06-30")
    with pytest.raises(KeyError, match="financials lack.*equity"):
        covenant_tests(_covenants(dict()), _financials().drop(columns="equity"), "2023-06-30")


def test_the_table_shows_breaches_first_with_their_headroom_and_status():
    cov = _covenants(dict(threshold=0.65), dict(type="min_interest_cover", threshold=2.5),
                     dict(obligor_id="O2"))
    tests = covenant_tests(cov, _financials(), "2023-06-30")
    assert list(tests.columns) == list(TEST_COLUMNS)
    table = covenant_table(tests)
    assert table["Covenant"].tolist() == ["C2", "C1", "C3"]
    assert table["Status"].tolist() == ["breach", "ok", "not tested"]
    assert table.iloc[0]["Threshold"] == "min 2.50x" and table.iloc[0]["Value"] == "2.00x"
    assert table.iloc[0]["Headroom"] == "-0.50x" and table.iloc[1]["Threshold"] == "max 0.65"
    assert table.iloc[1]["Value"] == "0.60" and table.iloc[1]["Headroom"] == "+0.05"
    assert table.iloc[2]["Value"] == "n/a" and table.iloc[2]["Last test"] == "2023-04-30"


def test_the_generators_breaches_are_the_covenant_tests_on_the_generated_statements(portfolio):
    cov, fin, beh = portfolio["covenants"], portfolio["financials"], portfolio["behaviour"]
    flagged = set(zip(beh.loc[beh["covenant_breach"], "obligor_id"], beh.loc[beh["covenant_breach"], "month_end"]))
    assert flagged  # the portfolio has breaches to compare
    derived = set()
    for month in beh["month_end"].drop_duplicates().sort_values():
        tests = covenant_tests(cov, fin, month)
        due = tests[(tests["last_test_date"] == month) & tests["breached"]]
        derived |= {(o, month) for o in due["obligor_id"]}
    active = set(zip(beh["obligor_id"], beh["month_end"]))
    assert flagged == derived & active
