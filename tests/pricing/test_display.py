"""Tables for people in the pricing report: the grid's slice with the columns a reader needs, units
in every header, dates as dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.format import NBSP
from workbench.jobs.params import CalibratePricingParams
from workbench.params import read_params_file
from workbench.pricing import (
    PriceResponseModel,
    PricingParams,
    calibrate_pricing_grid,
    display_grade_pd,
    display_pricing_metrics,
    display_raroc_summary,
    floor_by_grade_and_tenor,
    grade_pd_table,
    hurdle_grid,
    pricing_metrics,
    quote_features,
    quotes_summary,
)
from workbench.reference import MasterScale, metrics
from workbench.synthetic import GeneratorSettings, generate_portfolio

JOB_KEYS = tuple(sorted(set(CalibratePricingParams.model_fields) - set(PricingParams.model_fields)))



def plain(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its no-break spaces ("45.00\u00a0%") as plain ones, to compare with text."""
    return table.map(lambda s: s.replace(NBSP, " ") if isinstance(s, str) else s)



@pytest.fixture(scope="module")
def params() -> PricingParams:
    raw = read_params_file("params/calibrate_pricing.yaml")
    return PricingParams.model_validate({k: v for k, v in raw.items() if k not in JOB_KEYS})


@pytest.fixture(scope="module")
def grade_pd(params) -> pd.DataFrame:
    return grade_pd_table(MasterScale(10, params.capital.pd_floor, 0.30))


@pytest.fixture(scope="module")
def quotes(params) -> pd.DataFrame:
    portfolio = generate_portfolio(GeneratorSettings(n_obligors=400, years=6, seed=5, tables=("obligors", "quotes")))
    return quote_features(portfolio["quotes"], portfolio["obligors"], params.tier_by_size_band)


@pytest.fixture(scope="module")
def grid(grade_pd, params, quotes):
    return calibrate_pricing_grid(grade_pd, params, PriceResponseModel(kind="logistic").fit(quotes))


def test_the_grid_is_shown_one_slice_at_a_time_with_the_columns_a_reader_needs(grid, params):
    table = plain(grid.display_table(tier="B", collateral_type="none"))
    assert len(grid.table().columns) > 20  # the full grid, logged as the run's output
    assert list(table.columns) == ["PD", "LGD", "risk weight", "floor (bps)", "market (bps)", "tier discount (bps)",
                                   "recommended (bps)", "P(accept)", "expected profit (EUR k a year)", "floor binds"]
    assert table.index.names == ["grade", "tenor"] and len(table) == 10 * len(params.grid.tenor_buckets)
    cell = grid.table().query("tier == 'B' and collateral_type == 'none' and grade == 5 and tenor_years == 5.0")
    row = table.loc[(5, "5y")]
    assert row["recommended (bps)"] == f"{cell['recommended_spread_bps'].iloc[0]:,.0f}"
    assert row["LGD"] == "45.00 %" and row["P(accept)"].endswith(" %")
    profit = cell["expected_profit"].iloc[0]
    assert row["expected profit (EUR k a year)"] == f"{1000 * profit:,.1f}"
    assert "e+" not in "".join(table.stack()) and "e-" not in "".join(table.stack())
    one_tenor = grid.display_table(tier="A", collateral_type="real_estate", tenor_years=5)
    assert list(one_tenor.index.get_level_values("tenor").unique()) == ["5y"]
    with pytest.raises(ValueError, match="tier 'Z'"):
        grid.display_table(tier="Z")


def test_grid_checks_say_pass_or_fail(grid):
    checks = grid.checks_table()
    assert checks["result"].tolist() == ["PASS", "PASS"]
    broken = grid.frame.copy()
    broken.loc[0, "recommended_spread_bps"] = broken.loc[0, "floor_spread_bps"] - 10
    from workbench.pricing import PricingGrid

    assert PricingGrid(broken, grid.tenor_buckets, True).checks_table().loc["floor respected", "result"] == "FAIL"


def test_floor_pivot_and_grade_pds_carry_their_units(grade_pd, params):
    floor = floor_by_grade_and_tenor(hurdle_grid(grade_pd, params), "none")
    assert list(floor.columns) == [f"{t:g}y (bps)" for t in params.grid.tenor_buckets]
    assert floor.map(lambda s: s.replace(",", "").isdigit()).all().all()
    assert plain(display_grade_pd(grade_pd)).loc[1, "PD priced"] == "0.042 %"
    with pytest.raises(ValueError, match="gold"):
        floor_by_grade_and_tenor(hurdle_grid(grade_pd, params), "gold")


def test_quotes_summary_shows_dates_as_dates(quotes):
    summary = quotes_summary(quotes)
    assert summary.loc["quote_date", "min"] == f"{quotes['quote_date'].min():%Y-%m-%d}"
    assert summary.loc["quote_date", "median"].count(":") == 0  # not 2018-02-21 02:47:27.870182400
    assert summary.loc["spread (bps)", "max"] == f"{quotes['spread_bps'].max():,.0f}"
    assert summary.loc["tenor (years)", "min"] == f"{quotes['tenor_years'].min():.1f}"
    assert summary.loc["tier", "distinct"] == "3" and summary.loc["quote_id", "most frequent"] == ""  # an id
    assert summary.loc["accepted", "most frequent"].startswith("true (")


def test_response_model_tables_are_for_people(quotes):
    model = PriceResponseModel(kind="logistic").fit(quotes)
    terms = model.display_table()
    assert terms.loc["intercept", "per standard deviation"] == ""
    assert float(terms.loc["relative_spread", "coefficient (log-odds)"]) < 0
    fit = model.display_metrics()
    assert fit.loc["quotes held out", "value"] == f"{model.metrics_['n_holdout']:,d}"
    assert fit.loc["observed acceptance", "value"].endswith(" %")


def test_raroc_summary_and_metrics_have_units_and_words(grid):
    summary = pd.DataFrame({"facilities": [108], "ead": [26731.3049], "capital": [2054.03], "raroc_today": [0.0435],
                            "raroc_grid": [0.1798], "mean_spread_change_bps": [130.3], "share_below_hurdle_today": [0.713]},
                           index=pd.Index(["A"], name="tier"))
    shown = plain(display_raroc_summary(summary))
    assert shown.loc["A"].tolist() == ["108", "26,731.3", "2,054.0", "4.35 %", "17.98 %", "+130", "71.30 %"]
    table = display_pricing_metrics(pricing_metrics(grid))
    assert table.loc["grid monotone in grade", "value"] == "yes"
    assert table.loc["grid cells", "value"] == f"{len(grid.frame):,d}"
    assert table.loc["grid cells", "logged as"] == metrics.GRID_CELLS
    assert table.loc["cells priced at the floor", "value"].endswith(" %")
    assert np.isfinite(grid.frame["recommended_spread_bps"]).all()
