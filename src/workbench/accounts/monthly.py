"""The monthly monitoring of the book, computed from the data for every month end at once.

``monitoring_book(tables, model, params, through)`` takes the snapshot of every month end from
the data's first through ``through`` (one vectorised pass, ``features.snapshot``), scores it with
the PD model, runs the early-warning system over all of it (so each month's lookbacks, e.g. the PD
at origination or the grade a year earlier, come from the data, never from the database) and
attaches the matured 12-month outcomes. The months the report or a backfill needs are then cheap
slices: ``book.scored_at(d)``, ``book.alerts_at(d)``, ``month_tiers(book, tables, d, params)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..features import snapshot, snapshot_outcomes
from ..features.snapshot import check_as_of, data_range, month_ends
from .ews import EWSResult, early_warnings
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
    snap = snapshot(tables, months, params.panel)
    scored = score_snapshot(model, snap)
    del snap
    ews = early_warnings(scored, None, params.ews)
    # Outcomes as known at the book's last month end: a report as of a past date sees no later default.
    end = months[-1]
    outcomes = snapshot_outcomes(scored, tables["defaults"], params.panel.horizon_months, data_end=end)
    outcomes["default_date"] = outcomes["default_date"].where(outcomes["default_date"] <= end)
    return MonitoringBook(scored, ews, outcomes, pd.DatetimeIndex(sorted(scored["obs_date"].unique())), end)


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
