"""What the portfolio-risk report's notebook and `workbench report portfolio` call around the library:
the checks before any kernel starts, the monitoring params the book is rebuilt with (the monitoring
report's own file, so both reports see the same clients, grades, tiers and alerts), and the facility
books at the as-of and at the start of the ECL movement.

The staging's watchlist trigger is "watchlist red": the clients whose early warnings are red that month,
computed from the data like the rest of the book (so both dates of the movement are measured alike and
a rerun gives the same stages); the accounts database contributes the approved rating overrides, and
is read only, never created."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..accounts.monthly import MonitoringBook, month_tiers
from ..accounts.overrides import apply_overrides
from ..accounts.params import MonitoringParams
from ..data.io import data_months
from ..params import load_params
from ..paths import resolve_path
from ..portfolio.book import facility_book
from .inputs import _existing_store
from .params import MonitorPortfolioParams, PortfolioReportParams

__all__ = ["PortfolioInputs", "monitoring_params", "movement_date", "precheck_portfolio", "portfolio_inputs"]


def monitoring_params(cfg: PortfolioReportParams) -> MonitoringParams:
    """The monitoring report's params (``cfg.monitoring_params``): the book's point-in-time rules, the
    early warnings, the tiers and the pricing economics."""
    return load_params(MonitorPortfolioParams, cfg.monitoring_params).monitoring


def movement_date(cfg: PortfolioReportParams, first_month) -> pd.Timestamp:
    """The month end the ECL movement starts from: ``movement_months`` before the as-of, or the data's
    first month end when the data does not reach back that far."""
    start = pd.Timestamp(cfg.as_of) + pd.offsets.MonthEnd(0) - pd.DateOffset(months=cfg.movement_months)
    return max(start + pd.offsets.MonthEnd(0), pd.Timestamp(first_month))


def precheck_portfolio(cfg: PortfolioReportParams) -> list[str]:
    """Before any kernel: the portfolio covers the as-of, the monitoring params load, and where the
    watchlist comes from."""
    months = data_months(resolve_path(cfg.data_dir))
    as_of = pd.Timestamp(cfg.as_of) + pd.offsets.MonthEnd(0)
    if as_of not in months:
        raise ValueError(f"as-of {as_of:%Y-%m-%d} is not a month end of the portfolio at {cfg.data_dir} "
                         f"({months[0]:%Y-%m-%d} .. {months[-1]:%Y-%m-%d})")
    # The satellite model needs two matured annual cohorts of defaults (and the macro data of their years).
    earliest = months[0] + pd.DateOffset(months=24) + pd.offsets.MonthEnd(0)
    if as_of < earliest:
        raise ValueError(f"as-of {as_of:%Y-%m-%d} is too early for the portfolio report: the satellite model needs "
                         f"two matured annual cohorts, so the earliest as-of is {earliest:%Y-%m-%d} (the data "
                         f"starts {months[0]:%Y-%m-%d})")
    monitoring_params(cfg)  # a ParamsError naming the file and field
    notes = [f"loss simulation: {cfg.simulation.n_scenarios:,} scenarios (seed {cfg.simulation.seed})"]
    start = movement_date(cfg, months[0])
    notes.append(f"ECL movement from {start:%Y-%m-%d}" + ("" if start == as_of - pd.DateOffset(
        months=cfg.movement_months) + pd.offsets.MonthEnd(0) else " (the data's first month end)"))
    store = _existing_store(cfg.accounts_db, "the model's grades, no rating overrides")
    notes.append("rating overrides: " + ("the approved ones of the accounts database" if store is not None else
                                         "none (no accounts database)"))
    return notes


@dataclass(frozen=True)
class PortfolioInputs:
    """The facility book at the as-of and at the start of the movement, the scored
    obligor-months the migration matrix and the satellite model count, and notes on the sources."""

    book: pd.DataFrame
    book_before: pd.DataFrame
    scored: pd.DataFrame
    as_of: pd.Timestamp
    before: pd.Timestamp
    notes: list[str] = field(default_factory=list)

    def population(self, obligors: pd.DataFrame) -> pd.DataFrame:
        """obligor_id, obs_date, industry of every performing obligor-month scored (the satellite's cohorts)."""
        rows = self.scored[["obligor_id", "obs_date"]]
        return rows.assign(industry=rows["obligor_id"].map(obligors.set_index("obligor_id")["industry"]))

    def sources(self) -> pd.DataFrame:
        """Where the book's inputs came from (display)."""
        return pd.DataFrame({"source": self.notes}, index=pd.RangeIndex(1, len(self.notes) + 1, name="#"))


def _red_alerts(book: MonitoringBook, day: pd.Timestamp) -> tuple[set[str], str]:
    alerts = book.alerts_at(day)
    red = set(alerts.loc[alerts["level"] == "red", "obligor_id"].astype(str))
    return red, f"{day:%Y-%m-%d}: watchlist red = the red early warnings of the month ({len(red):,} clients)"


def _book_at(book: MonitoringBook, tables, day: pd.Timestamp, cfg: PortfolioReportParams,
             monitoring: MonitoringParams, overrides) -> tuple[pd.DataFrame, list[str]]:
    scored = book.scored[book.scored["obs_date"] <= day][["obligor_id", "obs_date", "pd", "grade"]]
    month = scored[scored["obs_date"] == day]
    notes = []
    if overrides is not None and len(overrides):
        applied = apply_overrides(month, overrides, day)
        changed = int((applied["override"] != "").sum())
        if changed:
            notes.append(f"{day:%Y-%m-%d}: {changed} client(s) at an approved rating override")
        scored = pd.concat([scored[scored["obs_date"] < day], applied[["obligor_id", "obs_date", "pd", "grade"]]])
    watchlist, note = _red_alerts(book, day)
    notes.append(note)
    tiers = month_tiers(book, tables, day, monitoring, overrides=overrides)
    frame = facility_book(tables, scored, day, tiers=tiers[["obligor_id", "tier"]], watchlist=watchlist,
                          ccf=cfg.ccf, pricing=monitoring.pricing, params=cfg.book)
    if frame["drawn_reconstructed"].any():
        notes.append(f"{day:%Y-%m-%d}: drawn amounts from the facilities' terms and the month's utilisation (the "
                     "facilities table holds those of the data's last month end)")
    unscored = int((~frame["defaulted"] & ~frame["scored"]).sum())
    if unscored:
        notes.append(f"{day:%Y-%m-%d}: {unscored} performing facilit(ies) of clients not scored that month: "
                     "their latest earlier score, else the worst performing grade")
    return frame, notes


def portfolio_inputs(book: MonitoringBook, tables, cfg: PortfolioReportParams,
                     monitoring: MonitoringParams) -> PortfolioInputs:
    """The facility books of the as-of and of the movement's start from the monitoring book (grades, red
    alerts), the accounts database's approved overrides (read only, never created) and the tables."""
    as_of = pd.Timestamp(cfg.as_of) + pd.offsets.MonthEnd(0)
    store = _existing_store(cfg.accounts_db, "the model's grades, no rating overrides")
    overrides = store.read_overrides() if store is not None else None
    now, notes = _book_at(book, tables, as_of, cfg, monitoring, overrides)
    before = movement_date(cfg, book.months[0])
    earlier, more = _book_at(book, tables, before, cfg, monitoring, overrides)
    notes += more
    scored = book.scored[["obligor_id", "obs_date", "pd", "grade"]]
    return PortfolioInputs(now, earlier, scored, as_of, before, notes)
