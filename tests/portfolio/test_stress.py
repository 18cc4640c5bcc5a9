"""The macro stress test on a hand-made book of seven facilities: the stressed PD, scenarios against the
baseline, IRB capital and RAROC at the stressed PD, grade migration, the stressed watchlist, the views by
tier and the plot."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from scipy.special import ndtr, ndtri
from scipy.stats import norm

from workbench.accounts.ews import EWSParams
from workbench.portfolio.ifrs9 import ifrs9_ecl
from workbench.portfolio.params import PortfolioRiskParams
from workbench.portfolio.staging import StagingParams
from workbench.portfolio.stress import StressResult, plot_stress, stress_test, stressed_pd
from workbench.pricing.capital import irb_capital
from workbench.pricing.economics import cost_of_funds, raroc
from workbench.pricing.params import PricingParams
from workbench.reference import metrics
from workbench.reference.master_scale import MASTER_SCALE

from .conftest import AS_OF, SCENARIOS, annual_matrix, make_book, make_shifts, rising_shifts, zero_shifts

PRICING = PricingParams()


def _stress(shifts=None, book=None, *, params: PortfolioRiskParams | None = None, watch_grade: int = 8,
            watch_pd_multiple: float = 3.0, watch_low_risk_pd: float = EWSParams().low_risk_pd) -> StressResult:
    return stress_test(make_book() if book is None else book, annual_matrix(),
                       rising_shifts() if shifts is None else shifts, params or PortfolioRiskParams(), AS_OF,
                       pricing=PRICING, watch_grade=watch_grade, watch_pd_multiple=watch_pd_multiple,
                       watch_low_risk_pd=watch_low_risk_pd)


def _row(result: StressResult, scenario: str, facility: str):
    f = result.facilities
    return f[(f["scenario"] == scenario) & (f["facility_id"] == facility)].iloc[0]


def test_stressed_pd_without_shift_is_the_pd():
    pds = np.array([0.0003, 0.004, 0.03, 0.2, 0.6])
    np.testing.assert_allclose(stressed_pd(pds, 0.0), pds, rtol=1e-12)
    assert stressed_pd(0.01, 0.5) == pytest.approx(ndtr(ndtri(0.01) + 0.5), rel=1e-12)


def test_stressed_pd_increases_with_the_shift_and_stays_below_one():
    shifts = np.linspace(-1.0, 2.5, 36)
    for p in (0.0005, 0.01, 0.1):
        path = stressed_pd(np.full(len(shifts), p), shifts)
        assert (np.diff(path) > 0).all()
    assert (stressed_pd([0.3, 0.9, 0.999999], 12.0) < 1.0).all()
    assert stressed_pd([0.01, 0.02], [0.0, 1.0])[1] > 0.02


def test_zero_shifts_leave_every_scenario_at_the_baseline():
    result = _stress(zero_shifts())
    s = result.summary.set_index("scenario")
    assert list(s.index) == list(SCENARIOS)
    for column in ("mean_pd", "ecl", "capital", "raroc", "stage_2_ead_share", "watchlist", "horizon_loss"):
        np.testing.assert_allclose(s[column].to_numpy(dtype=float), s.loc["baseline", column], rtol=1e-12)
    assert (s["downgraded"] == 0).all() and (s["stage_transfers"] == 0).all() and (s["watchlist"] == 1).all()
    np.testing.assert_allclose(s[["ecl_change", "capital_change"]], 0.0, atol=1e-12)


@pytest.mark.parametrize("shifts", [zero_shifts(), rising_shifts()], ids=["zero shifts", "rising shifts"])
def test_baseline_ecl_and_stages_are_those_of_ifrs9(shifts):
    book = make_book()
    result = _stress(shifts, book)
    ifrs9 = ifrs9_ecl(book, annual_matrix(), shifts, PortfolioRiskParams(), AS_OF)
    base = result.summary.set_index("scenario").loc["baseline"]
    assert base["ecl"] == pytest.approx(ifrs9.scenarios.set_index("scenario").loc["baseline", "ecl"], rel=1e-12)
    f = result.facilities[result.facilities["scenario"] == "baseline"].set_index("facility_id")
    i = ifrs9.facilities.set_index("facility_id")
    np.testing.assert_allclose(f["ecl"], i.loc[f.index, "ecl_baseline"], rtol=1e-12)
    assert (f["stage"] == i.loc[f.index, "stage"]).all()
    share = ifrs9.metrics()[metrics.PORTFOLIO_STAGE_2_EAD_SHARE]
    assert base["stage_2_ead_share"] == pytest.approx(share, rel=1e-12)


def test_a_worse_scenario_raises_pd_capital_and_ecl_and_lowers_raroc():
    s = _stress().summary.set_index("scenario").loc[list(SCENARIOS)]
    for column in ("mean_pd", "capital", "ecl", "horizon_loss", "stage_2_ead_share"):
        values = s[column].to_numpy(dtype=float)
        assert values[0] <= values[1] < values[2], column
    for column in ("mean_pd", "capital", "ecl", "horizon_loss"):
        assert s.loc["baseline", column] < s.loc["adverse", column], column
    assert s.loc["baseline", "raroc"] > s.loc["adverse", "raroc"] > s.loc["severe", "raroc"]
    assert s.loc["severe", "ecl_change"] > s.loc["adverse", "ecl_change"] > 0
    assert s.loc["severe", "capital_change"] > s.loc["adverse", "capital_change"] > 0


def test_scenario_figures_are_taken_at_the_peak_year():
    result = _stress()
    s = result.summary.set_index("scenario")
    assert s["peak_year"].to_dict() == {"baseline": 1, "adverse": 2, "severe": 2}  # shifts worst in year 2
    yearly = result.yearly.set_index(["scenario", "year"])
    assert len(result.yearly) == 9
    for scenario in SCENARIOS:
        peak = s.loc[scenario, "peak_year"]
        assert s.loc[scenario, "mean_pd"] == pytest.approx(yearly.loc[(scenario, peak), "mean_pd"])
        assert s.loc[scenario, "capital"] == pytest.approx(yearly.loc[(scenario, peak), "capital"])
        assert s.loc[scenario, "horizon_loss"] == pytest.approx(yearly.loc[scenario, "expected_loss"].sum())
    assert _row(result, "severe", "F1")["pd"] == pytest.approx(ndtr(ndtri(0.004) + 0.6), rel=1e-12)
    assert np.isnan(_row(result, "severe", "F5")["pd"])  # in default: nothing to stress


def _basel_k(p: float, lgd: float, m: float) -> float:
    """BCBS June 2006 para 272, no SME adjustment, by hand."""
    w = (1 - np.exp(-50 * p)) / (1 - np.exp(-50))
    r = 0.12 * w + 0.24 * (1 - w)
    b = (0.11852 - 0.05478 * np.log(p)) ** 2
    conditional = norm.cdf((norm.ppf(p) + np.sqrt(r) * norm.ppf(0.999)) / np.sqrt(1 - r))
    return lgd * (conditional - p) * (1 + (m - 2.5) * b) / (1 - 1.5 * b)


def test_capital_of_a_performing_facility_is_irb_capital_at_the_stressed_pd():
    result = _stress()
    p = ndtr(ndtri(0.004) + 0.6)  # F1 at severe's peak year 2; five years left: M = 5
    f1 = _row(result, "severe", "F1")
    assert f1["capital"] == pytest.approx(10.0 * _basel_k(p, 0.45, 5.0), rel=1e-9)
    assert f1["capital"] == pytest.approx(10.0 * float(irb_capital(p, 0.45, 5.0)), rel=1e-12)
    assert f1["capital_performing"] == f1["capital"]
    # F2: sales EUR 30m (SME correlation adjustment), three years left.
    p2 = ndtr(ndtri(0.03) + 0.6)
    assert _row(result, "severe", "F2")["capital"] == pytest.approx(16.25 * float(irb_capital(p2, 0.45, 3.0, 30.0)),
                                                                    rel=1e-12)
    # F3 has nine months left: M is floored at one year.
    assert _row(result, "severe", "F3")["capital"] == pytest.approx(1.6 * float(irb_capital(p2, 0.45, 1.0, 30.0)),
                                                                    rel=1e-12)
    # In default: K = max(0, LGD - best-estimate EL 35 %) on EAD 6, the same in every scenario; not performing.
    for scenario in SCENARIOS:
        f5 = _row(result, scenario, "F5")
        assert f5["capital"] == pytest.approx(6.0 * (0.45 - 0.35)) and f5["capital_performing"] == 0.0
    severe = result.facilities[result.facilities["scenario"] == "severe"]
    assert result.summary.set_index("scenario").loc["severe", "capital"] == pytest.approx(severe["capital"].sum())


def test_raroc_at_the_booked_spread_and_capital_weighted():
    result = _stress()
    p = ndtr(ndtri(0.004) + 0.6)
    econ = PRICING.economics
    cof = float(cost_of_funds(5.0, econ.funding_curve_bps)) / 1e4
    expected = raroc(cof + 0.015, p, 0.45, 5.0, cost_of_funds=cof, opex=econ.opex_bps / 1e4, tax=econ.tax_rate,
                     capital_return=econ.capital_return_rate, pd_floor=PRICING.capital.pd_floor)
    assert _row(result, "severe", "F1")["raroc"] == pytest.approx(float(expected), rel=1e-12)
    assert np.isnan(_row(result, "severe", "F5")["raroc"])
    for scenario in SCENARIOS:
        f = result.facilities[result.facilities["scenario"] == scenario]
        k = f["capital_performing"]
        weighted = (f["raroc"].fillna(0) * k).sum() / k.sum()
        assert result.summary.set_index("scenario").loc[scenario, "raroc"] == pytest.approx(weighted, rel=1e-12)


def test_grade_migration_counts_the_performing_clients():
    result = _stress()
    for scenario in SCENARIOS:
        table = result.grade_migration(scenario)
        assert table.shape == (10, 10) and int(table.to_numpy().sum()) == 5  # O1, O2, O3, O5, O6
    base = result.grade_migration("baseline")
    assert int(np.trace(base.to_numpy())) == 5  # no shift, no migration
    severe = result.grade_migration("severe")
    assert severe.loc[4, 7] == 1 and severe.loc[7, 9] == 1 and severe.loc[7, 8] == 1  # O1, O2, O5
    grades = result.grades[result.grades["scenario"] == "severe"].set_index("obligor_id")
    assert grades.loc["O1", "stressed_grade"] == MASTER_SCALE.grade_number(ndtr(ndtri(0.004) + 0.6))
    assert result.summary.set_index("scenario").loc["severe", "downgraded"] == 5
    with pytest.raises(KeyError, match="unknown scenario"):
        result.grade_migration("mild")


@pytest.mark.parametrize("watch_grade,watch_pd_multiple,expected", [
    # Grade alone: O2 (grade 7) reaches 8 in adverse and 9 in severe, O3 (6) reaches 8 in severe; O6 is at
    # grade 8 already today but not on the watchlist, so the stress does not add it.
    (8, 100.0, {"baseline": 1, "adverse": 2, "severe": 3}),
    # PD multiple alone: in severe O1 (5.0x), O3 (5.3x) and O6 (3.7x) newly cross 3x; O2 was at 6x already.
    (11, 3.0, {"baseline": 1, "adverse": 1, "severe": 4}),
    # Both: O2 and O6 flagged today (6x, grade 8), so only O1 and O3 join in severe.
    (8, 3.0, {"baseline": 1, "adverse": 1, "severe": 3}),
])
def test_stressed_watchlist_adds_only_clients_newly_crossing_the_thresholds(watch_grade, watch_pd_multiple,
                                                                            expected):
    result = _stress(watch_grade=watch_grade, watch_pd_multiple=watch_pd_multiple)
    assert result.summary.set_index("scenario")["watchlist"].to_dict() == expected  # O5 is on today's list


def test_a_client_newly_flagged_under_stress_joins_the_watchlist_but_keeps_its_stage():
    # Staging's PD-multiple test switched off (50x): an amber flag alone does not move a stage today, so it does
    # not under stress either; the flagged client is counted on the watchlist.
    params = PortfolioRiskParams(staging=StagingParams(pd_multiple=50.0))
    shifts = make_shifts({"baseline": 0.0, "adverse": {"retail": 0.2, "construction": 0.0, "utilities": 0.0},
                          "severe": {"retail": [0.3, 0.6, 0.45], "construction": 0.0, "utilities": 0.0}})
    result = _stress(shifts, params=params, watch_grade=8, watch_pd_multiple=100.0)
    adverse, severe = _row(result, "adverse", "F4"), _row(result, "severe", "F4")
    assert adverse["grade"] == 6 and adverse["stage"] == 1  # O3: PD 1 % -> 1.7 %, below the watch grade
    assert severe["grade"] == 8 and severe["stage"] == 1  # PD 1 % -> 4.2 %: newly at the watch grade
    s = result.summary.set_index("scenario")
    assert s.loc["severe", "stage_transfers"] == 0 and s.loc["adverse", "stage_transfers"] == 0
    assert s.loc["severe", "watchlist"] == 2  # O5 (red today) and O3
    assert s.loc["severe", "newly_flagged"] == 1 and s.loc["adverse", "newly_flagged"] == 0


def test_a_low_risk_client_stays_off_the_stressed_watchlist_and_in_stage_1():
    book = make_book().iloc[[0]].copy()  # F1 alone
    book["pd"] = book["pd_origination"] = 0.0004
    book["grade"] = MASTER_SCALE.grade_number(0.0004)
    result = _stress(make_shifts({"baseline": 0.0, "adverse": 0.2, "severe": 0.4}), book)
    assert _row(result, "severe", "F1")["pd"] < 0.002
    assert result.summary.set_index("scenario").loc["severe", "watchlist"] == 0
    assert _row(result, "severe", "F1")["stage"] == 1


def test_by_tier_sums_the_facilities_and_has_no_pd_for_the_workout_tier():
    result = _stress()
    by = result.by("tier")
    assert set(by.index.get_level_values("tier")) == {"A", "B", "C", "workout"}
    assert np.isnan(by.loc[("workout", "severe"), "mean_pd"])  # all defaulted: no PD to stress
    assert np.isnan(by.loc[("workout", "severe"), "raroc"])
    assert by.loc[("workout", "severe"), "ecl"] == pytest.approx(2.7)
    assert by.loc[("A", "severe"), "mean_pd"] == pytest.approx(ndtr(ndtri(0.004) + 0.6))
    # Tier B: F2, F3 (O2) and F6 (O5), EAD-weighted.
    b = result.facilities[(result.facilities["tier"] == "B") & (result.facilities["scenario"] == "adverse")]
    assert by.loc[("B", "adverse"), "mean_pd"] == pytest.approx((b["pd"] * b["ead"]).sum() / b["ead"].sum())
    for scenario in SCENARIOS:
        part = by.xs(scenario, level="scenario")
        total = result.summary.set_index("scenario").loc[scenario]
        assert part["ecl"].sum() == pytest.approx(total["ecl"]) and part["capital"].sum() == pytest.approx(
            total["capital"])
    np.testing.assert_allclose(by.xs("baseline", level="scenario")[["ecl_change", "capital_change"]], 0.0, atol=1e-12)


def test_tables_metrics_and_plot():
    result = _stress()
    assert list(result.table().index) == list(SCENARIOS)
    assert len(result.yearly_table()) == 9
    wide = result.by_table("industry")
    assert list(wide.index) == ["construction", "retail", "utilities"]
    assert "capital severe vs baseline" in wide.columns and "capital baseline vs baseline" not in wide.columns
    m = result.metrics()
    assert set(m) == {metrics.PORTFOLIO_CAPITAL_SEVERE_CHANGE}
    assert m[metrics.PORTFOLIO_CAPITAL_SEVERE_CHANGE] == pytest.approx(
        result.summary.set_index("scenario").loc["severe", "capital_change"])
    fig = plot_stress(result)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert len(fig.axes[0].get_lines()) == 3  # one mean-PD path per scenario
