"""Simulation norms per industry: the levels statements are drawn around, and how cyclical it is.

These are the generator's assumptions, not desk facts: an industry's code, sector and whether
its clients are project companies come from ``workbench.reference``. The table lists the
reference industries in reference order (the order fixes the random draws, so it is part
of the output); ``tests/synthetic/test_norms.py`` holds the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.reference import INDUSTRIES

__all__ = ["IndustryNorms", "INDUSTRY_NORMS", "PROJECT_FINANCE", "norm_array"]


@dataclass(frozen=True)
class IndustryNorms:
    """What the generator draws an industry's obligors around (``code``: a reference industry)."""

    code: str
    ebitda_margin: float
    leverage: float  # total debt / total assets
    asset_turnover: float  # revenue / total assets
    capex_ratio: float  # capex / revenue
    dso: float
    dio: float
    dpo: float
    cyclicality: float  # loading on the macro factor, 0..1
    quality: float  # shift of the industry's mean latent quality
    growth: float  # trend revenue growth per year


# Levels are rough European large-corporate medians (margins, gearing, working-capital days).
INDUSTRY_NORMS: tuple[IndustryNorms, ...] = (
    IndustryNorms("utilities", 0.28, 0.42, 0.35, 0.14, 50, 10, 45, 0.15, 0.45, 0.015),
    IndustryNorms("telecoms", 0.32, 0.40, 0.45, 0.17, 45, 8, 60, 0.25, 0.25, 0.015),
    IndustryNorms("oil_gas", 0.22, 0.28, 0.65, 0.13, 40, 20, 50, 0.85, 0.00, 0.010),
    IndustryNorms("metals_mining", 0.17, 0.30, 0.75, 0.10, 45, 60, 45, 0.95, -0.25, 0.010),
    IndustryNorms("chemicals", 0.15, 0.28, 0.90, 0.06, 55, 60, 55, 0.65, 0.10, 0.020),
    IndustryNorms("automotive", 0.10, 0.30, 1.10, 0.06, 50, 45, 60, 0.90, -0.10, 0.020),
    IndustryNorms("construction", 0.07, 0.26, 1.00, 0.03, 80, 40, 70, 0.85, -0.45, 0.030),
    IndustryNorms("real_estate", 0.45, 0.55, 0.12, 0.05, 30, 5, 30, 0.75, -0.20, 0.030),
    IndustryNorms("retail", 0.07, 0.25, 1.80, 0.03, 8, 55, 45, 0.55, -0.25, 0.020),
    IndustryNorms("food_beverage", 0.12, 0.30, 1.20, 0.04, 35, 40, 50, 0.20, 0.25, 0.020),
    IndustryNorms("transport_logistics", 0.14, 0.40, 0.80, 0.10, 45, 10, 40, 0.65, -0.10, 0.020),
    IndustryNorms("technology", 0.20, 0.15, 0.90, 0.05, 65, 20, 45, 0.50, 0.15, 0.060),
    IndustryNorms("healthcare_pharma", 0.22, 0.25, 0.70, 0.05, 60, 70, 50, 0.10, 0.35, 0.040),
    IndustryNorms("machinery", 0.12, 0.25, 0.90, 0.04, 70, 80, 55, 0.75, 0.00, 0.020),
    # Project companies (reference: project_finance=True): high gearing, stable cash flows.
    IndustryNorms("renewable_energy", 0.62, 0.68, 0.14, 0.02, 40, 0, 30, 0.20, 0.05, 0.000),
    IndustryNorms("infrastructure", 0.55, 0.70, 0.12, 0.02, 35, 0, 30, 0.30, 0.00, 0.010),
)

#: Per position of ``INDUSTRY_NORMS``: whether the reference marks the industry as project finance.
PROJECT_FINANCE: tuple[bool, ...] = tuple(ind.project_finance for ind in INDUSTRIES)


def norm_array(name: str) -> np.ndarray:
    """One norm of every industry, in table order (index it with an obligor's industry position)."""
    return np.array([getattr(ind, name) for ind in INDUSTRY_NORMS])
