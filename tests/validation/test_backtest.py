"""Calibration back-tests: binomial, Jeffreys, traffic lights, Hosmer-Lemeshow, per-grade table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.validation import (
    binomial_test,
    calibration_table,
    grade_backtest,
    hosmer_lemeshow,
    jeffreys_test,
    traffic_light,
)


@pytest.mark.parametrize("n, d, p", [(6, 2, 0.0367), (100, 0, 0.01), (1000, 15, 0.01), (250, 40, 0.12), (50, 50, 0.9)])
def test_binomial_test_matches_scipy_binomtest_greater(n, d, p):
    expected = stats.binomtest(d, n, p, alternative="greater").pvalue
    assert binomial_test(n, d, p) == pytest.approx(expected, rel=1e-12)


def test_binomial_test_hand_values():
    assert binomial_test(10, 0, 0.05) == pytest.approx(1.0)  # P(X >= 0) = 1
    assert binomial_test(2, 2, 0.1) == pytest.approx(0.01)  # P(X = 2) = 0.1^2
    assert binomial_test(2, 1, 0.1) == pytest.approx(1 - 0.9**2)


def test_jeffreys_reproduces_the_published_example():
    # N = 6 obligors, D = 2 defaults, grade PD 3.67 %: p-value 0.0044. Formula from ECB (2019),
    # "Instructions for reporting the validation results of internal models - IRB Pillar I models
    # for credit risk", section 2.5: p = Beta(D + 1/2, N - D + 1/2) CDF at the PD. The worked
    # number appears in Baesens, Roesch & Scheule, Deep Credit Risk training notes
    # (training.deepcreditrisk.com/JP.html). scipy gives 0.0043805 -> 0.0044.
    value = jeffreys_test(6, 2, 0.0367)
    assert round(value, 4) == 0.0044
    assert value == pytest.approx(stats.beta.cdf(0.0367, 2.5, 4.5), rel=1e-12)
    # the complementary tail is not the published convention
    assert round(1 - value, 4) != 0.0044


def test_jeffreys_falls_with_more_defaults_and_rises_with_the_pd():
    assert jeffreys_test(1000, 20, 0.01) < jeffreys_test(1000, 10, 0.01) < jeffreys_test(1000, 5, 0.01)
    assert jeffreys_test(1000, 10, 0.005) < jeffreys_test(1000, 10, 0.01) < jeffreys_test(1000, 10, 0.02)


def test_jeffreys_is_close_to_binomial_for_large_samples():
    # both measure evidence that the true PD exceeds the assigned one; for large N they agree
    assert jeffreys_test(20000, 230, 0.01) == pytest.approx(binomial_test(20000, 230, 0.01), abs=0.01)


@pytest.mark.parametrize("func", [binomial_test, jeffreys_test])
@pytest.mark.parametrize("n, d, p", [(0, 0, 0.01), (10, 11, 0.01), (10, -1, 0.01), (10, 1, 1.5), (10, 1, np.nan), (10.5, 1, 0.1)])
def test_tests_reject_impossible_inputs(func, n, d, p):
    with pytest.raises(ValueError):
        func(n, d, p)


@pytest.mark.parametrize("p, light", [
    (1.0, "green"),
    (0.0500001, "green"),
    (0.05, "yellow"),  # confidence exactly 95 % -> yellow (95 % <= 1 - p)
    (0.0010001, "yellow"),
    (0.001, "red"),  # confidence exactly 99.9 % -> red
    (0.0, "red"),
])
def test_traffic_light_boundaries(p, light):
    assert traffic_light(p) == light


@pytest.mark.parametrize("p", [np.nan, -0.1, 1.1])
def test_traffic_light_rejects_invalid_p_values(p):
    with pytest.raises(ValueError):
        traffic_light(p)


def test_hosmer_lemeshow_by_hand():
    # three PD groups of three obligors: PD 0.1 (1 default), 0.2 (0 defaults), 0.5 (2 defaults).
    # C = (1 - 0.3)^2 / (0.3 * 0.9) + (0 - 0.6)^2 / (0.6 * 0.8) + (2 - 1.5)^2 / (1.5 * 0.5)
    #   = 49/27 + 3/4 + 1/3 = 2.898148..., chi-square with 3 - 2 = 1 degree of freedom.
    pd_ = [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.5, 0.5, 0.5]
    y = [1, 0, 0, 0, 0, 0, 1, 1, 0]
    statistic, p_value = hosmer_lemeshow(y, pd_, groups=3)
    assert statistic == pytest.approx(49 / 27 + 3 / 4 + 1 / 3, rel=1e-12)
    assert p_value == pytest.approx(stats.chi2.sf(49 / 27 + 3 / 4 + 1 / 3, 1), rel=1e-12)
    assert p_value == pytest.approx(0.0887, abs=1e-4)  # 2 (1 - Phi(sqrt(2.8981)))


def test_hosmer_lemeshow_accepts_calibrated_and_rejects_underestimated_pds():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.005, 0.2, 20000)
    y = (rng.random(len(p)) < p).astype(int)
    _, p_ok = hosmer_lemeshow(y, p, ddof=0)
    _, p_bad = hosmer_lemeshow(y, p / 2)
    assert p_ok > 0.01
    assert p_bad < 1e-10


def test_hosmer_lemeshow_degrees_of_freedom_are_groups_minus_ddof():
    rng = np.random.default_rng(5)
    p = rng.uniform(0.01, 0.2, 3000)
    y = (rng.random(len(p)) < p).astype(int)
    statistic, p_default = hosmer_lemeshow(y, p)
    _, p_given = hosmer_lemeshow(y, p, ddof=0)
    assert p_default == pytest.approx(stats.chi2.sf(statistic, 8))
    assert p_given == pytest.approx(stats.chi2.sf(statistic, 10))


def test_hosmer_lemeshow_statistic_of_true_pds_averages_the_number_of_groups():
    # with PDs not fitted on the sample, C is ~ chi-square(G): mean G = 10, not G - 2 = 8,
    # which is why ddof=0 is offered for back-testing
    rng = np.random.default_rng(6)
    values = []
    for _ in range(300):
        p = rng.uniform(0.005, 0.2, 2000)
        values.append(hosmer_lemeshow((rng.random(2000) < p).astype(int), p)[0])
    assert np.mean(values) == pytest.approx(10, abs=0.8)  # standard error ~0.26


def test_hosmer_lemeshow_needs_three_groups():
    with pytest.raises(ValueError, match="at least 3"):
        hosmer_lemeshow([0, 1, 0, 1], [0.1, 0.1, 0.2, 0.2])


def test_calibration_table_groups_by_pd_quantile():
    rng = np.random.default_rng(2)
    p = rng.uniform(0.01, 0.1, 1000)
    y = (rng.random(1000) < p).astype(int)
    table = calibration_table(y, p, bins=10)
    assert len(table) == 10
    assert (table["n"] == 100).all()
    assert table["defaults"].sum() == y.sum()
    assert (np.diff(table["mean_pd"]) > 0).all()


def test_calibration_table_merges_tied_quantiles():
    p = [0.01] * 8 + [0.02, 0.03]
    table = calibration_table([0] * 9 + [1], p, bins=10)
    assert table["n"].sum() == 10
    assert len(table) < 10


def _portfolio(seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    grade_pd = {"A": 0.002, "B": 0.01, "C": 0.05}
    grades = rng.choice(list("CAB"), size=6000, p=[0.2, 0.4, 0.4])
    p = np.array([grade_pd[g] for g in grades]) * rng.uniform(0.8, 1.2, len(grades))
    y = (rng.random(len(grades)) < p).astype(int)
    return grades, p, y


def test_grade_backtest_counts_and_tests_each_grade():
    grades, p, y = _portfolio()
    table = grade_backtest(grades, p, y)
    assert table.index.tolist() == ["A", "B", "C", "all"]  # increasing PD, then the portfolio
    assert table.columns.tolist() == [
        "n", "defaults", "default_rate", "pd", "binomial_p", "jeffreys_p", "binomial_light", "jeffreys_light"
    ]
    b = grades == "B"
    row = table.loc["B"]
    assert row["n"] == b.sum()
    assert row["defaults"] == y[b].sum()
    assert row["default_rate"] == pytest.approx(y[b].mean())
    assert row["pd"] == pytest.approx(p[b].mean())
    assert row["binomial_p"] == pytest.approx(binomial_test(b.sum(), y[b].sum(), p[b].mean()))
    assert row["jeffreys_p"] == pytest.approx(jeffreys_test(b.sum(), y[b].sum(), p[b].mean()))
    assert row["jeffreys_light"] == traffic_light(row["jeffreys_p"])
    total = table.loc["all"]
    assert total["n"] == len(y)
    assert total["defaults"] == y.sum()
    assert total["pd"] == pytest.approx(p.mean())
    assert table.loc[["A", "B", "C"], "n"].sum() == total["n"]


def test_grade_backtest_uses_the_grade_pd_mapping():
    grades, p, y = _portfolio()
    mapping = {"A": 0.002, "B": 0.01, "C": 0.05}
    table = grade_backtest(grades, None, y, grade_pd=mapping)
    assert table.loc[["A", "B", "C"], "pd"].tolist() == [0.002, 0.01, 0.05]
    assert table.loc["all", "pd"] == pytest.approx(np.mean([mapping[g] for g in grades]))


def test_grade_backtest_turns_red_when_the_grade_pd_is_far_too_low():
    grades, p, y = _portfolio()
    table = grade_backtest(grades, p, y, grade_pd={"A": 0.002, "B": 0.01, "C": 0.005})
    assert table.loc["C", "jeffreys_light"] == "red"
    assert table.loc["C", "binomial_light"] == "red"
    assert table.loc["A", "jeffreys_light"] != "red"


def test_grade_backtest_keeps_categorical_order():
    grades, p, y = _portfolio()
    cat = pd.Series(pd.Categorical(grades, categories=["C", "B", "A", "D"]))
    table = grade_backtest(cat, p, y)
    assert table.index.tolist() == ["C", "B", "A", "all"]


def test_grade_backtest_rejects_missing_grade_pd_and_other_lengths():
    grades, p, y = _portfolio()
    with pytest.raises(ValueError, match="no PD for grade"):
        grade_backtest(grades, p, y, grade_pd={"A": 0.002, "B": 0.01})
    with pytest.raises(ValueError, match="different lengths"):
        grade_backtest(grades, p[:-1], y)
    with pytest.raises(ValueError, match="different lengths"):
        grade_backtest(grades, p, y[:-1])
