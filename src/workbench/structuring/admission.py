"""Admission assessment: approve, refer or decline a facility request, with every reason.

The desk admits a key account to a financing only after an industry analysis, a financial audit
and a collateral requirement that rises with the risk level (DOMAIN.md, "Project finance:
admission and assessment"). This module turns one row of the features panel (plus the caller's
``grade`` and ``pd``) and a facility request into a decision a credit committee can read: each
check has its value, threshold, status (pass / refer / fail) and a plain explanation.

Components (all limits in :class:`AdmissionParams`):

* **Industry analysis score (0-100)**: the weighted mean of the industry outlook (params map:
  positive / neutral / negative -> points), its cyclicality (high / medium / low -> points) and
  the macro trend in the row (industry activity index over 12 and 3 months, GDP growth, each
  mapped linearly from a "bad" anchor = 0 to a "good" anchor = 100 and clipped). Below
  ``industry_refer_below`` the check refers, below ``industry_fail_below`` it fails.
* **Financial audit**: audited statements (unaudited statements refer above an amount), statement
  freshness, rating grade (D fails), leverage, debt/EBITDA, interest cover and current ratio
  against two-level limits (refer / fail) that depend on the grade band and tighten for worse
  grades, EBITDA margin, arrears (``dpd_max_12m``) and covenant breaches. Project-finance
  obligors get documented allowances on the balance-sheet ratios, since project companies are
  geared by design and are repaid from contracted cash flows rather than from the balance sheet.
* **Collateral**: the required coverage ratio by grade band times the amount;
  ``shortfall = max(0, coverage * amount - lending value of the collateral)``, where the lending
  value is ``collateral_value * (1 - haircut of its type)`` (no haircuts by default: the value is
  taken as the lending value). A shortfall refers.

Decision rule: any fail -> decline; otherwise any refer (including a collateral shortfall) ->
refer; otherwise approve. Grade ``"D"`` fails its check, hence declines. A missing value (NaN or
an absent column) never passes silently: its check refers with "not available". Two documented
exceptions follow the feature code's ``<ratio>__undefined`` flags: an interest cover undefined
because the company pays no interest passes when leverage is near zero (debt-free is better than
any cover), and a debt/EBITDA undefined because EBITDA <= 0 fails (a loss-maker is worse than any
multiple).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Outlook",
    "Cyclicality",
    "Limit",
    "GradeBandLimits",
    "CoverageBand",
    "ProjectFinanceAllowance",
    "AdmissionParams",
    "FacilityRequest",
    "AdmissionResult",
    "assess_admission",
    "industry_score",
    "PANEL_COLUMNS",
]

Outlook = Literal["positive", "neutral", "negative"]
Cyclicality = Literal["high", "medium", "low"]
Status = Literal["pass", "refer", "fail"]

DEFAULT_GRADE = "D"  # the master scale's default grade (workbench.models.master_scale)

#: Features-panel columns the assessment reads (besides ``grade`` and ``pd`` from the caller); a test
#: checks them against the feature dictionary so a renamed feature cannot silently become "not available".
PANEL_COLUMNS = ("obligor_id", "industry", "segment", "audited", "statement_age_days", "leverage", "debt_to_ebitda",
                 "debt_to_ebitda__undefined", "interest_cover", "interest_cover__undefined", "current_ratio",
                 "ebitda_margin", "dpd_max_12m", "covenant_breaches_12m", "industry_index_yoy", "industry_index_3m",
                 "gdp_growth")
_SEVERITY = {"pass": 0, "refer": 1, "fail": 2}


class Limit(BaseModel):
    """A two-level threshold: beyond ``refer`` the check refers, beyond ``fail`` it fails.

    For a maximum (leverage) "beyond" means above, for a minimum (interest cover) below; the
    validator of the owning model checks that ``fail`` is the more extreme of the two.
    """

    model_config = ConfigDict(extra="forbid")

    refer: float = Field(..., description="Beyond this the check refers to the credit committee")
    fail: float = Field(..., description="Beyond this the check fails (the request is declined)")


class GradeBandLimits(BaseModel):
    """Financial limits for the grades ``grade_from``..``grade_to`` (inclusive)."""

    model_config = ConfigDict(extra="forbid")

    grade_from: int = Field(..., ge=1, description="Best grade of the band (inclusive)")
    grade_to: int = Field(..., ge=1, description="Worst grade of the band (inclusive)")
    max_leverage: Limit = Field(..., description="total_debt / total_assets")
    max_debt_to_ebitda: Limit = Field(..., description="total_debt / EBITDA, x")
    min_interest_cover: Limit = Field(..., description="EBIT / interest expense, x")
    min_current_ratio: Limit = Field(..., description="current assets / current liabilities, x")
    max_tenor_years: float = Field(..., gt=0, description="Longer requested tenors refer")

    @model_validator(mode="after")
    def _ordered(self) -> GradeBandLimits:
        if self.grade_to < self.grade_from:
            raise ValueError(f"grade band {self.grade_from}-{self.grade_to}: grade_to < grade_from")
        for name in ("max_leverage", "max_debt_to_ebitda"):
            lim = getattr(self, name)
            if lim.fail < lim.refer:
                raise ValueError(f"{name}: fail ({lim.fail}) must be >= refer ({lim.refer}) for a maximum")
        for name in ("min_interest_cover", "min_current_ratio"):
            lim = getattr(self, name)
            if lim.fail > lim.refer:
                raise ValueError(f"{name}: fail ({lim.fail}) must be <= refer ({lim.refer}) for a minimum")
        return self


class CoverageBand(BaseModel):
    """Collateral coverage required for the grades ``grade_from``..``grade_to`` (share of the amount)."""

    model_config = ConfigDict(extra="forbid")

    grade_from: int = Field(..., ge=1, description="Best grade of the band (inclusive)")
    grade_to: int = Field(..., ge=1, description="Worst grade of the band (inclusive)")
    coverage: float = Field(..., ge=0, le=5, description="Required collateral lending value / amount")


class ProjectFinanceAllowance(BaseModel):
    """How the band limits are loosened for ``segment == "project_finance"``.

    Project companies carry 60-80 % gearing by design (the synthetic panel's median leverage is
    0.69 and debt/EBITDA 9x for them, against 0.31 and 2.5x for corporates) and hold little
    working capital; their lenders rely on contracted cash flows and a DSCR covenant instead.
    Limits on maxima are raised by the ``*_add`` amounts, limits on minima multiplied by the
    ``*_factor`` values.
    """

    model_config = ConfigDict(extra="forbid")

    leverage_add: float = Field(0.20, ge=0, le=1, description="Added to both leverage limits")
    debt_to_ebitda_add: float = Field(5.0, ge=0, description="Added to both debt/EBITDA limits")
    interest_cover_factor: float = Field(0.6, gt=0, le=1, description="Multiplies both interest-cover limits")
    current_ratio_factor: float = Field(0.5, gt=0, le=1, description="Multiplies both current-ratio limits")
    tenor_add_years: float = Field(8.0, ge=0, description="Added to the maximum tenor (project debt amortises "
                                   "over the asset's life)")


# Desk view of the 16 industries of the synthetic generator (workbench.data.generator.INDUSTRIES).
# Outlook: illustrative, aligned with the generator's industry quality and trend growth (structural
# growth or defensive demand -> positive; structural pressure -> negative); the sector team owns it.
_DEFAULT_OUTLOOK: dict[str, Outlook] = {
    "utilities": "positive", "telecoms": "neutral", "oil_gas": "neutral", "metals_mining": "negative",
    "chemicals": "neutral", "automotive": "neutral", "construction": "negative", "real_estate": "negative",
    "retail": "negative", "food_beverage": "neutral", "transport_logistics": "neutral", "technology": "positive",
    "healthcare_pharma": "positive", "machinery": "neutral", "renewable_energy": "positive",
    "infrastructure": "neutral",
}
# Cyclicality from the generator's loading on the macro factor: >= 0.70 high, 0.40-0.70 medium, < 0.40 low.
_DEFAULT_CYCLICALITY: dict[str, Cyclicality] = {
    "utilities": "low", "telecoms": "low", "oil_gas": "high", "metals_mining": "high", "chemicals": "medium",
    "automotive": "high", "construction": "high", "real_estate": "high", "retail": "medium",
    "food_beverage": "low", "transport_logistics": "medium", "technology": "medium", "healthcare_pharma": "low",
    "machinery": "high", "renewable_energy": "low", "infrastructure": "low",
}


def _default_bands() -> list[GradeBandLimits]:
    """Three bands on the 10-grade master scale; limits tighten as the grade worsens, because the
    weaker the rating the less financial weakness the desk accepts without a committee.

    ============  ==============  ===========  ===============  ==============  ==========
    grades        leverage max    debt/EBITDA  interest cover   current ratio   tenor max
    ============  ==============  ===========  ===============  ==============  ==========
    1-4 (IG)      0.65 / 0.80     4.5 / 6.0    2.5 / 1.5        0.9 / 0.6       15 y
    5-7           0.55 / 0.70     3.5 / 5.0    3.0 / 2.0        1.0 / 0.75      10 y
    8-10          0.45 / 0.60     3.0 / 4.0    4.0 / 2.5        1.2 / 0.9       7 y
    ============  ==============  ===========  ===============  ==============  ==========

    (refer / fail; a maximum fails above its fail limit, a minimum below it).
    """
    return [
        GradeBandLimits(grade_from=1, grade_to=4, max_leverage=Limit(refer=0.65, fail=0.80),
                        max_debt_to_ebitda=Limit(refer=4.5, fail=6.0), min_interest_cover=Limit(refer=2.5, fail=1.5),
                        min_current_ratio=Limit(refer=0.9, fail=0.6), max_tenor_years=15),
        GradeBandLimits(grade_from=5, grade_to=7, max_leverage=Limit(refer=0.55, fail=0.70),
                        max_debt_to_ebitda=Limit(refer=3.5, fail=5.0), min_interest_cover=Limit(refer=3.0, fail=2.0),
                        min_current_ratio=Limit(refer=1.0, fail=0.75), max_tenor_years=10),
        GradeBandLimits(grade_from=8, grade_to=10, max_leverage=Limit(refer=0.45, fail=0.60),
                        max_debt_to_ebitda=Limit(refer=3.0, fail=4.0), min_interest_cover=Limit(refer=4.0, fail=2.5),
                        min_current_ratio=Limit(refer=1.2, fail=0.9), max_tenor_years=7),
    ]


def _default_coverage() -> list[CoverageBand]:
    """Collateral coverage rising with risk: grades 1-3 none, 4-6 50 %, 7-8 100 %, 9-10 125 %."""
    return [CoverageBand(grade_from=1, grade_to=3, coverage=0.0),
            CoverageBand(grade_from=4, grade_to=6, coverage=0.5),
            CoverageBand(grade_from=7, grade_to=8, coverage=1.0),
            CoverageBand(grade_from=9, grade_to=10, coverage=1.25)]


class AdmissionParams(BaseModel):
    """Admission policy (the ``admission`` block of the params file). Every default is documented here."""

    model_config = ConfigDict(extra="forbid")

    # Industry analysis
    industry_outlook: dict[str, Outlook] = Field(default_factory=lambda: dict(_DEFAULT_OUTLOOK),
                                                 description="industry -> positive/neutral/negative (desk view)")
    industry_cyclicality: dict[str, Cyclicality] = Field(default_factory=lambda: dict(_DEFAULT_CYCLICALITY),
                                                         description="industry -> high/medium/low")
    outlook_points: dict[Outlook, float] = Field(
        default_factory=lambda: {"positive": 100.0, "neutral": 60.0, "negative": 20.0},
        description="Points (0-100) of the industry outlook component")
    cyclicality_points: dict[Cyclicality, float] = Field(
        default_factory=lambda: {"low": 100.0, "medium": 60.0, "high": 30.0},
        description="Points (0-100) of the cyclicality component: cyclical industries default in clusters")
    industry_weights: dict[Literal["outlook", "cyclicality", "macro"], float] = Field(
        default_factory=lambda: {"outlook": 0.4, "cyclicality": 0.2, "macro": 0.4},
        description="Weights of the three components of the industry score (normalised to sum 1)")
    macro_anchors: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: {"industry_index_yoy": (-0.10, 0.10), "industry_index_3m": (-0.10, 0.10),
                                 "gdp_growth": (-2.0, 3.0)},
        description="panel column -> (value scoring 0, value scoring 100), linear and clipped; the macro "
                    "component is their mean. Index changes are ratios, gdp_growth is in %")
    industry_refer_below: float = Field(50.0, ge=0, le=100, description="Industry score below this refers: "
                                        "e.g. a negative outlook unless cyclicality and macro are both favourable")
    industry_fail_below: float = Field(20.0, ge=0, le=100, description="Industry score below this fails: "
                                       "reserved for a negative, highly cyclical industry in a clear downturn "
                                       "(a neutral outlook alone can never fail: >= 24 points)")

    # Financial audit
    unaudited_max_amount: float = Field(10.0, ge=0, description="Unaudited statements refer for amounts above this "
                                        "(EUR m); at or below it management accounts are accepted")
    max_statement_age_days: float = Field(365.0, gt=0, description="Older statements (period end to observation) "
                                          "refer: 12 months; the panel's usual age is 4-6 months")
    grade_bands: list[GradeBandLimits] = Field(default_factory=_default_bands,
                                               description="Financial limits by grade band (see _default_bands)")
    project_finance: ProjectFinanceAllowance = Field(default_factory=ProjectFinanceAllowance,
                                                     description="Loosening of the band limits for project-finance "
                                                     "obligors (see ProjectFinanceAllowance)")
    debt_free_leverage: float = Field(0.05, ge=0, le=1, description="An undefined interest cover (no interest "
                                      "expense) passes only when leverage is at most this")
    min_ebitda_margin: Limit = Field(default_factory=lambda: Limit(refer=0.05, fail=0.0),
                                     description="EBITDA / revenue: below 5 % refers, a negative margin fails")
    dpd_refer_above: float = Field(30.0, ge=0, description="dpd_max_12m above this refers (30 days past due)")
    dpd_fail_above: float = Field(90.0, ge=0, description="dpd_max_12m above this fails (90 dpd: Basel default)")
    covenant_breaches_refer_at: int = Field(1, ge=1, description="This many breaches in 12 months refer")
    covenant_breaches_fail_at: int = Field(3, ge=1, description="This many breaches in 12 months fail")

    # Collateral
    collateral_coverage: list[CoverageBand] = Field(default_factory=_default_coverage,
                                                    description="Required collateral / amount by grade band")
    collateral_haircuts: dict[str, float] = Field(default_factory=dict, description="collateral type -> haircut "
                                                  "on its value; empty = the value given is the lending value")

    @model_validator(mode="after")
    def _consistent(self) -> AdmissionParams:
        if self.industry_fail_below > self.industry_refer_below:
            raise ValueError("industry_fail_below must be <= industry_refer_below")
        if self.dpd_fail_above < self.dpd_refer_above:
            raise ValueError("dpd_fail_above must be >= dpd_refer_above")
        if self.covenant_breaches_fail_at < self.covenant_breaches_refer_at:
            raise ValueError("covenant_breaches_fail_at must be >= covenant_breaches_refer_at")
        if self.min_ebitda_margin.fail > self.min_ebitda_margin.refer:
            raise ValueError("min_ebitda_margin: fail must be <= refer for a minimum")
        if sum(self.industry_weights.values()) <= 0:
            raise ValueError("industry_weights must have a positive sum")
        for col, (bad, good) in self.macro_anchors.items():
            if bad == good:
                raise ValueError(f"macro_anchors[{col!r}]: the two anchors must differ")
        for kind, bands in (("grade_bands", self.grade_bands), ("collateral_coverage", self.collateral_coverage)):
            spans = sorted((b.grade_from, b.grade_to) for b in bands)
            for (a0, a1), (b0, _) in zip(spans, spans[1:]):
                if b0 <= a1:
                    raise ValueError(f"{kind}: grade bands overlap ({a0}-{a1} and from {b0})")
        bad_h = {k: v for k, v in self.collateral_haircuts.items() if not 0 <= v <= 1}
        if bad_h:
            raise ValueError(f"collateral_haircuts must be in [0, 1]; got {bad_h}")
        return self


class FacilityRequest(BaseModel):
    """What the client asks for."""

    model_config = ConfigDict(extra="forbid")

    amount: float = Field(..., gt=0, description="EUR m")
    tenor_years: float = Field(..., gt=0, le=50, description="Years")
    collateral_type: str = Field("none", description="none, financial, receivables, real_estate, other_physical, "
                                 "...; 'none' counts no collateral whatever collateral_value says")
    collateral_value: float = Field(0.0, ge=0, description="EUR m (market value; haircuts from the params)")
    purpose: str | None = Field(None, description="What the money is for (shown in the summary)")


@dataclass
class AdmissionResult:
    """The decision with its reasons (one row per check) and the collateral position."""

    decision: Literal["approve", "refer", "decline"]
    reasons: pd.DataFrame
    industry_score: float
    collateral_required: float
    collateral_shortfall: float
    grade: str
    pd: float
    request: FacilityRequest
    industry_components: dict[str, float] = field(default_factory=dict)
    obligor: str = ""

    def table(self) -> pd.DataFrame:
        """The checks, failing and referring ones first (then in assessment order)."""
        order = self.reasons["status"].map(_SEVERITY).fillna(0)
        return self.reasons.iloc[np.argsort(-order.to_numpy(), kind="stable")].reset_index(drop=True)

    @property
    def failed(self) -> list[str]:
        return self.reasons.loc[self.reasons["status"] == "fail", "check"].tolist()

    @property
    def referred(self) -> list[str]:
        return self.reasons.loc[self.reasons["status"] == "refer", "check"].tolist()

    def summary(self) -> str:
        """One paragraph for the credit committee."""
        r = self.request
        who = f"Obligor {self.obligor}" if self.obligor else "The obligor"
        pd_txt = f", PD {100 * self.pd:.2f} %" if np.isfinite(self.pd) else ""
        purpose = f" for {r.purpose}" if r.purpose else ""
        ind = (f"industry score {self.industry_score:.0f}/100" if np.isfinite(self.industry_score)
               else "industry score not available")
        coll = (f"collateral required {self.collateral_required:,.1f} against {_lending_text(self)}"
                + (f", shortfall {self.collateral_shortfall:,.1f}" if self.collateral_shortfall > 0 else ", covered"))
        n_pass = int((self.reasons["status"] == "pass").sum())
        text = (f"{who} (grade {self.grade}{pd_txt}) requests EUR {r.amount:,.1f} m over {r.tenor_years:g} years"
                f"{purpose}. Recommendation: {self.decision.upper()}. {ind.capitalize()}; {coll}. "
                f"{n_pass} of {len(self.reasons)} checks pass.")
        for status, verb in (("fail", "Failed"), ("refer", "Referred")):
            rows = self.reasons[self.reasons["status"] == status]
            if len(rows):
                text += f" {verb}: " + "; ".join(f"{c} ({e})" for c, e in zip(rows["check"], rows["explanation"])) + "."
        return text


def _lending_text(res: AdmissionResult) -> str:
    r = res.request
    if r.collateral_type == "none" or r.collateral_value <= 0:
        return "no collateral offered"
    return f"{r.collateral_type} worth {r.collateral_value:,.1f}"


# ----------------------------------------------------------------------------------------------
# Helpers


def _parse_grade(grade) -> int | str | None:
    """Master-scale grade as int >= 1, ``"D"``, or None when missing/unreadable."""
    if grade is None:
        return None
    if isinstance(grade, str):
        g = grade.strip().upper()
        if g == DEFAULT_GRADE:
            return DEFAULT_GRADE
        return int(g) if g.isdigit() and int(g) >= 1 else None
    try:
        f = float(grade)
    except (TypeError, ValueError):
        return None
    return int(f) if math.isfinite(f) and f.is_integer() and f >= 1 else None


def _num(row: pd.Series, name: str) -> float:
    """The row's value as float; NaN when absent, missing or not numeric."""
    v = row.get(name, np.nan) if hasattr(row, "get") else np.nan
    try:
        f = float(v)
    except (TypeError, ValueError):
        return float("nan")
    return f if math.isfinite(f) else float("nan")


