"""IFRS 9 for the whole book at an as-of date: stages, each macro scenario's expected credit loss and
their probability-weighted sum, per facility and summarised by stage, tier and industry.

The steps, each a function of its own module: the stage of every facility (``staging.assign_stages``);
its exposure at the start of each remaining year and the live share of each year
(``exposure.ead_profile``, ``exposure.live_year_fraction``); per scenario the obligor's marginal PD
per year (``term_structure.pd_term_structure``: the grade's curve from the migration matrix, scaled to
the obligor's own 12-month PD, its probit index moved by the scenario's shift for the facility's
industry in the scenario years, ``satellite.SatelliteModel.shifts``; after the scenario horizon the
shift is 0: the PD returns to the through-the-cycle curve, IFRS 9 B5.5.50 on reverting to long-run
information beyond the forecast period); the facility's ECL (``ecl.facility_ecl``) and the weighted
sum over the scenarios (``ecl.weighted_ecl``, weights from ``ScenarioParams``). Stages are assessed on
today's information once, not per scenario. ``ifrs9_movement`` reconciles the ECL of an earlier month
end with today's (``movement.ecl_movement``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import format as fmt
from ..reference import metrics
from .ecl import ecl_summary, ecl_summary_table, facility_ecl, plot_ecl_by_stage, weighted_ecl
from .exposure import ead_profile, live_year_fraction
from .movement import EclMovement, ecl_movement
from .params import PortfolioRiskParams
from .satellite import SatelliteModel, current_macro_state
from .scenarios import ScenarioParams
from .staging import assign_stages, stage_table
from .term_structure import MigrationMatrix, pd_term_structure

__all__ = ["Ifrs9Result", "ifrs9_ecl", "ifrs9_movement", "shift_matrix", "scenario_shifts",
           "scenario_default_rates_table"]


def _industries(book: pd.DataFrame) -> list[str]:
    return sorted(book["industry"].astype(str).unique())


def scenario_shifts(satellite: SatelliteModel, scenarios: ScenarioParams, macro: pd.DataFrame, book: pd.DataFrame,
                    as_of) -> pd.DataFrame:
    """The probit-index shift per scenario, year and industry of the book (``SatelliteModel.shifts``) from
    the macro state at ``as_of``."""
    industries = _industries(book)
    state = current_macro_state(macro, as_of, industries, regressors=satellite.regressors)
    return satellite.shifts(scenarios, state, industries)


def scenario_default_rates_table(satellite: SatelliteModel, scenarios: ScenarioParams, macro: pd.DataFrame,
                                 book: pd.DataFrame, as_of) -> pd.DataFrame:
    """The satellite's default rate of the book's industries (weighted by facilities' EAD) at the as-of and
    per scenario and year (display)."""
    industries = _industries(book)
    weights = book.groupby(book["industry"].astype(str))["ead"].sum().to_dict()
    state = current_macro_state(macro, as_of, industries, regressors=satellite.regressors)
    return satellite.scenario_table(scenarios, state, industries, weights=weights)


def shift_matrix(industries, shifts: pd.DataFrame, scenario: str, years: int) -> np.ndarray:
    """(n, years) probit-index shift of each row's industry in each year of ``scenario`` (0 after the
    scenario's last year). ``shifts``: scenario, year (1..), industry, shift. An industry without a
    shift is an error naming it."""
    part = shifts[shifts["scenario"] == scenario]
    if part.empty:
        raise KeyError(f"no shifts for scenario {scenario!r}; scenarios: {sorted(shifts['scenario'].unique())}")
    table = part.pivot_table(index="industry", columns="year", values="shift", aggfunc="first")
    industries = np.asarray(industries, dtype=object)
    missing = sorted(set(industries) - set(table.index))
    if missing:
        raise KeyError(f"scenario {scenario!r} has no shift for industr(ies) {missing[:5]}")
    out = np.zeros((len(industries), years))
    horizon = [int(y) for y in table.columns if 1 <= int(y) <= years]
    rows = table.index.get_indexer(industries)
    for y in horizon:
        out[:, y - 1] = table[y].to_numpy(dtype=float)[rows]
    return out


@dataclass(frozen=True)
class Ifrs9Result:
    """Stages and ECL of every facility at ``as_of``: ``facilities`` (the book's identifying columns,
    stage, trigger, triggers, ead, ecl_12m, ecl_lifetime, ecl - probability-weighted - and
    ``ecl_<scenario>``), ``stages`` (``assign_stages``), ``scenarios`` (scenario, weight, ecl)."""

    facilities: pd.DataFrame
    stages: pd.DataFrame
    scenarios: pd.DataFrame
    as_of: pd.Timestamp

    def stage_table(self) -> pd.DataFrame:
        """Facilities and EAD per stage and trigger (display)."""
        return stage_table(self.stages, self.facilities.set_index("facility_id")["ead"])

    def ecl_table(self, by: str | None = None) -> pd.DataFrame:
        """EAD, ECL and coverage per stage, or per ``by`` (tier, industry) and stage (display)."""
        return ecl_summary_table(ecl_summary(self.facilities, by))

    def summary(self, by: str | None = None) -> pd.DataFrame:
        return ecl_summary(self.facilities, by)

    def scenario_table(self) -> pd.DataFrame:
        """Each scenario's ECL alone, its weight, and the weighted ECL (display)."""
        rows = self.scenarios.copy()
        total = float(self.facilities["ecl"].sum())
        rows = pd.concat([rows, pd.DataFrame([{"scenario": "probability-weighted", "weight": rows["weight"].sum(),
                                               "ecl": total}])], ignore_index=True)
        rows["vs_weighted"] = rows["ecl"] / total - 1 if total > 0 else np.nan
        return fmt.display_frame(rows.set_index("scenario"), {
            "weight": ("weight", lambda v: fmt.percent(v, 0)), "ecl": ("ECL (EUR m)", fmt.number),
            "vs_weighted": ("vs the weighted ECL", lambda v: fmt.percent(v, 1))})

    def largest(self, n: int = 20, stage: int | None = None) -> pd.DataFrame:
        """The ``n`` facilities with the largest ECL (of one stage), with the reason for their stage."""
        rows = self.facilities if stage is None else self.facilities[self.facilities["stage"] == stage]
        rows = rows.nlargest(n, "ecl").set_index("facility_id")
        return fmt.display_frame(rows, {
            "obligor_id": ("obligor", fmt.text), "tier": ("tier", fmt.text), "industry": ("industry", fmt.text),
            "stage": ("stage", fmt.integer), "trigger": ("trigger", fmt.text), "ead": ("EAD (EUR m)", fmt.eur_m),
            "ecl": ("ECL (EUR m)", fmt.number), "coverage": ("coverage", lambda v: fmt.percent(v, 2))})

    def plot(self, by: str | None = None) -> Figure:
        return plot_ecl_by_stage(self.facilities, by)

    def metrics(self) -> dict[str, float]:
        f = self.facilities
        ead = float(f["ead"].sum())
        by_stage = f.groupby("stage")[["ead", "ecl"]].sum().reindex([1, 2, 3], fill_value=0.0)
        worst = self.scenarios.sort_values("ecl").iloc[-1]
        return {
            metrics.PORTFOLIO_ECL: float(f["ecl"].sum()),
            metrics.PORTFOLIO_ECL_STAGE_1: float(by_stage.loc[1, "ecl"]),
            metrics.PORTFOLIO_ECL_STAGE_2: float(by_stage.loc[2, "ecl"]),
            metrics.PORTFOLIO_ECL_STAGE_3: float(by_stage.loc[3, "ecl"]),
            metrics.PORTFOLIO_ECL_COVERAGE: float(f["ecl"].sum()) / ead if ead > 0 else float("nan"),
            metrics.PORTFOLIO_STAGE_2_EAD_SHARE: float(by_stage.loc[2, "ead"]) / ead if ead > 0 else float("nan"),
            metrics.PORTFOLIO_STAGE_3_EAD_SHARE: float(by_stage.loc[3, "ead"]) / ead if ead > 0 else float("nan"),
            metrics.PORTFOLIO_ECL_SEVERE: float(worst["ecl"]),
        }


def _scenario_ecl(book: pd.DataFrame, stages: pd.DataFrame, migration: MigrationMatrix, shift: np.ndarray | None,
                  profile: np.ndarray, fraction: np.ndarray, params: PortfolioRiskParams) -> pd.DataFrame:
    years = profile.shape[1]
    grade = np.where(book["defaulted"].to_numpy(), 1, book["grade"].to_numpy())  # defaulted rows: PD 1 anyway
    marginal = pd_term_structure(book["pd"].to_numpy(dtype=float), grade, migration, years, shift,
                                 params=params.term_structure)
    return facility_ecl(book, stages, marginal, profile, year_fraction=fraction)


def ifrs9_ecl(book: pd.DataFrame, migration: MigrationMatrix, shifts: pd.DataFrame, params: PortfolioRiskParams,
              as_of) -> Ifrs9Result:
    """Stages and probability-weighted ECL of every facility of ``book`` (``book.facility_book``) at
    ``as_of``; ``shifts`` from ``SatelliteModel.shifts`` for ``params.scenarios``."""
    as_of = pd.Timestamp(as_of)
    stages = assign_stages(book, params.staging)
    max_years = params.term_structure.max_years
    profile = ead_profile(book, as_of, params.ccf, max_years)
    fraction = live_year_fraction(book, as_of, max_years)
    years = profile.shape[1]
    per_scenario, rows = {}, []
    for scenario in params.scenarios.scenarios:
        shift = shift_matrix(book["industry"], shifts, scenario.name, years)
        per_scenario[scenario.name] = _scenario_ecl(book, stages, migration, shift, profile, fraction, params)
        rows.append({"scenario": scenario.name, "weight": scenario.weight,
                     "ecl": float(per_scenario[scenario.name]["ecl"].sum())})
    weights = {s.name: s.weight for s in params.scenarios.scenarios}
    weighted = weighted_ecl(per_scenario, weights)
    # No client names: the frame is written beside the report and logged; clients are identified by id.
    extra = [c for c in ("defaulted", "watchlist", "pd", "grade") if c in book.columns]
    weighted = weighted.merge(book[["facility_id", *extra]], on="facility_id", how="left")
    weighted = weighted.merge(stages[["facility_id", "triggers"]], on="facility_id", how="left")
    return Ifrs9Result(weighted, stages, pd.DataFrame(rows), as_of)


def ifrs9_movement(book_before: pd.DataFrame, closing: Ifrs9Result, migration: MigrationMatrix,
                   shifts: pd.DataFrame, params: PortfolioRiskParams, before) -> EclMovement:
    """The ECL movement from ``before`` (the book of that month end, ``book_before``) to ``closing``.

    The opening ECL is re-measured with today's migration matrix and scenarios (the report keeps no
    earlier run's figures), so the movement shows what changed in the book - new and repaid
    facilities, stage transfers, PDs and exposures - not changes of the models or of the scenarios."""
    opening = ifrs9_ecl(book_before, migration, shifts, params, before)
    return ecl_movement(opening.facilities, closing.facilities)
