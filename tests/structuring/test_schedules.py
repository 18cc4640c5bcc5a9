"""Repayment schedules: closing at zero, the pmt identity, each kind's profile, day counts, errors.

Reference values come from numpy-financial (test dependency): ``pmt(rate, nper, pv, fv)`` with the
borrower's sign convention (loan received pv = -principal, positive payment).
"""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.optimize import brentq

from workbench.structuring.schedules import (
    SCHEDULE_KINDS,
    compare_schedules,
    level_payment,
    plot_schedules,
    repayment_schedule,
    year_fractions,
)

P = 1_000_000.0

# One configuration per kind (options chosen so that every code path is exercised).
KIND_CASES = {
    "annuity": ("annuity", {}),
    "equal_principal": ("equal_principal", {}),
    "bullet": ("bullet", {}),
    "balloon": ("balloon", {"balloon_share": 0.3}),
    "step_up": ("step_up", {"step_rate": 0.05}),
    "step_up_negative_amortisation": ("step_up", {"step_rate": 1.0}),  # first year below interest
    "grace_interest_only_annuity": ("grace", {"grace_periods": 12}),
    "grace_interest_only_equal": ("grace", {"grace_periods": 6, "after": "equal_principal"}),
    "grace_capitalised_annuity": ("grace", {"grace_periods": 12, "grace_mode": "capitalised"}),
    "grace_capitalised_equal": ("grace", {"grace_periods": 12, "grace_mode": "capitalised",
                                          "after": "equal_principal"}),
    "custom": ("custom", {"principal_shares": list(np.linspace(1, 3, 60) / np.linspace(1, 3, 60).sum())}),
}


def _check_identities(s: pd.DataFrame, principal: float) -> None:
    """Every schedule: rows chain, payment and balance identities, non-negative principal."""
    np.testing.assert_allclose(s["opening_balance"].iloc[0], principal)
    np.testing.assert_allclose(s["opening_balance"].iloc[1:].to_numpy(), s["closing_balance"].iloc[:-1].to_numpy())
    np.testing.assert_allclose(s["payment"], s["interest"] - s["capitalised_interest"] + s["principal"],
                               atol=1e-8 * principal)
    np.testing.assert_allclose(s["closing_balance"],
                               s["opening_balance"] + s["capitalised_interest"] - s["principal"],
                               atol=1e-8 * principal)
    assert (s["principal"] >= 0).all() and (s["capitalised_interest"] >= 0).all()


def test_kind_cases_cover_every_kind():
    assert {kind for kind, _ in KIND_CASES.values()} == set(SCHEDULE_KINDS)


@pytest.mark.parametrize("day_count", [None, "ACT/360", "30/360"])
@pytest.mark.parametrize("case", list(KIND_CASES))
def test_every_kind_closes_at_zero_and_principal_repaid_is_principal_plus_capitalised_interest(case, day_count):
    kind, options = KIND_CASES[case]
    start = "2024-01-31" if day_count else None
    s = repayment_schedule(kind, P, 0.06, 5, 12, start_date=start, day_count=day_count, **options)
    assert len(s) == 60
    assert abs(s["closing_balance"].iloc[-1]) <= 1e-6 * P
    _check_identities(s, P)
    assert s["principal"].sum() == pytest.approx(P + s["capitalised_interest"].sum(), rel=1e-12)
    assert s["payment"].sum() == pytest.approx(P + s["interest"].sum(), rel=1e-12)
    capitalises = "capitalised" in case or "negative_amortisation" in case
    assert (s["capitalised_interest"].sum() > 0) == capitalises
    if not capitalises:
        assert s["principal"].sum() == pytest.approx(P, rel=1e-12)


