"""The steps of ``optimal_spread``, one by one: terms, range, profit, coarse grid, golden section, choice, table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from workbench.pricing.response import CELL_COLUMNS, optimal_spread
from workbench.pricing.response.optimum import (
    CoarseSearch,
    choose_spread,
    coarse_search,
    golden_section,
    margin_profit,
    search_range,
    spread_table,
    spread_terms,
)


def _cells(n: int) -> pd.DataFrame:
    return pd.DataFrame({"grade": np.arange(1, n + 1), "tenor_years": 5.0, "collateral_type": "none", "tier": "B",
                         "relationship_years": 5.0}, index=np.arange(100, 100 + n))  # index is not 0..n-1


def _profit_peaked_at(peaks) -> callable:
    """profit(s, rows) = 100 - (s - peak[row])^2 (and P = 0.5): one maximum per cell at ``peaks``."""
    peaks = np.asarray(peaks, dtype=float)

    def profit(s, rows):
        return 100.0 - (s - peaks[rows]) ** 2, np.full(len(s), 0.5)

    return profit


class _Logit:
    def __init__(self, a: float, b: float, support_hi=None):
        self.a, self.b, self.calls = a, b, []
        if support_hi is not None:
            self.spread_support = lambda cells: (np.zeros(len(cells)), np.asarray(support_hi, float))

    def predict_acceptance(self, frame):
        self.calls.append(frame.copy())
        return expit(self.a - self.b * frame["spread_bps"].to_numpy(float))


# --------------------------------------------------------------------------- spread_terms


def test_spread_terms_broadcast_a_scalar_floor_and_default_the_cost_to_the_floor():
    t = spread_terms(3, 50.0, 10.0, (0.0, 500.0), None, 11)
    np.testing.assert_array_equal(t.floor, [50.0, 50.0, 50.0])
    np.testing.assert_array_equal(t.cost, t.floor)
    np.testing.assert_array_equal(t.exposure, [10.0, 10.0, 10.0])
    assert (t.lo, t.hi) == (0.0, 500.0)
    t = spread_terms(2, [40.0, 60.0], [1.0, 2.0], (10, 20), 5.0, 3)
    np.testing.assert_array_equal(t.cost, [5.0, 5.0])
    t.cost[0] = -1.0  # a copy: the caller's arrays are never written to
    assert t.floor[0] == 40.0


@pytest.mark.parametrize("kwargs, message", [
    (dict(floor_bps=[1.0, 2.0]), "floor_bps has 2 values for 3 cells"),
    (dict(floor_bps=[1.0, np.nan, 2.0]), "floor_bps has missing"),
    (dict(cost_bps=np.inf), "cost_bps has missing"),
    (dict(exposure=[1.0, 0.0, 1.0]), "exposure must be positive"),
    (dict(search=(100.0, 100.0)), "lo < hi"),
    (dict(n_grid=2), "n_grid must be at least 3"),
])
def test_spread_terms_reject_unusable_inputs(kwargs, message):
    args = dict(floor_bps=50.0, exposure=1.0, search=(0.0, 500.0), cost_bps=None, n_grid=11) | kwargs
    with pytest.raises(ValueError, match=message):
        spread_terms(3, **args)


# --------------------------------------------------------------------------- search_range


def test_search_range_starts_at_the_floor_and_stops_at_the_support_of_the_quotes():
    terms = spread_terms(3, [20.0, 300.0, 900.0], 1.0, (50.0, 1000.0), None, 11)
    model = _Logit(3.0, 0.02, support_hi=[400.0, 2000.0, 700.0])
    start, stop, top = search_range(model, _cells(3), terms)
    np.testing.assert_array_equal(start, [50.0, 300.0, 900.0])  # max(floor, search lo)
    np.testing.assert_array_equal(top, [400.0, 1000.0, 700.0])  # min(search hi, support)
    np.testing.assert_array_equal(stop, [400.0, 1000.0, 900.0])  # floor above the top: one point, the floor
    _, stop, top = search_range(model, _cells(3), terms, within_support=False)
    np.testing.assert_array_equal(top, [1000.0, 1000.0, 1000.0])
    np.testing.assert_array_equal(stop, [1000.0, 1000.0, 1000.0])


# --------------------------------------------------------------------------- margin_profit


def test_margin_profit_scores_the_requested_cells_at_the_requested_spreads():
    model = _Logit(2.0, 0.01)
    cells = _cells(3)
    profit = margin_profit(model, cells, np.array([10.0, 20.0, 30.0]))
    s = np.array([100.0, 150.0])
    got, p = profit(s, np.array([2, 0]))
    np.testing.assert_allclose(p, expit(2.0 - 0.01 * s))
    np.testing.assert_allclose(got, p * (s - np.array([30.0, 10.0])))
    frame = model.calls[-1]
    assert frame["grade"].tolist() == [3, 1] and frame["spread_bps"].tolist() == [100.0, 150.0]
    assert set(CELL_COLUMNS) < set(frame.columns)


# --------------------------------------------------------------------------- coarse_search


def test_coarse_search_finds_the_best_grid_point_and_brackets_it():
    profit = _profit_peaked_at([42.0, 0.0, 100.0])
    start, stop = np.array([0.0, 0.0, 0.0]), np.array([100.0, 100.0, 100.0])
    c = coarse_search(profit, start, stop, 11)  # grid 0, 10, ..., 100
    np.testing.assert_allclose(c.spread, [40.0, 0.0, 100.0], atol=1e-12)
    np.testing.assert_allclose(c.profit, [96.0, 100.0, 100.0], atol=1e-9)
    np.testing.assert_allclose(c.lower, [30.0, 0.0, 90.0], atol=1e-12)  # clipped at the ends of the grid
    np.testing.assert_allclose(c.upper, [50.0, 10.0, 100.0], atol=1e-12)


def test_coarse_search_evaluates_all_cells_in_one_call():
    model = _Logit(2.0, 0.01)
    profit = margin_profit(model, _cells(4), np.zeros(4))
    coarse_search(profit, np.zeros(4), np.full(4, 300.0), 31)
    assert len(model.calls) == 1 and len(model.calls[0]) == 4 * 31


# --------------------------------------------------------------------------- golden_section


def test_golden_section_narrows_each_bracket_to_its_maximum():
    peaks = np.array([33.3, 71.05, 10.0])
    profit = _profit_peaked_at(peaks)
    got = golden_section(profit, np.array([30.0, 60.0, 10.0]), np.array([40.0, 80.0, 20.0]), tol_bps=1e-4)
    np.testing.assert_allclose(got, peaks, atol=1e-4)


def test_golden_section_stops_after_max_steps():
    profit = _profit_peaked_at([33.3])
    one_step = golden_section(profit, np.array([0.0]), np.array([100.0]), tol_bps=1e-9, max_steps=1)
    assert abs(one_step[0] - 33.3) > 1.0  # one step cannot have converged from a 100 bp bracket
    assert 0.0 <= one_step[0] <= 100.0


# --------------------------------------------------------------------------- choose_spread


def test_choose_spread_keeps_the_refined_point_only_when_it_is_at_least_as_good():
    profit = _profit_peaked_at([50.0, 50.0])
    coarse = CoarseSearch(spread=np.array([40.0, 50.0]), profit=np.array([0.0, 100.0]),
                          lower=np.zeros(2), upper=np.zeros(2))
    start, stop = np.zeros(2), np.full(2, 200.0)
    got = choose_spread(profit, np.array([49.0, 60.0]), coarse, start, stop)
    np.testing.assert_array_equal(got, [49.0, 50.0])  # cell 2: the refined 60 earns less than the grid's 50


def test_choose_spread_clips_to_the_range_and_stays_at_the_floor_when_nothing_pays():
    def nothing(s, rows):
        return np.zeros(len(s)), np.zeros(len(s))

    coarse = CoarseSearch(spread=np.array([80.0]), profit=np.array([0.0]), lower=np.zeros(1), upper=np.zeros(1))
    assert choose_spread(nothing, np.array([90.0]), coarse, np.array([25.0]), np.array([100.0]))[0] == 25.0
    profit = _profit_peaked_at([105.0])  # beyond the range: the best feasible spread is its top, 100
    coarse = CoarseSearch(spread=np.array([90.0]), profit=profit(np.array([90.0]), np.array([0]))[0],
                          lower=np.zeros(1), upper=np.zeros(1))
    assert choose_spread(profit, np.array([150.0]), coarse, np.array([25.0]), np.array([100.0]))[0] == 100.0


# --------------------------------------------------------------------------- spread_table


def test_spread_table_reports_margin_profit_and_which_bound_binds():
    cells = _cells(3)
    terms = spread_terms(3, [50.0, 50.0, 50.0], [10.0, 10.0, 10.0], (0.0, 500.0), 20.0, 11)
    profit = margin_profit(_Logit(3.0, 0.01), cells, terms.cost)
    start, top = np.array([50.0, 50.0, 50.0]), np.array([300.0, 300.0, 300.0])
    spread = np.array([50.0, 120.0, 300.0])
    out = spread_table(cells, profit, spread, terms, start, top, tol_bps=1e-3)
    assert list(out.columns) == [*CELL_COLUMNS, "floor_bps", "search_top_bps", "spread_bps", "margin_bps",
                                 "acceptance_probability", "expected_profit", "floor_binds", "ceiling_binds"]
    assert out.index.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(out["margin_bps"], spread - 20.0)
    p = expit(3.0 - 0.01 * spread)
    np.testing.assert_allclose(out["acceptance_probability"], p)
    np.testing.assert_allclose(out["expected_profit"], p * (spread - 20.0) / 1e4 * 10.0)
    assert out["floor_binds"].tolist() == [True, False, False]
    assert out["ceiling_binds"].tolist() == [False, False, True]
    # An empty range (floor at the top) is a floor that binds, not a ceiling.
    one = spread_terms(1, 300.0, 10.0, (0.0, 500.0), 20.0, 11)
    out = spread_table(cells.iloc[:1], profit, np.array([300.0]), one, np.array([300.0]), np.array([300.0]), 1e-3)
    assert out["floor_binds"].item() and not out["ceiling_binds"].item()


# --------------------------------------------------------------------------- the steps together


def test_optimal_spread_is_its_steps_in_order():
    model = _Logit(3.0, 0.02, support_hi=[600.0, 600.0])
    cells, floors = _cells(2), np.array([40.0, 90.0])
    out = optimal_spread(model, cells, floors, exposure=5.0, search=(0.0, 1500.0), n_grid=101)
    terms = spread_terms(2, floors, 5.0, (0.0, 1500.0), None, 101)
    start, stop, top = search_range(model, cells, terms)
    profit = margin_profit(model, cells, terms.cost)
    coarse = coarse_search(profit, start, stop, 101)
    spread = choose_spread(profit, golden_section(profit, coarse.lower, coarse.upper, 1e-3), coarse, start, stop)
    pd.testing.assert_frame_equal(out, spread_table(cells, profit, spread, terms, start, top, 1e-3))
