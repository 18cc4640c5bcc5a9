from __future__ import annotations

import numpy as np
import optuna
import pandas as pd
import pytest

from workbench.models import PDModelParams, fit_pd_model, tune_xgboost, validation_folds
from workbench.models.tuning import (
    INPUTS_ATTR,
    WORKER_ATTR,
    TuningStorageError,
    open_storage,
    open_study,
    sampler_seed,
    worker_share,
)
from workbench.params import load_params


def _toy(n=1500, seed=1):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = (rng.random(n) < 1 / (1 + np.exp(-(-2.5 + 1.5 * X["a"])))).astype(int).to_numpy()
    return X, y


def _params(tmp_path, **extra) -> PDModelParams:
    # One thread: the machine is shared, and xgboost's threads only contend on small folds.
    over = {"tuning.n_trials": 3, "tuning.n_folds": 2, "xgb.n_estimators": 60, "xgb.early_stopping_rounds": 10,
            "n_jobs": 1, "tuning.storage": f"sqlite:///{tmp_path / 'studies.db'}"}
    over.update(extra)
    return load_params(PDModelParams, None, over)


def _tune(X, y, p: PDModelParams, **kwargs):
    return tune_xgboost(X, y, p.tuning, p.xgb, seed=p.seed, n_jobs=p.n_jobs, **kwargs)


def _trials(p: PDModelParams, name: str):
    return optuna.load_study(study_name=name, storage=p.tuning.storage).get_trials()


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


def test_a_study_that_holds_its_trials_runs_none_and_keeps_its_best(tmp_path):
    X, y = _toy()
    first = _tune(X, y, _params(tmp_path, **{"tuning.study_name": "shared"}))
    again = _tune(X, y, _params(tmp_path, **{"tuning.study_name": "shared"}))
    assert (first.n_trials, first.asked) == (3, 3)
    assert (again.n_trials, again.asked) == (3, 0) and not again.cut_short
    assert again.summary()["study_trials"] == 3 and again.summary()["study"] == "shared"
    assert (again.best_trial, again.best_values, again.best_rounds) == (first.best_trial, first.best_values,
                                                                      first.best_rounds)
    larger = _tune(X, y, _params(tmp_path, **{"tuning.study_name": "shared", "tuning.n_trials": 5}))
    assert (larger.n_trials, larger.asked) == (5, 2) and larger.best_auc >= first.best_auc


def test_worker_shares_add_up_to_the_budget_and_differ_by_at_most_one():
    for n in range(0, 23):
        for k in range(1, 6):
            shares = [worker_share(n, i, k) for i in range(k)]
            assert sum(shares) == n and max(shares) - min(shares) <= 1 and shares == sorted(shares, reverse=True)
    with pytest.raises(ValueError, match="worker 2 of 2"):
        worker_share(6, 2, 2)


def test_each_worker_has_its_own_sampler_seed_and_worker_0_the_search_seed():
    seeds = [sampler_seed(42, k) for k in range(8)]
    assert seeds[0] == 42 and len(set(seeds)) == 8 and seeds == [sampler_seed(42, k) for k in range(8)]


def test_the_first_trial_of_a_study_is_the_configured_defaults_clipped_to_the_space(tmp_path):
    X, y = _toy(600)
    p = _params(tmp_path, **{"tuning.study_name": "defaults", "xgb.max_depth": 3, "xgb.reg_alpha": 0.0})
    _tune(X, y, p)
    first = next(t for t in _trials(p, "defaults") if t.number == 0)
    assert first.params["max_depth"] == 3 and first.params["learning_rate"] == pytest.approx(p.xgb.learning_rate)
    assert first.params["reg_alpha"] == pytest.approx(p.tuning.search_space.reg_alpha.low)


def test_workers_running_their_shares_fill_one_study_with_distinct_trials(tmp_path):
    X, y = _toy(600)
    p = _params(tmp_path, **{"tuning.study_name": "split"})
    results = [_tune(X, y, p, trials=worker_share(5, k, 2), worker=k) for k in (0, 1)]
    trials = _trials(p, "split")
    assert [r.asked for r in results] == [3, 2] and [r.budget for r in results] == [3, 2]
    assert sorted(t.number for t in trials) == list(range(5))
    assert sorted(t.user_attrs[WORKER_ATTR] for t in trials) == [0, 0, 0, 1, 1]
    assert len({tuple(sorted(t.params.items())) for t in trials}) == 5


def test_a_study_tuned_on_other_rows_is_refused(tmp_path):
    X, y = _toy(600)
    p = _params(tmp_path, **{"tuning.study_name": "fingerprinted"})
    _tune(X, y, p)
    assert optuna.load_study(study_name="fingerprinted", storage=p.tuning.storage).user_attrs[INPUTS_ATTR]["rows"] == 600
    with pytest.raises(TuningStorageError, match=r"'fingerprinted' .* was tuned on other inputs \(rows 600 -> 599"):
        _tune(X.iloc[1:], y[1:], p)
    with pytest.raises(TuningStorageError, match="setup"):
        _tune(X, y, _params(tmp_path, **{"tuning.study_name": "fingerprinted", "xgb.max_bin": 32}))


def test_a_study_that_minimises_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'other.db'}"
    optuna.create_study(study_name="loss", storage=url, direction="minimize")
    with pytest.raises(TuningStorageError, match="'loss' .* was created to minimize"):
        open_study("loss", url, seed=0)


def test_a_storage_that_does_not_open_names_its_url_without_the_password(tmp_path):
    with pytest.raises(TuningStorageError, match=r"cannot open the optuna storage nosuchdb://me:\*\*\*@host/x"):
        open_storage("nosuchdb://me:secret@host/x")
    with pytest.raises(TuningStorageError, match=r"storage postgresql://me:\*\*\*@127.0.0.1:1/x: .*refused"):
        open_storage("postgresql://me:secret@127.0.0.1:1/x")


def test_two_fits_from_one_stored_study_give_the_same_model(tmp_path):
    X, y = _toy(800)
    p = _params(tmp_path, **{"tuning.study_name": "stored", "n_bags": 1})
    first = fit_pd_model(X, y, p)
    second = fit_pd_model(X, y, p)
    assert first.tuning_.asked == 3 and second.tuning_.asked == 0
    assert second.booster_params_ == first.booster_params_ and second.n_trees_ == first.n_trees_
    np.testing.assert_array_equal(second.predict_pd(X), first.predict_pd(X))


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
