"""Migration matrix by the cohort method on grade histories with known counts, cumulative PDs from
matrix powers, and the obligor-level marginal PD term structure (scaling, macro shift, partial years)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtr, ndtri

from workbench.portfolio.term_structure import (
    MigrationMatrix,
    TermStructureParams,
    estimate_migration_matrix,
    grade_hazards,
    live_marginal_pd,
    pd_term_structure,
    plot_pd_term_structure,
    survival_from_marginal,
)
from workbench.reference.master_scale import MASTER_SCALE, MasterScale

MONTHS = pd.date_range("2020-01-31", "2021-12-31", freq="ME")  # 24 month ends
SCALE3 = MasterScale(n_grades=3)


def history(rows: dict[str, list[int | None]]) -> pd.DataFrame:
    """obligor -> grade per month of MONTHS (None: not scored that month)."""
    out = [(ob, d, g) for ob, grades in rows.items() for d, g in zip(MONTHS, grades) if g is not None]
    return pd.DataFrame(out, columns=["obligor_id", "obs_date", "grade"])


@pytest.fixture
def hand_made():
    grades = history({
        "A": [1] * 24,                          # 12 cohorts 1 -> 1
        "B": [2] * 6 + [3] * 18,                # Jan-Jun 2020: 2 -> 3 (6); Jul-Dec 2020: 3 -> 3 (6)
        "C": [3] * 15 + [None] * 9,             # defaults 15 Apr 2021: Jan-Mar 2020 3 -> 3, Apr-Dec 2020 3 -> D
        "D": [2] * 6 + [None] * 18,             # withdrawn after Jun 2020: 6 observations left out
    })
    defaults = pd.DataFrame({"obligor_id": ["C"], "default_date": [pd.Timestamp("2021-04-15")]})
    return grades, defaults


def test_cohort_counts_on_a_hand_made_history(hand_made):
    grades, defaults = hand_made
    mm = estimate_migration_matrix(grades, defaults, params=TermStructureParams(min_observations=1), scale=SCALE3)
    expected = np.array([[12, 0, 0, 0],
                         [0, 0, 6, 0],
                         [0, 0, 9, 9],
                         [0, 0, 0, 0]])
    np.testing.assert_array_equal(mm.counts.to_numpy(), expected)
    np.testing.assert_allclose(mm.matrix.to_numpy(), [[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0.5, 0.5], [0, 0, 0, 1]])
    assert mm.withdrawn == 6
    assert mm.cohorts == 12  # Jan-Dec 2020 matured by the last month end, Dec 2021
    assert mm.labels == ["1", "2", "3", "D"]
    assert mm.observations.tolist() == [12, 6, 18, 0]


def test_only_matured_cohorts_count(hand_made):
    grades, defaults = hand_made
    mm = estimate_migration_matrix(grades, defaults, data_end="2021-06-30",
                                   params=TermStructureParams(min_observations=1), scale=SCALE3)
    # Cohorts Jan-Jun 2020 only: A 6 x (1 -> 1), B 6 x (2 -> 3), C Jan-Mar 3 -> 3, Apr-Jun 3 -> D.
    np.testing.assert_array_equal(mm.counts.to_numpy()[:3], [[6, 0, 0, 0], [0, 0, 6, 0], [0, 0, 3, 3]])
    assert mm.cohorts == 6


def test_thin_grade_rows_fall_back_to_the_master_scale(hand_made):
    grades, defaults = hand_made
    mm = estimate_migration_matrix(grades, defaults, params=TermStructureParams(min_observations=10), scale=SCALE3)
    assert mm.fallback == ("2",)  # 6 observations < 10
    grade_pd = SCALE3.bands()["grade_pd"].iloc[1]
    np.testing.assert_allclose(mm.matrix.loc["2"].to_numpy(), [0, 1 - grade_pd, 0, grade_pd])
    assert "master scale" in mm.table().index[1]


def test_default_before_the_cohort_date_or_after_the_horizon_is_not_counted():
    grades = history({"E": [2] * 24})
    defaults = pd.DataFrame({"obligor_id": ["E", "E"],
                             "default_date": [pd.Timestamp("2019-05-01"), pd.Timestamp("2022-03-01")]})
    mm = estimate_migration_matrix(grades, defaults, params=TermStructureParams(min_observations=1), scale=SCALE3)
    assert mm.counts.loc["2", "2"] == 12 and mm.counts["D"].sum() == 0


def test_rows_sum_to_one_default_absorbing_and_the_estimate_recovers_a_known_chain():
    # Simulate a monthly Markov chain on the 10-grade scale; the cohort estimate of the 12-month matrix
    # must be close to the true M^12 (many overlapping cohorts of 3,000 obligors over 6 years).
    rng = np.random.default_rng(7)
    k = MASTER_SCALE.n_grades
    monthly = np.zeros((k + 1, k + 1))
    pd_month = 1 - (1 - MASTER_SCALE.bands()["grade_pd"].to_numpy()[:k]) ** (1 / 12)
    for g in range(k):
        monthly[g, max(g - 1, 0)] += 0.01
        monthly[g, min(g + 1, k - 1)] += 0.015
        monthly[g, k] = pd_month[g]
        monthly[g, g] += 1 - monthly[g].sum()
    monthly[k, k] = 1
    n, t = 3000, 72
    state = np.empty((n, t), dtype=int)
    state[:, 0] = rng.integers(0, k, n)
    cdf = np.cumsum(monthly, axis=1)
    for j in range(1, t):
        u = rng.random(n)
        state[:, j] = (u[:, None] > cdf[state[:, j - 1]]).sum(axis=1)
    dates = pd.date_range("2015-01-31", periods=t, freq="ME")
    ob, month = np.nonzero(state < k)
    grades = pd.DataFrame({"obligor_id": ob.astype(str), "obs_date": dates[month], "grade": state[ob, month] + 1})
    first_d = np.where((state == k).any(axis=1), np.argmax(state == k, axis=1), -1)
    who = np.flatnonzero(first_d >= 0)
    # The default happens within the month it is first seen in D (before that month end).
    defaults = pd.DataFrame({"obligor_id": who.astype(str), "default_date": dates[first_d[who]] - pd.Timedelta(days=3)})
    mm = estimate_migration_matrix(grades, defaults)
    p = mm.matrix.to_numpy()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(p[k], np.r_[np.zeros(k), 1.0])
    truth = np.linalg.matrix_power(monthly, 12)
    assert mm.fallback == ()
    # Overlapping monthly cohorts of ~300 obligors per grade: a standard error of about 0.01 on the diagonal.
    assert np.abs(p - truth).max() < 0.05
    assert np.abs(p - truth).mean() < 0.004
    np.testing.assert_allclose(mm.default_rates().to_numpy(), truth[:k, k], atol=0.01, rtol=0.25)


def test_cumulative_pd_is_the_default_column_of_matrix_powers():
    p = np.array([[0.90, 0.08, 0.02],
                  [0.10, 0.80, 0.10],
                  [0.00, 0.00, 1.00]])
    mm = MigrationMatrix(matrix=pd.DataFrame(p, index=["1", "2", "D"], columns=["1", "2", "D"]),
                         counts=pd.DataFrame(np.zeros((3, 3), int), index=["1", "2", "D"], columns=["1", "2", "D"]),
                         horizon_months=12, data_end=pd.Timestamp("2021-12-31"), cohorts=1, withdrawn=0)
    c = mm.cumulative_pd(2)
    # By hand: C_1(2) = 0.9 x 0.02 + 0.08 x 0.10 + 0.02 x 1 = 0.046; C_2(2) = 0.1 x 0.02 + 0.8 x 0.1 + 0.1 = 0.182.
    np.testing.assert_allclose(c.to_numpy(), [[0.02, 0.046], [0.10, 0.182]])
    assert list(c.columns) == [1, 2]
    assert mm.table().shape == (3, 4)


def test_six_month_matrix_is_squared_to_a_year():
    half = np.array([[0.95, 0.05], [0.0, 1.0]])
    mm = MigrationMatrix(matrix=pd.DataFrame(half, index=["1", "D"], columns=["1", "D"]),
                         counts=pd.DataFrame(np.zeros((2, 2), int), index=["1", "D"], columns=["1", "D"]),
                         horizon_months=6, data_end=pd.Timestamp("2021-12-31"), cohorts=1, withdrawn=0)
    assert mm.cumulative_pd(1).iloc[0, 0] == pytest.approx(1 - 0.95 ** 2)


FLAT = np.array([[0.95, 0.05], [0.0, 1.0]])  # one grade, 5 % a year, absorbing default


def test_constant_hazard_gives_the_textbook_marginal_pds():
    # quant.stackexchange.com/questions/45858 ("PD for ECL modelling"): PD 5 % every year gives marginal PDs
    # 5 %, 4.75 %, 4.51 % and cumulative 5 %, 9.75 %, 14.26 %.
    m = pd_term_structure([0.05], [1], FLAT, 3)
    np.testing.assert_allclose(m[0], [0.05, 0.0475, 0.045125])
    assert np.cumsum(m[0])[-1] == pytest.approx(0.142625)


@pytest.mark.parametrize("scaling", ["probit", "ratio"])
def test_year_one_is_the_obligors_own_pd(scaling):
    p = np.array([[0.90, 0.08, 0.02], [0.10, 0.80, 0.10], [0.0, 0.0, 1.0]])
    pd_12m = np.array([0.004, 0.02, 0.035, 0.15])
    m = pd_term_structure(pd_12m, [1, 1, 2, 2], p, 5, params=TermStructureParams(scaling=scaling))
    np.testing.assert_allclose(m[:, 0], pd_12m, rtol=1e-12)
    assert np.all(m.sum(axis=1) < 1)


def test_an_obligor_at_its_grades_pd_follows_the_grade_curve():
    p = np.array([[0.90, 0.08, 0.02], [0.10, 0.80, 0.10], [0.0, 0.0, 1.0]])
    c = np.array([np.linalg.matrix_power(p, t)[0, 2] for t in range(1, 6)])
    for scaling in ("probit", "ratio"):
        m = pd_term_structure([c[0]], [1], p, 5, params=TermStructureParams(scaling=scaling))
        np.testing.assert_allclose(m[0], np.diff(np.r_[0.0, c]), rtol=1e-10)


def test_probit_scaling_shifts_the_index_ratio_scaling_multiplies_the_hazard():
    p = np.array([[0.90, 0.08, 0.02], [0.10, 0.80, 0.10], [0.0, 0.0, 1.0]])
    h = grade_hazards(p, 6)[0]
    for scaling in ("probit", "ratio"):
        m = pd_term_structure([0.05], [1], p, 6, params=TermStructureParams(scaling=scaling))
        hazard = m[0] / survival_from_marginal(m)[0]
        if scaling == "probit":
            np.testing.assert_allclose(ndtri(hazard) - ndtri(h), ndtri(0.05) - ndtri(h[0]), rtol=1e-9)
        else:
            np.testing.assert_allclose(hazard, h * 0.05 / h[0], rtol=1e-9)


def test_ratio_scaling_caps_the_hazard_at_one():
    p = np.array([[0.90, 0.05, 0.05], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])
    m = pd_term_structure([0.9], [1], p, 4, params=TermStructureParams(scaling="ratio"))
    assert m[0].sum() == pytest.approx(1.0)  # hazard capped at 1 in some year: default is certain by then
    assert np.all(m[0] >= 0)


def test_macro_shift_moves_each_years_probit_index():
    base = pd_term_structure([0.02, 0.02], [1, 1], FLAT, 3)
    shift = np.array([0.3, 0.1, 0.0])
    moved = pd_term_structure([0.02, 0.02], [1, 1], FLAT, 3, shift=shift)
    # Year 1: N(G(2 %) + 0.3); year 2: survival x N(G(h_2) + 0.1), h_2 = 2 % (flat curve moved to 2 %).
    h1, h2 = ndtr(ndtri(0.02) + 0.3), ndtr(ndtri(0.02) + 0.1)
    np.testing.assert_allclose(moved[0, :2], [h1, (1 - h1) * h2], rtol=1e-12)
    assert np.all(moved[:, :2] > base[:, :2])
    per_obligor = pd_term_structure([0.02, 0.02], [1, 1], FLAT, 3, shift=np.array([[0, 0, 0], shift]))
    np.testing.assert_allclose(per_obligor[0], base[0])
    np.testing.assert_allclose(per_obligor[1], moved[1])
    with pytest.raises(ValueError, match="shift"):
        pd_term_structure([0.02], [1], FLAT, 3, shift=np.zeros(4))


def test_defaulted_obligors_default_in_year_one_whatever_their_grade():
    m = pd_term_structure([1.0, 0.03], [0, 1], FLAT, 4, shift=np.full(4, 0.5))
    np.testing.assert_array_equal(m[0], [1.0, 0.0, 0.0, 0.0])


def test_hazard_floor_applies_to_grades_without_one_year_defaults():
    p = np.array([[0.9, 0.1, 0.0], [0.0, 0.8, 0.2], [0.0, 0.0, 1.0]])
    h = grade_hazards(p, 3, hazard_floor=0.0003)
    assert h[0, 0] == pytest.approx(0.0003)
    assert h[0, 1] == pytest.approx(0.1 * 0.2 / 1.0)  # C(2) = 0.1 x 0.2, nothing defaulted in year 1


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match="grade"):
        pd_term_structure([0.02], [3], FLAT, 2)
    with pytest.raises(ValueError, match="pd_12m"):
        pd_term_structure([1.2], [1], FLAT, 2)
    with pytest.raises(ValueError, match="absorbing"):
        pd_term_structure([0.02], [1], np.array([[0.9, 0.1], [0.1, 0.9]]), 2)
    with pytest.raises(ValueError, match="sum"):
        pd_term_structure([0.02], [1], np.array([[0.9, 0.2], [0.0, 1.0]]), 2)
    with pytest.raises(ValueError, match="horizon_months"):
        TermStructureParams(horizon_months=5)
    with pytest.raises(KeyError, match="default_date"):
        estimate_migration_matrix(history({"A": [1] * 24}), pd.DataFrame({"obligor_id": []}))
    with pytest.raises(ValueError, match="grade"):
        estimate_migration_matrix(history({"A": [11] * 24}), pd.DataFrame({"obligor_id": [], "default_date": []}))


def test_live_marginal_pd_cuts_partial_years():
    m = pd_term_structure([0.04], [1], FLAT, 3)
    f = np.array([[1.0, 0.5, 0.0]])
    cut = live_marginal_pd(m, f)
    assert cut[0, 0] == m[0, 0] and cut[0, 2] == 0.0
    # Survive year 1 (96 %), then a constant 4 % hazard over half a year: 1 - 0.96^0.5.
    assert cut[0, 1] == pytest.approx(0.96 * (1 - 0.96 ** 0.5))
    np.testing.assert_allclose(live_marginal_pd(m, np.ones_like(m)), m)
    certain = live_marginal_pd(np.array([[1.0, 0.0]]), np.array([[0.25, 0.0]]))
    np.testing.assert_array_equal(certain, [[1.0, 0.0]])


def test_plots_are_figures(hand_made):
    grades, defaults = hand_made
    mm = estimate_migration_matrix(grades, defaults, params=TermStructureParams(min_observations=1), scale=SCALE3)
    for fig in (mm.plot_heatmap(), mm.plot_term_structure(5), plot_pd_term_structure(pd_term_structure(
            [0.01, 0.05], [1, 3], mm, 5), ["a", "b"])):
        assert isinstance(fig, matplotlib.figure.Figure)
