"""Macro scenarios of the stress test and the IFRS 9 probability weighting: yearly paths of GDP growth,
the policy rate and the industry activity indices over the horizon (3 years).

A scenario is a narrative with numbers: GDP growth (yearly, percent), the policy rate (yearly mean,
percent) and the yearly % change of the industry indices (one path for all, with optional overrides
per industry). The satellite model (``portfolio.satellite``) turns each path into shifts of the probit
index of PD; IFRS 9 5.5.17-5.5.18 and B5.5.42 ask for an unbiased, probability-weighted ECL over a
range of outcomes, hence the weights.

**Default paths** (``default_scenarios``), calibrated to the demo economy (``data/synthetic`` macro,
2015-2024, as-of 2024-12) and to the EBA's stress-test severity:

- *History.* GDP growth averaged 1.4 % a year over the 2016-2019 expansion (taken as trend), fell to
  -1.8 % in 2023 and was -1.4 % in 2024, the as-of year. Its persistence: AR(1) 0.94 a month on the
  monthly series (0.46 a year) and 0.89 on the yearly means; we take 0.65 a year in between. The policy
  rate follows the cycle with a lag and sat at its zero floor through 2022-2024.
- **baseline** (weight 0.5): the gap to trend (-2.8 points) closes at 0.65 a year: GDP -0.4, 0.2, 0.6 %;
  the rate stays at the floor, then lifts off as the gap narrows (0.0, 0.5, 0.9 %).
- **adverse** (0.3): the downturn lasts another year at the 2023 trough, then a slow recovery:
  GDP -1.8, -1.0, 0.0 % (a GDP level 3.2 % below the baseline after three years, half the EBA
  severity); rate at the floor.
- **severe** (0.2): an EBA-type adverse scenario. The EBA 2025 EU-wide stress test's adverse scenario
  has a cumulative GDP fall of 6.3 % over its three years (EBA, press release of 20 January 2025; the
  2023 exercise's was of the same order): GDP -3.0, -2.3, -1.0 % (cumulative -6.2 %, 6.6 % below the
  baseline's level; the worst year is 1.2 points below the demo's worst); rate at the floor.
- *Industry indices* follow GDP as they did in the demo data: over all 12-month windows 2016-2024 the
  log change of an index was about -5.0 + 4.2 x GDP growth (industry intercepts, pooled slope; the
  satellite's first stage finds the same 4.2), -7.0 + 5.0 x GDP for the reference's highly cyclical
  industries (``reference.INDUSTRIES`` cyclicality "high") and -0.4 + 2.8 x GDP for the low ones. The
  common path is the pooled line at the scenario's GDP; high and low cyclicals get their own line as
  ``industry_overrides``. So a scenario moves an industry's index by as much as its GDP path implies,
  and the satellite's residual index term differentiates the industries by their cyclicality.

The rate stays at zero in the downturns because in the demo economy the policy rate follows the cycle
(``synthetic.macro.policy_rate``); a stagflation narrative (EBA 2023: higher rates in the adverse
scenario) would raise it instead, which the default satellite model does not use.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field, field_validator, model_validator

from .. import format as fmt
from ..params import StrictModel
from ..reference import INDUSTRIES, INDUSTRY_CODES

__all__ = ["BASELINE", "MacroScenario", "ScenarioParams", "default_scenarios", "index_path", "INDEX_ON_GDP", "scenario_table",
           "plot_scenarios"]

#: The name of the central scenario (the stress test reports against it).
BASELINE = "baseline"

#: Yearly index log change = intercept + slope x GDP growth, fitted on the demo macro (module docstring):
#: all industries, and the reference's high and low cyclicality classes.
INDEX_ON_GDP: dict[str, tuple[float, float]] = {"all": (-5.0, 4.2), "high": (-7.0, 5.0), "low": (-0.4, 2.8)}


class MacroScenario(StrictModel):
    """One scenario: its probability weight and yearly macro paths (year 1 first)."""

    name: str = Field(..., min_length=1, description="Scenario name; exactly one must be 'baseline'")
    weight: float = Field(..., gt=0, le=1, description="Probability weight for the IFRS 9 weighted ECL "
                          "(IFRS 9 5.5.17(a), B5.5.42)")
    description: str = Field("", description="The narrative in a sentence")
    gdp_growth: list[float] = Field(..., description="Real GDP growth per year, percent (1.5 = 1.5 %)")
    policy_rate: list[float] = Field(..., description="Policy rate, yearly mean, percent")
    industry_index_growth: list[float] = Field(..., description="Yearly % change of every industry activity index")
    industry_overrides: dict[str, list[float]] = Field(
        default_factory=dict, description="Per industry (reference code): its own yearly index % change path")

    @field_validator("industry_index_growth")
    @classmethod
    def _above_minus_100(cls, value: list[float]) -> list[float]:
        if any(v <= -100 for v in value):
            raise ValueError(f"an index cannot fall by 100 % or more; got {value}")
        return value

    @field_validator("industry_overrides")
    @classmethod
    def _overrides_above_minus_100(cls, value: dict[str, list[float]]) -> dict[str, list[float]]:
        bad = [k for k, path in value.items() if any(v <= -100 for v in path)]
        if bad:
            raise ValueError(f"an index cannot fall by 100 % or more: overrides of {', '.join(bad)}")
        return value

    def index_growth(self, industry: str) -> list[float]:
        """The yearly index % change path of ``industry`` (its override, else the common path)."""
        return list(self.industry_overrides.get(industry, self.industry_index_growth))


def index_path(gdp_growth: Sequence[float], cls: str = "all") -> list[float]:
    """Yearly index % change implied by a GDP path through ``INDEX_ON_GDP[cls]`` (a log change, so
    100 (exp(x / 100) - 1)), rounded to 0.1."""
    intercept, slope = INDEX_ON_GDP[cls]
    return [round(100.0 * float(np.expm1((intercept + slope * g) / 100.0)), 1) for g in gdp_growth]


def _overrides(gdp_growth: Sequence[float]) -> dict[str, list[float]]:
    return {ind.code: index_path(gdp_growth, ind.cyclicality) for ind in INDUSTRIES
            if ind.cyclicality in ("high", "low")}


def default_scenarios() -> list[MacroScenario]:
    """baseline / adverse / severe (weights 0.5 / 0.3 / 0.2), calibrated as the module docstring says."""
    paths = {BASELINE: ([-0.4, 0.2, 0.6], [0.0, 0.5, 0.9]),
             "adverse": ([-1.8, -1.0, 0.0], [0.0, 0.0, 0.0]),
             "severe": ([-3.0, -2.3, -1.0], [0.0, 0.0, 0.0])}
    text = {BASELINE: "Recovery towards trend growth from the 2024 downturn",
            "adverse": "The downturn lasts another year at the 2023 trough, then a slow recovery",
            "severe": "EBA-type severe recession: GDP -6.2 % over three years"}
    weights = {BASELINE: 0.5, "adverse": 0.3, "severe": 0.2}
    return [MacroScenario(name=name, weight=weights[name], description=text[name], gdp_growth=gdp,
                          policy_rate=rate, industry_index_growth=index_path(gdp), industry_overrides=_overrides(gdp))
            for name, (gdp, rate) in paths.items()]


class ScenarioParams(StrictModel):
    """The scenarios over the stress horizon and their probability weights."""

    horizon_years: int = Field(3, ge=1, le=10, description="Years of the scenario paths (EBA EU-wide stress test: "
                               "three years)")
    scenarios: list[MacroScenario] = Field(default_factory=default_scenarios,
                                           description="baseline, adverse and severe by default (module doc)")

    @model_validator(mode="after")
    def _consistent(self) -> "ScenarioParams":
        names = [s.name for s in self.scenarios]
        if not names:
            raise ValueError("scenarios must hold at least the baseline")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"scenario names must be unique; repeated: {', '.join(repeated)}")
        if names.count(BASELINE) != 1:
            raise ValueError(f"exactly one scenario must be named {BASELINE!r}; got {names}")
        total = sum(s.weight for s in self.scenarios)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"scenario weights must sum to 1; they sum to {total:.12g}")
        h = self.horizon_years
        for s in self.scenarios:
            paths = {"gdp_growth": s.gdp_growth, "policy_rate": s.policy_rate,
                     "industry_index_growth": s.industry_index_growth,
                     **{f"industry_overrides[{k}]": v for k, v in s.industry_overrides.items()}}
            wrong = [f"{key} ({len(v)})" for key, v in paths.items() if len(v) != h]
            if wrong:
                raise ValueError(f"scenario {s.name!r}: paths must have horizon_years = {h} values; "
                                 f"{', '.join(wrong)}")
        return self

    def names(self) -> list[str]:
        """Scenario names in their order (the baseline wherever it was put)."""
        return [s.name for s in self.scenarios]

    def weights(self) -> dict[str, float]:
        return {s.name: s.weight for s in self.scenarios}

    def scenario(self, name: str) -> MacroScenario:
        for s in self.scenarios:
            if s.name == name:
                return s
        raise KeyError(f"no scenario {name!r}; scenarios: {', '.join(self.names())}")

    def check_industries(self, industries: Sequence[str]) -> None:
        """Raise a KeyError naming the overrides' industries that are neither reference industry codes nor
        among ``industries`` (a typo would silently leave that industry on the common path)."""
        known = set(INDUSTRY_CODES) | {str(k) for k in industries}
        unknown = sorted({k for s in self.scenarios for k in s.industry_overrides} - known)
        if unknown:
            raise KeyError(f"scenario industry_overrides name unknown industry(ies) {', '.join(unknown)}")

    def paths(self, industries: Sequence[str]) -> pd.DataFrame:
        """Long table: scenario, year (1..horizon), industry, gdp_growth, policy_rate, index_growth (%)."""
        industries = list(dict.fromkeys(str(k) for k in industries))
        self.check_industries(industries)
        rows = []
        for s in self.scenarios:
            for k in industries:
                growth = s.index_growth(k)
                for y in range(self.horizon_years):
                    rows.append((s.name, y + 1, k, s.gdp_growth[y], s.policy_rate[y], growth[y]))
        return pd.DataFrame(rows, columns=["scenario", "year", "industry", "gdp_growth", "policy_rate",
                                           "index_growth"])


def scenario_table(params: ScenarioParams) -> pd.DataFrame:
    """Per scenario: weight, GDP growth, policy rate and index change by year, and the cumulative GDP (display)."""
    rows = {}
    for s in params.scenarios:
        row = {"weight": fmt.percent(s.weight, 0)}
        for y in range(params.horizon_years):
            row[f"GDP year {y + 1}"] = fmt.percent(s.gdp_growth[y] / 100, 1)
        row["GDP cumulative"] = fmt.percent(float(np.prod(1 + np.asarray(s.gdp_growth) / 100) - 1), 1)
        for y in range(params.horizon_years):
            row[f"rate year {y + 1}"] = fmt.percent(s.policy_rate[y] / 100, 2)
        for y in range(params.horizon_years):
            row[f"index year {y + 1}"] = fmt.percent(s.industry_index_growth[y] / 100, 1)
        row["industries with their own index path"] = fmt.integer(len(s.industry_overrides))
        rows[s.name] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "scenario"
    return out.map(lambda v: v.replace(" %", fmt.NBSP + "%"))


def plot_scenarios(params: ScenarioParams, macro: pd.DataFrame | None = None, as_of=None) -> Figure:
    """GDP growth and policy-rate paths per scenario; with ``macro`` (and ``as_of``: the end of the history)
    the yearly history before them."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    if macro is not None and len(macro):
        m = macro[["month_end", "gdp_growth", "policy_rate"]].copy()
        m["month_end"] = pd.to_datetime(m["month_end"])
        end = pd.Timestamp(as_of) if as_of is not None else m["month_end"].max()
        m = m[m["month_end"] <= end]
        # Yearly means over the 12-month blocks ending at the as-of, so the last point is the as-of year.
        months = (end.year * 12 + end.month) - (m["month_end"].dt.year * 12 + m["month_end"].dt.month)
        m["block"] = -(months // 12)
        yearly = m.groupby("block")[["gdp_growth", "policy_rate"]].mean()
        for ax, col in zip(axes, ("gdp_growth", "policy_rate")):
            ax.plot(yearly.index, yearly[col], "o-", color="black", label="history")
    colours = {BASELINE: "tab:blue", "adverse": "tab:orange", "severe": "tab:red"}
    years = np.arange(1, 1 + params.horizon_years)
    for s in params.scenarios:
        colour = colours.get(s.name)
        axes[0].plot(years, s.gdp_growth, "o--", color=colour, label=f"{s.name} ({fmt.percent(s.weight, 0)})")
        axes[1].plot(years, s.policy_rate, "o--", color=colour, label=s.name)
    for ax, title in zip(axes, ("GDP growth (%)", "Policy rate (%)")):
        ax.axvline(0.5, color="gray", lw=0.8)
        ax.axhline(0, color="gray", lw=0.5)
        ax.set_title(title)
        ax.set_xlabel("year (0 = as-of year)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig
