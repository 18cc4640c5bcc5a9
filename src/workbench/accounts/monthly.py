"""The monthly monitoring of the book, computed from the data for every month end at once.

``monitoring_book(tables, model, params, through)`` takes the snapshot of every month end from
the data's first through ``through`` (one vectorised pass, ``features.snapshot``), scores it with
the PD model, runs the early-warning system over all of it (so each month's lookbacks, e.g. the PD
at origination or the grade a year earlier, come from the data, never from the database) and
attaches the matured 12-month outcomes. The months the report or a backfill needs are then cheap
slices: ``book.scored_at(d)``, ``book.alerts_at(d)``, ``month_tiers(book, tables, d, params)``.

With ``params.panel.engine == "dask"`` the same functions run on dask partitions, on whatever dask
scheduler is active (a ``distributed.Client``: a LocalCluster or a cluster; else dask's threads): the
snapshot and its scores on chunks of month ends (a month's snapshot reads only the tables and that
month end), the early warnings on obligor partitions (their lookbacks never leave an obligor's own
months). The pieces are put back in the pandas path's row order, so the book is the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..features import snapshot, snapshot_outcomes
from ..features.snapshot import check_as_of, data_range, month_ends
from .ews import INDICATOR_NAMES, EWSResult, early_warnings
from .exposure import obligor_exposure
from .params import MonitoringParams
from .scoring import score_snapshot
from .tiering import assign_tiers

__all__ = ["MonitoringBook", "monitoring_book", "month_tiers", "month_exposures"]


@dataclass(frozen=True)
class MonitoringBook:
    """Every month end through ``through``: scored snapshot rows, their alerts and outcomes."""

    scored: pd.DataFrame
    ews: EWSResult
    outcomes: pd.DataFrame
    months: pd.DatetimeIndex
    data_end: pd.Timestamp

    @property
    def through(self) -> pd.Timestamp:
        return self.months[-1]

    def _at(self, frame: pd.DataFrame, as_of) -> pd.DataFrame:
        day = pd.Timestamp(as_of) + pd.offsets.MonthEnd(0)
        if day not in self.months:
            raise KeyError(f"as-of {day:%Y-%m-%d} is not in the book ({self.months[0]:%Y-%m-%d} .. "
                           f"{self.months[-1]:%Y-%m-%d})")
        return frame[frame["obs_date"] == day].reset_index(drop=True)

    def scored_at(self, as_of) -> pd.DataFrame:
        """The scored snapshot of one month end."""
        return self._at(self.scored, as_of)

    def alerts_at(self, as_of) -> pd.DataFrame:
        """The alerts (one row per performing obligor, green included) of one month end."""
        return self._at(self.ews.alerts, as_of)

    def signals_at(self, as_of) -> pd.DataFrame:
        return self._at(self.ews.signals, as_of)

    def outcomes_known(self) -> pd.DataFrame:
        """Outcomes whose 12-month window has matured by the data's end."""
        return self.outcomes[self.outcomes["default_within"].notna()]


def monitoring_book(tables, model, params: MonitoringParams, through=None, start=None) -> MonitoringBook:
    """The book's scored snapshots, alerts and outcomes for every month end from ``start`` (default:
    the data's first) through ``through`` (default: the data's last); refuses dates outside the data."""
    last = data_range(tables)[1]
    for day in (start, through):
        if day is not None:
            check_as_of(tables, day)  # a ValueError naming the data's range
    months = month_ends(tables, start=start, end=through if through is not None else last)
    if params.panel.engine == "dask":
        scored, ews = _scored_and_warned_dask(tables, model, params, months)
    else:
        snap = snapshot(tables, months, params.panel)
        scored = score_snapshot(model, snap)
        del snap
        ews = early_warnings(scored, None, params.ews)
    # Outcomes as known at the book's last month end: a report as of a past date sees no later default.
    end = months[-1]
    outcomes = snapshot_outcomes(scored, tables["defaults"], params.panel.horizon_months, data_end=end)
    outcomes["default_date"] = outcomes["default_date"].where(outcomes["default_date"] <= end)
    return MonitoringBook(scored, ews, outcomes, pd.DatetimeIndex(sorted(scored["obs_date"].unique())), end)


def _scored_months(tables, model, months, panel) -> pd.DataFrame:
    return score_snapshot(model, snapshot(tables, months, panel))


def _by_obligor(scored: pd.DataFrame, partition_of: pd.Series, n: int, chunk: int) -> list[pd.DataFrame]:
    """``scored``'s rows split into the ``n`` obligor partitions, each row keyed by its month chunk and
    its place in it (``_chunk``, ``_row``)."""
    part = scored["obligor_id"].map(partition_of).fillna(0).astype(np.int64).to_numpy()
    return [scored[part == k].assign(_chunk=chunk, _row=np.flatnonzero(part == k)) for k in range(n)]


