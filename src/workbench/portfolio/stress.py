"""The macro stress test of the book: each scenario's path moves every obligor's PD through the fitted
satellite model, and the book is re-measured: grades, stages, ECL, IRB capital, RAROC at the booked
spreads and the watchlist, by tier and industry, against the baseline.

**Stressed PD.** In scenario year t (1 .. horizon) the obligor's 12-month PD is
N(G(PD) + shift), ``shift`` being the satellite's change of the probit index of the obligor's
industry in that year (``SatelliteModel.shifts``; the Vasicek reading: the macro path moves the
systematic factor, which shifts every obligor's default threshold by the same amount in probit
space). The figures of a scenario are taken at its **peak year**, the year with the highest
EAD-weighted PD of the book (the severest point of the path, as supervisory stress tests report
the trough of capital), and the yearly table shows every year.

**Re-measured at the peak year**: the master-scale grade of the stressed PD and the grade migration
from today; stages re-assessed with the stressed PD against the PD at origination (the SICR test
of ``staging``; arrears, defaults and forbearance as today); the scenario's ECL from its own PD term
structure (all scenario years shifted) with those stages; IRB capital (``pricing.capital.irb_capital``,
remaining life, PD floored; defaulted facilities K = max(0, LGD - best-estimate EL)); RAROC at
the booked spreads (``pricing.economics.raroc``, funded at the remaining life as in pricing's portfolio
RAROC, capital-weighted); the watchlist: today's (``watchlist`` of the book, the clients at red) plus
the performing clients the scenario newly flags at amber on the stressed PD alone (grade at or beyond
the ``grade_level`` amber grade, or PD multiple since origination at or beyond the
``pd_multiple_origination`` amber multiple, origination PD floored at the low-risk PD: the monitoring
report's own thresholds, passed in), so that with no shift the book is today's. The stages keep
today's watchlist trigger: staging under stress re-runs its PD test only, and an amber flag that
would not move a client's stage today does not move it under stress.
**Horizon losses**: the expected credit loss of the defaults within the horizon,
sum over years of EAD_t x marginal PD_t x LGD (undiscounted), the stress tests' impairment flow.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.special import ndtr, ndtri

from .. import format as fmt
from ..pricing.capital import irb_capital
from ..pricing.economics import cost_of_funds, raroc
from ..pricing.params import PricingParams
from ..reference import metrics
from ..reference.master_scale import MASTER_SCALE
from .ecl import facility_ecl
from .exposure import ead_profile, live_year_fraction, remaining_years
from .ifrs9 import shift_matrix
from .params import PortfolioRiskParams
from .scenarios import BASELINE
from .staging import assign_stages
from .term_structure import MigrationMatrix, live_marginal_pd, pd_term_structure

__all__ = ["StressResult", "stress_test", "plot_stress"]

_PD_CAP = 0.999  # a stressed PD stays below 1 (1 means in default)


def stressed_pd(pd_, shift) -> np.ndarray:
    """N(G(PD) + shift), PD kept inside (0, 1) so that a shift never turns a performing client into a default."""
    p = np.clip(np.asarray(pd_, dtype=float), 1e-12, _PD_CAP)
    return np.minimum(ndtr(ndtri(p) + np.asarray(shift, dtype=float)), _PD_CAP)


@dataclass(frozen=True)
class StressResult:
    """Per facility and scenario at the scenario's peak year (``facilities``), the book per scenario and
    year (``yearly``) and per scenario (``summary``); ``grades``: obligor, scenario, grade now and stressed."""

    facilities: pd.DataFrame
    yearly: pd.DataFrame
    summary: pd.DataFrame
    grades: pd.DataFrame
    baseline: str

    def table(self) -> pd.DataFrame:
        """Each scenario at its peak year, beside the baseline (display)."""
        s = self.summary.set_index("scenario")
        return fmt.display_frame(s, {
            "peak_year": ("peak year", fmt.integer), "mean_pd": ("mean PD (EAD-weighted)", fmt.pd_percent),
            "downgraded": ("clients downgraded", fmt.integer),
            "stage_2_ead_share": ("stage 2 share of EAD", lambda v: fmt.percent(v, 1)),
            "stage_transfers": ("facilities moved to stage 2", fmt.integer),
            "ecl": ("ECL (EUR m)", fmt.number), "ecl_change": ("ECL vs baseline", lambda v: fmt.percent(v, 1)),
            "horizon_loss": ("expected loss over the horizon (EUR m)", fmt.number),
            "capital": ("IRB capital (EUR m)", fmt.eur_m),
            "capital_change": ("capital vs baseline", lambda v: fmt.percent(v, 1)),
            "raroc": ("RAROC at booked spreads", lambda v: fmt.percent(v, 1)),
            "newly_flagged": ("clients newly flagged (amber on grade or PD multiple)", fmt.integer),
            "watchlist": ("watchlist: today's red clients and the newly flagged", fmt.integer)})

    def yearly_table(self) -> pd.DataFrame:
        """The book per scenario and year: mean PD, expected loss of the year's defaults, capital, RAROC (display)."""
        y = self.yearly.set_index(["scenario", "year"])
        return fmt.display_frame(y, {
            "mean_pd": ("mean PD (EAD-weighted)", fmt.pd_percent),
            "expected_loss": ("expected loss of the year (EUR m)", fmt.number),
            "capital": ("IRB capital (EUR m)", fmt.eur_m),
            "raroc": ("RAROC at booked spreads", lambda v: fmt.percent(v, 1))})

    def by(self, key: str) -> pd.DataFrame:
        """Per ``key`` (tier, industry) and scenario at its peak year: EAD, mean PD, ECL, capital, RAROC
        and the change of ECL and capital against the baseline."""
        f = self.facilities
        f = f.assign(_pd_ead=f["pd"] * f["ead"], _perf_ead=f["ead"].where(f["pd"].notna(), 0.0),
                     _raroc_k=f["raroc"].fillna(0.0) * f["capital_performing"])
        g = f.groupby([key, "scenario"], sort=True)
        out = pd.DataFrame({"ead": g["ead"].sum(), "_pd_ead": g["_pd_ead"].sum(), "_perf_ead": g["_perf_ead"].sum(),
                            "ecl": g["ecl"].sum(), "capital": g["capital"].sum(), "_raroc_k": g["_raroc_k"].sum(),
                            "_k": g["capital_performing"].sum()})
        # Defaulted facilities have no PD to stress: the mean is over the performing exposure.
        out["mean_pd"] = out["_pd_ead"] / out["_perf_ead"].where(out["_perf_ead"] > 0)
        out["raroc"] = out["_raroc_k"] / out["_k"].where(out["_k"] > 0)
        base = out.xs(self.baseline, level="scenario")
        keys = out.index.get_level_values(key)
        out["ecl_change"] = out["ecl"].to_numpy() / base["ecl"].reindex(keys).to_numpy() - 1
        out["capital_change"] = out["capital"].to_numpy() / base["capital"].reindex(keys).to_numpy() - 1
        return out[["ead", "mean_pd", "ecl", "ecl_change", "capital", "capital_change", "raroc"]]

    def by_table(self, key: str) -> pd.DataFrame:
        """``by`` for people, scenarios side by side for ECL and capital changes."""
        out = self.by(key)
        order = list(self.summary["scenario"])
        wide = pd.DataFrame(index=out.index.get_level_values(0).unique())
        wide.index.name = key
        base = out.xs(self.baseline, level="scenario")
        wide["EAD (EUR m)"] = base["ead"].map(fmt.eur_m)
        for s in order:
            part = out.xs(s, level="scenario")
            wide[f"mean PD {s}"] = part["mean_pd"].map(fmt.pd_percent)
        for s in order:
            part = out.xs(s, level="scenario")
            wide[f"ECL {s} (EUR m)"] = part["ecl"].map(fmt.number)
        for s in order:
            if s != self.baseline:
                part = out.xs(s, level="scenario")
                wide[f"capital {s} vs baseline"] = part["capital_change"].map(lambda v: fmt.percent(v, 1))
        return wide

    def grade_migration(self, scenario: str) -> pd.DataFrame:
        """Performing clients by grade today (rows) and at the scenario's peak year (columns)."""
        g = self.grades[self.grades["scenario"] == scenario]
        if g.empty:
            raise KeyError(f"unknown scenario {scenario!r}; scenarios: {list(self.summary['scenario'])}")
        grades = list(range(1, MASTER_SCALE.n_grades + 1))
        table = pd.crosstab(g["grade"], g["stressed_grade"]).reindex(index=grades, columns=grades, fill_value=0)
        table.index.name, table.columns.name = "grade today", f"grade under {scenario}"
        return table

    def metrics(self) -> dict[str, float]:
        s = self.summary.set_index("scenario")
        worst = s["ecl"].idxmax()
        return {metrics.PORTFOLIO_CAPITAL_SEVERE_CHANGE: float(s.loc[worst, "capital_change"])}


