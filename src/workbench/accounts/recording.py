"""Writing the months of a ``MonitoringBook`` to the accounts store, in order.

A month's watchlist depends on the previous month's (statuses, owners, plans) and on the decisions
recorded on it, so months are written oldest first, each in one transaction. An as-of already
stored is skipped unless ``force``; an as-of earlier than the latest stored can only be written
with ``force``, and then every later stored month is recomputed too (they depend on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import pandas as pd

from .monthly import MonitoringBook, month_tiers
from .params import MonitoringParams
from .store import AccountsStore, LaterAsOfExists
from .watchlist import watchlist_step

__all__ = ["RecordPlan", "RecordResult", "plan_months", "record_months"]


@dataclass(frozen=True)
class RecordPlan:
    """Which month ends a run writes (oldest first) and which it leaves as stored."""

    write: list[pd.Timestamp]
    skipped: list[pd.Timestamp]


@dataclass
class RecordResult:
    written: list[pd.Timestamp] = field(default_factory=list)
    skipped: list[pd.Timestamp] = field(default_factory=list)
    watchlist: dict[pd.Timestamp, pd.DataFrame] = field(default_factory=dict)

    def __str__(self) -> str:
        def span(days: list[pd.Timestamp]) -> str:
            return f"{days[0]:%Y-%m-%d} .. {days[-1]:%Y-%m-%d}" if days else "none"

        return (f"{len(self.written)} month end(s) ({span(self.written)}); skipped {len(self.skipped)} already "
                f"stored ({span(self.skipped)}; --force recomputes them)")


def plan_months(stored: list, months: list, *, force: bool, skip_stored: bool) -> RecordPlan:
    """The months to write: ``months`` (without those stored when ``skip_stored``), refusing to write
    before the latest stored as-of unless ``force``; with ``force``, every stored month after the
    earliest written one as well."""
    stored_days = sorted(pd.Timestamp(d) + pd.offsets.MonthEnd(0) for d in stored)
    wanted = sorted({pd.Timestamp(d) + pd.offsets.MonthEnd(0) for d in months})
    skipped = [d for d in wanted if skip_stored and not force and d in stored_days]
    write = [d for d in wanted if d not in skipped]
    if not write:
        return RecordPlan([], skipped)
    later = [d for d in stored_days if d > write[0] and d not in write]
    if later and not force:
        raise LaterAsOfExists(write[0].date(), [d.date() for d in later])
    return RecordPlan(sorted(set(write) | set(later)), skipped)


def record_months(store: AccountsStore, book: MonitoringBook, tables, plan: RecordPlan, params: MonitoringParams,
                  *, meta: Mapping[str, Any] | None = None, overrides: pd.DataFrame | None = None,
                  progress: Callable[[str], None] | None = None) -> RecordResult:
    """Write each planned month's tiers (on the approved grades of ``overrides``), alerts and watchlist
    (``watchlist_step`` from the previous stored month and the decisions on it), oldest first, one
    transaction per month."""
    result = RecordResult(skipped=list(plan.skipped))
    missing = [d for d in plan.write if d not in book.months]
    if missing:
        raise KeyError(f"the book runs to {book.through:%Y-%m-%d}; it cannot record {missing[0]:%Y-%m-%d}")
    for k, day in enumerate(plan.write):
        if progress is not None:
            progress(f"recording {day:%Y-%m-%d} ({k + 1}/{len(plan.write)})")
        tiers = month_tiers(book, tables, day, params, overrides)
        alerts = book.alerts_at(day)
        previous = store.previous_as_of(day)
        watchlist = watchlist_step(store.read_watchlist(previous) if previous else None, alerts,
                                   store.decisions_for(previous) if previous else None, params.watchlist, day)
        store.write_as_of(day, tiers, alerts, watchlist, dict(meta or {}), force=True)
        result.written.append(day)
        result.watchlist[day] = watchlist
    return result