def test_annuity_acceptance_1m_at_6pct_over_60_months_pays_19332_80():
    # Standard annuity formula A = P r / (1 - (1 + r)^-n), r = 0.06 / 12, n = 60; = npf.pmt(0.005, 60, -1e6).
    s = repayment_schedule("annuity", 1_000_000, 0.06, 5, 12)
    assert round(s["payment"].iloc[0], 2) == 19_332.80
    np.testing.assert_allclose(s["payment"], 19_332.80, atol=0.005)
    r = 0.005
    assert s["payment"].iloc[0] == pytest.approx(1_000_000 * r / (1 - (1 + r) ** -60), rel=1e-12)


@pytest.mark.parametrize("rate,years,ppy", [(0.06, 5, 12), (0.0, 5, 12), (0.0, 3, 4), (0.035, 20, 12),
                                            (0.12, 1, 12), (0.08, 10, 1), (0.045, 7.5, 2), (0.25, 30, 4)])
def test_annuity_payment_equals_numpy_financial_pmt(rate, years, ppy):
    n = int(round(years * ppy))
    s = repayment_schedule("annuity", P, rate, years, ppy)
    np.testing.assert_allclose(s["payment"], npf.pmt(rate / ppy, n, -P), rtol=1e-12)
    assert abs(s["closing_balance"].iloc[-1]) <= 1e-6 * P


def test_zero_rate_annuity_repays_equal_instalments_without_interest():
    s = repayment_schedule("annuity", 120.0, 0.0, 1, 12)
    np.testing.assert_allclose(s["payment"], 10.0)
    assert s["interest"].abs().max() == 0


def test_equal_principal_repays_constant_principal_and_interest_declines_linearly():
    s = repayment_schedule("equal_principal", P, 0.06, 5, 12)
    np.testing.assert_allclose(s["principal"], P / 60)
    np.testing.assert_allclose(np.diff(s["interest"]), -P / 60 * 0.005)


def test_bullet_pays_interest_only_then_the_principal_at_maturity():
    s = repayment_schedule("bullet", P, 0.06, 5, 12)
    np.testing.assert_allclose(s["interest"], P * 0.005)
    np.testing.assert_allclose(s["payment"].iloc[:-1], P * 0.005)
    assert s["payment"].iloc[-1] == pytest.approx(P * 1.005)
    assert s["principal"].iloc[:-1].abs().max() == 0


def test_balloon_level_payment_is_pmt_with_the_balloon_as_future_value_and_the_last_payment_adds_it():
    s = repayment_schedule("balloon", P, 0.06, 5, 12, balloon_share=0.3)
    level = npf.pmt(0.005, 60, -P, 0.3 * P)
    np.testing.assert_allclose(s["payment"].iloc[:-1], level, rtol=1e-12)
    assert s["payment"].iloc[-1] == pytest.approx(level + 0.3 * P, rel=1e-12)
    assert s["opening_balance"].iloc[-1] - s["principal"].iloc[-1] == pytest.approx(0, abs=1e-6 * P)


def test_balloon_share_zero_is_the_annuity_and_one_is_the_bullet():
    pay = lambda kind, **o: repayment_schedule(kind, P, 0.06, 5, 12, **o)["payment"].to_numpy()  # noqa: E731
    np.testing.assert_allclose(pay("balloon", balloon_share=0.0), pay("annuity"), rtol=1e-12)
    np.testing.assert_allclose(pay("balloon", balloon_share=1.0), pay("bullet"), rtol=1e-12)


def test_step_up_payments_rise_by_the_step_at_each_interval_and_stay_level_within():
    s = repayment_schedule("step_up", P, 0.06, 5, 12, step_rate=0.05, step_interval=12)
    pay = s["payment"].to_numpy().reshape(5, 12)
    np.testing.assert_allclose(pay, pay[:, :1] * np.ones((1, 12)), rtol=1e-12)  # level within each year
    np.testing.assert_allclose(pay[1:, 0] / pay[:-1, 0], 1.05, rtol=1e-12)  # +5 % at each step
    # First payment, closed form: P = A a_m sum_j q^j with a_m = annuity factor of one interval and
    # q = (1 + s) v^m, a geometric series.
    r, m, steps = 0.005, 12, 5
    v = 1 / (1 + r)
    a_m = (1 - v**m) / r
    q = 1.05 * v**m
    assert pay[0, 0] == pytest.approx(P / (a_m * (1 - q**steps) / (1 - q)), rel=1e-12)