def _capital(book: pd.DataFrame, pd_: np.ndarray, maturity: np.ndarray, pricing: PricingParams) -> np.ndarray:
    defaulted = book["defaulted"].to_numpy()
    k = irb_capital(np.where(defaulted, 1.0, pd_), book["lgd"].to_numpy(dtype=float), maturity,
                    book["sales"].to_numpy(dtype=float), pd_floor=pricing.capital.pd_floor,
                    el_best_estimate=np.full(len(book), pricing.capital.default_el_best_estimate))
    return k * book["ead"].to_numpy(dtype=float)


def _raroc(book: pd.DataFrame, pd_: np.ndarray, maturity: np.ndarray, pricing: PricingParams) -> np.ndarray:
    econ = pricing.economics
    cof = cost_of_funds(maturity, econ.funding_curve_bps) / 1e4
    rate = cof + book["spread_bps"].to_numpy(dtype=float) / 1e4
    out = raroc(rate, np.minimum(pd_, _PD_CAP), book["lgd"].to_numpy(dtype=float), maturity, cost_of_funds=cof,
                opex=econ.opex_bps / 1e4, tax=econ.tax_rate, capital_return=econ.capital_return_rate,
                pd_floor=pricing.capital.pd_floor)
    return np.where(book["defaulted"].to_numpy(), np.nan, out)


