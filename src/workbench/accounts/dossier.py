"""One client's dossier for the credit committee, from the book of one as-of.

``DossierBook`` holds everything a dossier reads that is the same for every client of an as-of (the
monthly book and report, profitability, needs and offers, covenant tests, the service calendar, the
interaction log, overrides and each client's watchlist history), built once per as-of by the job
layer; ``client_dossier(book, obligor_id)`` is then a cheap selection, and the ``Dossier``'s methods
give each section as a reader wants it (tables formatted by ``workbench.format``, figures returned).
A dossier names the client: it is for the desk, never logged to MLflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import format as fmt
from ..features.ratios import compute_ratios
from ..reference import ALERT_LEVELS
from ..reference.metrics import (
    DOSSIER_ALERT_LEVEL,
    DOSSIER_GRADE,
    DOSSIER_NEEDS_IDENTIFIED,
    DOSSIER_PD,
    DOSSIER_RAROC,
)
from ..structuring.admission import FacilityRequest, assess_admission
from ..structuring.params import ProposalParams
from ..structuring.proposal import obligor_cfads
from ..structuring.sculpting import sculpt_debt
from .benchmark import PeerBenchmark, peer_benchmark
from .calendar import ServiceCalendar
from .monthly import MonitoringBook
from .needs import NeedsProfile
from .report import MonthReport
from .watchlist import watchlist_table

__all__ = ["DossierBook", "Dossier", "client_dossier", "plot_grade_history", "NEW_FINANCING_PRODUCTS"]

#: Products whose suggestion calls for new financing: the dossier sizes one with the structuring module.
NEW_FINANCING_PRODUCTS = ("term_loan", "project_loan")
#: Statement figures the financial summary shows, oldest first.
_SUMMARY = (("revenue", "revenue (EUR m)", fmt.eur_m), ("ebitda_margin", "EBITDA margin", fmt.percent),
            ("leverage", "debt / assets", fmt.percent), ("debt_to_ebitda", "debt / EBITDA", fmt.multiple),
            ("interest_cover", "interest cover", fmt.multiple), ("dscr_proxy", "DSCR (proxy)", fmt.multiple),
            ("current_ratio", "current ratio", fmt.multiple), ("dso", "DSO (days)", fmt.integer))


@dataclass(frozen=True)
class DossierBook:
    """The inputs of every dossier of one as-of (see the module docstring)."""

    as_of: pd.Timestamp
    tables: dict
    book: MonitoringBook
    month: MonthReport
    scored: pd.DataFrame  # this month's scored snapshot with the approved overrides applied
    profitability: pd.DataFrame
    needs: NeedsProfile
    calendar: ServiceCalendar
    interactions: pd.DataFrame
    covenant_tests: pd.DataFrame | None = None
    model: object | None = None  # the PD model, for each client's SHAP reason codes
    store_url: str = ""  # the accounts database the book was read from
    proposal: ProposalParams = field(default_factory=ProposalParams)


@dataclass(frozen=True)
class Dossier:
    """One client's dossier: ``book`` plus the client's id; every section is a method."""

    book: DossierBook
    obligor_id: str
    watchlist_history: pd.DataFrame | None = None  # the client's stored watchlist rows

    # -- identity and rating

    @property
    def _obligor(self) -> pd.Series:
        return self.book.tables["obligors"].set_index("obligor_id").loc[self.obligor_id]

    @property
    def _row(self) -> pd.Series:
        s = self.book.scored
        return s[s["obligor_id"] == self.obligor_id].iloc[0]

    @property
    def _tier(self) -> pd.Series:
        t = self.book.month.tiers
        return t[t["obligor_id"] == self.obligor_id].iloc[0]

    @property
    def name(self) -> str:
        return str(self._obligor["name"])

    def identity(self) -> pd.DataFrame:
        """Who the client is: name, industry, region, segment, size, group and its members, relationship."""
        o, t = self._obligor, self._tier
        group = o.get("group_id")
        members = []
        if isinstance(group, str) and group:
            obl = self.book.tables["obligors"]
            members = sorted(obl.loc[(obl["group_id"] == group) & (obl["obligor_id"] != self.obligor_id), "obligor_id"])
        items = [("client", f"{o['name']} ({self.obligor_id})"), ("industry", fmt.text(o["industry"])),
                 ("region", fmt.text(o["region"])), ("segment", fmt.text(o["segment"])),
                 ("size band", fmt.text(o["size_band"])), ("sales (EUR m)", fmt.eur_m(o["sales"])),
                 ("group", f"{group}: with {', '.join(members) or 'no other client'}" if isinstance(group, str) and group
                  else "none (single name)"),
                 ("client since", fmt.date(o["relationship_start"])),
                 ("tier", f"{t['tier']}: {t['reason']}"),
                 ("service", f"review every {int(t['review_frequency_months'])} months, {t['rm_seniority']}, "
                             f"pricing latitude {fmt.bps(t['pricing_latitude_bps'])} bps")]
        return _items(items)

    def rating(self) -> pd.DataFrame:
        """PD and grade (the model's, and the approved override if any), with the PD's main drivers."""
        r = self._row
        model_grade = r.get("model_grade", r["grade"])
        items = [("PD (12 months)", fmt.pd_percent(r.get("model_pd", r["pd"]))), ("model grade", fmt.integer(model_grade))]
        if isinstance(r.get("override"), str) and r.get("override"):
            items += [("approved grade", f"{fmt.integer(r['grade'])} (override {r['override']}: {r['override_reason']})")]
        else:
            items += [("approved grade", "the model's (no override)")]
        if self.book.model is not None:
            from .scoring import snapshot_reasons

            reasons = snapshot_reasons(self.book.model, self.book.scored, [self.obligor_id], top=4)
            if len(reasons):
                drivers = reasons.filter(like="adverse_").iloc[0].dropna()
                items += [(f"what raises the PD ({k + 1})", str(v)) for k, v in enumerate(drivers)]
        return _items(items)

    def grade_history(self) -> pd.DataFrame:
        """PD and grade at each month end of the book."""
        s = self.book.book.scored
        return s.loc[s["obligor_id"] == self.obligor_id, ["obs_date", "pd", "grade"]].reset_index(drop=True)

    # -- early warning

    def early_warning(self) -> pd.DataFrame:
        """This month's alert level, score and every reason."""
        a = self.book.month.alerts
        row = a[a["obligor_id"] == self.obligor_id]
        if row.empty:
            return _items([("alert", "not scored this month")])
        r = row.iloc[0]
        return _items([("level", r["level"]), ("score", fmt.number(r["score"])),
                       ("reasons", r["reasons"] or "no signal")])

    def watchlist(self) -> pd.DataFrame:
        """The client's watchlist history, month by month (empty: never on the list)."""
        h = self.watchlist_history
        if h is None or h.empty:
            return pd.DataFrame({"watchlist": ["never on the watchlist in the stored months"]})
        h = h[(h["obligor_id"] == self.obligor_id) & (pd.to_datetime(h["as_of"]) <= self.book.as_of)]
        h = h[h["on_list"].astype(bool) | h["status"].isin(["exited", "left portfolio"])]
        if h.empty:
            return pd.DataFrame({"watchlist": ["never on the watchlist in the stored months"]})
        shown = watchlist_table(h)
        shown.index = pd.Index([fmt.date(d) for d in h["as_of"]], name="as of")
        return shown

    # -- financials and peers

    def financial_summary(self, statements: int = 4) -> pd.DataFrame:
        """The key figures of the last ``statements`` statements usable at the as-of, oldest first."""
        fin = self.book.tables["financials"]
        fin = fin[(fin["obligor_id"] == self.obligor_id) & (fin["reported_date"] <= self.book.as_of)]
        fin = fin.sort_values("period_end").tail(statements)
        if fin.empty:
            return pd.DataFrame({"financial statements": ["none usable at the as-of"]})
        ratios = compute_ratios(fin.reset_index(drop=True))
        ratios["revenue"] = fin["revenue"].to_numpy()
        table = pd.DataFrame({fmt.date(p): [fn(ratios[col].iloc[k]) if col in ratios else "n/a"
                                            for col, _, fn in _SUMMARY]
                              for k, p in enumerate(fin["period_end"])},
                             index=pd.Index([label for _, label, _ in _SUMMARY], name="period end"))
        return table

    def peers(self) -> PeerBenchmark:
        return peer_benchmark(self.book.scored, self.obligor_id, as_of=self.book.as_of)

    # -- facilities, covenants, profitability

    def facilities(self) -> pd.DataFrame:
        """Live facilities at the as-of with their collateral."""
        f = self.book.tables["facilities"]
        live = f[(f["obligor_id"] == self.obligor_id) & (f["origination_date"] <= self.book.as_of)
                 & (f["maturity_date"] > self.book.as_of)].set_index("facility_id")
        if live.empty:
            return pd.DataFrame({"facilities": ["no live facility at the as-of"]})
        return fmt.display_frame(live, {
            "product": ("product", fmt.text), "limit": ("limit (EUR m)", fmt.eur_m), "drawn": ("drawn (EUR m)", fmt.eur_m),
            "maturity_date": ("matures", fmt.date), "repayment_type": ("repayment", fmt.text),
            "spread_bps": ("spread (bps)", fmt.bps), "collateral_type": ("collateral", fmt.text),
            "collateral_value": ("collateral value (EUR m)", fmt.eur_m), "seniority": ("seniority", fmt.text)})

    def covenants(self) -> pd.DataFrame:
        """Each covenant's last test, headroom and next test date."""
        tests = self.book.covenant_tests
        if tests is None:
            return pd.DataFrame({"covenants": ["the data has no covenants table"]})
        mine = tests[tests["obligor_id"] == self.obligor_id]
        if mine.empty:
            return pd.DataFrame({"covenants": ["no covenant on the client's live facilities"]})
        from .covenants import covenant_table

        return covenant_table(mine)

    def profitability(self) -> pd.DataFrame:
        from .profitability import profitability_table

        return profitability_table(self.book.profitability, self.obligor_id)

    # -- needs and offer

    def needs(self) -> pd.DataFrame:
        return self.book.needs.table(self.obligor_id)

    def offer(self) -> pd.DataFrame:
        return self.book.needs.offer_table(self.obligor_id)

    def financing_proposal(self) -> pd.DataFrame:
        """Where a need calls for new financing (an eligible term or project loan is suggested): the
        request, the admission decision and the debt its cash flows carry at the target DSCR."""
        offers = self.book.needs.suggested
        mine = offers[(offers["obligor_id"] == self.obligor_id) & offers["product"].isin(NEW_FINANCING_PRODUCTS)]
        if mine.empty:
            return pd.DataFrame({"financing proposal": ["no need calls for new financing"]})
        best = mine.sort_values("score", ascending=False).iloc[0]
        p = self.book.proposal
        request = FacilityRequest(amount=float(best["amount"]), tenor_years=float(best["tenor_years"]),
                                  purpose=str(best["need"]))
        admission = assess_admission(self._row, request, p.admission)
        items = [("need", f"{best['need']} (score {fmt.number(best['score'])})"),
                 ("product", f"{best['product']}, EUR {fmt.eur_m(request.amount)} m over "
                             f"{fmt.number(request.tenor_years)} years"),
                 ("admission", admission.decision_text)]
        try:
            t = self.book.tables
            cfads = obligor_cfads(self.obligor_id, t["financials"], t.get("projects", _EMPTY_PROJECTS),
                                  t.get("project_cashflows", _EMPTY_CASHFLOWS), self.book.as_of,
                                  years=int(round(request.tenor_years)))
            loan = cfads["cfads"].iloc[: max(int(round(request.tenor_years)), 1)]
            sculpted = sculpt_debt(loan, p.target_dscr, p.annual_rate, project_life_cfads=cfads["cfads"])
            items += [("debt the cash flows carry", f"EUR {fmt.eur_m(sculpted.debt)} m at DSCR "
                                                   f"{fmt.multiple(p.target_dscr)} and {fmt.percent(p.annual_rate)}"),
                      ("cash flows", str(cfads["source"].iloc[0]))]
        except ValueError as exc:
            items += [("debt the cash flows carry", f"not sized: {exc}")]
        return _items(items)

    # -- service

    def metrics(self) -> dict[str, float]:
        """The dossier's figures for MLflow: numbers only, no name."""
        r = self._row
        level = self.book.month.alerts.set_index("obligor_id")["level"].get(self.obligor_id, "green")
        prof = self.book.profitability.set_index("obligor_id")["raroc"]
        identified = self.book.needs.identified
        return {DOSSIER_PD: float(r["pd"]), DOSSIER_GRADE: float(r["grade"]),
                DOSSIER_ALERT_LEVEL: float(ALERT_LEVELS.index(level)),
                DOSSIER_RAROC: float(prof.get(self.obligor_id, np.nan)),
                DOSSIER_NEEDS_IDENTIFIED: float(identified.loc[self.obligor_id].sum())
                if self.obligor_id in identified.index else 0.0}

    def calendar(self) -> pd.DataFrame:
        return self.book.calendar.events_table(self.obligor_id)

    def contacts(self) -> pd.DataFrame:
        return self.book.calendar.contacts_table(self.obligor_id)

    def recent_interactions(self, n: int = 8) -> pd.DataFrame:
        """The last ``n`` contacts recorded by the as-of."""
        i = self.book.interactions
        mine = i[i["obligor_id"] == self.obligor_id].sort_values("date", ascending=False).head(n)
        if mine.empty:
            return pd.DataFrame({"interactions": ["no contact recorded"]})
        return fmt.display_frame(mine.set_index(mine["date"].map(fmt.date).rename("date")), {
            "channel": ("channel", fmt.text), "topic": ("topic", fmt.text), "note": ("note", fmt.text)})


_EMPTY_PROJECTS = pd.DataFrame(columns=["project_id", "obligor_id", "financial_close", "total_cost"])
_EMPTY_CASHFLOWS = pd.DataFrame(columns=["project_id", "period", "period_end", "cfads"])


def _items(items: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({"": [v for _, v in items]}, index=pd.Index([k for k, _ in items], name=""))


def client_dossier(book: DossierBook, obligor_id: str, watchlist_history: pd.DataFrame | None = None) -> Dossier:
    """The dossier of ``obligor_id`` (``watchlist_history``: its stored watchlist rows); a KeyError
    naming a few known clients when it was not a performing, tiered client at the as-of."""
    known = set(book.month.tiers["obligor_id"])
    if obligor_id not in known:
        raise KeyError(f"obligor {obligor_id!r} is not a performing client at {fmt.date(book.as_of)} "
                       f"(e.g. {', '.join(sorted(known)[:3])})")
    return Dossier(book, obligor_id, watchlist_history)


def plot_grade_history(dossier: Dossier) -> Figure:
    """The client's PD month by month (log scale) with its grade on the right axis."""
    h = dossier.grade_history()
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    ax.plot(h["obs_date"], 100 * h["pd"], color="tab:blue", label="PD")
    ax.set_yscale("log")
    ax.set_ylabel("PD, 12 months (%)")
    ax2 = ax.twinx()
    ax2.step(h["obs_date"], h["grade"], where="post", color="tab:red", alpha=0.6, label="grade")
    ax2.set_ylabel("grade (1 best)")
    ax2.set_ylim(10.5, 0.5)
    ax2.set_yticks(np.arange(1, 11))
    ax.set_title(f"Rating history of {dossier.obligor_id}")
    fig.tight_layout()
    plt.close(fig)
    return fig
