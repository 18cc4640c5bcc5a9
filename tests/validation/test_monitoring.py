"""Model monitoring month by month: PSI/CSI against training, AUC and grade back-test on matured
outcomes, the revalidation triggers and what the report and MLflow read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from workbench import format as fmt
from workbench.reference import MASTER_SCALE
from workbench.validation import (
    MONITORING_AUC_MATURED,
    MONITORING_MAX_CSI,
    MONITORING_METRICS,
    MONITORING_PSI_SCORE,
    MONITORING_RED_GRADES,
    MONITORING_REVALIDATION_TRIGGERS,
    ModelMonitoringParams,
    auc,
    grade_backtest,
    model_stability,
    plot_stability,
    psi,
)

FEATURES = ["leverage", "dso", "utilisation"]
MONTHS = pd.date_range("2020-01-31", periods=6, freq="ME")
MATURED = 4  # the first four month ends have 12-month outcomes


def _pd_of(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(-3.5 + 1.4 * z)))


def make_case(n: int = 3000, seed: int = 7):
    """Training rows and six scored month ends drawn from one population; PDs calibrated (y ~ Bernoulli(pd))."""
    rng = np.random.default_rng(seed)
    z_train = rng.standard_normal(4 * n)
    training_features = pd.DataFrame({
        "leverage": (z_train + rng.standard_normal(4 * n)).astype("float32"),
        "dso": rng.gamma(4.0, 12.0, 4 * n).astype("float32"),
        "utilisation": rng.uniform(0, 1, 4 * n).astype("float32"),
    })
    training_scores = _pd_of(z_train)
    frames = []
    for i, month in enumerate(MONTHS):
        z = rng.standard_normal(n)
        p = _pd_of(z)
        y = (rng.uniform(size=n) < p).astype(float) if i < MATURED else np.full(n, np.nan)
        frames.append(pd.DataFrame({
            "obligor_id": [f"O{k:05d}" for k in range(n)], "obs_date": month,
            "leverage": (z + rng.standard_normal(n)).astype("float32"),
            "dso": rng.gamma(4.0, 12.0, n).astype("float32"),
            "utilisation": rng.uniform(0, 1, n).astype("float32"),
            "pd": p, "grade": MASTER_SCALE.grade_number(p), "default_within": y,
        }))
    rows = pd.concat(frames, ignore_index=True)
    outcomes = rows[["obligor_id", "obs_date", "default_within"]].copy()
    scored = rows.drop(columns="default_within")
    return scored, outcomes, training_scores, training_features


@pytest.fixture(scope="module")
def case():
    return make_case()


def run(scored, outcomes, training_scores, training_features, params=None):
    return model_stability(scored, outcomes, training_scores, training_features, FEATURES, params)


def test_stable_population_raises_no_trigger(case):
    result = run(*case)
    assert result.triggers.empty
    assert not result.revalidation_needed
    assert (result.by_month["psi_score"] < 0.10).all()
    assert (result.by_month["psi_status"] == "stable").all()
    assert (result.by_month.loc[MONTHS[:MATURED], "auc"] > 0.75).all()
    assert (result.by_month.loc[MONTHS[:MATURED], "red_grades"] == 0).all()


def test_psi_and_csi_of_each_month_equal_stability_psi(case):
    scored, outcomes, training_scores, training_features = case
    result = run(*case)
    for month in MONTHS:
        rows = scored[scored["obs_date"] == month]
        assert result.by_month.loc[month, "psi_score"] == pytest.approx(psi(training_scores, rows["pd"]), rel=1e-9)
        for feature in FEATURES:
            assert result.by_month.loc[month, f"csi_{feature}"] == pytest.approx(
                psi(training_features[feature], rows[feature]), rel=1e-9)
    csi = result.by_month[[f"csi_{f}" for f in FEATURES]]
    assert (result.by_month["max_csi"] == csi.max(axis=1)).all()


def test_psi_handles_missing_feature_values_as_their_own_bin(case):
    scored, outcomes, training_scores, training_features = case
    scored = scored.copy()
    month = MONTHS[2]
    in_month = np.flatnonzero(scored["obs_date"] == month)
    scored.loc[in_month[:300], "dso"] = np.nan
    result = run(scored, outcomes, training_scores, training_features)
    expected = psi(training_features["dso"], scored.loc[in_month, "dso"])
    assert result.by_month.loc[month, "csi_dso"] == pytest.approx(expected, rel=1e-9)
    assert expected > 0.25  # 10 % of the month in a bin the training data does not have


def test_pd_tripled_in_one_month_raises_psi_trigger_naming_month_and_value(case):
    scored, outcomes, training_scores, training_features = case
    scored = scored.copy()
    month = MONTHS[3]
    shifted = scored["obs_date"] == month
    scored.loc[shifted, "pd"] = np.minimum(scored.loc[shifted, "pd"] * 3, 1.0)
    result = run(scored, outcomes, training_scores, training_features)
    psi_rows = result.triggers[result.triggers["trigger"] == "psi_score"]
    assert list(psi_rows["month"]) == [month]
    value = result.by_month.loc[month, "psi_score"]
    assert value > 0.25
    row = psi_rows.iloc[0]
    assert row["value"] == pytest.approx(value)
    assert row["threshold"] == 0.25
    assert "2020-04-30" in row["message"] and fmt.number(value) in row["message"]
    # an earlier month's shift is on record but does not by itself ask for a revalidation
    assert not row["current"]
    assert not (result.triggers["current"] & (result.triggers["trigger"] == "psi_score")).any()


def test_psi_shift_in_latest_month_needs_revalidation(case):
    scored, outcomes, training_scores, training_features = case
    scored = scored.copy()
    shifted = scored["obs_date"] == MONTHS[-1]
    scored.loc[shifted, "pd"] = np.minimum(scored.loc[shifted, "pd"] * 3, 1.0)
    result = run(scored, outcomes, training_scores, training_features)
    assert result.revalidation_needed
    assert list(result.current_triggers["trigger"]) == ["psi_score"]
    assert result.metrics()[MONITORING_REVALIDATION_TRIGGERS] == 1.0


def test_feature_shift_raises_csi_trigger_for_that_feature(case):
    scored, outcomes, training_scores, training_features = case
    scored = scored.copy()
    shifted = scored["obs_date"] == MONTHS[-1]
    scored.loc[shifted, "dso"] = scored.loc[shifted, "dso"] * 2
    result = run(scored, outcomes, training_scores, training_features)
    csi_rows = result.triggers[result.triggers["trigger"] == "csi"]
    assert list(csi_rows["subject"]) == ["dso"]
    assert list(csi_rows["month"]) == [MONTHS[-1]]
    assert "dso" in csi_rows.iloc[0]["message"]
    assert result.revalidation_needed
    assert result.by_month.loc[MONTHS[-1], "max_csi_feature"] == "dso"
    assert result.metrics()[MONITORING_MAX_CSI] == pytest.approx(result.by_month.loc[MONTHS[-1], "csi_dso"])


def test_only_the_first_top_features_are_monitored(case):
    result = model_stability(*case, top_features=FEATURES, params=ModelMonitoringParams(top_features=2))
    assert result.features == ("leverage", "dso")
    assert "csi_utilisation" not in result.by_month.columns


def test_auc_uses_matured_rows_only(case):
    scored, outcomes, training_scores, training_features = case
    outcomes = outcomes.copy()
    month = MONTHS[1]
    in_month = np.flatnonzero(outcomes["obs_date"] == month)
    outcomes.loc[in_month[::3], "default_within"] = np.nan  # a third of the month not matured
    result = run(scored, outcomes, training_scores, training_features)
    keep = in_month[outcomes.loc[in_month, "default_within"].notna().to_numpy()]
    expected = auc(outcomes.loc[keep, "default_within"], scored.loc[keep, "pd"])
    assert result.by_month.loc[month, "auc"] == pytest.approx(expected, rel=1e-12)
    assert result.by_month.loc[month, "matured_rows"] == len(keep)
    assert result.by_month.loc[month, "default_rate"] == pytest.approx(outcomes.loc[keep, "default_within"].mean())
    assert result.by_month.loc[month, "mean_pd_matured"] == pytest.approx(scored.loc[keep, "pd"].mean())
    # months without matured outcomes are not evaluated
    late = result.by_month.loc[MONTHS[MATURED:]]
    assert not late["evaluated"].any()
    assert late[["auc", "brier", "default_rate", "red_grades"]].isna().all().all()


def test_outcome_rows_are_matched_by_key_not_position(case):
    scored, outcomes, training_scores, training_features = case
    shuffled = outcomes.sample(frac=1.0, random_state=3)
    assert run(scored, shuffled, training_scores, training_features).by_month.equals(
        run(*case).by_month)


def test_month_with_too_few_matured_rows_is_not_evaluated(case):
    result = run(*case, params=ModelMonitoringParams(min_matured_rows=3001))
    assert not result.by_month["evaluated"].any()
    assert result.latest_matured_month is None
    assert np.isnan(result.metrics()[MONITORING_AUC_MATURED])


def test_auc_below_floor_raises_trigger(case):
    scored, outcomes, training_scores, training_features = case
    scored = scored.copy()
    month = MONTHS[MATURED - 1]  # the latest matured month
    in_month = np.flatnonzero(scored["obs_date"] == month)
    rng = np.random.default_rng(0)
    scored.loc[in_month, "pd"] = rng.permutation(scored.loc[in_month, "pd"].to_numpy())  # ranks unrelated to y
    scored.loc[in_month, "grade"] = MASTER_SCALE.grade_number(scored.loc[in_month, "pd"])
    result = run(scored, outcomes, training_scores, training_features)
    rows = result.triggers[result.triggers["trigger"] == "auc_floor"]
    assert list(rows["month"]) == [month]
    assert rows.iloc[0]["value"] < 0.70
    assert "2020-04-30" in rows.iloc[0]["message"] and "below the floor 0.7;" in rows.iloc[0]["message"]
    assert rows.iloc[0]["current"]
    assert result.revalidation_needed  # latest matured month, even though later months are stable
    assert result.metrics()[MONITORING_AUC_MATURED] == pytest.approx(rows.iloc[0]["value"])


def test_red_grade_trigger_when_a_grade_defaults_far_above_its_pd(case):
    scored, outcomes, training_scores, training_features = case
    outcomes = outcomes.copy()
    month = MONTHS[2]
    target = np.flatnonzero((scored["obs_date"] == month) & (scored["grade"] == 5))
    outcomes.loc[target[::4], "default_within"] = 1.0  # a quarter of grade 5 defaults, its PD is < 1 %
    result = run(scored, outcomes, training_scores, training_features)
    rows = result.triggers[result.triggers["trigger"] == "red_grade"]
    assert list(rows["month"]) == [month]
    assert rows.iloc[0]["subject"] == "5"
    assert "grade 5" in rows.iloc[0]["message"] and "2020-03-31" in rows.iloc[0]["message"]
    assert result.by_month.loc[month, "red_grades"] == 1
    # the per-grade test is the Jeffreys test of validation.backtest
    in_month = np.flatnonzero(scored["obs_date"] == month)
    expected = grade_backtest(scored.loc[in_month, "grade"], scored.loc[in_month, "pd"],
                              outcomes.loc[in_month, "default_within"]).drop(index="all")
    got = result.grades[result.grades["obs_date"] == month].set_index("grade")
    for grade in expected.index:
        assert got.loc[grade, "jeffreys_p"] == pytest.approx(expected.loc[grade, "jeffreys_p"], rel=1e-9)
        assert got.loc[grade, "jeffreys_light"] == expected.loc[grade, "jeffreys_light"]


def test_red_grade_trigger_can_be_switched_off(case):
    scored, outcomes, training_scores, training_features = case
    outcomes = outcomes.copy()
    target = np.flatnonzero((scored["obs_date"] == MONTHS[2]) & (scored["grade"] == 5))
    outcomes.loc[target[::4], "default_within"] = 1.0
    result = run(scored, outcomes, training_scores, training_features,
                 params=ModelMonitoringParams(red_grade_trigger=False))
    assert "red_grade" not in set(result.triggers["trigger"])
    assert result.by_month.loc[MONTHS[2], "red_grades"] == 1  # still shown, just not a trigger


def test_metrics_are_the_latest_months_figures(case):
    result = run(*case)
    values = result.metrics()
    assert tuple(values) == MONITORING_METRICS
    assert MONITORING_METRICS == ("monitoring/psi_score", "monitoring/max_csi", "monitoring/auc_matured",
                                  "monitoring/red_grades", "monitoring/revalidation_triggers")
    assert values[MONITORING_PSI_SCORE] == result.by_month.loc[MONTHS[-1], "psi_score"]
    assert values[MONITORING_AUC_MATURED] == result.by_month.loc[MONTHS[MATURED - 1], "auc"]
    assert values[MONITORING_RED_GRADES] == 0.0
    assert values[MONITORING_REVALIDATION_TRIGGERS] == 0.0


def test_table_shows_each_month_latest_first_with_its_triggers(case):
    scored, outcomes, training_scores, training_features = case
    scored = scored.copy()
    shifted = scored["obs_date"] == MONTHS[-1]
    scored.loc[shifted, "pd"] = np.minimum(scored.loc[shifted, "pd"] * 3, 1.0)
    table = run(scored, outcomes, training_scores, training_features).table()
    assert list(table.index) == [fmt.date(m) for m in MONTHS[::-1]]
    assert table.iloc[0]["Triggers"] == "psi_score"
    assert table.iloc[-1]["Triggers"] == ""
    assert table.iloc[0]["AUC"] == "n/a"
    assert table.map(lambda v: isinstance(v, str)).all().all()


def test_plot_stability_returns_a_two_panel_figure(case):
    fig = plot_stability(run(*case))
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    assert len(fig.axes[1].lines) >= 2  # AUC and the floor


def test_no_outcomes_yet_gives_stability_only(case):
    scored, _, training_scores, training_features = case
    result = run(scored, None, training_scores, training_features)
    assert not result.by_month["evaluated"].any()
    assert result.triggers.empty
    fig = plot_stability(result)
    assert "No month end" in fig.axes[1].texts[0].get_text()


def test_inputs_are_checked_with_the_column_or_rows_named(case):
    scored, outcomes, training_scores, training_features = case
    with pytest.raises(KeyError, match="scored snapshots lack column.*grade"):
        run(scored.drop(columns="grade"), outcomes, training_scores, training_features)
    with pytest.raises(KeyError, match="training_features lack column.*dso"):
        run(scored, outcomes, training_scores, training_features.drop(columns="dso"))
    bad = scored.copy()
    bad.loc[5, "pd"] = 1.5
    with pytest.raises(ValueError, match="scored.pd must lie in"):
        run(bad, outcomes, training_scores, training_features)
    wrong = outcomes.copy()
    wrong.loc[0, "default_within"] = 2.0
    with pytest.raises(ValueError, match="default_within must be 1, 0 or NaN"):
        run(scored, wrong, training_scores, training_features)
    with pytest.raises(ValueError, match="duplicate"):
        run(pd.concat([scored, scored.head(2)]), outcomes, training_scores, training_features)