def _band(bands, grade: int):
    for b in bands:
        if b.grade_from <= grade <= b.grade_to:
            return b
    return None


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"


class _Checks:
    """Collects the checks in assessment order."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, check: str, group: str, value, threshold: str, status: Status, explanation: str) -> None:
        self.rows.append({"check": check, "group": group, "value": value, "threshold": threshold, "status": status,
                          "explanation": explanation})

    def na(self, check: str, group: str, threshold: str, what: str) -> None:
        # A missing input never passes silently: someone has to look at it.
        self.add(check, group, np.nan, threshold, "refer", f"{what} not available")

    def maximum(self, check: str, group: str, value: float, lim: Limit, label: str, unit: str = "") -> None:
        thr = f"refer > {_fmt(lim.refer)}{unit}, fail > {_fmt(lim.fail)}{unit}"
        if not np.isfinite(value):
            return self.na(check, group, thr, label)
        if value > lim.fail:
            self.add(check, group, value, thr, "fail",
                     f"{label} {_fmt(value)}{unit} above the limit {_fmt(lim.fail)}{unit}")
        elif value > lim.refer:
            self.add(check, group, value, thr, "refer",
                     f"{label} {_fmt(value)}{unit} above {_fmt(lim.refer)}{unit} (fail above {_fmt(lim.fail)}{unit})")
        else:
            self.add(check, group, value, thr, "pass", f"{label} {_fmt(value)}{unit} within {_fmt(lim.refer)}{unit}")

    def minimum(self, check: str, group: str, value: float, lim: Limit, label: str, unit: str = "") -> None:
        thr = f"refer < {_fmt(lim.refer)}{unit}, fail < {_fmt(lim.fail)}{unit}"
        if not np.isfinite(value):
            return self.na(check, group, thr, label)
        if value < lim.fail:
            self.add(check, group, value, thr, "fail",
                     f"{label} {_fmt(value)}{unit} below the floor {_fmt(lim.fail)}{unit}")
        elif value < lim.refer:
            self.add(check, group, value, thr, "refer",
                     f"{label} {_fmt(value)}{unit} below {_fmt(lim.refer)}{unit} (fail below {_fmt(lim.fail)}{unit})")
        else:
            self.add(check, group, value, thr, "pass",
                     f"{label} {_fmt(value)}{unit} at or above {_fmt(lim.refer)}{unit}")

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["check", "group", "value", "threshold", "status", "explanation"])


def _band_limits(band: GradeBandLimits, segment: str, pf: ProjectFinanceAllowance) -> GradeBandLimits:
    """The band's limits, loosened by the project-finance allowance for project-finance obligors."""
    if segment != "project_finance":
        return band
    return band.model_copy(update={
        "max_leverage": Limit(refer=band.max_leverage.refer + pf.leverage_add,
                              fail=band.max_leverage.fail + pf.leverage_add),
        "max_debt_to_ebitda": Limit(refer=band.max_debt_to_ebitda.refer + pf.debt_to_ebitda_add,
                                    fail=band.max_debt_to_ebitda.fail + pf.debt_to_ebitda_add),
        "min_interest_cover": Limit(refer=band.min_interest_cover.refer * pf.interest_cover_factor,
                                    fail=band.min_interest_cover.fail * pf.interest_cover_factor),
        "min_current_ratio": Limit(refer=band.min_current_ratio.refer * pf.current_ratio_factor,
                                   fail=band.min_current_ratio.fail * pf.current_ratio_factor),
        "max_tenor_years": band.max_tenor_years + pf.tenor_add_years,
    })