def test_step_up_default_interval_is_one_year_and_an_uneven_last_interval_still_closes():
    quarterly = repayment_schedule("step_up", P, 0.06, 5, 4, step_rate=0.1)
    assert quarterly["payment"].iloc[4] / quarterly["payment"].iloc[3] == pytest.approx(1.1)
    assert quarterly["payment"].iloc[3] == pytest.approx(quarterly["payment"].iloc[0])
    uneven = repayment_schedule("step_up", P, 0.06, 5, 12, step_rate=0.05, step_interval=7)
    assert uneven["payment"].iloc[7] / uneven["payment"].iloc[6] == pytest.approx(1.05)
    assert abs(uneven["closing_balance"].iloc[-1]) <= 1e-6 * P


def test_grace_interest_only_pays_interest_then_amortises_the_principal_over_the_remaining_periods():
    s = repayment_schedule("grace", P, 0.06, 5, 12, grace_periods=12)
    head, tail = s.iloc[:12], s.iloc[12:]
    np.testing.assert_allclose(head["payment"], P * 0.005)
    np.testing.assert_allclose(head["closing_balance"], P)
    assert head["principal"].abs().max() == 0
    np.testing.assert_allclose(tail["payment"], npf.pmt(0.005, 48, -P), rtol=1e-12)


def test_grace_then_equal_principal_repays_the_principal_in_equal_parts_after_grace():
    s = repayment_schedule("grace", P, 0.06, 5, 12, grace_periods=6, after="equal_principal")
    np.testing.assert_allclose(s["principal"].iloc[6:], P / 54)


def test_capitalised_grace_adds_the_interest_to_the_balance_and_amortises_the_larger_balance():
    s = repayment_schedule("grace", P, 0.06, 5, 12, grace_periods=12, grace_mode="capitalised")
    head, tail = s.iloc[:12], s.iloc[12:]
    grown = P * 1.005**12
    assert head["payment"].abs().max() == 0
    np.testing.assert_allclose(head["capitalised_interest"], head["interest"])
    assert head["closing_balance"].iloc[-1] == pytest.approx(grown, rel=1e-12)
    assert s["capitalised_interest"].sum() == pytest.approx(grown - P, rel=1e-12)
    np.testing.assert_allclose(tail["payment"], npf.pmt(0.005, 48, -grown), rtol=1e-12)
    # Principal repaid = original principal + capitalised interest.
    assert s["principal"].sum() == pytest.approx(P + (grown - P), rel=1e-12)


def test_zero_grace_periods_is_the_after_profile():
    a = repayment_schedule("grace", P, 0.06, 5, 12, grace_periods=0)
    b = repayment_schedule("annuity", P, 0.06, 5, 12)
    pd.testing.assert_frame_equal(a, b)


def test_custom_repays_the_given_shares_of_principal():
    shares = [0.1, 0.0, 0.2, 0.3, 0.4]
    s = repayment_schedule("custom", 500.0, 0.05, 5, 1, principal_shares=shares)
    np.testing.assert_allclose(s["principal"], 500.0 * np.array(shares))
    np.testing.assert_allclose(s["interest"], s["opening_balance"] * 0.05)
    # shares off by less than 1e-9 are accepted
    repayment_schedule("custom", 500.0, 0.05, 5, 1, principal_shares=[0.2] * 4 + [0.2 + 5e-10])


