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
    with pytest.raises(TypeError, match="non-numeric columns: name"):
        model.fit(X.assign(name="x"), y)


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