# ----------------------------------------------------------------------------------------------
# Industry score


def industry_score(row: pd.Series, params: AdmissionParams) -> tuple[float, dict[str, float], list[str]]:
    """Industry analysis score 0-100 (higher is better), its components and what was missing.

    score = sum_k w_k * component_k / sum_k w_k over outlook, cyclicality and macro; NaN when any
    component is missing (the caller refers it), so an unknown industry never scores by default.
    """
    industry = row.get("industry") if hasattr(row, "get") else None
    industry = None if industry is None or (isinstance(industry, float) and math.isnan(industry)) else str(industry)
    missing: list[str] = []
    outlook = params.industry_outlook.get(industry) if industry else None
    cyc = params.industry_cyclicality.get(industry) if industry else None
    comp = {"outlook": float(params.outlook_points[outlook]) if outlook else np.nan,
            "cyclicality": float(params.cyclicality_points[cyc]) if cyc else np.nan}
    if outlook is None:
        missing.append(f"outlook of industry {industry!r}")
    if cyc is None:
        missing.append(f"cyclicality of industry {industry!r}")
    macro = []
    for col, (bad, good) in params.macro_anchors.items():
        v = _num(row, col)
        if not np.isfinite(v):
            missing.append(col)
            macro.append(np.nan)
            continue
        macro.append(100.0 * float(np.clip((v - bad) / (good - bad), 0.0, 1.0)))
        comp[f"macro:{col}"] = macro[-1]
    comp["macro"] = float(np.mean(macro)) if macro and all(np.isfinite(macro)) else np.nan
    w = params.industry_weights
    parts = [(w.get(k, 0.0), comp[k]) for k in ("outlook", "cyclicality", "macro") if w.get(k, 0.0) > 0]
    if any(not np.isfinite(v) for _, v in parts):
        return float("nan"), comp, missing
    score = sum(wi * v for wi, v in parts) / sum(wi for wi, _ in parts)
    return float(score), comp, missing


