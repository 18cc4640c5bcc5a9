from __future__ import annotations

import ast
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from workbench.models.encoding import HighCardinalityError, UnseenCategoryWarning
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
        "special_codes": None, "max_categories": 50,
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
    with pytest.raises(ValueError, match="categorical columns without a single non-missing value: sector"):
        model.fit(X.assign(name="x", sector=pd.Series([None] * 500, dtype="str")), y)
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


# --------------------------------------------------------------------------- categories and special codes

PURPOSE_RATE = {"working_capital": 0.03, "capex": 0.05, "refinancing": 0.10, "acquisition": 0.18, "bridge": 0.30}
NO_RECORD, NOT_APPLICABLE = -7.0, -9.0


def _bank_table(n: int = 6000, seed: int = 1) -> tuple[pd.DataFrame, pd.Series]:
    """A text column whose categories carry different default rates (3 % to 30 %), a numeric
    leverage, and a bureau score with special codes: -7 "no record" (risky) and -9 "not
    applicable" (safe), both far below the ordinary scores (400-800) they must not be binned with."""
    rng = np.random.default_rng(seed)
    purpose = rng.choice(list(PURPOSE_RATE), n, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    bureau = rng.normal(600, 60, n)
    code = rng.random(n)
    bureau[code < 0.08] = NO_RECORD
    bureau[(code >= 0.08) & (code < 0.14)] = NOT_APPLICABLE
    leverage = rng.lognormal(0.0, 0.7, n)
    base = np.log(pd.Series(purpose).map(PURPOSE_RATE).to_numpy() / (1 - pd.Series(purpose).map(PURPOSE_RATE)))
    score_effect = np.select([bureau == NO_RECORD, bureau == NOT_APPLICABLE], [1.5, -1.5], -(bureau - 600) / 60)
    logit = base.to_numpy() + 0.6 * np.log(leverage) + 0.5 * score_effect
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), name="default")
    X = pd.DataFrame({"purpose": pd.Series(purpose, dtype="str"), "leverage": leverage, "bureau_score": bureau})
    X.loc[rng.random(n) < 0.03, "purpose"] = np.nan
    X.loc[rng.random(n) < 0.03, "bureau_score"] = np.nan
    return X, y


@pytest.fixture(scope="module")
def bank() -> tuple[pd.DataFrame, pd.Series]:
    return _bank_table()


@pytest.fixture(scope="module")
def bank_fitted(bank) -> ScorecardModel:
    X, y = bank
    return ScorecardModel(special_codes=[NO_RECORD, NOT_APPLICABLE]).fit(X.iloc[:N_TRAIN], y.iloc[:N_TRAIN])


def _categories_of(label: str) -> list[str]:
    value = ast.literal_eval(label)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), label
    return value


def test_text_column_is_selected_and_binned_by_its_categories(bank_fitted):
    model = bank_fitted
    assert model.categorical_features_ == ["purpose"]
    assert "purpose" in model.selected_features_
    assert model.categories_["purpose"] == sorted(PURPOSE_RATE)
    part = model.table().query("feature == 'purpose'")
    assert part["bin"].iloc[-1] == "Missing"
    groups = [_categories_of(b) for b in part["bin"].iloc[:-1]]
    # every category in exactly one bin, at least the extremes kept apart
    assert sorted(c for g in groups for c in g) == sorted(PURPOSE_RATE)
    assert len(groups) >= 3
    # optbinning orders the groups by default rate
    assert part["default_rate"].iloc[:-1].is_monotonic_increasing
    assert groups[0] != groups[-1] and "bridge" in groups[-1] and "working_capital" in groups[0]
    iv = model.iv_table().set_index("feature")
    assert iv.loc["purpose", "selected"] and iv.loc["purpose", "n_bins"] == len(groups)


def test_predict_pd_ranks_a_risky_category_above_a_safe_one(bank_fitted, bank):
    X, y = bank
    rows = X.iloc[N_TRAIN:N_TRAIN + 200]
    risky, safe = rows.assign(purpose="bridge"), rows.assign(purpose="working_capital")
    assert (bank_fitted.predict_pd(risky) > bank_fitted.predict_pd(safe)).all()
    assert (bank_fitted.score(risky) < bank_fitted.score(safe)).all()
    held_out = X.iloc[N_TRAIN:]
    assert roc_auc_score(y.iloc[N_TRAIN:], bank_fitted.predict_pd(held_out)) > 0.7