def stress_test(book: pd.DataFrame, migration: MigrationMatrix, shifts: pd.DataFrame, params: PortfolioRiskParams,
                as_of, *, pricing: PricingParams, watch_grade: int, watch_pd_multiple: float,
                watch_low_risk_pd: float) -> StressResult:
    """Re-measure ``book`` (``book.facility_book``) under every scenario of ``params.scenarios`` (module
    docstring). ``shifts``: ``SatelliteModel.shifts``; ``watch_grade`` / ``watch_pd_multiple``: the early
    warnings' amber thresholds of the grade and of the PD multiple since origination; ``watch_low_risk_pd``
    their low-credit-risk PD (no PD-multiple signal below it, the origination PD floored at it)."""
    as_of = pd.Timestamp(as_of)
    horizon = params.scenarios.horizon_years
    max_years = params.term_structure.max_years
    profile = ead_profile(book, as_of, params.ccf, max_years)
    fraction = live_year_fraction(book, as_of, max_years)
    years = profile.shape[1]
    # Remaining life, at least a month, as pricing's portfolio RAROC takes it (funding at that tenor; the IRB
    # formula clips its maturity to [1, 5] years itself).
    maturity = np.maximum(remaining_years(book, as_of), 1 / 12)
    ead = book["ead"].to_numpy(dtype=float)
    performing = ~book["defaulted"].to_numpy()
    pd_now = book["pd"].to_numpy(dtype=float)
    grade_input = np.where(performing, book["grade"].to_numpy(), 1)
    stages_now = assign_stages(book, params.staging).set_index("facility_id").loc[book["facility_id"], "stage"]
    stages_now = stages_now.to_numpy()
    lgd = book["lgd"].to_numpy(dtype=float)
    rows, yearly, grade_rows, summary = [], [], [], []
    for scenario in params.scenarios.scenarios:
        shift = shift_matrix(book["industry"], shifts, scenario.name, max(years, horizon))
        per_year = np.column_stack([np.where(performing, stressed_pd(pd_now, shift[:, t]), 1.0)
                                    for t in range(horizon)])
        marginal = pd_term_structure(pd_now, grade_input, migration, years, shift[:, :years],
                                     params=params.term_structure)
        marginal = live_marginal_pd(marginal, fraction)
        for t in range(horizon):
            k_t = _capital(book, per_year[:, t], maturity, pricing)
            r_t = _raroc(book, per_year[:, t], maturity, pricing)
            k_perf = np.where(performing, k_t, 0.0)
            yearly.append({"scenario": scenario.name, "year": t + 1,
                           "mean_pd": float(np.sum(per_year[performing, t] * ead[performing]) / ead[performing].sum()),
                           "expected_loss": float(np.sum(profile[:, t] * marginal[:, t] * lgd * performing))
                           if t < years else 0.0,
                           "capital": float(k_t.sum()),
                           "raroc": float(np.nansum(r_t * k_perf) / k_perf.sum()) if k_perf.sum() > 0 else np.nan})
        peak = int(np.argmax([y["mean_pd"] for y in yearly[-horizon:]]))
        pd_peak = per_year[:, peak]
        stressed = book.assign(pd=pd_peak)
        stressed["grade"] = np.where(performing, MASTER_SCALE.grade_number(pd_peak), 0)
        # The early warnings' PD multiple: origination PD floored at the low-risk PD, no signal below it.
        origination = np.maximum(book["pd_origination"].to_numpy(dtype=float), watch_low_risk_pd)
        flags_now = (book["grade"].to_numpy() >= watch_grade) | (
            (pd_now >= watch_low_risk_pd) & (pd_now / origination >= watch_pd_multiple))
        flags = (stressed["grade"].to_numpy() >= watch_grade) | (
            (pd_peak >= watch_low_risk_pd) & (pd_peak / origination >= watch_pd_multiple))
        # Clients the scenario newly flags (amber on the stressed grade or PD multiple) join the watchlist, but the
        # stages keep today's watchlist trigger (red): staging under stress re-runs only its own PD test, so a
        # client does not move stage on an amber flag it would not move on today.
        newly_flagged = performing & flags & ~flags_now & ~book["watchlist"].to_numpy()
        stages = assign_stages(stressed, params.staging)
        ecl = facility_ecl(stressed, stages, marginal, profile)
        k = _capital(book, pd_peak, maturity, pricing)
        r = _raroc(book, pd_peak, maturity, pricing)
        frame = book[["facility_id", "obligor_id", "tier", "industry", "ead"]].copy()
        frame["scenario"] = scenario.name
        frame["pd"] = np.where(performing, pd_peak, np.nan)
        frame["grade"] = stressed["grade"].to_numpy()
        frame["stage"] = ecl["stage"].to_numpy()
        frame["ecl"] = ecl["ecl"].to_numpy()
        frame["capital"] = k
        frame["capital_performing"] = np.where(performing, k, 0.0)
        frame["raroc"] = r
        rows.append(frame)
        clients = stressed.loc[performing, ["obligor_id", "grade"]].drop_duplicates("obligor_id")
        now = book.loc[performing, ["obligor_id", "grade"]].drop_duplicates("obligor_id").set_index("obligor_id")
        grade_rows.append(pd.DataFrame({"obligor_id": clients["obligor_id"].to_numpy(), "scenario": scenario.name,
                                        "grade": now.loc[clients["obligor_id"], "grade"].to_numpy(),
                                        "stressed_grade": clients["grade"].to_numpy()}))
        k_perf = frame["capital_performing"].to_numpy()
        summary.append({
            "scenario": scenario.name, "peak_year": peak + 1,
            "mean_pd": float(np.sum(pd_peak[performing] * ead[performing]) / ead[performing].sum()),
            "downgraded": int((grade_rows[-1]["stressed_grade"] > grade_rows[-1]["grade"]).sum()),
            "stage_2_ead_share": float(ead[frame["stage"].to_numpy() == 2].sum() / ead.sum()),
            "stage_transfers": int(((frame["stage"].to_numpy() == 2) & (stages_now == 1)).sum()),
            "ecl": float(frame["ecl"].sum()),
            "horizon_loss": float(sum(y["expected_loss"] for y in yearly[-horizon:])),
            "capital": float(k.sum()),
            "raroc": float(np.nansum(r * k_perf) / k_perf.sum()) if k_perf.sum() > 0 else np.nan,
            "watchlist": int(book.loc[book["watchlist"].to_numpy() | newly_flagged, "obligor_id"].nunique()),
            "newly_flagged": int(book.loc[newly_flagged, "obligor_id"].nunique())})
    summary = pd.DataFrame(summary)
    base = summary.set_index("scenario").loc[BASELINE]
    summary["ecl_change"] = summary["ecl"] / base["ecl"] - 1
    summary["capital_change"] = summary["capital"] / base["capital"] - 1
    return StressResult(pd.concat(rows, ignore_index=True), pd.DataFrame(yearly), summary,
                        pd.concat(grade_rows, ignore_index=True), BASELINE)


