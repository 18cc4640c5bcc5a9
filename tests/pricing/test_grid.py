"""The calibrated pricing grid: hurdle floor, market layer, monotonicity, look-up, portfolio RAROC, quotes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.jobs.params import CalibratePricingParams
from workbench.params import read_params_file
from workbench.pricing import (
    PriceResponseModel,
    PricingGrid,
    PricingParams,
    calibrate_pricing_grid,
    cost_of_funds,
    grade_pd_table,
    grid_from_table,
    hurdle_grid,
    params_only_grid,
    portfolio_raroc,
    pricing_metrics,
    quote_facility,
    quote_features,
    raroc,
    raroc_summary,
    required_spread_bps,
)
from workbench.reference import MasterScale
from workbench.synthetic import GeneratorSettings, generate_portfolio

# What the calibration job's params add to PricingParams (its run id and data); the rest of the file is
# the pricing domain's and must validate as PricingParams, unknown keys included.
JOB_KEYS = tuple(sorted(set(CalibratePricingParams.model_fields) - set(PricingParams.model_fields)))


@pytest.fixture(scope="module")
def params() -> PricingParams:
    raw = read_params_file("params/calibrate_pricing.yaml")
    return PricingParams.model_validate({k: v for k, v in raw.items() if k not in JOB_KEYS})


@pytest.fixture(scope="module")
def grade_pd(params) -> pd.DataFrame:
    return grade_pd_table(MasterScale(10, params.capital.pd_floor, 0.30))


@pytest.fixture(scope="module")
def portfolio() -> dict[str, pd.DataFrame]:
    return generate_portfolio(GeneratorSettings(n_obligors=600, years=6, seed=5,
                                                tables=("obligors", "quotes", "facilities")))


@pytest.fixture(scope="module")
def response(portfolio, params) -> PriceResponseModel:
    return PriceResponseModel(kind="logistic").fit(quote_features(portfolio["quotes"], portfolio["obligors"],
                                                                  params.tier_by_size_band))


@pytest.fixture(scope="module")
def market_grid(grade_pd, params, response) -> PricingGrid:
    return calibrate_pricing_grid(grade_pd, params, response)


def test_grade_pd_table_prices_performing_grades_only(grade_pd):
    assert grade_pd["grade"].tolist() == list(range(1, 11))
    assert grade_pd["pd"].is_monotonic_increasing


def test_hurdle_floor_earns_exactly_the_hurdle(grade_pd, params):
    floor = hurdle_grid(grade_pd, params)
    assert (floor["monotone_lift_bps"] == 0).all()  # capital rises with PD on this scale: no lift needed
    # Fully cash-collateralised loans hold no capital (LGD 0): RAROC is undefined, the floor is the opex.
    no_capital = floor["capital_k"] == 0
    assert set(floor.loc[no_capital, "collateral_type"]) == {"financial"}
    econ, pd_floor = params.economics, params.capital.pd_floor
    np.testing.assert_allclose(floor.loc[no_capital, "floor_spread_bps"], econ.opex_bps)
    unlifted = floor[~no_capital]
    cof = cost_of_funds(unlifted["tenor_years"].to_numpy(), econ.funding_curve_bps) / 1e4
    earned = raroc(cof + unlifted["floor_spread_bps"].to_numpy() / 1e4, np.maximum(unlifted["pd"], pd_floor),
                   unlifted["lgd"].to_numpy(), unlifted["tenor_years"].to_numpy(), cost_of_funds=cof,
                   opex=econ.opex_bps / 1e4, tax=econ.tax_rate, capital_return=econ.capital_return_rate,
                   pd_floor=pd_floor)
    np.testing.assert_allclose(earned, econ.hurdle_rate, atol=1e-9)


def test_secured_and_shorter_loans_need_less_spread(grade_pd, params):
    floor = hurdle_grid(grade_pd, params).set_index(["grade", "tenor_years", "collateral_type"])["floor_spread_bps"]
    assert floor[(5, 5.0, "real_estate")] < floor[(5, 5.0, "none")]
    assert floor[(5, 5.0, "financial")] < floor[(5, 5.0, "receivables")]
    assert floor[(5, 1.0, "none")] < floor[(5, 7.0, "none")]


def test_grid_without_quotes_recommends_the_floor(grade_pd, params):
    grid = params_only_grid(params)
    t = grid.table()
    assert not grid.has_market_layer
    np.testing.assert_allclose(t["recommended_spread_bps"], t["floor_spread_bps"])
    assert grid.is_monotone() and grid.floor_respected()


def test_calibrated_grid_is_monotone_in_grade_and_never_below_the_hurdle(market_grid):
    t = market_grid.table()
    assert market_grid.has_market_layer
    assert market_grid.is_monotone() and market_grid.floor_respected()
    assert (t["recommended_spread_bps"] >= t["floor_spread_bps"] - 1e-9).all()
    # The market layer prices above the floor where clients accept it.
    assert (t["recommended_spread_bps"] > t["floor_spread_bps"] + 1).mean() > 0.5


def test_tier_discount_never_goes_below_the_floor(grade_pd, params, response):
    generous = params.model_copy(update={"grid": params.grid.model_copy(
        update={"tier_discount_bps": {"A": 5000.0, "B": 0.0, "C": 0.0}})})
    t = calibrate_pricing_grid(grade_pd, generous, response).table()
    tier_a = t[t["tier"] == "A"]
    np.testing.assert_allclose(tier_a["recommended_spread_bps"], tier_a["floor_spread_bps"])


def test_monotonicity_check_catches_a_better_grade_paying_more(market_grid):
    t = market_grid.table()
    cell = (t["tier"] == "B") & (t["collateral_type"] == "none") & (t["tenor_years"] == 5.0) & (t["grade"] == 2)
    t.loc[cell, "recommended_spread_bps"] = 10_000.0
    broken = PricingGrid(t, market_grid.tenor_buckets, True)
    assert not broken.is_monotone()


def test_lookup_prices_a_tenor_between_buckets_at_the_longer_one(market_grid):
    out = market_grid.lookup([3, 3], [4.0, 0.5], ["none", "none"], ["B", "B"])
    assert out["tenor_years"].tolist() == [5.0, 1.0]
    with pytest.raises(ValueError, match="grade"):
        market_grid.lookup([42], [5.0], ["none"], ["B"])


def test_grid_round_trips_through_its_saved_table(market_grid):
    again = grid_from_table(market_grid.table())
    assert again.tenor_buckets == market_grid.tenor_buckets and again.has_market_layer
    pd.testing.assert_frame_equal(again.lookup([4], [3], ["receivables"], ["C"]),
                                  market_grid.lookup([4], [3], ["receivables"], ["C"]))


def test_portfolio_raroc_recomputes_each_facility_from_its_own_terms(portfolio, market_grid, params):
    rng = np.random.default_rng(0)
    obligors = portfolio["obligors"]
    grades = pd.DataFrame({"obligor_id": obligors["obligor_id"],
                           "grade": rng.integers(1, 11, len(obligors)).astype(str)})
    scale = grade_pd_table(MasterScale(10, params.capital.pd_floor, 0.3))
    grades["pd"] = grades["grade"].astype(int).map(dict(zip(*scale.to_numpy().T)))
    as_of = portfolio["facilities"]["origination_date"].max()
    per = portfolio_raroc(portfolio["facilities"], obligors, grades, market_grid, params, as_of)
    assert len(per) > 50
    # RAROC is undefined only where a facility holds no capital (cash collateral covering it).
    assert per.loc[per["capital"] > 0, "raroc_grid"].notna().all()
    assert per.loc[per["raroc_grid"].isna(), "capital"].eq(0).all()
    row = per.iloc[0]
    econ, pd_floor = params.economics, params.capital.pd_floor
    cof = float(cost_of_funds(row["tenor_years"], econ.funding_curve_bps)) / 1e4
    expected = raroc(cof + row["spread_today_bps"] / 1e4, max(row["pd"], pd_floor), row["lgd"], row["tenor_years"],
                     cost_of_funds=cof, opex=econ.opex_bps / 1e4, tax=econ.tax_rate,
                     capital_return=econ.capital_return_rate, pd_floor=pd_floor)
    assert row["raroc_today"] == pytest.approx(float(expected), rel=1e-12)
    summary = raroc_summary(per, "tier", econ.hurdle_rate)
    assert summary["facilities"].sum() == len(per)
    metrics = pricing_metrics(market_grid, per)
    assert metrics["grid/monotone_in_grade"] == 1.0 and metrics["grid/floor_respected"] == 1.0


def test_quote_meets_the_hurdle_and_breaks_down_the_price(market_grid, params):
    q = quote_facility(market_grid, params, grade=6, tenor_years=4.0, collateral_type="real_estate",
                       amount_eur_m=25.0, tier="A", sales_eur_m=30.0).set_index("item")["value"]
    econ = params.economics
    assert q["RAROC at the recommended spread"] >= econ.hurdle_rate - 1e-9
    assert q["recommended spread (bps)"] >= q["required spread for the hurdle (bps)"] - 1e-9
    cof = float(cost_of_funds(4.0, econ.funding_curve_bps)) / 1e4
    expected = required_spread_bps(q["PD"], q["LGD (F-IRB)"], 4.0, hurdle=econ.hurdle_rate, cost_of_funds=cof,
                                   opex=econ.opex_bps / 1e4, tax=econ.tax_rate,
                                   capital_return=econ.capital_return_rate, sales=30.0,
                                   pd_floor=params.capital.pd_floor)
    assert q["required spread for the hurdle (bps)"] == pytest.approx(float(expected))
    assert q["capital K x EAD (EUR m)"] == pytest.approx(q["risk weight"] / 12.5 * 25.0)


def test_quote_rejects_unknown_collateral_and_non_positive_amounts(market_grid, params):
    with pytest.raises(ValueError, match="collateral_type"):
        quote_facility(market_grid, params, grade=3, tenor_years=5, collateral_type="gold", amount_eur_m=1)
    with pytest.raises(ValueError, match="amount"):
        quote_facility(market_grid, params, grade=3, tenor_years=5, collateral_type="none", amount_eur_m=0)


def test_params_only_grid_prices_the_reference_master_scale(params):
    from workbench.reference import MASTER_SCALE

    grid = params_only_grid(params)
    expected = grade_pd_table(MASTER_SCALE)
    priced = grid.table().drop_duplicates("grade").sort_values("grade")
    assert priced["grade"].tolist() == expected["grade"].tolist()
    np.testing.assert_allclose(priced["pd"], expected["pd"])
    # Another scale is an explicit argument, not a params field.
    five = params_only_grid(params, MasterScale(5, 0.001, 0.2)).table()
    assert sorted(five["grade"].unique()) == [1, 2, 3, 4, 5]


def test_grid_functions_read_their_own_sections_of_the_params(grade_pd, params):
    dearer = params.model_copy(update={"economics": params.economics.model_copy(update={"opex_bps": 90.0})})
    base, more = hurdle_grid(grade_pd, params), hurdle_grid(grade_pd, dearer)
    np.testing.assert_allclose(more["floor_spread_bps"] - base["floor_spread_bps"], 90.0 - params.economics.opex_bps)
    shorter = params.model_copy(update={"grid": params.grid.model_copy(update={"tenor_buckets": [2.0, 4.0]})})
    grid = calibrate_pricing_grid(grade_pd, shorter)
    assert grid.tenor_buckets == (2.0, 4.0) and set(grid.table()["tenor_years"]) == {2.0, 4.0}


def test_capital_curve_starts_at_the_capital_params_pd_floor():
    from workbench.pricing import CapitalParams, plot_capital_curve

    for floor in (0.0003, 0.0005):
        fig = plot_capital_curve(CapitalParams(pd_floor=floor))
        x = fig.axes[0].lines[0].get_xdata()
        assert x[0] == pytest.approx(100 * floor) and x[-1] == pytest.approx(30.0)


def test_pricing_metrics_are_named_by_the_reference_constants(market_grid):
    from workbench.reference import metrics

    per = pd.DataFrame({"capital": [1.0, 3.0], "raroc_today": [0.10, 0.20], "raroc_grid": [0.12, 0.16]})
    got = pricing_metrics(market_grid, per)
    assert set(got) == {metrics.GRID_MONOTONE_IN_GRADE, metrics.GRID_FLOOR_RESPECTED, metrics.GRID_CELLS,
                        metrics.GRID_MEAN_FLOOR_SPREAD_BPS, metrics.GRID_MEAN_RECOMMENDED_SPREAD_BPS,
                        metrics.GRID_SHARE_FLOOR_BINDS, metrics.PORTFOLIO_FACILITIES, metrics.PORTFOLIO_RAROC_TODAY,
                        metrics.PORTFOLIO_RAROC_GRID}
    assert got[metrics.PORTFOLIO_RAROC_TODAY] == pytest.approx((0.10 + 0.60) / 4)
    assert got[metrics.PORTFOLIO_RAROC_GRID] == pytest.approx((0.12 + 0.48) / 4)
    assert got[metrics.GRID_CELLS] == len(market_grid.table())
