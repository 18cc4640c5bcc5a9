"""One month end of the book as the monitoring report shows it: tiers, exposures and RAROC,
groups and large exposures, concentration, alerts with reasons, watchlist changes and pending
decisions, tier migration and overdue reviews.

``month_report(book, tables, as_of, params, watchlist, ...)`` gathers the frames (pure: the
watchlist rows come in, read by the caller from the accounts store); the ``MonthReport``'s
methods give the tables a reader looks at and ``plot_*`` the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import format as fmt
from ..data.io import write_csv_atomic
from ..pricing.grid import portfolio_raroc
from ..reference.metrics import (
    MONITORING_AMBER_ALERTS,
    MONITORING_AWAITING_EXIT,
    MONITORING_HHI,
    MONITORING_LARGE_EXPOSURE_BREACHES,
    MONITORING_RED_ALERTS,
    MONITORING_REVIEWS_OVERDUE,
    MONITORING_TIER_A_SHARE,
    MONITORING_WATCHLIST,
    MONITORING_WATCHLIST_NEW,
)
from .ews import LEVELS
from .groups import Concentration, concentration, group_exposures, large_exposures, large_exposures_table
from .monthly import MonitoringBook, month_exposures, month_tiers
from .params import MonitoringParams
from .reviews import overdue_by_tier, reviews_due
from .tiering import tier_migration, tier_summary
from .watchlist import watchlist_table

__all__ = ["MonthReport", "month_report", "plot_exposure_by_tier_and_level", "save_month_outputs",
           "CHANGE_STATUSES"]

#: Watchlist statuses that are a change a reader must see this month.
CHANGE_STATUSES = ("new", "escalated", "de-escalated", "eligible for exit", "exited", "left portfolio")



@dataclass(frozen=True)
class MonthReport:
    """The frames of one month end's report (numbers); methods format them for people."""

    as_of: pd.Timestamp
    tiers: pd.DataFrame
    tiers_before: pd.DataFrame
    exposures: pd.DataFrame
    per_facility: pd.DataFrame
    alerts: pd.DataFrame
    groups: pd.DataFrame
    large: pd.DataFrame
    concentration: Concentration
    watchlist: pd.DataFrame
    reviews: pd.DataFrame
    reasons: pd.DataFrame | None = None
    overrides: pd.DataFrame | None = None  # this month's scored rows with the approved overrides applied

    # -- portfolio

    def overview(self, by: str = "tier") -> pd.DataFrame:
        """Per ``by`` (tier, grade or industry): clients, EAD, expected loss and capital (EUR m),
        capital-weighted RAROC at booked spreads, and red / amber alerts."""
        f = self.per_facility.assign(el=self.per_facility["pd"] * self.per_facility["lgd"] * self.per_facility["ead"],
                                     w=self.per_facility["raroc_today"] * self.per_facility["capital"])
        by_obligor = self.tiers.set_index("obligor_id")[by]
        key = f[by] if by in f.columns else f["obligor_id"].map(by_obligor)
        g = f.groupby(key)
        out = pd.DataFrame({"facilities": g.size(), "clients": g["obligor_id"].nunique(), "ead": g["ead"].sum(),
                            "el": g["el"].sum(), "capital": g["capital"].sum()})
        out["raroc"] = g["w"].sum() / out["capital"].where(out["capital"] > 0)
        a = self.alerts
        alert_key = a[by] if by in a.columns else a["obligor_id"].map(by_obligor)
        counts = pd.crosstab(alert_key, a["level"]).reindex(columns=list(LEVELS), fill_value=0)
        out = out.join(counts[["red", "amber"]], how="left").fillna({"red": 0, "amber": 0})
        total = out[["facilities", "clients", "ead", "el", "capital", "red", "amber"]].sum()
        total["raroc"] = float((f["w"].sum()) / f["capital"].sum()) if f["capital"].sum() > 0 else np.nan
        out.loc["all"] = total
        out.index.name = by
        return fmt.display_frame(out, {
            "clients": ("clients", fmt.integer), "facilities": ("facilities", fmt.integer),
            "ead": ("EAD (EUR m)", fmt.eur_m), "el": ("expected loss (EUR m)", fmt.eur_m),
            "capital": ("capital (EUR m)", fmt.eur_m), "raroc": ("RAROC at booked spreads", fmt.percent),
            "red": ("red alerts", fmt.integer), "amber": ("amber alerts", fmt.integer)})

    def tier_table(self) -> pd.DataFrame:
        """Per tier: clients and share, exposure and share, revenue, RAROC, mean grade, and its service."""
        summary = tier_summary(self.tiers)
        service = self.tiers.drop_duplicates("tier").set_index("tier")[
            ["review_frequency_months", "rm_seniority", "pricing_latitude_bps"]]
        return fmt.display_frame(summary.join(service), {
            "obligors": ("clients", fmt.integer), "share_of_obligors": ("share of clients", fmt.percent),
            "exposure": ("exposure (EUR m)", fmt.eur_m), "share_of_exposure": ("share of exposure", fmt.percent),
            "revenue": ("revenue (EUR m a year)", fmt.eur_m), "raroc": ("RAROC at booked spreads", fmt.percent),
            "mean_grade": ("mean grade", fmt.number), "review_frequency_months": ("review every (months)", fmt.integer),
            "rm_seniority": ("relationship manager", fmt.text), "pricing_latitude_bps": ("pricing latitude (bps)",
                                                                                        fmt.bps)})

    def top_tier_a(self, n: int = 15) -> pd.DataFrame:
        """The tier-A clients with the highest value, each with the rule that placed it."""
        a = self.tiers[self.tiers["tier"] == "A"].sort_values("value_rank").head(n).set_index("obligor_id")
        return fmt.display_frame(a, {"reason": ("why tier A", fmt.text), "exposure": ("exposure (EUR m)", fmt.eur_m),
                                     "raroc": ("RAROC", fmt.percent), "grade": ("grade", fmt.integer)})

    def migration(self) -> pd.DataFrame:
        """Clients by tier then (rows) and now (columns)."""
        return tier_migration(self.tiers_before, self.tiers)

    def large_exposures_table(self) -> pd.DataFrame:
        return large_exposures_table(self.large)

    def groups_table(self, n: int = 15) -> pd.DataFrame:
        """The largest groups of connected clients, with the worst grade and alerts of any member."""
        g = self.groups[self.groups["kind"] == "group"].head(n).set_index("group")
        return fmt.display_frame(g, {
            "members": ("members", fmt.integer), "exposure_value": ("exposure value (EUR m)", fmt.eur_m),
            "ead": ("EAD (EUR m)", fmt.eur_m), "worst_grade": ("worst grade", fmt.integer),
            "members_amber_red": ("members amber/red", fmt.integer), "worst_alert": ("worst alert", fmt.text)})

    # -- early warning and watchlist

    def alert_table(self, levels: tuple[str, ...] = ("red",), n: int = 40) -> pd.DataFrame:
        """The alerts of ``levels``, worst score first, with the tier and, where computed, the PD's
        top adverse drivers."""
        a = self.alerts[self.alerts["level"].isin(levels)].merge(
            self.tiers[["obligor_id", "tier"]], on="obligor_id", how="left")
        if self.reasons is not None and len(self.reasons):
            drivers = self.reasons.set_index("obligor_id").filter(like="adverse_")
            a["drivers"] = a["obligor_id"].map(drivers.apply(lambda r: "; ".join(r.dropna().astype(str)), axis=1))
        a = a.sort_values(["score", "obligor_id"], ascending=[False, True]).head(n).set_index("obligor_id")
        return fmt.display_frame(a, {
            "level": ("level", fmt.text), "tier": ("tier", fmt.text), "grade": ("grade", fmt.integer),
            "pd": ("PD", fmt.pd_percent), "score": ("score", fmt.number), "n_signals": ("signals", fmt.integer),
            "reasons": ("early-warning reasons", fmt.text), "drivers": ("what drives the PD", fmt.text)})

    def alert_counts(self) -> pd.DataFrame:
        """Clients per alert level, by tier."""
        m = self.alerts.merge(self.tiers[["obligor_id", "tier"]], on="obligor_id", how="left")
        table = pd.crosstab(m["tier"], m["level"], margins=True, margins_name="all").reindex(
            columns=list(LEVELS) + ["all"], fill_value=0)
        table.columns.name = None
        return table

    def watchlist_summary(self) -> pd.DataFrame:
        """Cases by status this month (on the list, leaving it, or waiting to enter)."""
        w = self.watchlist
        counts = w["status"].value_counts().rename("clients").to_frame()
        counts["on the list"] = counts.index.map(lambda s: "yes" if s not in ("exited", "left portfolio",
                                                                            "pending entry") else "no")
        return counts

    def watchlist_changes(self, n: int = 40) -> pd.DataFrame:
        """Cases whose status changed this month (new, escalated, de-escalated, eligible for exit,
        exited, left), most severe first."""
        w = self.watchlist[self.watchlist["status"].isin(CHANGE_STATUSES)]
        w = w.assign(_order=w["status"].map({s: i for i, s in enumerate(CHANGE_STATUSES)}),
                     _score=-w["score"].fillna(0)).sort_values(["_order", "_score", "obligor_id"])
        return watchlist_table(w.head(n))

    def pending_decisions(self) -> pd.DataFrame:
        """What waits for a person, in cases: exits awaiting a second person's decision, cases without
        an owner or corrective plan, plans past their due date, cases too long on the list."""
        w = self.watchlist[self.watchlist["on_list"].astype(bool)]
        checks = {
            "signals cleared: exit needs a second person's decision": w["status"] == "eligible for exit",
            "no owner / corrective plan yet": w["owner"].fillna("unassigned").isin(["", "unassigned"]),
            "corrective plan overdue": w["plan_overdue"].astype(bool),
            "on the list too long: workout decision due": w["workout_overdue"].astype(bool),
        }
        out = pd.DataFrame({"cases": {text: int(mask.sum()) for text, mask in checks.items()}})
        out.index.name = "waiting for"
        return out

    def pending_cases(self, n: int = 30) -> pd.DataFrame:
        """The pending cases themselves, most severe level first."""
        w = self.watchlist[self.watchlist["on_list"].astype(bool)]
        rank = w["level"].map({lvl: i for i, lvl in enumerate(reversed(LEVELS))})
        return watchlist_table(w.assign(_r=rank).sort_values(["_r", "months_on_list", "obligor_id"],
                                                             ascending=[True, False, True]).head(n))

    def override_table(self) -> pd.DataFrame:
        """Rating overrides in force by tier and direction (up: a better grade than the model's)."""
        from .overrides import override_rate, override_rate_table

        applied = self.overrides if self.overrides is not None else self.tiers[["obligor_id"]].assign(override="")
        merged = self.tiers[["obligor_id", "tier"]].merge(applied[["obligor_id", "override"]], on="obligor_id",
                                                          how="left")
        return override_rate_table(override_rate(merged.fillna({"override": ""})))

    def reviews_table(self) -> pd.DataFrame:
        """Per tier: clients, reviews overdue for the tier's frequency, and the longest delay."""
        return fmt.display_frame(overdue_by_tier(self.reviews), {
            "clients": ("clients", fmt.integer), "overdue": ("reviews overdue", fmt.integer),
            "share_overdue": ("share overdue", fmt.percent), "max_months_overdue": ("longest delay (months)",
                                                                                   fmt.integer)})

    def metrics(self) -> dict[str, float]:
        """The month's headline figures for MLflow."""
        on_list = self.watchlist["on_list"].astype(bool)
        return {
            MONITORING_RED_ALERTS: float((self.alerts["level"] == "red").sum()),
            MONITORING_AMBER_ALERTS: float((self.alerts["level"] == "amber").sum()),
            MONITORING_WATCHLIST: float(on_list.sum()),
            MONITORING_WATCHLIST_NEW: float((self.watchlist["status"] == "new").sum()),
            MONITORING_AWAITING_EXIT: float((self.watchlist["status"] == "eligible for exit").sum()),
            MONITORING_TIER_A_SHARE: float((self.tiers["tier"] == "A").mean()) if len(self.tiers) else float("nan"),
            MONITORING_LARGE_EXPOSURE_BREACHES: float((self.large["status"] == "breach").sum()),
            MONITORING_REVIEWS_OVERDUE: float(self.reviews["overdue"].sum()),
            MONITORING_HHI: float(self.concentration.hhi),
        }