@pytest.mark.parametrize("shares,match", [([0.2] * 4 + [0.2 + 1e-6], "sum to 1"), ([0.25] * 4, "one share per period"),
                                          ([0.5, 0.5, 0.3, -0.3, 0.0], ">= 0"), ([0.2] * 4 + [float("nan")], "finite")])
def test_custom_rejects_shares_that_do_not_fit(shares, match):
    with pytest.raises(ValueError, match=match):
        repayment_schedule("custom", 500.0, 0.05, 5, 1, principal_shares=shares)


def test_year_fractions_follow_act_360_and_isda_30_360_bond_basis():
    dates = pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2025-05-31"])
    np.testing.assert_allclose(year_fractions(dates, "ACT/360"), np.array([29, 31, 30, 31, 365]) / 360)
    # 30/360 bond basis: 31 Jan -> 29 Feb: D1 31 -> 30, 29 - 30 + 30 = 29 days; 29 Feb -> 31 Mar: D1 = 29 so
    # D2 stays 31 -> 32 days; 31 Mar -> 30 Apr: 30 days; 30 Apr -> 31 May: D1 = 30 so D2 -> 30: 30 days.
    np.testing.assert_allclose(year_fractions(dates, "30/360"), np.array([29, 32, 30, 30, 360]) / 360)


def test_act_360_charges_more_interest_than_30_360_in_31_day_months_and_both_close_at_zero():
    kw = dict(start_date="2024-01-15")
    act = repayment_schedule("bullet", P, 0.06, 1, 12, day_count="ACT/360", **kw)
    thirty = repayment_schedule("bullet", P, 0.06, 1, 12, day_count="30/360", **kw)
    days = (act["date"] - act["date"].shift(1, fill_value=pd.Timestamp("2024-01-15"))).dt.days.to_numpy()
    long_months = days == 31
    assert long_months.sum() == 7
    assert (act["interest"][long_months] > thirty["interest"][long_months]).all()
    np.testing.assert_allclose(act["interest"][long_months], P * 0.06 * 31 / 360)
    np.testing.assert_allclose(thirty["interest"], P * 0.06 * 30 / 360)  # mid-month dates: 30 days each
    act_a = repayment_schedule("annuity", P, 0.06, 5, 12, day_count="ACT/360", **kw)
    thirty_a = repayment_schedule("annuity", P, 0.06, 5, 12, day_count="30/360", **kw)
    assert act_a["interest"].sum() > thirty_a["interest"].sum()
    for s in (act_a, thirty_a):
        assert abs(s["closing_balance"].iloc[-1]) <= 1e-6 * P


def test_day_count_annuity_is_resolved_to_a_level_payment_that_closes_the_loan():
    s = repayment_schedule("annuity", P, 0.06, 5, 12, start_date="2024-01-31", day_count="ACT/360")
    np.testing.assert_allclose(s["payment"], s["payment"].iloc[0], rtol=1e-12)  # still level
    rates = 0.06 * s["year_fraction"].to_numpy()

    def final_balance(a: float) -> float:  # independent check: roll the balance forward period by period
        b = P
        for r in rates:
            b = b * (1 + r) - a
        return b

    assert s["payment"].iloc[0] == pytest.approx(brentq(final_balance, 0, P), rel=1e-10)
    assert s["payment"].iloc[0] != pytest.approx(npf.pmt(0.005, 60, -P), rel=1e-6)  # differs from nominal


def test_30_360_from_a_mid_month_start_reproduces_the_nominal_schedule():
    dated = repayment_schedule("annuity", P, 0.06, 5, 12, start_date="2024-01-15", day_count="30/360")
    np.testing.assert_allclose(dated["year_fraction"], 1 / 12)
    np.testing.assert_allclose(dated["payment"], npf.pmt(0.005, 60, -P), rtol=1e-12)