def _warned_obligors(pieces: list[pd.DataFrame], params) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The early warnings of one obligor partition (its rows of every month chunk); each alert and signal
    keeps the key of its row (``_chunk``, ``_row``). None for a partition without rows."""
    rows = pd.concat(pieces, ignore_index=True)
    if rows.empty:
        return None
    result = early_warnings(rows.drop(columns=["_chunk", "_row"]), None, params)
    keys = pd.MultiIndex.from_frame(rows[["obligor_id", "obs_date"]])
    at = keys.get_indexer(pd.MultiIndex.from_frame(result.signals[["obligor_id", "obs_date"]]))
    where = rows[["_chunk", "_row"]].reset_index(drop=True)
    return (pd.concat([result.alerts, where], axis=1),
            pd.concat([result.signals, where.iloc[at].reset_index(drop=True)], axis=1))


def _book_order(scored: pd.DataFrame) -> np.ndarray:
    """The pandas snapshot's row order, (obligor, month end), of rows concatenated month chunk by chunk."""
    codes = np.unique(scored["obligor_id"].astype(str).to_numpy(), return_inverse=True)[1]
    return np.lexsort((scored["obs_date"].to_numpy(), codes))


def _on_cluster(obj):
    """``obj`` once in the graph: scattered to the cluster when a distributed client is active (no large
    object travels with every task), else a delayed value for dask's local scheduler."""
    import dask

    try:
        from distributed import get_client

        return get_client().scatter([obj], hash=False)[0]
    except (ImportError, ValueError):
        return dask.delayed(obj, traverse=False)


def _scored_and_warned_dask(tables, model, params: MonitoringParams, months: pd.DatetimeIndex
                            ) -> tuple[pd.DataFrame, EWSResult]:
    """The scored snapshot and early warnings of ``months`` on dask: month chunks, then obligor partitions,
    in one graph (the scored chunks are split by obligor where they were computed)."""
    import dask

    n = params.panel.dask_partitions
    chunks = [c for c in np.array_split(np.asarray(months), min(n, len(months))) if len(c)]
    obligors = tables["obligors"]["obligor_id"].astype(str).to_numpy()
    partition_of = pd.Series(np.arange(len(obligors)) % n, index=obligors)
    shared_tables, shared_model = _on_cluster(dict(tables)), _on_cluster(model)
    scored_parts = [dask.delayed(_scored_months)(shared_tables, shared_model, pd.DatetimeIndex(c), params.panel)
                    for c in chunks]
    split = [dask.delayed(_by_obligor, nout=n)(part, partition_of, n, i) for i, part in enumerate(scored_parts)]
    warned = [dask.delayed(_warned_obligors)([s[k] for s in split], params.ews) for k in range(n)]
    parts, warned = dask.compute(scored_parts, warned)
    warned = [w for w in warned if w is not None]
    if not warned:
        raise ValueError("snapshot has no rows: nothing to evaluate")

    # Back to the pandas path's order: rows by (obligor, month end), signals by row then catalogue order.
    offsets = np.cumsum([0] + [len(p) for p in parts[:-1]])
    concatenated = pd.concat(parts, ignore_index=True)
    order = _book_order(concatenated)
    place = np.empty(len(order), np.int64)
    place[order] = np.arange(len(order))

    def in_book(frame: pd.DataFrame) -> np.ndarray:
        return place[offsets[frame["_chunk"].to_numpy()] + frame["_row"].to_numpy()]

    scored = concatenated.iloc[order].reset_index(drop=True)
    alerts = pd.concat([a for a, _ in warned], ignore_index=True)
    alerts = alerts.iloc[np.argsort(in_book(alerts))].drop(columns=["_chunk", "_row"]).reset_index(drop=True)
    signals = pd.concat([g for _, g in warned], ignore_index=True)
    rank = {name: i for i, name in enumerate(INDICATOR_NAMES)}
    signals = signals.iloc[np.lexsort((signals["indicator"].map(rank).to_numpy(), in_book(signals)))]
    signals = signals.drop(columns=["_chunk", "_row"]).reset_index(drop=True)
    return scored, EWSResult(signals=signals, alerts=alerts, params=params.ews)


def month_tiers(book: MonitoringBook, tables, as_of, params: MonitoringParams,
                overrides: pd.DataFrame | None = None) -> pd.DataFrame:
    """The tiers of one month end (``tiering.assign_tiers`` on that month's scored snapshot), on the
    approved grade where a rating override (the accounts database's ``overrides``) is in force then."""
    scored = book.scored_at(as_of)
    if overrides is not None and len(overrides):
        from .overrides import APPLIED_COLUMNS, apply_overrides

        applied = apply_overrides(scored, overrides, as_of)
        scored = applied.drop(columns=[c for c in APPLIED_COLUMNS if c in applied.columns and c != "grade"])
    return assign_tiers(scored, tables["facilities"], params.tiering, params.pricing)


def month_exposures(tables, as_of, params: MonitoringParams) -> pd.DataFrame:
    """Each obligor's exposure at one month end (``exposure.obligor_exposure``)."""
    return obligor_exposure(tables["facilities"], as_of, params.tiering.exposure)
