"""SHAP values of the PD model: exact (additive, equal to shap/xgboost), batched, with importance tables,
flat frames, scorecard contributions and importance stability."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from scipy.special import logit

from workbench.explain import (
    AdditivityError,
    ShapResult,
    _treeshap,
    bag_importance_stability,
    importance_stability,
    scorecard_contributions,
    shap_values,
)
from workbench.models import PDModelParams, ScorecardModel, fit_pd_model
from workbench.params import load_params

SMALL = load_params(PDModelParams, None, {"tuning.enabled": False, "n_bags": 2, "xgb.n_estimators": 80,
                                          "xgb.early_stopping_rounds": 15, "xgb.learning_rate": 0.1})


def _toy(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Default driven by leverage (up) and interest cover (down); b has NaN, noise has inf."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "leverage": rng.uniform(0, 1, n),
        "interest_cover": rng.lognormal(1.0, 0.8, n),
        "b": rng.normal(size=n),
        "noise": rng.standard_cauchy(n),
    })
    X.loc[rng.random(n) < 0.1, "b"] = np.nan
    X.loc[rng.random(n) < 0.02, "noise"] = np.inf
    z = -2.5 + 3.5 * X["leverage"] - 0.4 * np.log(X["interest_cover"]) + 0.5 * X["b"].fillna(0)
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-z))).astype(int))
    return X, y


@pytest.fixture(scope="module")
def toy():
    return _toy()


@pytest.fixture(scope="module")
def model(toy):
    X, y = toy
    return fit_pd_model(X, y, SMALL)


def test_shap_values_add_up_to_the_bag_margin_on_every_row(model, toy):
    X, _ = toy
    res = shap_values(model, X, progress=False)
    assert list(res.values.columns) == model.feature_names_in_
    assert res.values.index.equals(X.index)
    assert res.values.dtypes.eq(np.float64).all()
    total = res.base_values() + res.values.sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, model.predict_margin(X), rtol=0, atol=1e-5)
    np.testing.assert_allclose(res.margin, model.predict_margin(X), rtol=0, atol=0)
    np.testing.assert_allclose(res.prob_default, model.predict_pd(X))


def test_shap_values_equal_shap_tree_explainer_averaged_over_the_bag(model, toy):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # shap's colour maps, on import
        import shap
    X, _ = toy
    sample = X.iloc[:150]
    res = shap_values(model, sample, progress=False)
    Xc = model.encode(sample)
    reference = np.mean([shap.TreeExplainer(b.get_booster()).shap_values(Xc) for b in model.boosters_], axis=0)
    assert np.abs(res.values.to_numpy() - reference).max() <= 1e-6
    assert res.engine == "fast"
    # Depth-3 trees: every tree is explained from a whole-tree table (the deep-tree test covers the rest).
    assert (_treeshap.compile_ensemble([b.get_booster() for b in model.boosters_]).tree_table_offset >= 0).all()
    # The bias is xgboost's own bias column, averaged over the bag.
    dm = xgb.DMatrix(Xc)
    bias = np.mean([b.get_booster().predict(dm, pred_contribs=True)[:, -1] for b in model.boosters_], axis=0)
    assert np.abs(res.base_values() - bias).max() <= 1e-6


def test_fast_engine_matches_xgboost_on_deep_trees_with_missing_values():
    # Depth 9 over 10 features: leaves with more than 6 distinct path features are computed per row,
    # the others from their pattern tables; both must agree with xgboost's own TreeSHAP.
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(1500, 10)), columns=[f"x{i}" for i in range(10)]).astype(np.float32)
    X[X > 1.6] = np.nan
    y = (X.fillna(0).sum(axis=1) + X["x0"].fillna(0) * X["x1"].fillna(0) + rng.normal(size=1500) > 0).astype(int)
    clf = xgb.XGBClassifier(n_estimators=15, max_depth=9, min_child_weight=0.01, learning_rate=0.3,
                            n_jobs=1).fit(X, y)
    ens = _treeshap.compile_ensemble([clf.get_booster()])
    assert (ens.tree_table_offset < 0).all()  # more splits than a whole-tree table takes
    assert (ens.table_offset < 0).any() and (ens.table_offset >= 0).any()
    fast = shap_values(clf, X, progress=False, engine="fast")
    slow = shap_values(clf, X, progress=False, engine="xgboost")
    assert fast.engine == "fast" and slow.engine == "xgboost"
    assert np.abs(fast.values.to_numpy() - slow.values.to_numpy()).max() <= 1e-6
    assert abs(float(fast.base_value) - float(np.mean(slow.base_values()))) <= 1e-6


def test_batches_give_the_same_values_and_show_a_progress_bar_only_for_several(model, toy, capsys):
    X, _ = toy
    whole = shap_values(model, X, progress=True)
    assert "SHAP" not in capsys.readouterr().err  # a single batch: no bar
    batched = shap_values(model, X, batch_size=128, progress=True)
    assert "SHAP" in capsys.readouterr().err
    np.testing.assert_array_equal(whole.values.to_numpy(), batched.values.to_numpy())
    shap_values(model, X, batch_size=128, progress=False)
    assert "SHAP" not in capsys.readouterr().err


def test_extra_columns_are_ignored_and_missing_model_columns_are_named(model, toy):
    X, _ = toy
    wider = X.assign(obligor_id=[f"OB{i}" for i in range(len(X))], industry="retail")
    res = shap_values(model, wider.iloc[:50], progress=False)
    assert res.features == model.feature_names_in_
    with pytest.raises(ValueError, match="interest_cover"):
        shap_values(model, X.drop(columns="interest_cover"), progress=False)


def test_additivity_failure_says_how_many_rows_fail_and_the_worst(model, toy, monkeypatch):
    X, _ = toy
    true_margin = model.margin_of_encoded
    bump = np.zeros(len(X))
    bump[[3, 7, 11]] = [0.01, 0.5, 0.02]
    monkeypatch.setattr(model, "margin_of_encoded", lambda E: true_margin(E) + bump[: len(E)])
    with pytest.raises(AdditivityError, match=r"3 of 600 rows.*worst row 7"):
        shap_values(model, X, progress=False)
    shap_values(model, X, progress=False, check_additivity=False)  # the check can be switched off


def test_importance_table_ranks_the_strongest_driver_first_with_dictionary_labels(model, toy):
    X, _ = toy
    table = shap_values(model, X, progress=False).table()
    assert list(table.columns) == ["feature", "label", "mean_abs_shap", "share", "rank"]
    assert table.loc[0, "feature"] == "leverage" and table.loc[0, "rank"] == 1
    assert table.loc[0, "label"] == "High leverage"
    assert table.set_index("feature").loc["noise", "label"] == "noise"  # not in the dictionary
    assert table["share"].sum() == pytest.approx(1.0)
    assert table["mean_abs_shap"].is_monotonic_decreasing


def test_to_frame_wide_and_long_hold_the_values_and_write_to_parquet(model, toy):
    X, _ = toy
    res = shap_values(model, X.iloc[:20], progress=False)
    ids = pd.DataFrame({"obligor_id": [f"OB{i}" for i in range(20)]}, index=X.index[:20])
    wide = res.to_frame(ids=ids)
    assert list(wide.columns[:4]) == ["obligor_id", "base_value", "margin", "pd"]
    np.testing.assert_array_equal(wide[[f"shap_{f}" for f in res.features]].to_numpy(), res.values.to_numpy())
    long = res.to_frame(ids=ids, format="long")
    assert len(long) == 20 * len(res.features)
    row = long[(long["obligor_id"] == "OB3") & (long["feature"] == "leverage")].iloc[0]
    assert row["shap"] == res.values.iloc[3]["leverage"] and row["value"] == pytest.approx(X.iloc[3]["leverage"])
    for frame in (wide, long):
        buf = io.BytesIO()
        frame.to_parquet(buf)
        pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(buf.getvalue())), frame)
    with pytest.raises(ValueError, match="rows"):
        res.to_frame(ids=ids.iloc[:5])


def test_plain_xgboost_classifier_and_booster_are_explained_exactly(toy):
    X, y = toy
    clf = xgb.XGBClassifier(n_estimators=30, max_depth=3, n_jobs=1).fit(X.replace(np.inf, np.nan), y)
    for m in (clf, clf.get_booster()):
        res = shap_values(m, X, progress=False)
        margin = clf.get_booster().inplace_predict(X.replace(np.inf, np.nan).astype(np.float32),
                                                   predict_type="margin")
        assert np.abs(res.base_values() + res.values.sum(axis=1).to_numpy() - margin).max() <= 1e-5
    with pytest.raises(TypeError, match="PDModel"):
        shap_values(object(), X)


def test_scorecard_contributions_sum_to_its_log_odds_and_risky_bins_count_positive():
    rng = np.random.default_rng(2)
    n = 3000
    X = pd.DataFrame({"leverage": rng.uniform(0, 1, n), "coverage": rng.normal(size=n),
                      "noise": rng.normal(size=n)})
    X.loc[rng.random(n) < 0.05, "coverage"] = np.nan
    z = -3 + 3 * X["leverage"] - 0.8 * X["coverage"].fillna(0)
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    card = ScorecardModel().fit(X, y)
    res = scorecard_contributions(card, X)
    assert res.base_value == pytest.approx(float(card.estimator_.intercept_[0]))
    log_odds = res.base_value + res.values.sum(axis=1).to_numpy()
    np.testing.assert_allclose(log_odds, logit(card.predict_pd(X)), rtol=0, atol=1e-8)
    # WOE is "high = safe" with a negative coefficient: the riskiest leverage bin contributes positively.
    assert (res.extra["coefficients"]["leverage"] < 0)
    high = X["leverage"] > 0.95
    assert (res.values.loc[high, "leverage"] > 0).all() and (res.values.loc[X["leverage"] < 0.05, "leverage"] < 0).all()
    assert res.table().loc[0, "feature"] in {"leverage", "coverage"}


def test_importance_stability_gives_pairwise_spearman_in_range(model, toy):
    X, _ = toy
    bag = bag_importance_stability(model, X)
    assert bag.correlations.shape == (2, 2) and len(bag.pairs) == 1
    assert np.allclose(np.diag(bag.correlations), 1.0)
    assert -1 <= bag.min <= bag.mean <= 1
    assert bag.min > 0.5  # the same data, two seeds: leverage first, noise last in both

    a = pd.Series({"f1": 4.0, "f2": 3.0, "f3": 2.0, "f4": 1.0})
    stab = importance_stability({"a": a, "same": a * 2, "reversed": a[::-1].set_axis(a.index)})
    assert stab.correlations.shape == (3, 3) and len(stab.pairs) == 3
    assert stab.correlations.loc["a", "same"] == pytest.approx(1.0)
    assert stab.correlations.loc["a", "reversed"] == pytest.approx(-1.0)
    assert stab.min == pytest.approx(-1.0)
    assert stab.summary()["n_runs"] == 3
    # ShapResult and importance tables are accepted; features missing from a run count as 0.
    res = shap_values(model, X, progress=False)
    mixed = importance_stability([res, res.table(), a])
    assert set(mixed.importance.index) == set(res.features) | set(a.index)
    with pytest.raises(ValueError, match="two runs"):
        importance_stability([res])


def test_shap_result_can_be_built_by_hand_for_other_models():
    values = pd.DataFrame({"leverage": [0.2, -0.1]})
    res = ShapResult(values=values, base_value=-3.0, margin=np.array([-2.8, -3.1]), data=pd.DataFrame(
        {"leverage": [0.9, 0.1]}))
    np.testing.assert_array_equal(res.base_values(), [-3.0, -3.0])
    assert res.table()["share"].tolist() == [1.0]


def test_stability_metrics_are_the_summary_under_its_logged_names(model, toy):
    X, _ = toy
    bag = bag_importance_stability(model, X)
    assert bag.metrics() == {f"explain/bag_{k}": v for k, v in bag.summary().items()}


def test_side_by_side_importance_leaves_out_a_missing_champion(model, toy):
    from workbench.explain import shap_importance_side_by_side

    X, _ = toy
    alone = shap_importance_side_by_side({"reviewed": model, "champion": None}, X)
    assert [c for c in alone.columns if c.startswith("mean_abs_shap")] == ["mean_abs_shap[reviewed]"]
    both = shap_importance_side_by_side({"reviewed": model, "champion": model}, X)
    assert both.attrs["spearman"]["champion"] == pytest.approx(1.0)
    assert both["mean_abs_shap[reviewed]"].tolist() == both["mean_abs_shap[champion]"].tolist()


# --------------------------------------------------------------------------- categories and special values


def _extract(n: int = 1500, seed: int = 4) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"leverage": rng.uniform(0, 1, n), "bureau_score": rng.normal(size=n),
                      "purpose": pd.Series(rng.choice(["car", "house", "business"], n), dtype="str")})
    no_record = rng.random(n) < 0.15
    X.loc[no_record, "bureau_score"] = -9.0
    z = -2.5 + 2 * X["leverage"] + 1.5 * no_record + 1.5 * (X["purpose"] == "business")
    return X, pd.Series((rng.random(n) < 1 / (1 + np.exp(-z))).astype(int))


@pytest.fixture(scope="module")
def categorical_model():
    X, y = _extract()
    return fit_pd_model(X, y, SMALL.model_copy(update={"special_values": [-9.0]})), X


def test_shap_values_of_a_model_with_categories_add_up_and_speak_of_the_input_columns(categorical_model):
    model, X = categorical_model
    result = shap_values(model, X, progress=False)  # additivity is checked inside, on every row
    assert result.engine == "xgboost"  # categorical splits: xgboost's own TreeSHAP
    assert result.features == ["leverage", "bureau_score", "purpose"]  # the indicator folded into its column
    np.testing.assert_allclose(result.base_values() + result.values.sum(axis=1), model.predict_margin(X), atol=1e-4)
    np.testing.assert_allclose(result.prob_default, model.predict_pd(X))
    assert result.extra["categories"]["purpose"] == ["business", "car", "house"]


def test_reason_codes_name_the_category_and_the_special_code_in_words(categorical_model):
    from workbench.explain import reason_codes

    model, X = categorical_model
    rows = X[(X["purpose"] == "business") & (X["bureau_score"] == -9.0)].head(5)
    codes = reason_codes(model, rows, top=3, reference=X, format="long")
    adverse = codes[codes["kind"] == "adverse"]["text"].tolist()
    assert "purpose: business" in adverse
    assert "bureau_score: special value -9" in adverse


def test_scorecard_contributions_word_categories_too():
    from workbench.explain import reason_codes

    X, y = _extract()
    card = ScorecardModel(special_codes=[-9.0]).fit(X, y)
    result = scorecard_contributions(card, X)
    assert result.data.dtypes.map(pd.api.types.is_float_dtype).all()
    codes = reason_codes(card, X.head(50), top=2, format="long")
    assert codes["text"].str.match(r"purpose: (business|car|house)$").any()
