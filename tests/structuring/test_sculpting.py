"""Debt sculpting: sizing identities, cover ratios, grace and non-positive CFADS, capacity, stress tests.

PVs are cross-checked with numpy-financial's ``npv`` (the first value is at t = 0, so the period-1
flow is passed after a leading 0).
"""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.optimize import brentq

from workbench.structuring.schedules import repayment_schedule
from workbench.structuring.sculpting import (
    DebtCapacity,
    SculptResult,
    breakeven_haircut,
    cfads_sensitivities,
    debt_capacity,
    plot_sculpting,
    plot_tornado,
    sculpt_debt,
)

CFADS = np.array([80.0, 95.0, 110.0, 120.0, 125.0, 130.0, 128.0, 126.0, 120.0, 115.0, 100.0, 90.0])
TAIL = np.array([85.0, 80.0, 70.0, 60.0])  # project life beyond the loan's maturity


def _pv(flows, rate):
    return npf.npv(rate, np.concatenate([[0.0], flows]))


def test_sculpted_debt_is_the_pv_of_cfads_over_the_target_dscr():
    res = sculpt_debt(CFADS, 1.30, 0.06)
    assert isinstance(res, SculptResult)
    assert res.debt == pytest.approx(_pv(CFADS / 1.30, 0.06), rel=1e-12)
    np.testing.assert_allclose(res.debt_service, CFADS / 1.30, rtol=1e-12)


def test_sculpted_dscr_equals_the_target_in_every_period_and_the_loan_closes_at_zero():
    res = sculpt_debt(CFADS, 1.30, 0.06)
    s = res.schedule
    np.testing.assert_allclose(s["dscr"], 1.30, rtol=1e-12)
    assert res.min_dscr == pytest.approx(1.30, rel=1e-12) and res.avg_dscr == pytest.approx(1.30, rel=1e-12)
    assert abs(s["closing_balance"].iloc[-1]) <= 1e-9 * res.debt
    np.testing.assert_allclose(s["debt_service"], s["interest"] - s["capitalised_interest"] + s["principal"])
    np.testing.assert_allclose(s["interest"], s["opening_balance"] * 0.06)
    assert s["principal"].sum() == pytest.approx(res.debt, rel=1e-12)


def test_llcr_equals_the_target_dscr_at_every_date_under_constant_sculpting():
    res = sculpt_debt(CFADS, 1.30, 0.06)
    assert res.llcr == pytest.approx(1.30, rel=1e-12)
    assert res.llcr == pytest.approx(_pv(CFADS, 0.06) / res.debt, rel=1e-12)
    np.testing.assert_allclose(res.schedule["llcr"], 1.30, rtol=1e-10)


def test_plcr_exceeds_llcr_when_the_project_outlives_the_loan_with_positive_cfads():
    life = np.concatenate([CFADS, TAIL])
    res = sculpt_debt(CFADS, 1.30, 0.06, project_life_cfads=life)
    assert res.plcr > res.llcr
    assert res.plcr == pytest.approx(_pv(life, 0.06) / res.debt, rel=1e-12)
    assert (res.schedule["plcr"] > res.schedule["llcr"]).all()
    # The tail does not change the debt (sized on the loan tenor only); without it PLCR = LLCR.
    plain = sculpt_debt(CFADS, 1.30, 0.06)
    assert plain.debt == pytest.approx(res.debt, rel=1e-12)
    assert plain.plcr == pytest.approx(plain.llcr, rel=1e-12)


def test_semi_annual_periods_discount_at_half_the_annual_rate():
    res = sculpt_debt(CFADS, 1.25, 0.06, periods_per_year=2)
    assert res.debt == pytest.approx(_pv(CFADS / 1.25, 0.03), rel=1e-12)
    np.testing.assert_allclose(res.schedule["interest"], res.schedule["opening_balance"] * 0.03)


def test_grace_periods_pay_interest_only_and_sculpting_starts_after():
    g = 2
    res = sculpt_debt(CFADS, 1.30, 0.06, grace_periods=g)
    s = res.schedule
    np.testing.assert_allclose(s["debt_service"].iloc[:g], res.debt * 0.06)
    assert s["principal"].iloc[:g].abs().max() == 0
    np.testing.assert_allclose(s["closing_balance"].iloc[:g], res.debt)
    np.testing.assert_allclose(s["debt_service"].iloc[g:], CFADS[g:] / 1.30, rtol=1e-12)
    np.testing.assert_allclose(s["dscr"].iloc[g:], 1.30, rtol=1e-12)
    # Debt = PV of all debt service (interest-only included) = PV at the end of grace of the sculpted service.
    assert res.debt == pytest.approx(_pv(s["debt_service"].to_numpy(), 0.06), rel=1e-12)
    assert res.debt == pytest.approx(_pv(CFADS[g:] / 1.30, 0.06), rel=1e-12)
    assert abs(s["closing_balance"].iloc[-1]) <= 1e-9 * res.debt
    # Grace DSCR is CFADS / interest, counted in the minimum.
    np.testing.assert_allclose(s["dscr"].iloc[:g], CFADS[:g] / (res.debt * 0.06))
    assert res.min_dscr == pytest.approx(min(1.30, (CFADS[:g] / (res.debt * 0.06)).min()))


