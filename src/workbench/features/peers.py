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

import numpy as np
import pandas as pd

from ..reference import SECTOR_OF, UNKNOWN_SECTOR
from ._peer_kernel import group_stats
from .codes import text_codes, text_labels
from .ratios import RATIOS

__all__ = ["PEER_RATIOS", "PEER_FEATURES", "LEADER_QUANTILE", "peer_features"]

PEER_RATIOS = ("leverage", "debt_to_ebitda", "interest_cover", "ebitda_margin", "roa", "current_ratio")
#: The columns of ``peer_features``, in order.
PEER_FEATURES = tuple(f"{r}_{s}" for r in PEER_RATIOS for s in ("peer_pct", "vs_peer_median", "vs_peer_leaders")) + (
    "peer_group_size", "peer_fallback_sector")
LEADER_QUANTILE = 0.10

_DIRECTION = {r.name: r.direction for r in RATIOS}


def _group_stats(universe: pd.DataFrame, queries: pd.DataFrame, group_cols: list[str]) -> pd.DataFrame:
    """Percentile, median and leader level of each ratio for each query, within ``group_cols``
    (compiled: ``_peer_kernel``)."""
    keys = pd.concat([universe[group_cols], queries[group_cols]], ignore_index=True)
    codes = keys.groupby(group_cols, sort=False).ngroup().to_numpy()
    u_group, q_group = codes[:len(universe)], codes[len(universe):]
    lead_q = np.array([LEADER_QUANTILE if _DIRECTION.get(r, -1) > 0 else 1 - LEADER_QUANTILE for r in PEER_RATIOS])
    pct, median, leader, size = group_stats(
        u_group, universe["available_date"].to_numpy(), _ratio_block(universe), q_group,
        queries["obs_date"].to_numpy(), _ratio_block(queries), lead_q)
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
    sectors = pd.Index([SECTOR_OF.get(i, UNKNOWN_SECTOR) for i in industries]).unique()
    sector_of_code = np.append(sectors.get_indexer([SECTOR_OF.get(i, UNKNOWN_SECTOR) for i in industries]),
                               sectors.get_indexer([UNKNOWN_SECTOR]).max())

    def prepare(df: pd.DataFrame, date_col: str) -> pd.DataFrame:
        code = text_codes(df["industry"], industries)  # -1 (missing industry) -> sector "all"
        keys = pd.DataFrame({"industry": code.astype(np.int16), "sector": sector_of_code[code].astype(np.int16),
                             "fiscal_year": pd.DatetimeIndex(df["period_end"]).year.astype(np.int16)}, index=df.index)
        return pd.concat([keys, df[[date_col, *PEER_RATIOS]]], axis=1)

    u, q = prepare(universe, "available_date"), prepare(queries, "obs_date")
    industry = _group_stats(u, q, ["industry", "fiscal_year"])
    use_sector = industry["size"] < min_peer_group
    sector = _group_stats(u, q[use_sector.to_numpy()], ["sector", "fiscal_year"]) if use_sector.any() else None
    out = {}
    for r in PEER_RATIOS:
        x = q[r].to_numpy()
        for stat in ("pct", "median", "leader"):
            v = industry[f"{r}_{stat}"].to_numpy().copy()
            if sector is not None:
                v[use_sector.to_numpy()] = sector[f"{r}_{stat}"].to_numpy()
            if stat == "pct":
                out[f"{r}_peer_pct"] = v
            elif stat == "median":
                out[f"{r}_vs_peer_median"] = x - v
            else:
                out[f"{r}_vs_peer_leaders"] = x - v
    size = industry["size"].to_numpy().copy()
    if sector is not None:
        size[use_sector.to_numpy()] = sector["size"].to_numpy()
    too_small = size < min_peer_group
    frame = pd.DataFrame({k: np.where(too_small, np.nan, v).astype(np.float32) for k, v in out.items()},
                         index=q.index)
    frame["peer_group_size"] = size.astype(np.float32)
    frame["peer_fallback_sector"] = use_sector.to_numpy().astype(np.int8)
    return frame
