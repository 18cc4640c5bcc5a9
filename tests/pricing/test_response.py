"""Price response: quote features, the monotone acceptance model, the best spread and its figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.optimize import brentq
from scipy.special import expit
from sklearn.exceptions import NotFittedError

from workbench.pricing.params import PricingParams
from workbench.pricing.response import (
    CELL_COLUMNS,
    PriceResponseModel,
    optimal_spread,
    plot_acceptance_curves,
    quote_features,
)
from workbench.synthetic import GeneratorSettings, generate_portfolio

PARAMS = PricingParams()
TIER_BY_SIZE_BAND = PARAMS.tier_by_size_band


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    # ~11,000 quotes: enough for a held-out AUC with a standard error near 0.01, generated in < 1 s.
    return generate_portfolio(GeneratorSettings(n_obligors=2000, years=8, seed=1, tables=("obligors", "quotes")))


@pytest.fixture(scope="module")
def features(tables) -> pd.DataFrame:
    return quote_features(tables["quotes"], tables["obligors"], TIER_BY_SIZE_BAND)


@pytest.fixture(scope="module")
def fitted(features) -> dict[str, PriceResponseModel]:
    return {kind: PriceResponseModel(kind).fit(features) for kind in ("logistic", "xgboost")}


def _all_cells(model: PriceResponseModel) -> pd.DataFrame:
    rows = [(g, t, c, tier, r) for g in model.grades_ for t in (1.0, 5.0, 10.0, 18.0)
            for c in model.collateral_types_ for tier in model.tiers_ for r in (0.0, 2.0, 10.0, 25.0)]
    return pd.DataFrame(rows, columns=list(CELL_COLUMNS))


# --------------------------------------------------------------------------- features


def test_quote_features_map_size_band_to_tier_and_floor_relationship_at_zero():
    quotes = pd.DataFrame({
        "quote_id": ["Q1", "Q2"], "obligor_id": ["O1", "O2"],
        "quote_date": pd.to_datetime(["2020-01-01", "2020-01-01"]), "grade": [3, 7], "tenor_years": [5.0, 2.0],
        "collateral_type": ["none", "financial"], "offered_spread_bps": [120.0, 300.0], "accepted": [True, False],
    })
    obligors = pd.DataFrame({
        "obligor_id": ["O2", "O1"], "size_band": ["mid_corporate", "very_large_corporate"],
        "relationship_start": pd.to_datetime(["2021-06-01", "2010-01-01"]),
    })
    out = quote_features(quotes, obligors, TIER_BY_SIZE_BAND)
    assert out["quote_id"].tolist() == ["Q1", "Q2"]
    assert out["tier"].tolist() == ["A", "C"]
    assert out["spread_bps"].tolist() == [120.0, 300.0]
    assert out["relationship_years"].iloc[0] == pytest.approx(10.0, abs=0.01)
    assert out["relationship_years"].iloc[1] == 0.0  # quote before the relationship started
    assert out["accepted"].tolist() == [True, False]


def test_quote_features_has_one_row_per_generated_quote(tables, features):
    assert len(features) == len(tables["quotes"])
    assert set(features["tier"]) == {"A", "B", "C"}
    assert (features["relationship_years"] >= 0).all()


@pytest.mark.parametrize("table, column", [("quotes", "accepted"), ("quotes", "offered_spread_bps"),
                                           ("obligors", "size_band"), ("obligors", "relationship_start")])
def test_missing_column_error_names_table_and_column(tables, table, column):
    frames = {"quotes": tables["quotes"], "obligors": tables["obligors"]}
    frames[table] = frames[table].drop(columns=column)
    with pytest.raises(ValueError, match=f"{table} table is missing column.*'{column}'"):
        quote_features(frames["quotes"], frames["obligors"], TIER_BY_SIZE_BAND)


def test_quotes_of_unknown_obligors_are_listed_by_quote_id(tables):
    quotes = tables["quotes"]
    first_obligor = quotes["obligor_id"].iloc[0]
    orphaned = quotes.loc[quotes["obligor_id"] == first_obligor, "quote_id"]
    obligors = tables["obligors"][tables["obligors"]["obligor_id"] != first_obligor]
    with pytest.raises(ValueError, match=rf"{len(orphaned)} quote\(s\) refer to obligors missing.*{orphaned.iloc[0]}"):
        quote_features(quotes, obligors, TIER_BY_SIZE_BAND)


def test_model_input_missing_column_is_named(features, fitted):
    with pytest.raises(ValueError, match="features table is missing column.*'tier'"):
        PriceResponseModel().fit(features.drop(columns="tier"))
    with pytest.raises(ValueError, match="frame table is missing column.*'spread_bps'"):
        fitted["logistic"].predict_acceptance(features.drop(columns="spread_bps"))


# --------------------------------------------------------------------------- model


def test_unfitted_model_raises_not_fitted():
    model = PriceResponseModel()
    with pytest.raises(NotFittedError):
        model.predict_acceptance(pd.DataFrame({c: [1] for c in ("spread_bps", *CELL_COLUMNS)}))
    with pytest.raises(NotFittedError):
        model.table()
    with pytest.raises(NotFittedError):
        model.acceptance_curve(1, 5, "none", "B", 5)


@pytest.mark.parametrize("kind", ["logistic", "xgboost"])
def test_acceptance_never_rises_with_spread_in_any_cell(fitted, kind):
    model = fitted[kind]
    cells = _all_cells(model)
    spreads = np.linspace(0.0, 2000.0, 201)
    frame = cells.loc[cells.index.repeat(len(spreads))].reset_index(drop=True)
    frame["spread_bps"] = np.tile(spreads, len(cells))
    p = model.predict_acceptance(frame).reshape(len(cells), len(spreads))
    assert np.all(np.diff(p, axis=1) <= 0)
    # Not trivially flat: every cell's acceptance falls over the range.
    assert np.all(p[:, 0] - p[:, -1] > 0.05)


def test_xgboost_carries_a_decreasing_constraint_on_the_spread_only(fitted):
    table = fitted["xgboost"].table().set_index("feature")
    assert table.loc["relative_spread", "monotone_constraint"] == -1
    assert (table.drop(index="relative_spread")["monotone_constraint"] == 0).all()


def test_logistic_recovers_a_decreasing_response_that_discriminates(fitted):
    model = fitted["logistic"]
    assert model.spread_coef_ < 0
    assert model.metrics_["auc"] > 0.6
    assert abs(model.metrics_["mean_predicted"] - model.metrics_["observed_rate"]) < 0.03
    # The generator's clients react to 30 bp with one unit of log-odds: around a grade-1 reference
    # of ~85 bp, +/- 20 % of the reference must move acceptance by well over 10 points.
    ref = model.spread_reference_.query("grade == 1 and collateral_type == 'none'")["reference_bps"].item()
    curve = model.acceptance_curve(1, 3.0, "none", "B", 5.0, spreads=[0.8 * ref, 1.2 * ref])
    drop = curve["acceptance_probability"].iloc[0] - curve["acceptance_probability"].iloc[1]
    assert drop > 0.15


def test_logistic_refuses_quotes_where_dearer_offers_win_more(features):
    flipped = features.copy()
    # Accept exactly the dearer half of each grade: acceptance rises with the spread.
    median = flipped.groupby("grade")["spread_bps"].transform("median")
    flipped["accepted"] = flipped["spread_bps"] > median
    with pytest.raises(ValueError, match=r"relative-spread coefficient is \+"):
        PriceResponseModel("logistic").fit(flipped)


def test_from_params_takes_the_kind_and_quote_minimum_of_the_response_params():
    from workbench.pricing.params import PriceResponseParams

    model = PriceResponseModel.from_params(PriceResponseParams(model="xgboost", min_quotes=500), random_state=3)
    assert (model.kind, model.min_quotes, model.random_state) == ("xgboost", 500, 3)
    default = PriceResponseModel.from_params(PARAMS.response)
    assert (default.kind, default.min_quotes) == (PARAMS.response.model, PARAMS.response.min_quotes)


def test_fit_needs_min_quotes(features):
    with pytest.raises(ValueError, match="fewer than min_quotes=200"):
        PriceResponseModel(min_quotes=200).fit(features.iloc[:150])


def test_prediction_rejects_a_grade_not_seen_in_fit(features):
    model = PriceResponseModel().fit(features[features["grade"] <= 8])
    with pytest.raises(ValueError, match=r"grade value\(s\) 9 were not in the quotes"):
        model.acceptance_curve(9, 5, "none", "B", 5)


def test_table_reports_the_spread_coefficient_in_raw_units(fitted):
    model = fitted["logistic"]
    table = model.table().set_index("term")
    assert table.loc["relative_spread", "coefficient"] == pytest.approx(model.spread_coef_)
    # Rebuild one prediction from the readable table: intercept + terms in raw units.
    row = pd.DataFrame({"spread_bps": [150.0], "grade": [4], "tenor_years": [3.0], "collateral_type": ["none"],
                        "tier": ["B"], "relationship_years": [4.0]})
    ref = model.spread_reference_.query("grade == 4 and collateral_type == 'none'")["reference_bps"].item()
    eta = (table.loc["intercept", "coefficient"] + table.loc["relative_spread", "coefficient"] * 150.0 / ref
           + table.loc["tenor_years", "coefficient"] * 3.0
           + table.loc["log1p_relationship_years", "coefficient"] * np.log1p(4.0)
           + table.loc[["grade=4", "collateral=none", "tier=B"], "coefficient"].sum())
    assert model.predict_acceptance(row)[0] == pytest.approx(expit(eta), rel=1e-9)


# --------------------------------------------------------------------------- optimal spread


class _KnownLogit:
    """Hand-made response P = expit(a_grade - b * spread), whose optimum has a closed-form condition."""

    def __init__(self, a: dict[int, float], b: float):
        self.a, self.b = a, b

    def predict_acceptance(self, frame: pd.DataFrame) -> np.ndarray:
        a = frame["grade"].map(self.a).to_numpy(float)
        return expit(a - self.b * frame["spread_bps"].to_numpy(float))


def _cells(grades) -> pd.DataFrame:
    return pd.DataFrame({"grade": list(grades), "tenor_years": 5.0, "collateral_type": "none", "tier": "B",
                         "relationship_years": 5.0})


def _closed_form_optimum(a: float, b: float, cost: float) -> float:
    # d/ds [P(s) (s - c)] = P [1 - b (s - c)(1 - P)] = 0
    return brentq(lambda s: 1 - b * (s - cost) * (1 - expit(a - b * s)), cost, cost + 50 / b, xtol=1e-10)


def test_optimal_spread_matches_the_closed_form_logistic_optimum():
    b = 0.02
    a = {g: 0.5 + b * (100 + 20 * g) for g in range(1, 11)}  # P = 62 % at 100 + 20 g bp
    model = _KnownLogit(a, b)
    floors = np.array([60.0 + 15 * g for g in range(1, 11)])
    out = optimal_spread(model, _cells(range(1, 11)), floors, exposure=10.0, search=(0.0, 1500.0))
    expected = np.array([_closed_form_optimum(a[g], b, f) for g, f in zip(range(1, 11), floors)])
    np.testing.assert_allclose(out["spread_bps"], expected, atol=0.1)
    p = expit(np.array([a[g] for g in range(1, 11)]) - b * out["spread_bps"].to_numpy())
    np.testing.assert_allclose(out["acceptance_probability"], p)
    np.testing.assert_allclose(out["expected_profit"], p * (out["spread_bps"] - floors) / 1e4 * 10.0)
    assert not out["floor_binds"].any() and not out["ceiling_binds"].any()


def test_floor_binds_when_it_lies_above_the_unconstrained_optimum():
    b, a = 0.02, {1: 3.0, 2: 3.0}
    model = _KnownLogit(a, b)
    cost = 50.0
    s_star = _closed_form_optimum(3.0, b, cost)
    floors = np.array([s_star + 30.0, s_star - 30.0])  # cell 1: floor above the optimum; cell 2: below
    out = optimal_spread(model, _cells([1, 2]), floors, exposure=5.0, cost_bps=cost)
    assert out["spread_bps"].iloc[0] == pytest.approx(floors[0], abs=1e-9)
    assert out["spread_bps"].iloc[1] == pytest.approx(s_star, abs=0.1)
    assert out["floor_binds"].tolist() == [True, False]
    assert out["margin_bps"].iloc[0] == pytest.approx(floors[0] - cost)


def test_floor_above_the_search_range_is_the_price():
    model = _KnownLogit({1: 3.0}, 0.02)
    out = optimal_spread(model, _cells([1]), [1800.0], exposure=1.0, search=(0.0, 1500.0))
    assert out["spread_bps"].item() == 1800.0
    assert out["floor_binds"].item() and not out["ceiling_binds"].item()


def test_optimal_spread_reports_a_ceiling_when_search_is_too_narrow():
    model = _KnownLogit({1: 0.5 + 0.02 * 300}, 0.02)
    out = optimal_spread(model, _cells([1]), [100.0], exposure=1.0, search=(0.0, 200.0))
    assert out["spread_bps"].item() == pytest.approx(200.0)
    assert out["ceiling_binds"].item()


def test_fitted_models_price_above_the_floor_and_within_their_quotes(fitted):
    for model in fitted.values():
        cells = _cells(range(1, 10))
        floors = np.array([40.0 + 10 * g ** 2 for g in range(1, 10)])
        out = optimal_spread(model, cells, floors, exposure=10.0)
        _, support_hi = model.spread_support(cells)
        assert (out["spread_bps"] > floors).all()
        assert (out["spread_bps"] <= support_hi + 1e-9).all()
        assert (out["expected_profit"] > 0).all()


# --------------------------------------------------------------------------- figure


def test_plot_draws_one_curve_per_grade_and_observed_rates(fitted, features):
    before = set(plt.get_fignums())
    fig = plot_acceptance_curves(fitted["logistic"], grades=(2, 5, 8), quotes=features)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["grade 2", "grade 5", "grade 8"]
    assert len(ax.collections) == 3  # observed acceptance by spread bin, one marker set per grade
    assert set(plt.get_fignums()) == before  # closed for pyplot: never shown by a notebook twice
