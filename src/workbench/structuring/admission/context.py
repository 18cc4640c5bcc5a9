"""What the admission checks read: the client's row and request, and what is derived from them once.

``admission_context(row, request, params)`` reads the panel row (plus the caller's ``grade``
and ``pd``) and the facility request and derives, once for every check, the master-scale
grade, the industry analysis score, the limits of the client's grade band (loosened for a
project-finance obligor) and the collateral position. The checks (``checks.py``) only compare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...reference import DEFAULT_GRADE, NO_COLLATERAL
from .params import AdmissionParams, CoverageBand, FacilityRequest, GradeBandLimits, Limit, ProjectFinanceAllowance

__all__ = [
    "PANEL_COLUMNS",
    "PROJECT_FINANCE",
    "CollateralPosition",
    "AdmissionContext",
    "admission_context",
    "industry_score",
    "band_limits",
    "collateral_position",
    "parse_grade",
]

#: Features-panel columns the assessment reads (besides ``grade`` and ``pd`` from the caller); a test
#: checks them against the feature dictionary so a renamed feature cannot silently become "not available".
PANEL_COLUMNS = ("obligor_id", "industry", "segment", "audited", "statement_age_days", "leverage", "debt_to_ebitda",
                 "debt_to_ebitda__undefined", "interest_cover", "interest_cover__undefined", "current_ratio",
                 "ebitda_margin", "dpd_max_12m", "covenant_breaches_12m", "industry_index_yoy", "industry_index_3m",
                 "gdp_growth")
#: The segment whose band limits get the project-finance allowance.
PROJECT_FINANCE = "project_finance"


@dataclass(frozen=True)
class CollateralPosition:
    """The collateral requirement of the client's coverage band against the lending value offered."""

    band: CoverageBand
    haircut: float
    lending_value: float
    required: float
    shortfall: float  # 0.0 when covered


@dataclass(frozen=True)
class AdmissionContext:
    """One client and request as the checks see them.

    ``grade`` is an int >= 1, ``"D"`` or None (missing / unreadable). ``limits`` are the band
    limits (with the project-finance allowance) for a performing grade with a band, else None;
    ``band_tag`` names that band for the thresholds. ``collateral`` is None for grade D or when
    no coverage band applies.
    """

    row: pd.Series
    request: FacilityRequest
    grade: int | str | None
    pd_value: float
    industry_score: float
    industry_components: dict[str, float] = field(default_factory=dict)
    industry_missing: list[str] = field(default_factory=list)
    limits: GradeBandLimits | None = None
    band_tag: str = ""
    collateral: CollateralPosition | None = None

    @property
    def defaulted(self) -> bool:
        return self.grade == DEFAULT_GRADE

    @property
    def performing(self) -> bool:
        return isinstance(self.grade, int)

    @property
    def segment(self) -> str:
        return str(self.row.get("segment", ""))

    def num(self, name: str) -> float:
        """The row's value of ``name`` as float; NaN when absent, missing or not numeric."""
        return _num(self.row, name)


def parse_grade(grade) -> int | str | None:
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


def band_limits(band: GradeBandLimits, segment: str, pf: ProjectFinanceAllowance) -> GradeBandLimits:
    """The band's limits, loosened by the project-finance allowance for project-finance obligors."""
    if segment != PROJECT_FINANCE:
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


def collateral_position(request: FacilityRequest, grade: int | str | None,
                        params: AdmissionParams) -> CollateralPosition | None:
    """Required coverage of the grade's band times the amount against the lending value
    ``value * (1 - haircut)`` (nothing for ``collateral_type="none"``); None without a band."""
    cband = _band(params.collateral_coverage, grade) if isinstance(grade, int) else None
    if cband is None:
        return None
    haircut = params.collateral_haircuts.get(request.collateral_type, 0.0)
    lending = 0.0 if request.collateral_type == NO_COLLATERAL else request.collateral_value * (1.0 - haircut)
    required = cband.coverage * request.amount
    shortfall = max(0.0, required - lending)
    return CollateralPosition(band=cband, haircut=haircut, lending_value=lending, required=required,
                              shortfall=shortfall if shortfall > 1e-9 else 0.0)


def admission_context(obligor_panel_row: pd.Series | dict, facility_request: FacilityRequest | dict,
                      params: AdmissionParams) -> AdmissionContext:
    """Read the row and the request and derive what the checks compare (see the module docstring)."""
    req = facility_request if isinstance(facility_request, FacilityRequest) else FacilityRequest.model_validate(
        dict(facility_request))
    row = obligor_panel_row if isinstance(obligor_panel_row, pd.Series) else pd.Series(obligor_panel_row)
    g = parse_grade(row.get("grade"))
    score, comps, missing = industry_score(row, params)
    band = _band(params.grade_bands, g) if isinstance(g, int) else None
    segment = str(row.get("segment", ""))
    tag = "" if band is None else (f" (grades {band.grade_from}-{band.grade_to}"
                                   + (", project finance)" if segment == PROJECT_FINANCE else ")"))
    return AdmissionContext(row=row, request=req, grade=g, pd_value=_num(row, "pd"), industry_score=score,
                            industry_components=comps, industry_missing=missing,
                            limits=None if band is None else band_limits(band, segment, params.project_finance),
                            band_tag=tag, collateral=collateral_position(req, g, params))
