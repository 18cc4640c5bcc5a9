"""Peer benchmarks: where a client's ratios stand in its industry, as the bank could see it then.

The peer group of an observation is every statement of the same industry and
fiscal year (year of the period end) that was *usable by the observation date*:
early reporters are compared with the peers that had reported so far, never with
statements that arrived later. For each key ratio the features are

* ``<ratio>_peer_pct``: mid-rank percentile in the peer group (0 lowest .. 1 highest);
* ``<ratio>_vs_peer_median``: value minus the peer median;
* ``<ratio>_vs_peer_leaders``: value minus the leaders' level, the best decile in the
  ratio's good direction (the 10th percentile of leverage, the 90th of margins).

A peer group needs at least ``min_peer_group`` statements (the client's own
included). A smaller industry group falls back to the broader sector (``workbench.reference.SECTOR_OF``;
industries it does not know form one sector "all"); if that is still too small the
features are NaN. ``peer_group_size`` and ``peer_fallback_sector`` say which applied.

Computation (``_peer_kernel``, compiled): per group and ratio the group's values are
sorted once and its queries visited in date order, the statements usable by each date
added to a Fenwick tree over the sorted positions, so a rank is two prefix counts and a
quantile a descent of the tree; groups run in parallel. Groups are keyed by small
integer codes, and a categorical industry column is looked up once per category.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ..reference import SECTOR_OF, UNKNOWN_SECTOR
from ._peer_kernel import group_stats, stats_into
from .codes import text_codes, text_labels
from .ratios import RATIOS

__all__ = ["PEER_RATIOS", "PEER_FEATURES", "LEADER_QUANTILE", "fiscal_years", "fill_peer_features", "peer_features"]

PEER_RATIOS = ("leverage", "debt_to_ebitda", "interest_cover", "ebitda_margin", "roa", "current_ratio")
#: The columns of ``peer_features``, in order.
PEER_FEATURES = tuple(f"{r}_{s}" for r in PEER_RATIOS for s in ("peer_pct", "vs_peer_median", "vs_peer_leaders")) + (
    "peer_group_size", "peer_fallback_sector")
LEADER_QUANTILE = 0.10

_DIRECTION = {r.name: r.direction for r in RATIOS}
_LEAD_Q = np.array([LEADER_QUANTILE if _DIRECTION.get(r, -1) > 0 else 1 - LEADER_QUANTILE for r in PEER_RATIOS])


def _group_stats(universe: pd.DataFrame, queries: pd.DataFrame, group_cols: list[str]) -> pd.DataFrame:
    """Percentile, median and leader level of each ratio for each query, within ``group_cols``
    (compiled: ``_peer_kernel``)."""
    keys = pd.concat([universe[group_cols], queries[group_cols]], ignore_index=True)
    codes = keys.groupby(group_cols, sort=False).ngroup().to_numpy()
    u_group, q_group = codes[:len(universe)], codes[len(universe):]
    pct, median, leader, size = group_stats(
        u_group, universe["available_date"].to_numpy(), _ratio_block(universe), q_group,
        queries["obs_date"].to_numpy(), _ratio_block(queries), _LEAD_Q)
    res = {}
    for j, r in enumerate(PEER_RATIOS):
        res[f"{r}_pct"], res[f"{r}_median"], res[f"{r}_leader"] = pct[:, j], median[:, j], leader[:, j]
    res["size"] = size
    return pd.DataFrame(res, index=queries.index)


def _ratio_block(df: pd.DataFrame) -> np.ndarray:
    """The ``PEER_RATIOS`` of ``df`` as one rows x ratios array, in their common dtype."""
    return np.column_stack([df[r].to_numpy() for r in PEER_RATIOS]) if len(df) else \
        np.empty((0, len(PEER_RATIOS)), dtype=np.float32)


def peer_features(universe: pd.DataFrame, queries: pd.DataFrame, min_peer_group: int) -> pd.DataFrame:
    """Peer features for each query row (same index).

    ``universe``: every statement with ``industry``, ``period_end``, ``available_date``
    and the ``PEER_RATIOS``; ``queries``: observation rows with ``industry``,
    ``period_end``, ``obs_date`` and the same ratios.
    """
    # Groups are keyed by small integer codes (industry, sector, fiscal year): millions of rows of
    # strings would cost more memory than the ratios themselves.
    industries = text_labels(universe["industry"], queries["industry"])
    q_ratios = _ratio_block(queries)
    table = np.empty((len(queries), len(PEER_RATIOS) + len(PEER_FEATURES)), order="F",
                     dtype=np.result_type(q_ratios.dtype, np.float32))
    table[:, :len(PEER_RATIOS)] = q_ratios
    columns = {name: len(PEER_RATIOS) + j for j, name in enumerate(PEER_FEATURES)}
    columns.update({r: j for j, r in enumerate(PEER_RATIOS)})
    fill_peer_features(
        table, columns, industries, min_peer_group,
        q_industry=text_codes(queries["industry"], industries), q_year=fiscal_years(queries["period_end"]),
        q_obs=queries["obs_date"].to_numpy(),
        u_industry=text_codes(universe["industry"], industries), u_year=fiscal_years(universe["period_end"]),
        u_avail=universe["available_date"].to_numpy(), u_ratios=_ratio_block(universe))
    frame = pd.DataFrame({name: table[:, columns[name]].astype(np.float32) for name in PEER_FEATURES},
                         index=queries.index)
    frame["peer_fallback_sector"] = frame["peer_fallback_sector"].astype(np.int8)
    return frame


def fill_peer_features(table: np.ndarray, columns: Mapping[str, int], industries: pd.Index, min_peer_group: int, *,
                       q_industry: np.ndarray, q_year: np.ndarray, q_obs: np.ndarray,
                       u_industry: np.ndarray, u_year: np.ndarray, u_avail: np.ndarray,
                       u_ratios: np.ndarray) -> None:
    """``peer_features`` of every row of ``table`` (rows x columns, Fortran order), written into its
    ``PEER_FEATURES`` columns from its own ``PEER_RATIOS`` columns (``columns``: name -> position).

    Per row of ``table``: ``q_industry`` (codes into ``industries``, -1 missing), ``q_year`` (the
    fiscal year, ``fiscal_years``) and ``q_obs`` (the observation date); per universe statement: the
    same codes and years, ``u_avail`` (the date it became usable) and ``u_ratios`` (statements x
    ``PEER_RATIOS``). The pandas engine calls this on its whole panel, without a frame per step.
    """
    # Codes as small integers throughout: this runs on every statement of the portfolio at once.
    sector_of = _sector_codes(industries)
    years = np.union1d(np.unique(q_year), np.unique(u_year))
    q_year = np.searchsorted(years, q_year).astype(np.int16)  # a year's position among them
    u_year = np.searchsorted(years, u_year).astype(np.int16)

    def group(codes: np.ndarray, year: np.ndarray, n_codes: int) -> np.ndarray:
        """One code per (industry or sector, fiscal year); -1 codes (missing) are a group of their own."""
        small = (n_codes + 1) * len(years) < 2**15  # then int16 codes, which numpy sorts by radix
        dtype = np.int16 if small else np.int32
        g = np.asarray(codes, dtype=dtype) + dtype(1)
        g *= dtype(len(years))
        g += year
        return g

    cols = {"x": [columns[r] for r in PEER_RATIOS], "pct": [columns[f"{r}_peer_pct"] for r in PEER_RATIOS],
            "median": [columns[f"{r}_vs_peer_median"] for r in PEER_RATIOS],
            "leader": [columns[f"{r}_vs_peer_leaders"] for r in PEER_RATIOS], "size": columns["peer_group_size"]}
    u_ratios = np.ascontiguousarray(u_ratios)
    n_ind, n_sec = len(industries), int(sector_of.max(initial=0)) + 1
    q_industry, u_industry = np.asarray(q_industry), np.asarray(u_industry)
    stats_into(table, cols, group(q_industry, q_year, n_ind), q_obs, group(u_industry, u_year, n_ind),
               u_avail, u_ratios, _LEAD_Q)
    use_sector = table[:, cols["size"]] < min_peer_group
    if use_sector.any():
        stats_into(table, cols, group(sector_of[q_industry], q_year, n_sec), q_obs,
                   group(sector_of[u_industry], u_year, n_sec), u_avail, u_ratios, _LEAD_Q,
                   q_rows=np.flatnonzero(use_sector))
    # The medians and leader levels become the client's distance to them; too small a group gives none.
    too_small = table[:, cols["size"]] < min_peer_group
    for x, pct, median, leader in zip(cols["x"], cols["pct"], cols["median"], cols["leader"]):
        np.subtract(table[:, x], table[:, median], out=table[:, median])
        np.subtract(table[:, x], table[:, leader], out=table[:, leader])
        for c in (pct, median, leader):
            table[too_small, c] = np.nan
    table[:, columns["peer_fallback_sector"]] = use_sector


def fiscal_years(period_end: pd.Series | np.ndarray) -> np.ndarray:
    """The fiscal year of each statement (of its period end), as int16: a peer group's year."""
    return pd.DatetimeIndex(period_end).year.to_numpy().astype(np.int16)


def _sector_codes(industries: pd.Index) -> np.ndarray:
    """Sector code of each industry code, and last the sector of code -1 (no industry): "all"."""
    names = [SECTOR_OF.get(i, UNKNOWN_SECTOR) for i in industries]
    sectors = pd.Index(names).unique()
    return np.append(sectors.get_indexer(names), sectors.get_indexer([UNKNOWN_SECTOR]).max()).astype(np.int16)