def test_dates_are_period_ends_and_optional_columns_appear_only_when_asked():
    plain = repayment_schedule("annuity", P, 0.06, 1, 4)
    assert list(plain.columns) == ["period", "opening_balance", "interest", "capitalised_interest", "principal",
                                   "payment", "closing_balance"]
    dated = repayment_schedule("annuity", P, 0.06, 1, 4, start_date="2024-01-31")
    assert "year_fraction" not in dated.columns
    assert list(dated["date"]) == list(pd.to_datetime(["2024-04-30", "2024-07-31", "2024-10-31", "2025-01-31"]))
    np.testing.assert_allclose(dated["payment"], plain["payment"])  # no day count: nominal accrual
    assert "year_fraction" in repayment_schedule("annuity", P, 0.06, 1, 4, start_date="2024-01-31",
                                                 day_count="ACT/360").columns


def test_level_payment_with_constant_rates_is_pmt():
    assert level_payment(P, np.full(36, 0.004)) == pytest.approx(npf.pmt(0.004, 36, -P), rel=1e-12)


@pytest.mark.parametrize("call,match", [
    (lambda: repayment_schedule("french", P, 0.06, 5), r"unknown kind 'french'; valid kinds: annuity, "),
    (lambda: repayment_schedule("annuity", 0, 0.06, 5), "principal must be a positive"),
    (lambda: repayment_schedule("annuity", -5, 0.06, 5), "principal must be a positive"),
    (lambda: repayment_schedule("annuity", P, 0.06, 0), "years must be a positive"),
    (lambda: repayment_schedule("annuity", P, -0.01, 5), "annual_rate must be a finite decimal >= 0"),
    (lambda: repayment_schedule("annuity", P, float("nan"), 5), "annual_rate"),
    (lambda: repayment_schedule("annuity", P, 0.06, 5, 0), "periods_per_year must be a whole number"),
    (lambda: repayment_schedule("annuity", P, 0.06, 1.3, 12), "whole number of periods"),
    (lambda: repayment_schedule("annuity", P, 0.06, 5, balloon_share=0.2, foo=1),
     r"unknown option\(s\) for kind 'annuity': balloon_share, foo; valid options: none"),
    (lambda: repayment_schedule("grace", P, 0.06, 5, grace_periods=6, step_rate=0.1),
     r"unknown option\(s\) for kind 'grace': step_rate; valid options: grace_periods, grace_mode, after"),
    (lambda: repayment_schedule("balloon", P, 0.06, 5), "requires option"),
    (lambda: repayment_schedule("balloon", P, 0.06, 5, balloon_share=1.2),
     r"balloon_share must be a share in \[0, 1\]"),
    (lambda: repayment_schedule("step_up", P, 0.06, 5, step_rate=-1.0), "step_rate must be a number > -1"),
    (lambda: repayment_schedule("step_up", P, 0.06, 5, step_rate=0.1, step_interval=0), "step_interval"),
    (lambda: repayment_schedule("grace", P, 0.06, 5, grace_periods=60), "grace_periods must leave at least one"),
    (lambda: repayment_schedule("grace", P, 0.06, 5, grace_periods=2.5), "grace_periods must be a whole number"),
    (lambda: repayment_schedule("grace", P, 0.06, 5, grace_periods=6, grace_mode="deferred"), "unknown grace_mode"),
    (lambda: repayment_schedule("grace", P, 0.06, 5, grace_periods=6, after="bullet"), "unknown after"),
    (lambda: repayment_schedule("annuity", P, 0.06, 5, day_count="ACT/360"), "needs start_date"),
    (lambda: repayment_schedule("annuity", P, 0.06, 5, start_date="2024-01-01", day_count="ACT/365"),
     "unknown day_count 'ACT/365'"),
    (lambda: repayment_schedule("annuity", P, 0.06, 5, 5, start_date="2024-01-01"), "periods_per_year dividing 12"),
])
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_compare_schedules_summarises_totals_payments_and_weighted_average_life():
    table = compare_schedules(P, 0.06, 5, 12, {
        "annuity": ("annuity", {}),
        "linear": ("equal_principal", None),
        "bullet": "bullet",
        "balloon 30%": ("balloon", {"balloon_share": 0.3}),
        "capitalised grace": ("grace", {"grace_periods": 12, "grace_mode": "capitalised"}),
    })
    assert list(table.index) == ["annuity", "linear", "bullet", "balloon 30%", "capitalised grace"]
    np.testing.assert_allclose(table["total_paid"], P + table["total_interest"], rtol=1e-12)
    assert table.loc["annuity", "first_payment"] == pytest.approx(npf.pmt(0.005, 60, -P))
    assert table.loc["linear", "wal_years"] == pytest.approx(61 / 2 / 12)  # mean of periods 1..60, in years
    assert table.loc["bullet", "wal_years"] == pytest.approx(5.0)
    assert table.loc["bullet", "total_interest"] == pytest.approx(P * 0.06 * 5)
    assert table["total_interest"].idxmax() == "bullet"
    assert table.loc["balloon 30%", "max_payment"] == table.loc["balloon 30%", "last_payment"]
    assert table.loc["capitalised grace", "first_payment"] == 0
    assert (table.loc["annuity", "wal_years"] < table.loc["balloon 30%", "wal_years"]
            < table.loc["bullet", "wal_years"])


