from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.models import PDModelParams, tune_xgboost, validation_folds
from workbench.params import load_params


def _toy(n=1500, seed=1):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = (rng.random(n) < 1 / (1 + np.exp(-(-2.5 + 1.5 * X["a"])))).astype(int).to_numpy()
    return X, y


def _params(tmp_path, **extra) -> PDModelParams:
    over = {"tuning.n_trials": 3, "tuning.n_folds": 2, "xgb.n_estimators": 60, "xgb.early_stopping_rounds": 10,
            "tuning.storage": f"sqlite:///{tmp_path / 'studies.db'}"}
    over.update(extra)
    return load_params(PDModelParams, None, over)


def _tune(X, y, p: PDModelParams):
    return tune_xgboost(X, y, p.tuning, p.xgb, seed=p.seed, n_jobs=p.n_jobs)


def test_time_folds_train_only_on_the_past():
    y = np.tile([0, 1, 0, 0], 50)
    time = pd.date_range("2015-01-31", periods=200, freq="ME")
    for train, valid in validation_folds(y, 3, time=time.to_numpy()):
        assert time[train].max() < time[valid].min()


def test_group_folds_keep_an_obligor_in_one_fold():
    y = np.tile([0, 0, 1, 0], 100)
    groups = np.repeat(np.arange(100), 4)
    for train, valid in validation_folds(y, 3, groups=groups):
        assert not set(groups[train]) & set(groups[valid])


def test_tuning_is_reproducible_with_a_seed(tmp_path):
    X, y = _toy()
    a = _tune(X, y, _params(tmp_path))
    b = _tune(X, y, _params(tmp_path))
    assert a.study_name != b.study_name
    assert a.best_values == b.best_values and a.best_auc == pytest.approx(b.best_auc)


def test_workers_sharing_a_study_name_add_to_one_study(tmp_path):
    X, y = _toy()
    first = _tune(X, y, _params(tmp_path, **{"tuning.study_name": "shared"}))
    second = _tune(X, y, _params(tmp_path, **{"tuning.study_name": "shared"}))
    assert (first.n_trials, second.n_trials) == (3, 6)
    assert second.best_auc >= first.best_auc


def test_the_summary_counts_this_calls_trials_and_says_the_budget_stopped_it(tmp_path):
    X, y = _toy()
    result = _tune(X, y, _params(tmp_path, **{"tuning.n_trials": 4}))
    assert (result.budget, result.asked) == (4, 4) and not result.cut_short
    assert result.completed + result.pruned + result.failed == 4 and result.completed >= 1
    summary = result.summary()
    assert summary["stopped_by"] == "trial budget" and summary["trials_asked"] == 4
    assert result.trials.loc[result.trials["number"] == summary["best_trial"], "value"].item() == pytest.approx(
        result.best_auc)


def test_a_time_limit_is_a_safety_stop_that_says_so(tmp_path):
    X, y = _toy()
    params = _params(tmp_path, **{"tuning.n_trials": 50, "tuning.timeout_s": 0.01})
    with pytest.warns(UserWarning, match=r"tuning stopped by its time limit \(0.01 s\) after \d+ of 50 trials"):
        result = _tune(X, y, params)
    assert result.cut_short and result.asked < 50 and result.summary()["stopped_by"] == "time limit"
