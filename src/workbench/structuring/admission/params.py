"""Admission policy: the limits and maps the checks compare a client against, and the request.

``AdmissionParams`` is the ``admission`` block of the structuring params file; every default is
documented on its field. The default industry outlook and cyclicality are the desk's reference
view (``workbench.reference.INDUSTRIES``); the grade-band limits tighten as the grade worsens
(``_default_bands``) and the collateral coverage rises with it (``_default_coverage``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...reference import INDUSTRIES, NO_COLLATERAL, Cyclicality, Outlook

__all__ = [
    "Outlook",
    "Cyclicality",
    "Limit",
    "GradeBandLimits",
    "CoverageBand",
    "ProjectFinanceAllowance",
    "AdmissionParams",
    "FacilityRequest",
]


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


# The desk view of every industry of the book (outlook: the sector team's; cyclicality: the
# industry's loading on the macro factor), from the reference code list.
_DEFAULT_OUTLOOK: dict[str, Outlook] = {i.code: i.outlook for i in INDUSTRIES}
_DEFAULT_CYCLICALITY: dict[str, Cyclicality] = {i.code: i.cyclicality for i in INDUSTRIES}


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
    collateral_type: str = Field(NO_COLLATERAL, description="none, financial, receivables, real_estate, "
                                 "other_physical, ...; 'none' counts no collateral whatever collateral_value says")
    collateral_value: float = Field(0.0, ge=0, description="EUR m (market value; haircuts from the params)")
    purpose: str | None = Field(None, description="What the money is for (shown in the summary)")