def test_category_and_object_dtypes_give_the_same_pds_as_str(bank, bank_fitted):
    X, y = bank
    train, test = X.iloc[:N_TRAIN], X.iloc[N_TRAIN:]
    expected = bank_fitted.predict_pd(test)
    for dtype in ("category", object):
        model = clone(bank_fitted).fit(train.astype({"purpose": dtype}), y.iloc[:N_TRAIN])
        assert model.categorical_features_ == ["purpose"]
        np.testing.assert_allclose(model.predict_pd(test.astype({"purpose": dtype})), expected, rtol=0, atol=1e-12)
        # and a model fitted on one dtype scores the others alike
        np.testing.assert_allclose(bank_fitted.predict_pd(test.astype({"purpose": dtype})), expected, rtol=0,
                                   atol=1e-12)
        pd.testing.assert_frame_equal(model.table(), bank_fitted.table())


def test_unseen_category_is_scored_as_missing_with_a_warning(bank_fitted, bank):
    X, _ = bank
    rows = X.iloc[N_TRAIN:N_TRAIN + 20].copy()
    rows.iloc[:3, rows.columns.get_loc("purpose")] = ["yacht", "yacht", "spaceship"]
    with pytest.warns(UnseenCategoryWarning, match=r"column purpose: 3 row\(s\).*'yacht', 'spaceship'"):
        p = bank_fitted.predict_pd(rows)
    with pytest.warns(UnseenCategoryWarning, match="purpose"):
        points = bank_fitted.score(rows)
    assert np.isfinite(p).all() and np.isfinite(points).all()
    as_missing = rows.assign(purpose=rows["purpose"].where(~rows["purpose"].isin(["yacht", "spaceship"])))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnseenCategoryWarning)  # plain missing values do not warn
        np.testing.assert_allclose(p, bank_fitted.predict_pd(as_missing))
        np.testing.assert_allclose(points, bank_fitted.score(as_missing))
    # the score path and the PD path agree (the Missing bin in both), so score stays a function of the PD
    odds = p / (1 - p)
    np.testing.assert_allclose(points, 600 - 20 * np.log2(50 * odds), atol=1e-6)


def test_column_kind_must_match_training_at_prediction(bank_fitted, bank):
    X, _ = bank
    rows = X.iloc[N_TRAIN:N_TRAIN + 10]
    with pytest.raises(TypeError, match=r"numeric columns the scorecard was fitted on as categories: purpose"):
        bank_fitted.predict_pd(rows.assign(purpose=np.arange(10.0)))
    with pytest.raises(TypeError, match="non-numeric columns: leverage"):
        bank_fitted.predict_pd(rows.assign(leverage=rows["leverage"].astype(str)))
    # a categorical column with nothing in it may arrive as float (e.g. from CSV): it is missing
    all_missing = rows.assign(purpose=np.nan)
    np.testing.assert_allclose(bank_fitted.predict_pd(all_missing),
                               bank_fitted.predict_pd(rows.assign(purpose=pd.Series([None] * 10, dtype="str",
                                                                                    index=rows.index))))


def test_special_codes_get_bins_of_their_own_with_their_default_rate(bank_fitted, bank):
    X, y = bank
    X_train, y_train = X.iloc[:N_TRAIN], y.iloc[:N_TRAIN]
    model = bank_fitted
    assert model.special_codes_ == {"bureau_score": [NO_RECORD, NOT_APPLICABLE]}
    part = model.table().query("feature == 'bureau_score'").set_index("bin")
    assert list(part.index[-3:]) == ["Special -7", "Special -9", "Missing"]
    for code in (NO_RECORD, NOT_APPLICABLE):
        rows = X_train["bureau_score"] == code
        label = f"Special {int(code)}"
        assert part.loc[label, "count"] == rows.sum()
        assert part.loc[label, "default_rate"] == pytest.approx(y_train[rows].mean())
    assert part.loc["Special -7", "woe"] < 0 < part.loc["Special -9", "woe"]  # -7 risky, -9 safe
    # the ordinary bins hold exactly the ordinary scores: no code was binned with them
    intervals = part.iloc[:-3]
    ordinary = X_train["bureau_score"].notna() & ~X_train["bureau_score"].isin([NO_RECORD, NOT_APPLICABLE])
    assert intervals["count"].sum() == ordinary.sum()
    assert intervals.index[0].startswith("(-inf, ") and float(intervals.index[0][7:-1]) > 400
    # a row's code decides its points: two rows differing only by the code differ by the bins' points
    row = X.iloc[[N_TRAIN]]
    no_record, not_applicable = row.assign(bureau_score=NO_RECORD), row.assign(bureau_score=NOT_APPLICABLE)
    gap = model.score(not_applicable) - model.score(no_record)
    assert gap == pytest.approx(part.loc["Special -9", "points"] - part.loc["Special -7", "points"])
    assert model.predict_pd(no_record) > model.predict_pd(not_applicable)


