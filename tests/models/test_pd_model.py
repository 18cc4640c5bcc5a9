"""The public PD model API: fit_pd_model -> PDModel with calibrated PDs, grades, monotone constraints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from workbench.models import PDModel, PDModelParams, fit_pd_model
from workbench.params import load_params

FAST = load_params(PDModelParams, None, {"tuning.n_trials": 3, "tuning.n_folds": 2, "xgb.n_estimators": 200,
                                         "xgb.early_stopping_rounds": 20})
NO_TUNING = load_params(PDModelParams, None, {"tuning.enabled": False, "xgb.n_estimators": 200,
                                              "xgb.early_stopping_rounds": 20})


def _toy(n: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"leverage": rng.uniform(0, 1, n), "b": rng.normal(size=n), "noise": rng.standard_cauchy(n)})
    X.loc[rng.random(n) < 0.1, "b"] = np.nan
    X.loc[rng.random(n) < 0.01, "noise"] = np.inf
    logit = -4 + 3 * X["leverage"] - 1.0 * X["b"].fillna(0)
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int))
    return X, y


def test_unfitted_model_raises_not_fitted():
    with pytest.raises(NotFittedError):
        PDModel().predict_pd(pd.DataFrame({"a": [1.0]}))


def test_fit_pd_model_learns_and_calibrates(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_STATE_DIR", str(tmp_path))
    X, y = _toy()
    model = fit_pd_model(X.iloc[:3000], y.iloc[:3000], FAST)
    p = model.predict_pd(X.iloc[3000:])
    assert ((p > 0) & (p < 1)).all()
    assert roc_auc_score(y.iloc[3000:], p) > 0.75
    # Calibrated on held-out rows: the mean PD is close to the default rate.
    assert abs(p.mean() - y.iloc[3000:].mean()) < 0.3 * y.iloc[3000:].mean()
    assert model.tuning_.n_trials == 3 and (tmp_path / "optuna.db").is_file()
    grades = model.grade(X.iloc[3000:])
    assert set(grades) <= set(model.master_scale_.labels)


def test_monotone_constraint_means_higher_leverage_never_lowers_pd():
    X, y = _toy()
    model = fit_pd_model(X, y, NO_TUNING)
    assert model.feature_importance().set_index("feature").loc["leverage", "monotone"] == 1
    grid = pd.DataFrame({"leverage": np.linspace(0, 1, 101), "b": 0.3, "noise": 0.0})
    pd_path = model.predict_pd(grid)
    assert np.all(np.diff(pd_path) >= -1e-12)
    free = fit_pd_model(X, y, NO_TUNING.model_copy(update={"monotone": False}))
    assert "monotone" not in free.feature_importance().columns


def test_time_holdout_is_the_latest_share():
    X, y = _toy()
    time = pd.date_range("2015-01-31", periods=len(X), freq="D")
    model = PDModel(NO_TUNING).fit(X, y, time=time)
    assert model.holdout_share_ == pytest.approx(0.2, abs=0.01)


def test_init_only_stores_arguments_and_fit_validates():
    model = PDModel(params=None)
    assert vars(model) == {"params": None}
    X, y = _toy(200)
    with pytest.raises(ValueError, match="single class"):
        model.fit(X, pd.Series(np.zeros(200, int)))
    with pytest.raises(TypeError, match="pandas DataFrame"):
        model.fit(X.to_numpy(), y)
    with pytest.raises(ValueError, match="200 rows but y has 199"):
        model.fit(X, y.iloc[:-1])


def test_prediction_requires_the_fitted_columns():
    X, y = _toy()
    model = fit_pd_model(X, y, NO_TUNING)
    with pytest.raises(ValueError, match="noise"):
        model.predict_pd(X.drop(columns="noise"))


def test_same_data_params_and_seed_give_the_same_boosters_however_slow_the_machine(tmp_path, monkeypatch):
    """The tuning budget is a number of trials: a machine that is slower between trials (simulated
    here with sleeps in an optuna callback) fits the same model."""
    import time

    monkeypatch.setenv("WORKBENCH_STATE_DIR", str(tmp_path))
    X, y = _toy(n=2000)
    params = load_params(PDModelParams, None, {"tuning.n_trials": 4, "tuning.n_folds": 2, "xgb.n_estimators": 80,
                                               "xgb.early_stopping_rounds": 10, "n_bags": 2})
    fast = fit_pd_model(X, y, params)
    slow = fit_pd_model(X, y, params, callbacks=[lambda study, trial: time.sleep(0.3)])
    assert fast.booster_params_ == slow.booster_params_
    for a, b in zip(fast.boosters_, slow.boosters_):
        assert a.get_booster().save_raw("json") == b.get_booster().save_raw("json")
    assert np.array_equal(fast.predict_pd(X), slow.predict_pd(X))


def test_fitted_params_say_what_the_model_was_fitted_with_not_the_starting_point():
    X, y = _toy()
    model = fit_pd_model(X, y, FAST)
    used = model.fitted_params()
    assert {f"model.{k}" for k in model.booster_params_} <= set(used)
    assert used["model.learning_rate"] == model.booster_params_["learning_rate"]
    assert used["model.boosters"] == FAST.n_bags and used["model.tuned"] == "yes"
    assert used["model.early_stopped_trees"] == model.best_iteration_ + 1
    assert model.tuning_summary()["trials_asked"] == FAST.tuning.n_trials
    assert fit_pd_model(X, y, NO_TUNING).tuning_summary() == {}


# --------------------------------------------------------------------------- categories and special values


def _lending_extract(n: int = 4000, seed: int = 1) -> tuple[pd.DataFrame, pd.Series]:
    """The shape of a lending extract: a ratio, a bureau score with special codes, text categories."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "leverage": rng.uniform(0, 1, n),
        "bureau_score": rng.normal(0, 1, n),
        "purpose": pd.Series(rng.choice(["car", "house", "business", "other"], n), dtype="str"),
        "housing": pd.Categorical(rng.choice(["own", "rent", "free"], n)),
        "guarantor": rng.random(n) < 0.3,
    })
    no_record = rng.random(n) < 0.1
    X.loc[no_record, "bureau_score"] = -9.0
    X.loc[rng.random(n) < 0.05, "bureau_score"] = np.nan
    logit = (-3.5 + 2 * X["leverage"] - 0.8 * X["bureau_score"].where(~no_record, 0).fillna(0)
             + 1.5 * no_record + 1.2 * (X["purpose"] == "business") + 0.7 * (X["housing"] == "rent"))
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int))
    return X, y