def test_non_positive_cfads_periods_get_no_debt_service_and_their_interest_capitalises():
    cf = CFADS.copy()
    cf[3], cf[6] = 0.0, -20.0
    res = sculpt_debt(cf, 1.30, 0.06)
    s = res.schedule
    assert s.loc[[3, 6], "debt_service"].abs().max() == 0
    assert s.loc[[3, 6], "dscr"].isna().all()
    np.testing.assert_allclose(s.loc[[3, 6], "capitalised_interest"], s.loc[[3, 6], "interest"])
    assert s.loc[3, "closing_balance"] > s.loc[3, "opening_balance"]
    assert abs(s["closing_balance"].iloc[-1]) <= 1e-9 * res.debt
    assert res.min_dscr == pytest.approx(1.30) and res.avg_dscr == pytest.approx(1.30)
    assert res.debt == pytest.approx(_pv(np.maximum(cf, 0) / 1.30, 0.06), rel=1e-12)
    assert res.llcr < 1.30  # the negative CFADS stays in the LLCR numerator
    assert res.llcr == pytest.approx(_pv(cf, 0.06) / res.debt, rel=1e-12)


def test_table_lists_the_key_figures():
    res = sculpt_debt(CFADS, 1.30, 0.06, project_life_cfads=np.concatenate([CFADS, TAIL]))
    t = res.table()
    assert t.loc["debt", "value"] == pytest.approx(res.debt)
    assert t.loc["llcr", "value"] == pytest.approx(1.30)
    assert {"min_dscr", "avg_dscr", "plcr", "total_debt_service", "tenor_years"} <= set(t.index)


def test_debt_capacity_is_the_smaller_of_dscr_and_gearing_sizing_and_names_the_binding_one():
    dscr_debt = sculpt_debt(CFADS, 1.30, 0.06).debt
    loose = debt_capacity(CFADS, 1.30, 0.06, max_gearing=0.8, project_cost=2 * dscr_debt)
    assert isinstance(loose, DebtCapacity)
    assert loose.binding == "dscr" and loose.debt == pytest.approx(dscr_debt)
    assert loose.dscr_at_debt == pytest.approx(1.30)
    tight = debt_capacity(CFADS, 1.30, 0.06, max_gearing=0.4, project_cost=2 * dscr_debt)
    assert tight.binding == "gearing" and tight.debt == pytest.approx(0.8 * dscr_debt)
    assert tight.gearing == pytest.approx(0.4) and tight.gearing_debt == pytest.approx(0.8 * dscr_debt)
    # The gearing-capped debt sculpted at dscr_at_debt is exactly that debt, at a DSCR above the target.
    assert tight.dscr_at_debt > 1.30
    assert sculpt_debt(CFADS, tight.dscr_at_debt, 0.06).debt == pytest.approx(tight.debt, rel=1e-12)


def test_haircut_scenarios_scale_min_dscr_and_delays_shift_cfads_later():
    res = sculpt_debt(CFADS, 1.30, 0.06)
    sens = cfads_sensitivities(CFADS, res)
    assert list(sens.index) == ["base", "haircut 10%", "haircut 20%", "haircut 30%", "delay 1", "delay 2"]
    assert sens.loc["base", "min_dscr"] == pytest.approx(1.30)
    for h in (0.1, 0.2, 0.3):
        row = sens.loc[f"haircut {h:.0%}"]
        assert row["min_dscr"] == pytest.approx(1.30 * (1 - h)) and row["avg_dscr"] == pytest.approx(1.30 * (1 - h))
        assert row["min_dscr_change"] == pytest.approx(-1.30 * h)
    # Delay 1: period 1 has no CFADS (DSCR 0), period t > 1 gets CFADS_{t-1}; the last CFADS is cut.
    shifted = np.concatenate([[0.0], CFADS[:-1]])
    dscr = shifted / res.debt_service
    assert sens.loc["delay 1", "min_dscr"] == pytest.approx(0.0)
    assert sens.loc["delay 1", "avg_dscr"] == pytest.approx(dscr.mean())
    assert sens.loc["delay 1", "periods_below_1x"] == int((dscr < 1).sum())
    assert sens.loc["delay 2", "periods_below_1x"] >= 2


def test_sensitivities_accept_a_repayment_schedule_or_a_plain_debt_service_vector():
    sched = repayment_schedule("annuity", 600.0, 0.06, 12, 1)
    from_frame = cfads_sensitivities(CFADS, sched, haircuts=(0.25,), delays=())
    from_array = cfads_sensitivities(CFADS, sched["payment"].to_numpy(), haircuts=(0.25,), delays=())
    pd.testing.assert_frame_equal(from_frame, from_array)
    assert from_frame.loc["base", "min_dscr"] == pytest.approx((CFADS / sched["payment"]).min())


