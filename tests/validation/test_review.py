"""The review building blocks: reproducibility check, champion/challenger comparison, importance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.validation import ModelComparison, auc, importance_comparison, reproducibility_check, review_metrics


def _scores(seed: int = 0, n: int = 4000, noise: float = 0.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    pd_true = 1 / (1 + np.exp(-(-3.5 + 1.2 * z)))
    y = (rng.random(n) < pd_true).astype(np.int8)
    split = np.where(np.arange(n) < n // 2, "train", "oot")
    return pd.DataFrame({"split": split, "default_12m": y, "z": z, "pd_true": pd_true})


def _scored(frame: pd.DataFrame, noise: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    logit = np.log(frame["pd_true"] / (1 - frame["pd_true"])) + rng.normal(0, noise, len(frame))
    pd_ = 1 / (1 + np.exp(-logit))
    grade = np.clip(np.digitize(pd_, [0.005, 0.01, 0.02, 0.04, 0.08]) + 1, 1, 6).astype(str)
    return frame[["split", "default_12m"]].assign(pd=pd_, grade=grade)


def test_reproducibility_check_passes_only_when_every_metric_matches():
    logged = {"oot/auc": 0.8123456, "oot/brier": 0.02}
    ok = reproducibility_check(logged, {"oot/auc": 0.8123456 + 1e-9, "oot/brier": 0.02})
    assert ok.attrs["passed"] and (ok["status"] == "match").all()
    bad = reproducibility_check(logged, {"oot/auc": 0.8124, "oot/brier": 0.02})
    assert not bad.attrs["passed"]
    assert bad.loc["oot/auc", "status"] == "MISMATCH"
    assert bad.attrs["max_abs_diff"] == pytest.approx(0.8124 - 0.8123456)


def test_reproducibility_check_flags_a_metric_the_training_run_did_not_log():
    table = reproducibility_check({"oot/auc": 0.8}, {"oot/auc": 0.8, "oot/ks": 0.5})
    assert table.loc["oot/ks", "status"] == "not logged"
    assert not table.attrs["passed"]


def test_comparison_table_reports_each_model_on_the_same_oot_rows():
    base = _scores()
    good, weak = _scored(base, 0.2, 1), _scored(base, 1.5, 2)
    comp = ModelComparison({"reviewed": good, "champion": weak}, target="default_12m")
    table = comp.table()
    oot = base["split"] == "oot"
    assert table.at["auc", "reviewed"] == pytest.approx(auc(base.loc[oot, "default_12m"], good.loc[oot, "pd"]))
    assert table.at["auc", "reviewed"] > table.at["auc", "champion"]
    assert table.at["gini", "champion"] == pytest.approx(2 * table.at["auc", "champion"] - 1)
    assert table.at["rows", "reviewed"] == oot.sum()


def test_comparison_refuses_models_scored_on_different_rows():
    base = _scores()
    with pytest.raises(ValueError, match="same rows"):
        ModelComparison({"a": _scored(base, 0.2, 1), "b": _scored(base, 0.2, 1).head(100)}, target="default_12m")


def test_migration_matrix_counts_every_oot_row_once_and_is_diagonal_for_identical_models():
    base = _scores()
    same = _scored(base, 0.3, 1)
    comp = ModelComparison({"reviewed": same, "champion": same.copy()}, target="default_12m")
    m = comp.migration()
    assert m.to_numpy().sum() == (base["split"] == "oot").sum()
    assert np.count_nonzero(m.to_numpy() - np.diag(np.diag(m.to_numpy()))) == 0
    assert comp.migration_summary()["same_grade"] == 1.0


def test_migration_is_empty_and_plot_explains_without_a_champion():
    comp = ModelComparison({"reviewed": _scored(_scores(), 0.3, 1)}, target="default_12m")
    assert comp.migration().empty and comp.migration_summary() == {}
    fig = comp.plot_migration()
    assert "No champion" in fig.axes[0].texts[0].get_text()


def test_review_metrics_carry_everything_the_signoff_gate_requires():
    from workbench.signoff import REQUIRED_VALIDATION_METRICS

    base = _scores()
    comp = ModelComparison({"reviewed": _scored(base, 0.2, 1), "champion": _scored(base, 0.8, 2)},
                           target="default_12m")
    metrics = review_metrics(comp, reproducibility_check({"x": 1.0}, {"x": 1.0}))
    assert set(REQUIRED_VALIDATION_METRICS) <= set(metrics)
    assert metrics["reproducibility/passed"] == 1.0
    assert "champion/oot/auc" in metrics and "migration/same_grade" in metrics


def test_importance_comparison_ranks_features_and_correlates_the_orders():
    a = pd.DataFrame({"feature": list("abcde"), "mean_abs_shap": [5.0, 4.0, 3.0, 2.0, 1.0]})
    b = pd.DataFrame({"feature": list("abcde"), "mean_abs_shap": [1.0, 2.0, 3.0, 4.0, 5.0]})
    out = importance_comparison({"reviewed": a, "champion": a.copy(), "reversed": b})
    assert list(out["feature"]) == list("abcde")
    assert out.attrs["spearman"]["champion"] == pytest.approx(1.0)
    assert out.attrs["spearman"]["reversed"] == pytest.approx(-1.0)
    assert out["rank[reversed]"].tolist() == [5, 4, 3, 2, 1]


def test_traffic_lights_follow_the_master_scale_order_and_mark_empty_grades():
    base = _scores()
    a = _scored(base, 0.2, 1)
    b = a.assign(grade=np.where(a["grade"] == "1", "2", a["grade"]))  # the champion never uses grade 1
    lights = ModelComparison({"reviewed": a, "champion": b}, target="default_12m").traffic_lights()
    assert list(lights.index) == sorted(lights.index, key=int)
    assert set(lights.stack()) <= {"green", "yellow", "red", "(empty)"}
    assert lights.at["1", "champion"] == "(empty)" and lights.at["1", "reviewed"] != "(empty)"


def test_oot_sample_draws_at_most_the_rows_asked_reproducibly_and_only_oot():
    from workbench.validation import oot_sample

    frame = _scores(n=400)
    a, b = oot_sample(frame, 50, seed=3), oot_sample(frame, 50, seed=3)
    assert len(a) == 50 and a.index.equals(b.index) and (a["split"] == "oot").all()
    assert len(oot_sample(frame, 10_000, seed=3)) == (frame["split"] == "oot").sum()