def month_report(book: MonitoringBook, tables, as_of, params: MonitoringParams, watchlist: pd.DataFrame,
                 *, model=None, reason_levels: tuple[str, ...] = ("red",),
                 overrides: pd.DataFrame | None = None) -> MonthReport:
    """The report's frames for ``as_of``: tiers now and ``params.migration_months`` earlier, exposures,
    RAROC at booked spreads with the assigned tiers, groups, large exposures, concentration, the
    alerts, the given watchlist rows, overdue reviews and (with ``model``) the PD's reason codes of
    the ``reason_levels`` alerts; ``overrides``: the rating overrides recorded (the accounts database's),
    applied as of the month for the override rate."""
    day = pd.Timestamp(as_of) + pd.offsets.MonthEnd(0)
    tiers = month_tiers(book, tables, day, params, overrides)
    before_day = day - pd.offsets.MonthEnd(params.migration_months)
    tiers_before = (month_tiers(book, tables, before_day, params, overrides) if before_day in book.months
                    else tiers.iloc[0:0])
    scored = book.scored_at(day)
    exposures = month_exposures(tables, day, params)
    grades = scored[["obligor_id", "grade", "pd"]]
    per_facility = portfolio_raroc(tables["facilities"], tables["obligors"], grades, None, params.pricing, day,
                                   tiers=tiers[["obligor_id", "tier"]])
    alerts = book.alerts_at(day)
    groups = group_exposures(tables["obligors"], exposures, grades, alerts[["obligor_id", "level"]])
    large = large_exposures(tables["obligors"], exposures, params.large_exposures)
    reviews = reviews_due(tiers, tables.get("interactions"), tables["obligors"], day, data_start=book.months[0])
    reasons = None
    if model is not None:
        from .scoring import snapshot_reasons

        flagged = alerts.loc[alerts["level"].isin(reason_levels), "obligor_id"]
        reasons = snapshot_reasons(model, scored, flagged, top=params.reason_codes)
    applied = None
    if overrides is not None:
        from .overrides import apply_overrides

        applied = apply_overrides(scored, overrides, day)
    return MonthReport(day, tiers, tiers_before, exposures, per_facility, alerts, groups, large,
                       concentration(exposures), watchlist, reviews, reasons, applied)