def test_special_codes_by_column_and_star_key_resolve_like_a_list(bank, bank_fitted):
    X, y = bank
    train, test = X.iloc[:N_TRAIN], X.iloc[N_TRAIN:]
    expected = bank_fitted.predict_pd(test)
    for codes in ({"bureau_score": [-7, -9]}, {"*": [-7, -9]}, {"leverage": [], "*": [-9.0, -7.0, -7.0]}):
        model = ScorecardModel(special_codes=codes).fit(train, y.iloc[:N_TRAIN])
        assert {c: sorted(v) for c, v in model.special_codes_.items()} == {"bureau_score": [-9.0, -7.0]}
        np.testing.assert_allclose(model.predict_pd(test), expected, atol=1e-12)
    only_no_record = ScorecardModel(special_codes={"bureau_score": [-7]}).fit(train, y.iloc[:N_TRAIN])
    labels = set(only_no_record.table().query("feature == 'bureau_score'")["bin"])
    assert "Special -7" in labels and "Special -9" not in labels


def test_special_code_absent_from_training_is_scored_as_missing(bank):
    X, y = bank
    model = ScorecardModel(special_codes=[NO_RECORD, -8.0, NOT_APPLICABLE]).fit(X.iloc[:N_TRAIN], y.iloc[:N_TRAIN])
    assert model.binless_codes_ == {"bureau_score": [-8.0], "leverage": [-7.0, -8.0, -9.0]}
    assert "Special -8" not in set(model.table()["bin"])
    rows = X.iloc[N_TRAIN:N_TRAIN + 5]
    np.testing.assert_allclose(model.predict_pd(rows.assign(bureau_score=-8.0)),
                               model.predict_pd(rows.assign(bureau_score=np.nan)))


def test_without_special_codes_the_codes_are_binned_as_ordinary_values(bank):
    X, y = bank
    model = ScorecardModel().fit(X.iloc[:N_TRAIN], y.iloc[:N_TRAIN])
    part = model.table().query("feature == 'bureau_score'")
    assert not part["bin"].str.startswith("Special").any()
    assert part["count"].iloc[:-1].sum() == X["bureau_score"].iloc[:N_TRAIN].notna().sum()


def test_high_cardinality_text_column_is_refused_naming_it(bank):
    X, y = bank
    ids = pd.Series([f"client-{k % 500:04d}" for k in range(len(X))], dtype="str", index=X.index)
    with pytest.raises(HighCardinalityError, match=r"client_id \(500 distinct values\)"):
        ScorecardModel().fit(X.assign(client_id=ids), y)
    with pytest.raises(HighCardinalityError, match=r"more than 4 distinct values.*purpose \(5 distinct"):
        ScorecardModel(max_categories=4).fit(X, y)


def test_invalid_special_codes_and_max_categories_are_refused(bank):
    X, y = bank
    X, y = X.iloc[:500], y.iloc[:500]
    for codes in ("-7,-9", [-7, "x"], [np.nan], {"bureau_score": -7}, 7):
        with pytest.raises(ValueError, match="special_codes"):
            ScorecardModel(special_codes=codes).fit(X, y)
    for bad in (1, 2.5, True):
        with pytest.raises(ValueError, match="max_categories must be an integer >= 2"):
            ScorecardModel(max_categories=bad).fit(X, y)


def test_numeric_view_and_value_text_describe_categories_and_codes(bank_fitted, bank):
    X, _ = bank
    rows = X.iloc[N_TRAIN:N_TRAIN + 4].copy()
    rows["purpose"] = ["capex", "yacht", None, "bridge"]
    rows["bureau_score"] = [NO_RECORD, 612.0, np.nan, NOT_APPLICABLE]
    with pytest.warns(UnseenCategoryWarning):
        view = bank_fitted.numeric_view(rows)
    categories = bank_fitted.categories_["purpose"]
    assert list(view.columns) == bank_fitted.feature_names_in_
    np.testing.assert_array_equal(view["purpose"], [categories.index("capex"), np.nan, np.nan,
                                                    categories.index("bridge")])
    np.testing.assert_array_equal(view["bureau_score"], [np.nan, 612.0, np.nan, np.nan])
    text = bank_fitted.value_text(rows)
    assert text["purpose"].tolist()[:2] == ["capex", "unseen category yacht"] and pd.isna(text["purpose"].iloc[2])
    assert text["bureau_score"].tolist()[0] == "special value -7" and text["bureau_score"].iloc[3] == "special value -9"
    assert text["bureau_score"].iloc[1:3].isna().all()


def test_column_holding_only_special_codes_is_refused_naming_it(bank):
    X, y = bank
    only_codes = np.where(np.arange(len(X)) % 2, NO_RECORD, np.nan)
    with pytest.raises(ValueError, match="without a single finite value other than special codes: no_history"):
        ScorecardModel(special_codes=[NO_RECORD]).fit(X.assign(no_history=only_codes), y)
