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


# --------------------------------------------------------------------------- the report's tables and notes


def test_review_params_name_the_resolved_version_under_new_keys():
    from workbench.validation import review_params

    version = {"name": "key-account-pd", "version": "4", "run_id": "abc", "aliases": []}
    assert review_params(version) == {"review.model_name": "key-account-pd", "review.model_version": "4",
                                      "review.training_run_id": "abc"}


def test_recomputed_metrics_join_the_split_figures_and_the_back_test_summary():
    from types import SimpleNamespace

    from workbench.validation import recomputed_metrics

    scored = SimpleNamespace(metric_dict=lambda: {"oot/auc": 0.8}, validation_metrics=lambda t: {t: 1.0})
    assert recomputed_metrics(scored, "oot/red_grades") == {"oot/auc": 0.8, "oot/red_grades": 1.0}


def test_review_metrics_carry_the_oot_sample_for_the_findings():
    base = _scores()
    comp = ModelComparison({"reviewed": _scored(base, 0.2, 1)}, target="default_12m")
    metrics = review_metrics(comp, reproducibility_check({"x": 1.0}, {"x": 1.0}))
    oot = base[base["split"] == "oot"]
    assert metrics["oot/rows"] == len(oot) and metrics["oot/defaults"] == oot["default_12m"].sum()
    assert metrics["oot/default_rate"] == pytest.approx(oot["default_12m"].mean())
    assert "oot/mean_pd" in metrics and "champion/oot/auc" not in metrics


def test_without_a_champion_the_report_says_so_in_one_line_instead_of_empty_figures():
    from matplotlib.figure import Figure

    from workbench.validation import Note, champion_note, importance_note

    alone = ModelComparison({"reviewed": _scored(_scores(), 0.3, 1)}, target="default_12m")
    view = alone.migration_view()
    assert isinstance(view, Note) and view.text.startswith("No champion yet: this version would be the first")
    assert "No champion yet" in view._repr_html_()
    assert champion_note(None).text.startswith("No champion yet: this version would be the first")
    assert "version 2" in champion_note("2").text
    assert importance_note(pd.DataFrame(columns=["feature"])).text.startswith("No champion yet")
    same = _scored(_scores(), 0.3, 1)
    pair = ModelComparison({"reviewed": same, "champion": same.copy()}, target="default_12m")
    assert isinstance(pair.migration_view(), Figure)


def test_importance_note_gives_the_rank_correlation():
    from workbench.validation import importance_note

    table = pd.DataFrame({"feature": ["a"]})
    table.attrs["spearman"] = {"champion": 0.912345}
    assert "champion 0.9123" in importance_note(table).text


def test_reproducibility_note_says_passed_or_names_what_differs():
    from workbench.validation import reproducibility_note

    ok = reproducibility_note(reproducibility_check({"oot/auc": 0.8, "oot/ks": 0.5}, {"oot/auc": 0.8, "oot/ks": 0.5}))
    assert ok.text.startswith("**Reproduced**: all 2 metrics") and "within 1e-06" in ok.text
    bad = reproducibility_note(reproducibility_check({"oot/auc": 0.8}, {"oot/auc": 0.81, "oot/ks": 0.5}))
    assert bad.text.startswith("**Not reproduced**: 2 of 2") and "`oot/auc` (MISMATCH)" in bad.text
    assert "<strong>Not reproduced</strong>" in bad._repr_html_() and "<code>oot/auc</code>" in bad._repr_html_()


def test_report_tables_show_integers_as_integers_rates_as_percentages_and_4_digits_elsewhere():
    from workbench.validation import format_backtest, format_comparison, format_reproducibility

    base = _scores()
    comp = ModelComparison({"reviewed": _scored(base, 0.2, 1)}, target="default_12m")
    table = comp.table()
    shown = format_comparison(table)
    col = "reviewed"
    assert shown.at["rows", col] == f"{int(table.at['rows', col]):,d}" and "." not in shown.at["defaults", col]
    assert shown.at["default_rate", col] == f"{100 * table.at['default_rate', col]:.2f} %"
    assert shown.at["mean_pd", col].endswith(" %") and shown.at["hosmer_lemeshow_p", col].endswith(" %")
    assert shown.at["red_grades", col] == f"{int(table.at['red_grades', col])}"
    assert shown.at["auc", col] == f"{table.at['auc', col]:.4f}"
    backtest = format_backtest(comp.backtest(col))
    assert all("." not in v for v in backtest["n"]) and all(v.endswith(" %") for v in backtest["default_rate"])
    assert set(backtest["jeffreys_light"]) <= {"green", "yellow", "red"}
    repro = format_reproducibility(reproducibility_check({"oot/rows": 625.0, "oot/default_rate": 0.0288},
                                                         {"oot/rows": 625.0, "oot/default_rate": 0.0288}))
    assert repro.at["oot/rows", "logged"] == "625" and repro.at["oot/default_rate", "recomputed"] == "2.88 %"
    assert repro.at["oot/rows", "abs_diff"] == "0"


def test_split_summary_params_and_logged_figures_are_formatted_for_readers():
    from workbench.jobs import ReviewModelParams
    from workbench.validation import format_importance, format_review_metrics, params_table, split_summary

    panel = _scores(n=1000).assign(obligor_id=lambda f: (f.index % 100).astype(str))
    summary = split_summary(panel, "default_12m")
    assert list(summary.index) == ["train", "oot"] and list(summary.columns) == ["rows", "obligors", "defaults",
                                                                                 "default_rate"]
    assert summary.at["train", "rows"] == "500" and summary.at["train", "default_rate"].endswith(" %")
    params = params_table(ReviewModelParams())
    assert params.at["model_version", "value"] == "(empty)" and params.at["shap_rows", "value"] == "5000"
    assert params.at["reproducibility_tolerance", "value"] == "1e-06"
    logged = format_review_metrics({"oot/rows": 625.0, "migration/same_grade": 0.5, "oot/auc": 0.86472634,
                                    "reproducibility/passed": 1.0})
    assert list(logged["value"]) == ["625", "50.00 %", "0.8647", "1"]
    importance = pd.DataFrame({"feature": ["a", "b"], "mean_abs_shap[reviewed]": [0.239696, 0.0123456],
                               "rank[reviewed]": [1.0, 2.0]})
    shown = format_importance(importance)
    assert list(shown["rank[reviewed]"]) == ["1", "2"] and list(shown["mean_abs_shap[reviewed]"]) == ["0.2397",
                                                                                                     "0.01235"]


def test_figures_of_integer_type_show_as_integers_whatever_their_name():
    from workbench.validation import figure_text

    assert figure_text("n", np.int64(324)) == "324" and figure_text("n", 324.5) == "324.5"
    assert figure_text("oot/auc", "n/a") == "n/a" and figure_text("oot/auc", float("nan")) == "n/a"


def test_back_test_counts_show_as_integers_even_when_stored_as_floats():
    from workbench.validation import format_backtest

    table = pd.DataFrame({"n": [324.0, 1200.0], "defaults": [1.0, 18.0], "default_rate": [0.0031, 0.015]},
                         index=pd.Index(["4", "all"], name="grade"))
    shown = format_backtest(table)
    assert list(shown["n"]) == ["324", "1,200"] and list(shown["defaults"]) == ["1", "18"]
    assert list(shown["default_rate"]) == ["0.31 %", "1.50 %"]