def plot_exposure_by_tier_and_level(report: MonthReport) -> Figure:
    """EAD (EUR m) by tier, stacked by this month's alert level."""
    m = report.per_facility.groupby("obligor_id")["ead"].sum().rename("ead").to_frame().join(
        report.tiers.set_index("obligor_id")["tier"]).join(report.alerts.set_index("obligor_id")["level"])
    table = m.pivot_table(index="tier", columns="level", values="ead", aggfunc="sum", fill_value=0.0).reindex(
        columns=list(LEVELS), fill_value=0.0)
    colours = {"green": "#4c9a2a", "amber": "#f0a202", "red": "#c0392b"}
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    bottom = np.zeros(len(table))
    for level in LEVELS:
        ax.bar(table.index.astype(str), table[level], bottom=bottom, color=colours[level], label=level)
        bottom += table[level].to_numpy()
    ax.set_xlabel("tier")
    ax.set_ylabel("EAD (EUR m)")
    ax.set_title(f"Exposure by tier and alert level, {report.as_of:%Y-%m-%d}")
    ax.legend(title="alert level")
    fig.tight_layout()
    plt.close(fig)
    return fig


def save_month_outputs(report: MonthReport, directory) -> dict[str, Path]:
    """The month's tiers, alerts and watchlist as CSV files in ``directory`` (written atomically), for
    the relationship managers' own tools; ``{name: path}`` to record on the run."""
    directory = Path(directory)
    frames = {"tiers": report.tiers, "alerts": report.alerts, "watchlist": report.watchlist,
              "large_exposures": report.large}
    return {name: write_csv_atomic(frame, directory / f"{name}.csv") for name, frame in frames.items()}
