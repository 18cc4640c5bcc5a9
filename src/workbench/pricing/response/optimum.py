"""The best spread per pricing cell: expected economic profit maximised over spread >= floor.

``optimal_spread`` runs five named steps, each usable (and tested) on its own:

1. ``spread_terms``: the floor, cost and exposure per cell and the search settings, validated;
2. ``search_range``: per cell the searched spreads [start, stop] and the top of the range
   (search hi, or the dearest spread the model's quotes cover);
3. ``coarse_search``: every cell's profit on an ``n_grid``-point grid in one model call, the
   best grid point and the bracket around it;
4. ``golden_section``: the bracket narrowed to ``tol_bps`` by a golden-section search,
   vectorised across cells;
5. ``choose_spread`` keeps the refined point only if it is at least as good as the grid's best
   (and stays at the floor where nothing is profitable); ``spread_table`` reports the result.

Profit is evaluated through ``margin_profit(model, cells, cost)``: a function of (spreads, cell
rows) returning P(accept | s) x (s - cost) in bps (the exposure only scales it) and P.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

import numpy as np
import pandas as pd

from .quotes import CELL_COLUMNS, check_frame

__all__ = ["optimal_spread", "SpreadTerms", "spread_terms", "search_range", "margin_profit", "CoarseSearch",
           "coarse_search", "golden_section", "choose_spread", "spread_table"]

#: ``profit(spreads, rows) -> (P x (s - cost) in bps, P)`` for the cells at positions ``rows``.
ProfitFn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

_INVPHI = (np.sqrt(5.0) - 1.0) / 2.0
_MAX_GOLDEN_STEPS = 200


class SpreadTerms(NamedTuple):
    """Per-cell inputs of the optimisation (float arrays of length n) and the search settings."""

    floor: np.ndarray
    cost: np.ndarray
    exposure: np.ndarray
    lo: float
    hi: float


def spread_terms(n: int, floor_bps: Sequence[float] | np.ndarray | float,
                 exposure: float | Sequence[float] | np.ndarray, search: tuple[float, float],
                 cost_bps: Sequence[float] | np.ndarray | float | None, n_grid: int) -> SpreadTerms:
    """Floor, cost (the floor unless ``cost_bps``) and exposure broadcast to ``n`` cells, and the search
    range; raises ``ValueError`` for a floor of another length, non-finite values, a non-positive
    exposure, an empty search range or fewer than 3 grid points."""
    floor = np.asarray(floor_bps, dtype=float)
    floor = np.full(n, float(floor)) if floor.ndim == 0 else floor.ravel()
    if len(floor) != n:
        raise ValueError(f"floor_bps has {len(floor)} values for {n} cells")
    cost = floor.copy() if cost_bps is None else np.broadcast_to(np.asarray(cost_bps, dtype=float), (n,)).copy()
    expo = np.broadcast_to(np.asarray(exposure, dtype=float), (n,)).copy()
    for name, values in (("floor_bps", floor), ("cost_bps", cost), ("exposure", expo)):
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name} has missing or infinite values")
    if np.any(expo <= 0):
        raise ValueError("exposure must be positive")
    lo, hi = map(float, search)
    if not lo < hi:
        raise ValueError(f"search must be (lo, hi) with lo < hi, got {search}")
    if n_grid < 3:
        raise ValueError("n_grid must be at least 3")
    return SpreadTerms(floor, cost, expo, lo, hi)


def search_range(model: Any, cells: pd.DataFrame, terms: SpreadTerms,
                 within_support: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(start, stop, top)`` per cell: the search runs over [start, stop], start = max(floor, lo);
    top = search hi, or with ``within_support`` and a model with ``spread_support(cells)`` the smaller of
    hi and the dearest spread its quotes cover; stop = max(start, top), so a floor above the range
    leaves one feasible point, the floor."""
    top = np.full(len(terms.floor), terms.hi)
    if within_support and hasattr(model, "spread_support"):
        top = np.minimum(top, np.asarray(model.spread_support(cells)[1], dtype=float))
    start = np.maximum(terms.floor, terms.lo)
    stop = np.maximum(start, top)
    return start, stop, top