# ----------------------------------------------------------------------------------------------
# The assessment


def assess_admission(obligor_panel_row: pd.Series, facility_request: FacilityRequest | dict,
                     params: AdmissionParams | None = None) -> AdmissionResult:
    """Approve / refer / decline a facility request for one obligor, with every reason.

    Args:
        obligor_panel_row: one row of the features panel (``industry``, ``segment``, ``audited``,
            ``leverage``, ``debt_to_ebitda``, ``interest_cover``, ``current_ratio``,
            ``ebitda_margin``, ``statement_age_days``, ``dpd_max_12m``, ``covenant_breaches_12m``,
            ``industry_index_yoy``, ``industry_index_3m``, ``gdp_growth``, the ``*__undefined``
            flags) plus ``grade`` (master-scale grade, int or str, ``"D"`` = defaulted) and ``pd``
            added by the caller. Missing columns count as missing values.
        facility_request: :class:`FacilityRequest` or a dict with amount (EUR m), tenor_years,
            collateral_type, collateral_value (EUR m) and optionally purpose.
        params: the admission policy; None = :class:`AdmissionParams` defaults.

    Returns:
        :class:`AdmissionResult` with the decision, one reason row per check, the industry score
        and the collateral requirement and shortfall.
    """
    p = params or AdmissionParams()
    req = facility_request if isinstance(facility_request, FacilityRequest) else FacilityRequest.model_validate(
        dict(facility_request))
    row = obligor_panel_row if isinstance(obligor_panel_row, pd.Series) else pd.Series(obligor_panel_row)
    ck = _Checks()

    # Rating: a defaulted client is declined whatever else the file says.
    raw_grade = row.get("grade")
    g = _parse_grade(raw_grade)
    pd_value = _num(row, "pd")
    pd_txt = f" (PD {100 * pd_value:.2f} %)" if np.isfinite(pd_value) else ""
    if g is None:
        ck.na("rating grade", "rating", "performing grade", "master-scale grade")
    elif g == DEFAULT_GRADE:
        ck.add("rating grade", "rating", DEFAULT_GRADE, "performing grade", "fail",
               "client in default (grade D): no new lending")
    else:
        ck.add("rating grade", "rating", g, "performing grade", "pass", f"performing grade {g}{pd_txt}")
    performing = isinstance(g, int)

    # Industry analysis.
    score, comps, missing = industry_score(row, p)
    thr = f"refer < {p.industry_refer_below:g}, fail < {p.industry_fail_below:g}"
    industry = row.get("industry", "n/a")
    if not np.isfinite(score):
        ck.na("industry score", "industry", thr, "industry score (" + ", ".join(missing) + ")")
    else:
        detail = (f"{industry}: outlook {p.industry_outlook[str(industry)]}, cyclicality "
                  f"{p.industry_cyclicality[str(industry)]}, macro trend {comps['macro']:.0f}/100")
        status: Status = ("fail" if score < p.industry_fail_below else
                          "refer" if score < p.industry_refer_below else "pass")
        ck.add("industry score", "industry", score, thr, status, f"score {score:.0f}/100 ({detail})")

    # Financial audit: quality of the information first.
    audited = _num(row, "audited")
    thr = f"audited, or amount <= {p.unaudited_max_amount:g}"
    if not np.isfinite(audited):
        ck.na("audited statements", "financial", thr, "audit status")
    elif audited >= 0.5:
        ck.add("audited statements", "financial", audited, thr, "pass", "statements audited")
    elif req.amount <= p.unaudited_max_amount:
        ck.add("audited statements", "financial", audited, thr, "pass",
               f"management accounts accepted for an amount of {req.amount:g} <= {p.unaudited_max_amount:g}")
    else:
        ck.add("audited statements", "financial", audited, thr, "refer",
               f"unaudited statements for an amount of {req.amount:g} > {p.unaudited_max_amount:g}")
    age = _num(row, "statement_age_days")
    thr = f"<= {p.max_statement_age_days:g} days"
    if not np.isfinite(age):
        ck.na("statement age", "financial", thr, "statement age")
    elif age > p.max_statement_age_days:
        ck.add("statement age", "financial", age, thr, "refer", f"statement {age:.0f} days old: stale")
    else:
        ck.add("statement age", "financial", age, thr, "pass", f"statement {age:.0f} days old")

    # Ratios against the limits of the grade band (project finance: with its allowance).
    segment = str(row.get("segment", ""))
    band = _band(p.grade_bands, g) if performing else None
    if band is None and g != DEFAULT_GRADE:
        # Without a band there are no limits to test against: refer rather than skip the checks.
        why = "no grade" if g is None else f"no grade band for grade {g} in the params"
        for name in ("leverage", "debt/EBITDA", "interest cover", "current ratio", "tenor"):
            ck.na(name, "financial" if name != "tenor" else "facility", "limits of the grade band",
                  f"limits ({why})")
    elif band is not None:
        lim = _band_limits(band, segment, p.project_finance)
        tag = f" (grades {band.grade_from}-{band.grade_to}" + (", project finance)" if segment == "project_finance"
                                                                else ")")
        ck.maximum("leverage", "financial", _num(row, "leverage"), lim.max_leverage, "leverage")
        d2e = _num(row, "debt_to_ebitda")
        if not np.isfinite(d2e) and _num(row, "debt_to_ebitda__undefined") == 1:
            ck.add("debt/EBITDA", "financial", np.nan, f"refer > {_fmt(lim.max_debt_to_ebitda.refer)}x, fail > "
                   f"{_fmt(lim.max_debt_to_ebitda.fail)}x", "fail",
                   "debt/EBITDA undefined: EBITDA <= 0 (loss-making), worse than any multiple")
        else:
            ck.maximum("debt/EBITDA", "financial", d2e, lim.max_debt_to_ebitda, "debt/EBITDA", "x")
        ic = _num(row, "interest_cover")
        lev = _num(row, "leverage")
        if not np.isfinite(ic) and _num(row, "interest_cover__undefined") == 1:
            thr = f"refer < {_fmt(lim.min_interest_cover.refer)}x, fail < {_fmt(lim.min_interest_cover.fail)}x"
            if np.isfinite(lev) and lev <= p.debt_free_leverage:
                ck.add("interest cover", "financial", np.nan, thr, "pass",
                       f"no interest expense and leverage {_fmt(lev)}: debt-free, better than any cover")
            else:
                ck.add("interest cover", "financial", np.nan, thr, "refer",
                       f"no interest expense reported although leverage is {_fmt(lev)}: not available")
        else:
            ck.minimum("interest cover", "financial", ic, lim.min_interest_cover, "interest cover", "x")
        ck.minimum("current ratio", "financial", _num(row, "current_ratio"), lim.min_current_ratio, "current ratio",
                   "x")
        thr = f"<= {lim.max_tenor_years:g} years"
        if req.tenor_years > lim.max_tenor_years:
            ck.add("tenor", "facility", req.tenor_years, thr, "refer",
                   f"tenor {req.tenor_years:g} years longer than {lim.max_tenor_years:g}{tag}")
        else:
            ck.add("tenor", "facility", req.tenor_years, thr, "pass", f"tenor {req.tenor_years:g} years")
        # Name the band on the ratio rows, so the committee sees which limits applied.
        for r in ck.rows:
            if r["check"] in ("leverage", "debt/EBITDA", "interest cover", "current ratio"):
                r["threshold"] += tag
    ck.minimum("EBITDA margin", "financial", _num(row, "ebitda_margin"), p.min_ebitda_margin, "EBITDA margin")

    # Behaviour: arrears and covenants.
    dpd = _num(row, "dpd_max_12m")
    thr = f"refer > {p.dpd_refer_above:g}, fail > {p.dpd_fail_above:g} days"
    if not np.isfinite(dpd):
        ck.na("arrears", "behaviour", thr, "days past due (12 months)")
    elif dpd > p.dpd_fail_above:
        ck.add("arrears", "behaviour", dpd, thr, "fail", f"{dpd:.0f} days past due in the last 12 months")
    elif dpd > p.dpd_refer_above:
        ck.add("arrears", "behaviour", dpd, thr, "refer", f"{dpd:.0f} days past due in the last 12 months")
    else:
        ck.add("arrears", "behaviour", dpd, thr, "pass", f"at most {dpd:.0f} days past due in the last 12 months")
    cov = _num(row, "covenant_breaches_12m")
    thr = f"refer >= {p.covenant_breaches_refer_at}, fail >= {p.covenant_breaches_fail_at}"
    if not np.isfinite(cov):
        ck.na("covenant breaches", "behaviour", thr, "covenant breaches (12 months)")
    else:
        status = ("fail" if cov >= p.covenant_breaches_fail_at else
                  "refer" if cov >= p.covenant_breaches_refer_at else "pass")
        ck.add("covenant breaches", "behaviour", cov, thr, status, f"{cov:.0f} covenant breach(es) in 12 months")

    # Collateral requirement rises with the grade.
    required, shortfall = float("nan"), float("nan")
    cband = _band(p.collateral_coverage, g) if performing else None
    if g == DEFAULT_GRADE:
        pass  # declined anyway; no requirement is computed for a defaulted client
    elif cband is None:
        ck.na("collateral", "collateral", "coverage by grade band",
              f"collateral coverage for grade {g if g is not None else 'n/a'}")
    else:
        haircut = p.collateral_haircuts.get(req.collateral_type, 0.0)
        lending = 0.0 if req.collateral_type == "none" else req.collateral_value * (1.0 - haircut)
        required = cband.coverage * req.amount
        shortfall = max(0.0, required - lending)
        thr = f"coverage {cband.coverage:.0%} of the amount (grades {cband.grade_from}-{cband.grade_to})"
        hc = f" after a {haircut:.0%} haircut" if haircut > 0 else ""
        if shortfall > 1e-9:
            ck.add("collateral", "collateral", lending, thr, "refer",
                   f"required {required:,.1f}, lending value {lending:,.1f}{hc}: shortfall {shortfall:,.1f}")
        else:
            shortfall = 0.0
            ck.add("collateral", "collateral", lending, thr, "pass",
                   f"required {required:,.1f}, lending value {lending:,.1f}{hc}: covered")

    reasons = ck.frame()
    worst = int(reasons["status"].map(_SEVERITY).max())
    decision = {0: "approve", 1: "refer", 2: "decline"}[worst]
    obligor = row.get("obligor_id", "")
    return AdmissionResult(decision=decision, reasons=reasons, industry_score=score, collateral_required=required,
                           collateral_shortfall=shortfall, grade=str(g if g is not None else raw_grade), pd=pd_value,
                           request=req, industry_components=comps,
                           obligor="" if obligor is None or pd.isna(obligor) else str(obligor))