def plot_stress(result: StressResult) -> Figure:
    """Left: the book's mean PD per scenario over the horizon; right: ECL and IRB capital per scenario
    against the baseline (relative change)."""
    fig, (ax_pd, ax_change) = plt.subplots(1, 2, figsize=(10, 3.8))
    for scenario, part in result.yearly.groupby("scenario", sort=False):
        ax_pd.plot(part["year"], part["mean_pd"] * 100, marker="o", label=scenario)
    ax_pd.set(title="Mean PD of the book (EAD-weighted)", xlabel="scenario year", ylabel="PD (%)")
    ax_pd.set_xticks(sorted(result.yearly["year"].unique()))
    ax_pd.legend()
    s = result.summary
    x = np.arange(len(s))
    ax_change.bar(x - 0.2, s["ecl_change"] * 100, width=0.4, label="ECL", color="tab:red")
    ax_change.bar(x + 0.2, s["capital_change"] * 100, width=0.4, label="IRB capital", color="tab:blue")
    ax_change.axhline(0, color="black", linewidth=0.8)
    ax_change.set_xticks(x, s["scenario"])
    ax_change.set(title="Change against the baseline (peak year)", ylabel="%")
    ax_change.legend()
    fig.tight_layout()
    plt.close(fig)
    return fig