def test_breakeven_haircut_brings_min_dscr_to_exactly_one():
    cf = CFADS.copy()
    cf[4] = 110.0  # DSCR 1.144x in period 5 only, 1.30x elsewhere: the minimum sits in one period
    res = sculpt_debt(CFADS, 1.30, 0.06)
    h = breakeven_haircut(cf, res.debt_service)
    base_min = (cf / res.debt_service).min()
    assert base_min == pytest.approx(110.0 / 125.0 * 1.30)
    assert h == pytest.approx(1 - 1 / base_min, rel=1e-12)
    min_dscr = lambda x: (cf * (1 - x) / res.debt_service).min() - 1.0  # noqa: E731
    assert h == pytest.approx(brentq(min_dscr, 0.0, 0.99, xtol=1e-14), abs=1e-10)
    stressed = cfads_sensitivities(cf, res, haircuts=(h,), delays=())
    assert stressed.iloc[1]["min_dscr"] == pytest.approx(1.0, rel=1e-12)
    assert breakeven_haircut(CFADS, res) == pytest.approx(1 - 1 / 1.30)


def test_breakeven_haircut_is_negative_below_1x_and_nan_when_cover_is_not_positive():
    ds = CFADS / 0.9
    assert breakeven_haircut(CFADS, ds) == pytest.approx(1 - 1 / 0.9)  # CFADS must rise 11.1 %
    cf = CFADS.copy()
    cf[0] = -1.0
    assert np.isnan(breakeven_haircut(cf, CFADS / 1.3))


@pytest.mark.parametrize("call,match", [
    (lambda: sculpt_debt([100.0, np.nan], 1.3, 0.06), "cfads must be finite"),
    (lambda: sculpt_debt([], 1.3, 0.06), "non-empty"),
    (lambda: sculpt_debt(CFADS, 0.0, 0.06), "target_dscr must be a positive"),
    (lambda: sculpt_debt(CFADS, 1.3, -0.01), "annual_rate must be a finite decimal >= 0"),
    (lambda: sculpt_debt(CFADS, 1.3, 0.06, grace_periods=12), "grace_periods must leave at least one"),
    (lambda: sculpt_debt(CFADS, 1.3, 0.06, periods_per_year=0), "periods_per_year"),
    (lambda: sculpt_debt([10.0, -5.0, 0.0], 1.3, 0.06, grace_periods=1), "no positive CFADS after the 1 grace"),
    (lambda: sculpt_debt(CFADS, 1.3, 0.06, project_life_cfads=CFADS[:5]), "at least the 12 loan periods"),
    (lambda: sculpt_debt(CFADS, 1.3, 0.06, project_life_cfads=np.concatenate([CFADS * 1.1, TAIL])),
     "must start with the loan-period CFADS"),
    (lambda: debt_capacity(CFADS, 1.3, 0.06, max_gearing=1.2, project_cost=1000), r"max_gearing .* \(0, 1\]"),
    (lambda: debt_capacity(CFADS, 1.3, 0.06, max_gearing=0.7, project_cost=0), "project_cost must be a positive"),
    (lambda: cfads_sensitivities(CFADS, CFADS[:5]), "debt service has 5 periods but cfads has 12"),
    (lambda: cfads_sensitivities(CFADS, np.zeros(12)), "debt service is 0 in every period"),
    (lambda: cfads_sensitivities(CFADS, CFADS / 1.3, haircuts=(1.5,)), r"haircuts must be shares in \[0, 1\]"),
    (lambda: cfads_sensitivities(CFADS, CFADS / 1.3, delays=(0,)), "delays must be a whole number >= 1"),
    (lambda: cfads_sensitivities(CFADS, pd.DataFrame({"x": CFADS})), "'debt_service' or 'payment' column"),
])
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_plot_sculpting_draws_cfads_and_debt_service_bars_with_dscr_and_llcr_on_a_second_axis():
    res = sculpt_debt(CFADS, 1.30, 0.06, grace_periods=1)
    fig = plot_sculpting(res)
    assert isinstance(fig, Figure)
    bars_ax, ratio_ax = fig.axes
    assert len(bars_ax.containers) == 2 and len(bars_ax.containers[0]) == len(CFADS)
    labels = [line.get_label() for line in ratio_ax.lines]
    assert {"DSCR", "LLCR"} <= set(labels)


def test_plot_tornado_sorts_scenarios_by_impact_and_draws_the_1x_line():
    res = sculpt_debt(CFADS, 1.30, 0.06)
    sens = cfads_sensitivities(CFADS, res, haircuts=(0.1, 0.3), delays=())
    fig = plot_tornado(sens, res.min_dscr)
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == ["haircut 10%", "haircut 30%"]  # bottom to top: the largest change is drawn on top
    assert any(np.allclose(line.get_xdata(), 1.0) for line in ax.lines)
    with pytest.raises(ValueError, match="no scenario"):
        plot_tornado(sens.loc[["base"]], res.min_dscr)