def margin_profit(model: Any, cells: pd.DataFrame, cost: np.ndarray) -> ProfitFn:
    """The profit function of ``cells`` under ``model``: for spreads ``s`` of the cells at positions
    ``rows``, P(accept | s) x (s - cost) in bps and P (one ``predict_acceptance`` call)."""
    base = cells[list(CELL_COLUMNS)].reset_index(drop=True)

    def profit(s: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        frame = base.iloc[rows].reset_index(drop=True).assign(spread_bps=s)
        p = np.asarray(model.predict_acceptance(frame), dtype=float)
        return p * (s - cost[rows]), p

    return profit


class CoarseSearch(NamedTuple):
    """The grid's best point per cell and the bracket [lower, upper] of its neighbours."""

    spread: np.ndarray
    profit: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def coarse_search(profit: ProfitFn, start: np.ndarray, stop: np.ndarray, n_grid: int) -> CoarseSearch:
    """Evaluate every cell on ``n_grid`` evenly spaced spreads from start to stop (all cells in one
    call); the best point and the bracket between its two neighbours (clipped at the ends)."""
    n = len(start)
    u = np.linspace(0.0, 1.0, n_grid)
    grid = start[:, None] + (stop - start)[:, None] * u[None, :]
    rows = np.repeat(np.arange(n), n_grid)
    prof, _ = profit(grid.ravel(), rows)
    prof = prof.reshape(n, n_grid)
    k = np.argmax(prof, axis=1)
    at = np.arange(n)
    return CoarseSearch(spread=grid[at, k], profit=prof[at, k], lower=grid[at, np.maximum(k - 1, 0)],
                        upper=grid[at, np.minimum(k + 1, n_grid - 1)])


def golden_section(profit: ProfitFn, a: np.ndarray, b: np.ndarray, tol_bps: float,
                   max_steps: int = _MAX_GOLDEN_STEPS) -> np.ndarray:
    """Golden-section search for the maximum of each cell's profit on [a, b], vectorised across cells;
    stops when every bracket is at most ``tol_bps`` wide (or after ``max_steps``). Returns the better
    of the two interior points per cell (exact for unimodal profit)."""
    all_rows = np.arange(len(a))
    c, d = b - _INVPHI * (b - a), a + _INVPHI * (b - a)
    fc, _ = profit(c, all_rows)
    fd, _ = profit(d, all_rows)
    for _ in range(max_steps):
        if np.max(b - a) <= tol_bps:
            break
        left = fc >= fd  # maximum in [a, d]
        a, b = np.where(left, a, c), np.where(left, d, b)
        new_c, new_d = b - _INVPHI * (b - a), a + _INVPHI * (b - a)
        # One new evaluation per cell and step: the surviving interior point is reused.
        x = np.where(left, new_c, new_d)
        fx, _ = profit(x, all_rows)
        c, d = np.where(left, new_c, d), np.where(left, c, new_d)
        fc, fd = np.where(left, fx, fd), np.where(left, fc, fx)
    return np.where(fc >= fd, c, d)


def choose_spread(profit: ProfitFn, refined: np.ndarray, coarse: CoarseSearch, start: np.ndarray,
                  stop: np.ndarray) -> np.ndarray:
    """The refined point (clipped to [start, stop]) where it is at least as profitable as the grid's
    best, else the grid's best; ``start`` (the floor) where neither is profitable, e.g. where
    acceptance underflows to 0, rather than an arbitrary point."""
    refined = np.clip(refined, start, stop)
    f_ref, _ = profit(refined, np.arange(len(refined)))
    spread = np.where(f_ref >= coarse.profit, refined, coarse.spread)
    return np.where(np.maximum(f_ref, coarse.profit) > 0, spread, start)


def spread_table(cells: pd.DataFrame, profit: ProfitFn, spread: np.ndarray, terms: SpreadTerms,
                 start: np.ndarray, top: np.ndarray, tol_bps: float) -> pd.DataFrame:
    """The cells' columns plus floor_bps, search_top_bps, spread_bps, margin_bps, acceptance_probability,
    expected_profit (margin / 1e4 x exposure), floor_binds (spread within a few ``tol_bps`` of start)
    and ceiling_binds (of the top, where the range is not empty)."""
    margin, p = profit(spread, np.arange(len(spread)))
    out = cells[list(CELL_COLUMNS)].reset_index(drop=True)
    out["floor_bps"] = terms.floor
    out["search_top_bps"] = top
    out["spread_bps"] = spread
    out["margin_bps"] = spread - terms.cost
    out["acceptance_probability"] = p
    out["expected_profit"] = margin / 1e4 * terms.exposure
    # Tolerance of a few grid-refinement steps: the optimum sits exactly on the boundary when it binds.
    tol = max(10 * tol_bps, 1e-6)
    out["floor_binds"] = spread <= start + tol
    out["ceiling_binds"] = (spread >= top - tol) & (start < top)
    return out


def optimal_spread(model: Any, cells: pd.DataFrame, floor_bps: Sequence[float] | np.ndarray | float,
                   exposure: float | Sequence[float] | np.ndarray, search: tuple[float, float] = (0.0, 1500.0),
                   *, cost_bps: Sequence[float] | np.ndarray | float | None = None, within_support: bool = True,
                   n_grid: int = 301, tol_bps: float = 1e-3) -> pd.DataFrame:
    """Per cell, the spread maximising expected economic profit, subject to spread >= floor.

    Expected profit (per year, in the currency of ``exposure``) is
    P(accept | s) x (s - cost) / 10,000 x exposure, with ``cost`` = ``floor_bps`` by default: the
    floor is the hurdle (required) spread, so s - floor is the margin above the cost of capital.
    With cost = floor the floor never binds in theory (the profit's slope at the floor is
    P(floor) x exposure > 0). It binds when the floor is at or above the top of the searched range,
    when acceptance is numerically zero, or when a separate, lower ``cost_bps`` (e.g. cost without
    the capital charge) puts the unconstrained optimum below a policy floor.

    ``model`` is anything with ``predict_acceptance(frame)`` (FEATURE_COLUMNS). A cell's searched
    range is [max(search lo, floor), top], top = search hi, or with ``within_support`` and a model
    that has ``spread_support(cells)`` (``PriceResponseModel`` has) the smaller of search hi and the
    dearest spread its quotes cover: a tree model is flat beyond its data and would otherwise send
    every optimum to search hi. Vectorised over cells: every cell's profit is evaluated on an
    ``n_grid``-point grid in one call, then refined by a golden-section search on the bracket around
    the grid's best point (exact for unimodal profit, e.g. any logistic response, whose log-concave
    P makes P x (s - cost) unimodal); the refined point is kept only if it is at least as good as the
    grid's best, so step-shaped (xgboost) responses are safe too.

    Returns the cells' columns plus floor_bps, search_top_bps, spread_bps, margin_bps
    (spread - cost), acceptance_probability, expected_profit, floor_binds (the optimum is at the
    lower end of the range) and ceiling_binds (at its top: widen ``search`` or collect dearer quotes).
    """
    check_frame(cells, CELL_COLUMNS, "cells")
    terms = spread_terms(len(cells), floor_bps, exposure, search, cost_bps, n_grid)
    start, stop, top = search_range(model, cells, terms, within_support)
    profit = margin_profit(model, cells, terms.cost)
    coarse = coarse_search(profit, start, stop, n_grid)
    refined = golden_section(profit, coarse.lower, coarse.upper, tol_bps)
    spread = choose_spread(profit, refined, coarse, start, stop)
    return spread_table(cells, profit, spread, terms, start, top, tol_bps)