def test_text_and_category_columns_are_learnt_as_categories():
    X, y = _lending_extract()
    model = fit_pd_model(X, y, FAST)
    assert model.fitted_params()["model.categorical_features"] == 2
    dump = "".join(model.boosters_[0].get_booster().get_dump())
    assert "purpose:{" in dump or "housing:{" in dump  # native categorical (set) splits
    base = X.iloc[:200].copy()
    risky, safe = base.assign(purpose="business"), base.assign(purpose="car")
    assert (model.predict_pd(risky) > model.predict_pd(safe)).mean() > 0.9


def test_special_values_are_told_apart_from_low_values_and_from_gaps():
    X, y = _lending_extract()
    params = FAST.model_copy(update={"special_values": [-9.0]})
    model = fit_pd_model(X, y, params)
    assert "bureau_score__special" in model.encoded_names_
    rows = X.iloc[:300]
    no_record = model.predict_pd(rows.assign(bureau_score=-9.0))
    gap = model.predict_pd(rows.assign(bureau_score=np.nan))
    assert no_record.mean() > 1.5 * gap.mean()
    assert model.fitted_params()["model.special_value_indicators"] == 1
    # The indicator's gain is reported under the column it describes.
    assert set(model.feature_importance()["feature"]) == set(X.columns)


def test_unseen_category_scores_as_missing_with_a_warning():
    from workbench.models.encoding import UnseenCategoryWarning

    X, y = _lending_extract()
    model = fit_pd_model(X, y, NO_TUNING)
    rows = X.iloc[:20]
    with pytest.warns(UnseenCategoryWarning, match="purpose.*'yacht'"):
        unseen = model.predict_pd(rows.assign(purpose="yacht"))
    np.testing.assert_allclose(unseen, model.predict_pd(rows.assign(purpose=None)))


def test_high_cardinality_text_column_is_refused_naming_it():
    from workbench.models.encoding import HighCardinalityError

    X, y = _lending_extract(n=600)
    X["account_ref"] = [f"A{i:05d}" for i in range(len(X))]
    with pytest.raises(HighCardinalityError, match="account_ref"):
        fit_pd_model(X, y, NO_TUNING)


def test_categories_are_learnt_on_the_training_rows_only():
    X, y = _lending_extract(n=2000)
    holdout = np.zeros(len(X), dtype=bool)
    holdout[-400:] = True
    X.loc[X.index[-50:], "purpose"] = "only_in_holdout"
    with pytest.warns(UserWarning, match="only_in_holdout"):  # the held-out rows score it as missing
        model = fit_pd_model(X, y, NO_TUNING, holdout=holdout)
    assert "only_in_holdout" not in model.encoder_.categories_["purpose"]


def test_monotone_constraints_apply_to_numeric_columns_only():
    X, y = _lending_extract(n=2000)
    # A text column carrying a dictionary name (leverage is "higher is riskier") is still a category.
    X = X.rename(columns={"leverage": "ratio", "purpose": "leverage"})
    model = fit_pd_model(X, y, NO_TUNING)
    directions = dict(zip(model.encoded_names_, model.monotone_constraints_))
    assert directions["leverage"] == 0


def test_a_model_pickled_before_the_encoder_existed_still_scores():
    import pickle

    X, y = _toy(n=1500)
    model = fit_pd_model(X, y, NO_TUNING)
    state = dict(model.__dict__)
    state.pop("encoder_")
    old = PDModel.__new__(PDModel)
    old.__setstate__(pickle.loads(pickle.dumps(state)))
    np.testing.assert_array_equal(old.predict_pd(X), model.predict_pd(X))


def test_final_trees_come_from_the_best_trials_folds_unless_told_to_early_stop_on_the_holdout():
    X, y = _toy(n=3000)
    model = fit_pd_model(X, y, FAST)
    tuning = model.tuning_
    train_rows = int((~model.holdout_rows_).sum())
    assert model.best_iteration_ + 1 == tuning.trees_for(train_rows)
    assert tuning.trees_for(train_rows) == int(np.ceil(np.mean(tuning.best_rounds) * train_rows
                                                         / tuning.fold_train_rows))
    assert model.fitted_params()["model.trees_from"] == "cv"
    held = fit_pd_model(X, y, FAST.model_copy(update={"tuning": FAST.tuning.model_copy(
        update={"trees_from": "holdout"})}))
    assert held.fitted_params()["model.trees_from"] == "holdout"
    assert held.best_iteration_ + 1 <= FAST.xgb.n_estimators
