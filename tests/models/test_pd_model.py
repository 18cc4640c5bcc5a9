from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from workbench.config import TrainPDParams, load_params
from workbench.models import PDModel, evaluate_splits

FAST = load_params(TrainPDParams, None, {"xgb.n_estimators": 50, "xgb.max_depth": 2})


def _toy(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "noise": rng.normal(size=n)})
    X.loc[rng.random(n) < 0.1, "b"] = np.nan
    logit = -3 + 1.5 * X["a"] - 1.0 * X["b"].fillna(0)
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int))
    return X, y


def test_unfitted_model_raises_not_fitted():
    with pytest.raises(NotFittedError):
        PDModel().predict_pd(pd.DataFrame({"a": [1.0]}))


def test_fit_learns_signal_and_returns_probabilities():
    X, y = _toy()
    model = PDModel(FAST.xgb).fit(X.iloc[:2000], y.iloc[:2000], X.iloc[2000:2500], y.iloc[2000:2500])
    p = model.predict_pd(X.iloc[2500:])
    assert ((p > 0) & (p < 1)).all()
    metrics = evaluate_splits(y.iloc[2500:], p, pd.Series(["oot"] * 500))
    assert metrics.loc["oot", "auc"] > 0.75
    assert model.feature_importance()["feature"].iloc[0] == "a"


def test_init_only_stores_arguments_and_fit_validates():
    model = PDModel(params=None, seed=3)
    assert vars(model) == {"params": None, "seed": 3, "n_jobs": 2}
    X, y = _toy(200)
    with pytest.raises(ValueError, match="single class"):
        model.fit(X, pd.Series(np.zeros(200, int)))
    with pytest.raises(TypeError, match="non-numeric columns: name"):
        model.fit(X.assign(name="x"), y)


def test_save_and_load_reproduce_predictions(tmp_path):
    X, y = _toy()
    model = PDModel(FAST.xgb).fit(X, y)
    model.save(tmp_path / "m")
    again = PDModel.load(tmp_path / "m")
    np.testing.assert_allclose(model.predict_pd(X), again.predict_pd(X))


def test_prediction_requires_the_fitted_columns():
    X, y = _toy()
    model = PDModel(FAST.xgb).fit(X, y)
    with pytest.raises(ValueError, match="noise"):
        model.predict_pd(X.drop(columns="noise"))
