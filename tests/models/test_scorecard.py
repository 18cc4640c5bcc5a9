from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from workbench.models.scorecard import ScorecardModel

INFORMATIVE = ["leverage", "coverage"]
NOISE = ["noise_cauchy", "noise_lognormal", "noise_normal"]
N_TRAIN = 5000


def _synthetic(n: int = 7500, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Default depends monotonically on leverage (up) and coverage (down); three pure-noise columns.

    Heavy tails (lognormal, Student t with 2 df, Cauchy), ~8 % NaN per column and a few inf.
    """
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "leverage": rng.lognormal(0.0, 1.0, n),
        "coverage": rng.standard_t(2, n),
        "noise_cauchy": rng.standard_cauchy(n),
        "noise_lognormal": rng.lognormal(0.0, 2.0, n),
        "noise_normal": rng.normal(size=n),
    })
    logit = -3.0 + np.log(X["leverage"]) - 1.6 * np.tanh(X["coverage"])
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), name="default")
    for col in X.columns:
        X.loc[rng.random(n) < 0.08, col] = np.nan
    X.loc[rng.random(n) < 0.01, "leverage"] = np.inf
    X.loc[rng.random(n) < 0.01, "noise_lognormal"] = -np.inf
    return X, y


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    return _synthetic()


@pytest.fixture(scope="module")
def fitted(data) -> ScorecardModel:
    X, y = data
    return ScorecardModel().fit(X.iloc[:N_TRAIN], y.iloc[:N_TRAIN])


def test_init_only_stores_arguments_and_clones():
    model = ScorecardModel(max_n_bins=4, C=0.5, seed=3)
    assert vars(model) == {
        "max_n_bins": 4, "min_bin_size": 0.05, "monotonic_trend": "auto_asc_desc", "selection_iv_min": 0.02,
        "max_features": 25, "C": 0.5, "pdo": 20, "base_points": 600, "base_odds": 50, "seed": 3,
    }
    assert clone(model).get_params() == model.get_params()


def test_unfitted_model_raises_not_fitted():
    model = ScorecardModel()
    X = pd.DataFrame({"a": [1.0]})
    for call in (lambda: model.predict_pd(X), lambda: model.score(X), model.table, model.iv_table):
        with pytest.raises(NotFittedError):
            call()


def test_selects_informative_features_and_drops_weak_noise(fitted):
    selected = set(fitted.selected_features_)
    assert set(INFORMATIVE) <= selected
    ivs = fitted.iv_table().set_index("feature")
    assert set(ivs.index) == set(INFORMATIVE + NOISE)
    assert (ivs["iv"].diff().dropna() <= 0).all()  # sorted by IV
    # selection is exactly IV >= threshold (fewer than max_features pass) ...
    assert selected == set(ivs.index[ivs["iv"] >= fitted.selection_iv_min])
    assert ivs["selected"].to_dict() == {f: f in selected for f in ivs.index}
    # ... and pure noise below the threshold is dropped (at least one noise column is, on this sample)
    weak_noise = [f for f in NOISE if ivs.loc[f, "iv"] < fitted.selection_iv_min]
    assert weak_noise and not set(weak_noise) & selected
    assert ivs.loc[INFORMATIVE, "iv"].min() > 0.3
    assert fitted.estimator_.coef_.shape == (1, len(fitted.selected_features_))


def test_max_features_keeps_the_highest_iv(data):
    X, y = data
    model = ScorecardModel(max_features=1).fit(X.iloc[:N_TRAIN], y.iloc[:N_TRAIN])
    assert model.selected_features_ == [model.iv_.index[0]]
    assert model.selected_features_[0] in INFORMATIVE


def test_discriminates_and_is_calibrated_on_held_out_rows(fitted, data):
    X, y = data
    X_test, y_test = X.iloc[N_TRAIN:], y.iloc[N_TRAIN:]
    p = fitted.predict_pd(X_test)
    assert p.shape == (len(X_test),)
    assert ((p > 0) & (p < 1)).all()
    assert roc_auc_score(y_test, p) > 0.7
    assert p.mean() == pytest.approx(y_test.mean(), rel=0.3)


def test_points_fall_as_pd_rises_with_the_pdo_scaling(fitted, data):
    X, _ = data
    X_test = X.iloc[N_TRAIN:]
    p, points = fitted.predict_pd(X_test), fitted.score(X_test)
    assert spearmanr(points, p).statistic == pytest.approx(-1.0, abs=1e-12)
    # points = base_points - pdo * log2(base_odds * odds of default)
    odds = p / (1 - p)
    np.testing.assert_allclose(points, 600 - 20 * np.log2(50 * odds), atol=1e-6)
    # doubling the odds of default lowers the points by pdo, between any two rows
    i, j = np.argmin(p), np.argmax(p)
    assert points[i] - points[j] == pytest.approx(20 * np.log2(odds[j] / odds[i]), abs=1e-6)
    # and the convention holds for other scaling parameters
    rescaled = clone(fitted).set_params(pdo=40, base_points=500, base_odds=20).fit(X.iloc[:N_TRAIN], _[:N_TRAIN])
    p2 = rescaled.predict_pd(X_test)
    np.testing.assert_allclose(rescaled.score(X_test), 500 - 40 * np.log2(20 * p2 / (1 - p2)), atol=1e-6)


def test_table_points_add_up_to_the_score(fitted, data):
    X, _ = data
    rows = X.iloc[N_TRAIN:N_TRAIN + 300]
    table = fitted.table()
    assert list(table.columns) == ["feature", "bin_id", "bin", "count", "default_rate", "woe", "iv",
                                   "coefficient", "points"]
    assert list(table["feature"].unique()) == fitted.selected_features_
    assert (table.groupby("feature")["bin"].last() == "Missing").all()  # missing values have their own bin
    assert "Special" not in set(table["bin"])
    # the bin a row falls in, by its label, independently of optbinning's scoring path
    bins = fitted.binning_process_.transform(rows.replace([np.inf, -np.inf], np.nan), metric="bins")
    points = table.set_index(["feature", "bin"])["points"]
    by_hand = sum(points.loc[list(zip([f] * len(rows), bins[f]))].to_numpy() for f in fitted.selected_features_)
    np.testing.assert_allclose(by_hand, fitted.score(rows), atol=1e-6)
    # inf went to the Missing bin like NaN
    inf_rows = rows.index[np.isinf(rows["leverage"])]
    assert len(inf_rows) and (bins.loc[inf_rows, "leverage"] == "Missing").all()
    # riskier bins (lower WOE) get fewer points; coefficients of the informative features are negative
    for feature in INFORMATIVE:
        part = table[table["feature"] == feature].sort_values("woe")
        assert part["points"].is_monotonic_increasing
        assert part["coefficient"].iloc[0] < 0


def test_prediction_reorders_columns_and_handles_missing_and_inf(fitted, data):
    X, _ = data
    rows = X.iloc[N_TRAIN:N_TRAIN + 50]
    shuffled = rows[list(reversed(rows.columns))].assign(extra=1.0)
    np.testing.assert_array_equal(fitted.predict_pd(shuffled), fitted.predict_pd(rows))
    odd = rows.copy()
    odd.iloc[:5] = np.nan
    odd.iloc[5:10] = np.inf
    p = fitted.predict_pd(odd)
    assert np.isfinite(p).all() and np.isfinite(fitted.score(odd)).all()
    assert p[0] == pytest.approx(p[5])  # all-missing and all-inf rows are the same client


def test_validation_errors_name_the_columns(data):
    X, y = data
    X, y = X.iloc[:500], y.iloc[:500]
    model = ScorecardModel()
    with pytest.raises(TypeError, match="non-numeric columns: name, sector"):
        model.fit(X.assign(name="x", sector=pd.Categorical(["a"] * 500)), y)
    with pytest.raises(ValueError, match="without a single finite value: empty"):
        model.fit(X.assign(empty=np.inf), y)
    with pytest.raises(ValueError, match="single class"):
        model.fit(X, np.zeros(500, int))
    with pytest.raises(ValueError, match="binary 0/1"):
        model.fit(X, np.where(y == 1, 2, 0))
    with pytest.raises(ValueError, match="500 rows but y has 499"):
        model.fit(X, y.iloc[:499])
    with pytest.raises(TypeError, match="pandas DataFrame"):
        model.fit(X.to_numpy(), y)
    with pytest.raises(ValueError, match="no feature reaches selection_iv_min=5"):
        ScorecardModel(selection_iv_min=5).fit(X, y)


def test_prediction_requires_the_fitted_columns(fitted, data):
    X, _ = data
    with pytest.raises(ValueError, match="lacks columns the scorecard was fitted on: coverage, noise_normal"):
        fitted.predict_pd(X.drop(columns=["coverage", "noise_normal"]))
    with pytest.raises(TypeError, match="non-numeric columns: leverage"):
        fitted.score(X.assign(leverage="high"))
