"""Macro scenarios: the default paths, the validators and the per-industry paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from pydantic import ValidationError

from workbench.portfolio.scenarios import (
    INDEX_ON_GDP,
    MacroScenario,
    ScenarioParams,
    index_path,
    plot_scenarios,
    scenario_table,
)
from workbench.reference import INDUSTRIES


def _scenario(name="baseline", weight=1.0, n=3, **kw) -> MacroScenario:
    return MacroScenario(name=name, weight=weight, gdp_growth=kw.pop("gdp", [1.0] * n),
                         policy_rate=kw.pop("rate", [1.0] * n), industry_index_growth=kw.pop("idx", [0.0] * n), **kw)


def test_default_scenarios_are_baseline_adverse_severe_weighted_half_three_tenths_a_fifth():
    params = ScenarioParams()
    assert params.names() == ["baseline", "adverse", "severe"]
    assert params.weights() == {"baseline": 0.5, "adverse": 0.3, "severe": 0.2}
    assert params.horizon_years == 3


def test_default_paths_get_worse_from_baseline_to_severe():
    p = ScenarioParams()
    base, adverse, severe = (p.scenario(n) for n in ("baseline", "adverse", "severe"))
    assert all(s <= a <= b for s, a, b in zip(severe.gdp_growth, adverse.gdp_growth, base.gdp_growth))
    for k in ("automotive", "retail", "utilities"):
        assert all(s < a < b for s, a, b in zip(severe.index_growth(k), adverse.index_growth(k), base.index_growth(k)))


def test_severe_gdp_fall_matches_the_eba_2025_adverse_severity():
    # EBA, "EBA launches its 2025 EU-wide stress test", 20 January 2025: the adverse scenario's GDP falls by
    # 6.3 % cumulatively over the three years.
    severe = ScenarioParams().scenario("severe")
    assert sum(severe.gdp_growth) == pytest.approx(-6.3)
    level = np.prod(1 + np.asarray(severe.gdp_growth) / 100) - 1
    assert -0.065 < level < -0.06


def test_industry_paths_follow_gdp_by_cyclicality():
    p = ScenarioParams()
    severe = p.scenario("severe")
    intercept, slope = INDEX_ON_GDP["all"]
    expected = [round(100 * np.expm1((intercept + slope * g) / 100), 1) for g in severe.gdp_growth]
    assert severe.industry_index_growth == expected
    cyclicality = {ind.code: ind.cyclicality for ind in INDUSTRIES}
    # A highly cyclical industry's index falls more than the common path in a downturn, a low one less.
    assert cyclicality["automotive"] == "high" and cyclicality["utilities"] == "low"
    assert all(a < c < u for a, c, u in zip(severe.index_growth("automotive"), severe.industry_index_growth,
                                            severe.index_growth("utilities")))
    assert severe.index_growth("retail") == severe.industry_index_growth  # medium: the common path
    assert index_path([0.0], "high") == [round(100 * np.expm1(INDEX_ON_GDP["high"][0] / 100), 1)]


def test_weights_must_sum_to_one():
    with pytest.raises(ValidationError, match="sum to 1"):
        ScenarioParams(scenarios=[_scenario(weight=0.6), _scenario("down", 0.3)])
    ok = ScenarioParams(scenarios=[_scenario(weight=0.7), _scenario("down", 0.3)])  # 0.7 + 0.3 within 1e-9
    assert sum(ok.weights().values()) == pytest.approx(1.0)
    with pytest.raises(ValidationError, match="greater than 0"):
        ScenarioParams(scenarios=[_scenario(weight=1.0), _scenario("down", 0.0)])


def test_names_unique_and_exactly_one_baseline():
    with pytest.raises(ValidationError, match="unique"):
        ScenarioParams(scenarios=[_scenario("down", 0.5), _scenario("down", 0.5)])
    with pytest.raises(ValidationError, match="baseline"):
        ScenarioParams(scenarios=[_scenario("up", 0.5), _scenario("down", 0.5)])


def test_paths_must_have_the_horizon_length():
    with pytest.raises(ValidationError, match="gdp_growth \\(2\\)"):
        ScenarioParams(scenarios=[_scenario(gdp=[1.0, 2.0])])
    with pytest.raises(ValidationError, match="industry_overrides\\[retail\\]"):
        ScenarioParams(scenarios=[_scenario(industry_overrides={"retail": [1.0]})])
    two = ScenarioParams(horizon_years=2, scenarios=[_scenario(n=2)])
    assert two.paths(["retail"])["year"].tolist() == [1, 2]
    with pytest.raises(ValidationError, match="100 %"):
        _scenario(idx=[-100.0, 0.0, 0.0])


def test_paths_apply_overrides_and_check_industries_at_use():
    params = ScenarioParams(scenarios=[_scenario(idx=[1.0, 2.0, 3.0], industry_overrides={"retail": [-5.0, -4.0, -3.0],
                                                                                          "my_niche": [0.0] * 3})])
    # An industry outside the reference list is fine at construction, and at use when the book has it...
    paths = params.paths(["retail", "utilities", "my_niche"]).set_index(["industry", "year"])
    assert paths.loc[("retail", 2), "index_growth"] == -4.0
    assert paths.loc[("utilities", 2), "index_growth"] == 2.0
    assert paths.loc[("utilities", 3), "gdp_growth"] == 1.0
    # ... but an override naming neither a reference industry nor one of the book's is a typo.
    with pytest.raises(KeyError, match="my_niche"):
        params.paths(["retail"])
    with pytest.raises(KeyError, match="boom"):
        params.scenario("boom")


def test_round_trip_through_a_params_file_mapping():
    params = ScenarioParams()
    again = ScenarioParams.model_validate(params.model_dump())
    assert again == params


def test_table_and_plot():
    params = ScenarioParams()
    table = scenario_table(params)
    assert list(table.index) == ["baseline", "adverse", "severe"]
    assert table.loc["severe", "GDP year 1"] == "-3.0\u00a0%"
    macro = pd.DataFrame({"month_end": pd.date_range("2020-01-31", periods=60, freq="ME"),
                          "gdp_growth": np.linspace(1, -1, 60), "policy_rate": np.linspace(2, 0, 60)})
    assert isinstance(plot_scenarios(params, macro), Figure)
    assert isinstance(plot_scenarios(params), Figure)
