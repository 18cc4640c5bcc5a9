"""IFRS 9 on a hand-made book of seven facilities: stages, each scenario's ECL and the probability-weighted
ECL, the shift matrix, the ECL movement, the metrics and tables, and the scenario shifts from a hand-made
satellite model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.special import ndtr, ndtri

from workbench import format as fmt
from workbench.portfolio.ecl import expected_credit_loss, facility_ecl
from workbench.portfolio.exposure import ead_profile, live_year_fraction
from workbench.portfolio.ifrs9 import (
    Ifrs9Result,
    ifrs9_ecl,
    ifrs9_movement,
    scenario_default_rates_table,
    scenario_shifts,
    shift_matrix,
)
from workbench.portfolio.movement import CATEGORIES, DERECOGNISED, NEW, REMEASUREMENT, TO_STAGE_1, TO_STAGE_2
from workbench.portfolio.params import PortfolioRiskParams
from workbench.portfolio.satellite import SatelliteModel, SatelliteParams
from workbench.portfolio.staging import assign_stages
from workbench.portfolio.term_structure import TermStructureParams, estimate_migration_matrix, pd_term_structure
from workbench.reference import metrics

from .conftest import (
    AS_OF,
    INDUSTRIES,
    SCENARIOS,
    STAGES,
    annual_matrix,
    make_book,
    make_shifts,
    rising_shifts,
    zero_shifts,
)

WEIGHTS = {"baseline": 0.5, "adverse": 0.3, "severe": 0.2}  # ScenarioParams' defaults


def _by_id(result: Ifrs9Result) -> pd.DataFrame:
    return result.facilities.set_index("facility_id")


def test_stages_follow_the_book():
    result = ifrs9_ecl(make_book(), annual_matrix(), zero_shifts(), PortfolioRiskParams(), AS_OF)
    assert _by_id(result)["stage"].to_dict() == STAGES
    assert result.stages.set_index("facility_id")["stage"].to_dict() == STAGES
    assert _by_id(result).loc["F2", "trigger"] == "PD 6.0x its origination level"
    assert _by_id(result).loc["F6", "trigger"] == "on the watchlist"


def test_zero_shifts_give_every_scenario_the_baseline_ecl():
    book = make_book()
    result = ifrs9_ecl(book, annual_matrix(), zero_shifts(), PortfolioRiskParams(), AS_OF)
    f = _by_id(result)
    assert list(result.scenarios["scenario"]) == list(SCENARIOS)
    assert result.scenarios["weight"].tolist() == [WEIGHTS[s] for s in SCENARIOS]
    np.testing.assert_allclose(result.scenarios["ecl"], result.scenarios["ecl"].iloc[0], rtol=1e-14)
    for s in SCENARIOS:
        np.testing.assert_allclose(f[f"ecl_{s}"], f["ecl_baseline"], rtol=1e-14)
    np.testing.assert_allclose(f["ecl"], f["ecl_baseline"], rtol=1e-12)
    # The same as the ECL from the through-the-cycle term structure without any shift.
    profile = ead_profile(book, AS_OF, max_years=30)
    grade = np.where(book["defaulted"], 1, book["grade"])
    marginal = pd_term_structure(book["pd"].to_numpy(), grade, annual_matrix(), profile.shape[1])
    direct = facility_ecl(book, assign_stages(book), marginal, profile,
                          year_fraction=live_year_fraction(book, AS_OF, 30)).set_index("facility_id")
    np.testing.assert_allclose(f["ecl"], direct.loc[f.index, "ecl"], rtol=1e-12)


def test_weighted_ecl_is_the_weight_times_scenario_ecl_sum():
    result = ifrs9_ecl(make_book(), annual_matrix(), rising_shifts(), PortfolioRiskParams(), AS_OF)
    f = _by_id(result)
    expected = sum(WEIGHTS[s] * f[f"ecl_{s}"] for s in SCENARIOS)
    np.testing.assert_allclose(f["ecl"], expected, rtol=1e-12)
    per_scenario = result.scenarios.set_index("scenario")["ecl"]
    for s in SCENARIOS:
        assert per_scenario[s] == pytest.approx(f[f"ecl_{s}"].sum(), rel=1e-12)
    assert f["ecl"].sum() == pytest.approx(sum(WEIGHTS[s] * per_scenario[s] for s in SCENARIOS), rel=1e-12)
    np.testing.assert_allclose(f["coverage"], f["ecl"] / f["ead"], rtol=1e-12)


def test_a_positive_shift_raises_the_ecl_of_performing_facilities():
    f = _by_id(ifrs9_ecl(make_book(), annual_matrix(), rising_shifts(), PortfolioRiskParams(), AS_OF))
    performing = ~f["defaulted"]
    assert (f.loc[performing, "ecl_adverse"] > f.loc[performing, "ecl_baseline"]).all()
    assert (f.loc[performing, "ecl_severe"] > f.loc[performing, "ecl_adverse"]).all()
    assert f.loc["F5", "ecl_severe"] == f.loc["F5", "ecl_baseline"]  # in default: PD 1 whatever the scenario


def test_stage_1_takes_the_12_month_ecl_and_stage_2_the_lifetime():
    f = _by_id(ifrs9_ecl(make_book(), annual_matrix(), rising_shifts(), PortfolioRiskParams(), AS_OF))
    one, two = f["stage"] == 1, f["stage"] == 2
    np.testing.assert_allclose(f.loc[one, "ecl"], f.loc[one, "ecl_12m"], rtol=1e-12)
    np.testing.assert_allclose(f.loc[two, "ecl"], f.loc[two, "ecl_lifetime"], rtol=1e-12)
    assert (f.loc[one, "ecl_lifetime"] > 1.5 * f.loc[one, "ecl_12m"]).all()  # several years left each
    assert f.loc["F2", "ecl_lifetime"] > 2 * f.loc["F2", "ecl_12m"]
    assert f.loc["F3", "ecl_lifetime"] == pytest.approx(f.loc["F3", "ecl_12m"])  # nine months left


def test_twelve_month_ecl_by_hand():
    # F1: EAD 10, PD 0.4 %, LGD 45 %, EIR 5 %: year 1's hazard is the obligor's own PD moved by the year-1 shift,
    # ECL_12m = EAD x N(G(PD) + s_1) x LGD / (1 + EIR).
    f = _by_id(ifrs9_ecl(make_book(), annual_matrix(), rising_shifts(), PortfolioRiskParams(), AS_OF))
    assert f.loc["F1", "ecl_baseline"] == pytest.approx(10 * 0.004 * 0.45 / 1.05, rel=1e-9)
    assert f.loc["F1", "ecl_adverse"] == pytest.approx(10 * ndtr(ndtri(0.004) + 0.15) * 0.45 / 1.05, rel=1e-9)
    assert f.loc["F1", "ecl_severe"] == pytest.approx(10 * ndtr(ndtri(0.004) + 0.3) * 0.45 / 1.05, rel=1e-9)


def test_lifetime_ecl_shifts_the_scenario_years_and_reverts_after_the_horizon():
    book = make_book()
    f = _by_id(ifrs9_ecl(book, annual_matrix(), rising_shifts(), PortfolioRiskParams(), AS_OF))
    f2 = book[book["facility_id"] == "F2"]  # stage 2 revolver, three years left: EAD flat
    profile = ead_profile(f2, AS_OF)
    assert profile.shape == (1, 3)
    shifted = pd_term_structure([0.03], [7], annual_matrix(), 3, [0.3, 0.6, 0.45])[0]
    by_hand = expected_credit_loss(profile[0], shifted, 0.45, f2["eir"].iloc[0]).lifetime
    assert f.loc["F2", "ecl_severe"] == pytest.approx(by_hand, rel=1e-12)
    # F1 (stage 1, five years, annuity): its weighted lifetime ECL takes each scenario's three yearly shifts, then
    # 0 in years 4 and 5 (back to the through-the-cycle curve).
    f1 = book[book["facility_id"] == "F1"]
    profile = ead_profile(f1, AS_OF)[0]
    assert len(profile) == 5

    def lifetime(shift):
        return expected_credit_loss(profile, pd_term_structure([0.004], [4], annual_matrix(), 5, shift)[0], 0.45,
                                    0.05).lifetime

    by_hand = (0.5 * lifetime(None) + 0.3 * lifetime([0.15, 0.3, 0.2, 0.0, 0.0])
               + 0.2 * lifetime([0.3, 0.6, 0.45, 0.0, 0.0]))
    assert f.loc["F1", "ecl_lifetime"] == pytest.approx(by_hand, rel=1e-12)
    kept_on = (0.5 * lifetime(None) + 0.3 * lifetime([0.15, 0.3, 0.2, 0.2, 0.2])
               + 0.2 * lifetime([0.3, 0.6, 0.45, 0.45, 0.45]))  # the last shift carried on: not what IFRS 9 wants
    assert f.loc["F1", "ecl_lifetime"] < kept_on * (1 - 1e-6)


def test_stage_3_ecl_is_ead_times_lgd():
    f = _by_id(ifrs9_ecl(make_book(), annual_matrix(), rising_shifts(), PortfolioRiskParams(), AS_OF))
    for column in ("ecl", "ecl_12m", "ecl_lifetime", *(f"ecl_{s}" for s in SCENARIOS)):
        assert f.loc["F5", column] == pytest.approx(6.0 * 0.45, rel=1e-12)
    assert f.loc["F5", "stage"] == 3 and f.loc["F5", "coverage"] == pytest.approx(0.45)


def test_shift_matrix_puts_each_industrys_yearly_shift_and_zero_beyond_the_horizon():
    shifts = make_shifts({"baseline": 0.0, "severe": {"retail": [0.1, 0.2, 0.3], "utilities": [0.4, 0.5, 0.6],
                                                      "construction": [0.7, 0.8, 0.9]}})
    out = shift_matrix(pd.Series(["retail", "utilities", "retail"]), shifts, "severe", 5)
    np.testing.assert_array_equal(out, [[0.1, 0.2, 0.3, 0, 0], [0.4, 0.5, 0.6, 0, 0], [0.1, 0.2, 0.3, 0, 0]])
    np.testing.assert_array_equal(shift_matrix(["construction"], shifts, "severe", 2), [[0.7, 0.8]])
    np.testing.assert_array_equal(shift_matrix(["construction"], shifts, "baseline", 4), np.zeros((1, 4)))


def test_shift_matrix_rejects_an_unknown_industry_or_scenario():
    shifts = make_shifts({"baseline": 0.0}, industries=("retail",))
    with pytest.raises(KeyError, match="utilities"):
        shift_matrix(["retail", "utilities"], shifts, "baseline", 3)
    with pytest.raises(KeyError, match="severe"):
        shift_matrix(["retail"], shifts, "severe", 3)
    with pytest.raises(KeyError, match="construction"):  # the book has an industry the shifts lack
        ifrs9_ecl(make_book(), annual_matrix(), make_shifts({s: 0.0 for s in SCENARIOS}, industries=("retail",
                                                                                               "utilities")),
                  PortfolioRiskParams(), AS_OF)


def test_movement_of_a_book_to_itself_reconciles_with_zero_movements():
    book = make_book()
    closing = ifrs9_ecl(book, annual_matrix(), rising_shifts(), PortfolioRiskParams(), AS_OF)
    movement = ifrs9_movement(book, closing, annual_matrix(), rising_shifts(), PortfolioRiskParams(), AS_OF)
    assert movement.opening == pytest.approx(closing.facilities["ecl"].sum(), rel=1e-12)
    assert movement.closing == pytest.approx(movement.opening, rel=1e-12)
    np.testing.assert_allclose(movement.movements["ecl"], 0.0, atol=1e-12)
    assert movement.movements.loc[REMEASUREMENT, "facilities"] == len(book)
    assert movement.residual == pytest.approx(0.0, abs=1e-12)


def test_movement_from_an_earlier_book_sorts_new_repaid_and_transferred_facilities():
    now = make_book()
    before = now[now["facility_id"] != "F4"].copy()  # F4 is new
    extra = before[before["facility_id"] == "F7"].assign(facility_id="F8")  # F8 was repaid since
    before = pd.concat([before, extra], ignore_index=True)
    before.loc[before["facility_id"] == "F1", "watchlist"] = True  # F1 was in stage 2, now back in 1
    before.loc[before["facility_id"] == "F7", "pd"] = 0.2  # F7 was in stage 2 (5x), now in 1
    before.loc[before["facility_id"] == "F6", "watchlist"] = False  # F6 moved to stage 2
    closing = ifrs9_ecl(now, annual_matrix(), rising_shifts(), PortfolioRiskParams(), AS_OF)
    movement = ifrs9_movement(before, closing, annual_matrix(), rising_shifts(), PortfolioRiskParams(),
                              AS_OF - pd.DateOffset(days=1))
    counts = movement.movements["facilities"]
    assert counts[NEW] == 1 and counts[DERECOGNISED] == 1 and counts[TO_STAGE_1] == 2 and counts[TO_STAGE_2] == 1
    by_facility = movement.facilities.set_index("facility_id")["category"]
    assert by_facility["F4"] == NEW and by_facility["F8"] == DERECOGNISED and by_facility["F6"] == TO_STAGE_2
    assert movement.movements.loc[NEW, "ecl"] == pytest.approx(_by_id(closing).loc["F4", "ecl"])
    assert movement.residual == pytest.approx(0.0, abs=1e-12)
    assert list(movement.movements.index) == list(CATEGORIES)


def test_metrics_are_the_portfolio_keys_consistent_with_the_frames():
    result = ifrs9_ecl(make_book(), annual_matrix(), rising_shifts(), PortfolioRiskParams(), AS_OF)
    m = result.metrics()
    assert set(m) == {metrics.PORTFOLIO_ECL, metrics.PORTFOLIO_ECL_STAGE_1, metrics.PORTFOLIO_ECL_STAGE_2,
                      metrics.PORTFOLIO_ECL_STAGE_3, metrics.PORTFOLIO_ECL_COVERAGE,
                      metrics.PORTFOLIO_STAGE_2_EAD_SHARE, metrics.PORTFOLIO_STAGE_3_EAD_SHARE,
                      metrics.PORTFOLIO_ECL_SEVERE}
    f = result.facilities
    ead = f["ead"].sum()
    assert m[metrics.PORTFOLIO_ECL] == pytest.approx(f["ecl"].sum())
    for stage, key in ((1, metrics.PORTFOLIO_ECL_STAGE_1), (2, metrics.PORTFOLIO_ECL_STAGE_2),
                       (3, metrics.PORTFOLIO_ECL_STAGE_3)):
        assert m[key] == pytest.approx(f.loc[f["stage"] == stage, "ecl"].sum())
    assert m[metrics.PORTFOLIO_ECL_STAGE_1] + m[metrics.PORTFOLIO_ECL_STAGE_2] + m[metrics.PORTFOLIO_ECL_STAGE_3] \
        == pytest.approx(m[metrics.PORTFOLIO_ECL])
    assert m[metrics.PORTFOLIO_ECL_COVERAGE] == pytest.approx(f["ecl"].sum() / ead)
    assert m[metrics.PORTFOLIO_STAGE_2_EAD_SHARE] == pytest.approx((16.25 + 1.6 + 9.0) / ead)
    assert m[metrics.PORTFOLIO_STAGE_3_EAD_SHARE] == pytest.approx(6.0 / ead)
    assert m[metrics.PORTFOLIO_ECL_SEVERE] == pytest.approx(f["ecl_severe"].sum())
    assert m[metrics.PORTFOLIO_ECL_SEVERE] > m[metrics.PORTFOLIO_ECL]
    assert all(isinstance(v, float) for v in m.values())


def test_tables_and_plot():
    result = ifrs9_ecl(make_book(), annual_matrix(), rising_shifts(), PortfolioRiskParams(), AS_OF)
    scenarios = result.scenario_table()
    assert list(scenarios.index) == [*SCENARIOS, "probability-weighted"]
    assert scenarios.loc["probability-weighted", "ECL (EUR m)"] == fmt.number(result.facilities["ecl"].sum())
    largest = result.largest(2)
    assert list(largest.index) == ["F5", "F2"]  # 2.7 in default, then the stage 2 revolver
    assert list(result.largest(5, stage=1).index) == ["F7", "F4", "F1"]
    stage_table = result.stage_table()
    assert "stage 3" in stage_table.index and "  in default" in stage_table.index
    by_tier = result.summary("tier")
    assert by_tier.loc["workout", "ecl_stage_3"] == pytest.approx(2.7) and by_tier.loc["workout", "ecl_stage_1"] == 0
    assert by_tier.loc["total", "ecl"] == pytest.approx(result.facilities["ecl"].sum())
    assert len(result.ecl_table()) == 4 and "workout" in result.ecl_table("tier").index
    assert isinstance(result.plot(), Figure) and isinstance(result.plot("tier"), Figure)


def test_a_migration_matrix_estimated_from_a_tiny_history_gives_the_ecl_of_its_annualannual_matrix():
    months = pd.date_range("2019-01-31", "2023-12-31", freq="ME")
    rows = []
    for i, obligor in enumerate(["A", "B", "C", "D"]):
        for k, d in enumerate(months):
            rows.append((obligor, d, min(10, 3 + i + k // 24)))  # drifting down a grade every two years
    grades = pd.DataFrame(rows, columns=["obligor_id", "obs_date", "grade"])
    defaults = pd.DataFrame({"obligor_id": ["E"], "default_date": [pd.Timestamp("2020-05-01")]})
    migration = estimate_migration_matrix(grades, defaults, params=TermStructureParams(min_observations=1))
    params = PortfolioRiskParams()
    from_object = ifrs9_ecl(make_book(), migration, rising_shifts(), params, AS_OF)
    from_array = ifrs9_ecl(make_book(), migration.annual(), rising_shifts(), params, AS_OF)
    np.testing.assert_allclose(from_object.facilities["ecl"], from_array.facilities["ecl"], rtol=1e-12)
    assert from_object.facilities["ecl"].sum() > 0


# --------------------------------------------------------------------------- scenario shifts


def _macro() -> pd.DataFrame:
    months = pd.date_range("2021-01-31", "2024-06-30", freq="ME")
    macro = pd.DataFrame({"month_end": months, "gdp_growth": 1.0, "policy_rate": 2.0})
    for k in INDUSTRIES:
        macro[f"idx_{k}"] = 100.0 * 1.002 ** np.arange(len(months))
    return macro


def _satellite(slope: float = -0.12, intercept: float = -2.0) -> SatelliteModel:
    names = ["intercept", "gdp_growth"]
    coefficients = pd.DataFrame({"coefficient": [intercept, slope], "std_error": [0.1, 0.02], "z": [-20.0, -6.0],
                                 "p_value": [0.0, 0.0]}, index=pd.Index(names, name="term"))
    return SatelliteModel(params=SatelliteParams(regressors=["gdp_growth"], industry_effects=False),
                          coefficients=coefficients, covariance=pd.DataFrame(np.eye(2), index=names, columns=names),
                          panel=pd.DataFrame(), industries=INDUSTRIES)


def test_scenario_shifts_are_the_gdp_slope_times_the_gap_to_the_weighted_path():
    params = PortfolioRiskParams()
    shifts = scenario_shifts(_satellite(), params.scenarios, _macro(), make_book(), AS_OF)
    assert set(shifts["industry"]) == set(INDUSTRIES) and set(shifts["year"]) == {1, 2, 3}
    gdp = {s.name: s.gdp_growth for s in params.scenarios.scenarios}
    weights = params.scenarios.weights()
    mean = [sum(weights[n] * gdp[n][y] for n in gdp) for y in range(3)]
    for row in shifts.itertuples():
        expected = -0.12 * (gdp[row.scenario][row.year - 1] - mean[row.year - 1])
        assert row.shift == pytest.approx(expected, abs=1e-12)
    severe = shifts[(shifts["scenario"] == "severe") & (shifts["year"] == 1)]["shift"]
    # GDP -3.0 % against the weighted -1.34 % (0.5 x -0.4 + 0.3 x -1.8 + 0.2 x -3.0).
    assert severe.iloc[0] == pytest.approx(-0.12 * (-3.0 + 1.34))
    # They feed ifrs9_ecl directly.
    result = ifrs9_ecl(make_book(), annual_matrix(), shifts, params, AS_OF)
    per_scenario = result.scenarios.set_index("scenario")["ecl"]
    assert per_scenario["baseline"] < per_scenario["adverse"] < per_scenario["severe"]


def test_scenario_default_rates_table_shows_the_fitted_rate_now_and_per_year():
    params = PortfolioRiskParams()
    table = scenario_default_rates_table(_satellite(), params.scenarios, _macro(), make_book(), AS_OF)
    assert list(table.index) == list(SCENARIOS) and list(table.columns) == ["as-of", "year 1", "year 2", "year 3"]

    def shown(v):
        return fmt.pd_percent(v).replace(" ", fmt.NBSP)

    # No industry effects, so the EAD weighting leaves the rate N(-2 - 0.12 GDP).
    assert table.loc["baseline", "as-of"] == shown(ndtr(-2.0 - 0.12 * 1.0))
    assert table.loc["baseline", "year 1"] == shown(ndtr(-2.0 - 0.12 * -0.4))
    assert table.loc["severe", "year 1"] == shown(ndtr(-2.0 - 0.12 * -3.0))