def test_compare_schedules_rejects_no_kinds_and_passes_bad_options_through():
    with pytest.raises(ValueError, match="at least one"):
        compare_schedules(P, 0.06, 5, 12, {})
    with pytest.raises(ValueError, match="unknown option"):
        compare_schedules(P, 0.06, 5, 12, {"x": ("annuity", {"oops": 1})})


def test_plot_schedules_draws_balance_and_payment_side_by_side():
    scheds = {k: repayment_schedule(k, P, 0.06, 5, 12) for k in ("annuity", "bullet", "equal_principal")}
    fig = plot_schedules(scheds)
    assert isinstance(fig, Figure)
    bal, pay = fig.axes
    assert len(bal.lines) == 3 and len(pay.lines) == 3
    assert bal.lines[0].get_ydata()[0] == P  # starts at the principal (period 0)
    with pytest.raises(ValueError, match="at least one"):
        plot_schedules({})
    with pytest.raises(ValueError, match="lacks column"):
        plot_schedules({"x": pd.DataFrame({"period": [1]})})


def test_step_up_below_the_interest_capitalises_the_shortfall_and_the_balance_rises():
    s = repayment_schedule("step_up", P, 0.06, 5, 12, step_rate=1.0)
    first_year = s.iloc[:12]
    assert (first_year["payment"] < first_year["interest"]).all()
    np.testing.assert_allclose(first_year["capitalised_interest"], first_year["interest"] - first_year["payment"])
    assert first_year["closing_balance"].iloc[-1] > P
    assert abs(s["closing_balance"].iloc[-1]) <= 1e-6 * P


def test_named_schedule_specs_give_the_schedules_and_the_comparison_of_each():
    from workbench.structuring import ScheduleSpec, compare_schedules, repayment_schedule, repayment_schedules

    specs = {"plain": ScheduleSpec(kind="annuity"),
             "balloon": ScheduleSpec(kind="balloon", options={"balloon_share": 0.3})}
    got = repayment_schedules(100.0, 0.06, 5, 4, specs)
    assert list(got) == ["plain", "balloon"]
    pd.testing.assert_frame_equal(got["balloon"], repayment_schedule("balloon", 100.0, 0.06, 5, 4, balloon_share=0.3))
    table = compare_schedules(100.0, 0.06, 5, 4, specs)
    assert table.loc["balloon", "last_payment"] > table.loc["plain", "last_payment"]
    pd.testing.assert_frame_equal(table, compare_schedules(100.0, 0.06, 5, 4, {"plain": "annuity",
                                                                           "balloon": ("balloon", {"balloon_share": 0.3})}))
