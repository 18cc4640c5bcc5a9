"""Expected credit loss against a published worked example and hand arithmetic; per facility by stage;
probability-weighted over scenarios; summaries and plots."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from workbench.portfolio.ecl import (
    ECL_FRAME_COLUMNS,
    ecl_by_stage,
    ecl_summary,
    ecl_summary_table,
    ecl_table,
    expected_credit_loss,
    facility_ecl,
    plot_ecl_by_stage,
    weighted_ecl,
)
from workbench.portfolio.exposure import ead_profile
from workbench.portfolio.term_structure import pd_term_structure
from workbench.structuring.schedules import repayment_schedule


def test_published_five_year_worked_example():
    # "ECL Calculation Overview", Example: Lifetime ECL (5-Year Loan), provision-web.pages.dev/pages/ecl-calculation:
    # EAD 100,000 / 80,000 / 60,000 / 40,000 / 20,000, marginal PD 2.00 / 1.96 / 1.92 / 1.88 / 1.85 %, LGD 45 %,
    # EIR 5 %: discount factors 0.9524 / 0.9070 / 0.8638 / 0.8227 / 0.7835, period ECL $857 / $639 / $448 / $278 /
    # $130, total $2,352 (the page shows whole dollars: its periods are rounded or cut to the dollar and its total
    # is the sum of the shown periods).
    ead = [100_000, 80_000, 60_000, 40_000, 20_000]
    marginal = [0.0200, 0.0196, 0.0192, 0.0188, 0.0185]
    result = expected_credit_loss(ead, marginal, 0.45, 0.05)
    np.testing.assert_allclose(result.discount, [0.9524, 0.9070, 0.8638, 0.8227, 0.7835], atol=5e-5)
    np.testing.assert_allclose(result.by_year, [857, 639, 448, 278, 130], atol=1.0)
    assert result.twelve_month == pytest.approx(857, abs=0.5)
    assert result.lifetime == pytest.approx(2352, abs=2.5)


def test_three_year_annuity_by_hand():
    # quant.stackexchange.com/questions/45858: a 3-year loan of 1,000,000 at 5 % with yearly annuity payments of
    # 367,208 and a flat 5 % PD (marginal 5 %, 4.75 %, 4.5125 %); with LGD 45 % and EIR 5 %:
    #   year 1: 1,000,000 x 0.05 x 0.45 / 1.05              = 21,428.57
    #   year 2:   682,791.44 x 0.0475 x 0.45 / 1.05^2        = 13,237.79   (1,000,000 x 1.05 - 367,208.56)
    #   year 3:   349,722.44 x 0.045125 x 0.45 / 1.05^3      =  6,134.59   (682,791.44 x 1.05 - 367,208.56)
    schedule = repayment_schedule("annuity", 1_000_000, 0.05, 3, 1)
    assert schedule["payment"].iloc[0] == pytest.approx(367_208.56, abs=0.01)
    marginal = pd_term_structure([0.05], [1], np.array([[0.95, 0.05], [0.0, 1.0]]), 3)[0]
    result = expected_credit_loss(schedule["opening_balance"].to_numpy(), marginal, 0.45, 0.05)
    np.testing.assert_allclose(result.by_year, [21_428.57, 13_237.79, 6_134.59], atol=0.01)
    assert result.twelve_month == pytest.approx(21_428.57, abs=0.01)
    assert result.lifetime == pytest.approx(40_800.95, abs=0.01)


def test_many_facilities_at_once_match_one_at_a_time():
    rng = np.random.default_rng(3)
    ead = rng.uniform(1, 100, (5, 4))
    marginal = rng.uniform(0, 0.05, (5, 4))
    lgd, eir = rng.uniform(0.1, 0.6, 5), rng.uniform(0.01, 0.08, 5)
    many = expected_credit_loss(ead, marginal, lgd, eir)
    assert many.lifetime.shape == (5,) and many.by_year.shape == (5, 4)
    for i in range(5):
        one = expected_credit_loss(ead[i], marginal[i], lgd[i], eir[i])
        assert isinstance(one.lifetime, float)
        assert many.lifetime[i] == pytest.approx(one.lifetime)
        assert many.twelve_month[i] == pytest.approx(one.twelve_month)
    np.testing.assert_allclose(many.twelve_month, ead[:, 0] * marginal[:, 0] * lgd / (1 + eir))


def test_lgd_by_year_and_a_scalar_ead_broadcast():
    result = expected_credit_loss(10.0, [0.1, 0.1], [0.5, 0.2], 0.0)
    np.testing.assert_allclose(result.by_year, [0.5, 0.2])
    assert result.lifetime == pytest.approx(0.7)


def test_bad_inputs_are_rejected_by_name():
    with pytest.raises(ValueError, match="unconditional"):
        expected_credit_loss([1, 1], [0.7, 0.6], 0.45, 0.05)
    with pytest.raises(ValueError, match="ead"):
        expected_credit_loss([-1, 1], [0.1, 0.1], 0.45, 0.05)
    with pytest.raises(ValueError, match="lgd"):
        expected_credit_loss(np.ones((3, 2)), np.full((3, 2), 0.1), np.full(4, 0.45), 0.05)
    with pytest.raises(ValueError, match="eir"):
        expected_credit_loss(np.ones((3, 2)), np.full((3, 2), 0.1), 0.45, np.full((3, 2), 0.05))
    with pytest.raises(ValueError, match="axis of years"):
        expected_credit_loss(1.0, 0.1, 0.45, 0.05)


AS_OF = pd.Timestamp("2024-12-31")


@pytest.fixture
def book():
    frame = pd.DataFrame({
        "facility_id": ["S1", "S2", "S3", "S1b"], "obligor_id": ["a", "b", "c", "d"], "tier": ["A", "B", "C", "A"],
        "industry": ["x", "x", "y", "y"], "product": ["term_loan"] * 4, "repayment_type": ["bullet"] * 4,
        "limit": [100.0, 100.0, 50.0, 40.0], "drawn": [100.0, 100.0, 50.0, 40.0],
        "maturity_date": [AS_OF + pd.DateOffset(years=3)] * 3 + [AS_OF + pd.DateOffset(months=6)],
        "eir": [0.05, 0.05, 0.04, 0.05], "lgd": [0.45, 0.45, 0.40, 0.45]})
    stages = pd.DataFrame({"facility_id": ["S1", "S2", "S3", "S1b"], "stage": [1, 2, 3, 1],
                           "trigger": ["", "on the watchlist", "in default", ""]})
    marginal = np.array([[0.02, 0.0196, 0.019208]] * 2 + [[1.0, 0.0, 0.0], [0.02, 0.0196, 0.019208]])
    return frame, stages, marginal


def test_stage_one_takes_twelve_months_stage_two_lifetime_stage_three_ead_times_lgd(book):
    frame, stages, marginal = book
    profile = ead_profile(frame, AS_OF)
    out = facility_ecl(frame, stages, marginal, profile)
    assert set(ECL_FRAME_COLUMNS) <= set(out.columns)
    twelve = 100 * 0.02 * 0.45 / 1.05
    lifetime = twelve + 100 * 0.0196 * 0.45 / 1.05 ** 2 + 100 * 0.019208 * 0.45 / 1.05 ** 3
    assert out.loc[0, "ecl"] == pytest.approx(twelve) and out.loc[0, "ecl_lifetime"] == pytest.approx(lifetime)
    assert out.loc[1, "ecl"] == pytest.approx(lifetime)
    assert out.loc[2, "ecl"] == pytest.approx(50 * 0.40)  # PD 1, undiscounted (the LGD is an economic loss)
    assert out.loc[2, "ecl_12m"] == out.loc[2, "ecl_lifetime"] == out.loc[2, "ecl"]
    assert out.loc[1, "coverage"] == pytest.approx(lifetime / 100)
    assert out["trigger"].tolist() == stages["trigger"].tolist()
    assert out["tier"].tolist() == ["A", "B", "C", "A"]
    discounted = facility_ecl(frame, stages, marginal, profile, discount_stage3=True)
    assert discounted.loc[2, "ecl"] == pytest.approx(50 * 0.40 / 1.04)


def test_partial_first_year_cuts_the_twelve_month_ecl(book):
    frame, stages, marginal = book
    from workbench.portfolio.exposure import live_year_fraction

    profile = ead_profile(frame, AS_OF)
    full = facility_ecl(frame, stages, marginal, profile)
    cut = facility_ecl(frame, stages, marginal, profile, year_fraction=live_year_fraction(frame, AS_OF))
    # S1b matures after 181 of 365 days: PD of the live part 1 - 0.98^(181/365) at a constant hazard.
    stub = 1 - 0.98 ** (181 / 365)
    assert cut.loc[3, "ecl_12m"] == pytest.approx(40 * stub * 0.45 / 1.05)
    assert cut.loc[3, "ecl_12m"] < full.loc[3, "ecl_12m"]
    assert cut.loc[0, "ecl"] == pytest.approx(full.loc[0, "ecl"])  # three whole years: unchanged


def test_facility_ecl_checks_its_inputs(book):
    frame, stages, marginal = book
    profile = ead_profile(frame, AS_OF)
    with pytest.raises(KeyError, match="S3"):
        facility_ecl(frame, stages[stages["facility_id"] != "S3"], marginal, profile)
    with pytest.raises(ValueError, match="marginal_pd"):
        facility_ecl(frame, stages, marginal[:, :2], profile)
    with pytest.raises(ValueError, match="stage must be"):
        facility_ecl(frame, stages.assign(stage=[1, 2, 4, 1]), marginal, profile)
    longer = np.hstack([marginal, np.zeros((4, 2))])  # a longer PD curve is cut to the profile
    pd.testing.assert_frame_equal(facility_ecl(frame, stages, longer, profile),
                                  facility_ecl(frame, stages, marginal, profile))


def _scenario(frame: pd.DataFrame, factor: float, stage=None) -> pd.DataFrame:
    out = frame.copy()
    for c in ("ecl_12m", "ecl_lifetime", "ecl"):
        out[c] = out[c] * factor
    if stage is not None:
        out["stage"] = stage
    return out


def test_weighted_ecl_is_the_probability_weighted_sum(book):
    frame, stages, marginal = book
    base = facility_ecl(frame, stages, marginal, ead_profile(frame, AS_OF))
    scen = {"baseline": base, "adverse": _scenario(base, 1.5), "severe": _scenario(base, 3.0)}
    out = weighted_ecl(scen, {"baseline": 0.5, "adverse": 0.3, "severe": 0.2})
    np.testing.assert_allclose(out["ecl"], base["ecl"] * (0.5 + 0.45 + 0.6))
    np.testing.assert_allclose(out["ecl_adverse"], base["ecl"] * 1.5)
    np.testing.assert_allclose(out["coverage"], out["ecl"] / out["ead"])
    assert "stage_varies" not in out.columns
    assert out["facility_id"].tolist() == base["facility_id"].tolist()
    # Another row order in one scenario is aligned by facility_id.
    shuffled = dict(scen, severe=scen["severe"].iloc[::-1].reset_index(drop=True))
    pd.testing.assert_frame_equal(weighted_ecl(shuffled, {"baseline": 0.5, "adverse": 0.3, "severe": 0.2}), out)
    varied = weighted_ecl({"baseline": base, "severe": _scenario(base, 2.0, stage=[2, 2, 3, 1])},
                          {"baseline": 0.7, "severe": 0.3})
    assert varied["stage_varies"].tolist() == [True, False, False, False]


def test_weighted_ecl_rejects_bad_weights_and_mismatched_books(book):
    frame, stages, marginal = book
    base = facility_ecl(frame, stages, marginal, ead_profile(frame, AS_OF))
    with pytest.raises(ValueError, match="sum to 1"):
        weighted_ecl({"baseline": base, "adverse": base}, {"baseline": 0.5, "adverse": 0.4})
    with pytest.raises(KeyError, match="exactly the scenarios"):
        weighted_ecl({"baseline": base}, {"baseline": 0.5, "adverse": 0.5})
    with pytest.raises(ValueError, match="same facilities"):
        weighted_ecl({"baseline": base, "adverse": base.iloc[:2]}, {"baseline": 0.5, "adverse": 0.5})
    with pytest.raises(ValueError, match=">= 0"):
        weighted_ecl({"baseline": base, "adverse": base}, {"baseline": 1.5, "adverse": -0.5})


def test_summaries_add_up_by_stage_and_by_tier(book):
    frame, stages, marginal = book
    out = facility_ecl(frame, stages, marginal, ead_profile(frame, AS_OF))
    by_stage = ecl_by_stage(out)
    assert by_stage.loc["total", "ecl"] == pytest.approx(out["ecl"].sum())
    assert by_stage.loc[1, "facilities"] == 2 and by_stage.loc[3, "ead"] == 50.0
    assert by_stage.loc[1:3, "share_of_ecl"].sum() == pytest.approx(1.0)
    assert by_stage.loc[3, "coverage"] == pytest.approx(0.40)
    by_tier = ecl_summary(out, "tier")
    assert list(by_tier.index) == ["A", "B", "C", "total"]
    assert by_tier.loc["A", "ead_stage_1"] == 140.0 and by_tier.loc["A", "ead"] == 140.0
    assert by_tier.loc["total", "ecl"] == pytest.approx(out["ecl"].sum())
    assert by_tier.loc["total", "ecl_stage_2"] == pytest.approx(out.loc[1, "ecl"])
    assert np.isnan(by_tier.loc["A", "coverage_stage_2"])  # no stage 2 EAD in tier A
    assert ecl_summary(out) is not None and ecl_summary(out).equals(by_stage)
    assert ecl_table(out).loc["stage 3", "coverage (ECL / EAD)"] == "40.00\u00a0%"
    assert ecl_summary_table(by_tier).shape == (4, 13)


def test_plots_are_figures(book):
    frame, stages, marginal = book
    out = facility_ecl(frame, stages, marginal, ead_profile(frame, AS_OF))
    assert isinstance(plot_ecl_by_stage(out), matplotlib.figure.Figure)
    assert isinstance(plot_ecl_by_stage(out, "industry"), matplotlib.figure.Figure)
