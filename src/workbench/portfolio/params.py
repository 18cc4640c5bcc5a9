"""Params of the portfolio-risk measures: one model composed of each part's own params.

Each part keeps its params beside its code (``staging.StagingParams``, ``simulation.SimulationParams``,
...); this model puts them together as ``params/portfolio_risk.yaml`` lays them out, so a notebook
hands each library call only its own section (``cfg.staging``, ``cfg.simulation``).
"""

from __future__ import annotations

from pydantic import Field

from ..params import StrictModel
from .book import BookParams
from .concentration import ConcentrationParams
from .exposure import CCFParams
from .satellite import SatelliteParams
from .scenarios import ScenarioParams
from .simulation import SimulationParams
from .staging import StagingParams
from .term_structure import TermStructureParams

__all__ = ["PortfolioRiskParams"]


class PortfolioRiskParams(StrictModel):
    """Everything the portfolio-risk report computes with."""

    book: BookParams = Field(default_factory=BookParams)
    ccf: CCFParams = Field(default_factory=CCFParams)
    term_structure: TermStructureParams = Field(default_factory=TermStructureParams)
    staging: StagingParams = Field(default_factory=StagingParams)
    scenarios: ScenarioParams = Field(default_factory=ScenarioParams)
    satellite: SatelliteParams = Field(default_factory=SatelliteParams)
    simulation: SimulationParams = Field(default_factory=SimulationParams)
    concentration: ConcentrationParams = Field(default_factory=ConcentrationParams)
    movement_months: int = Field(12, ge=1, le=60, description="The ECL movement compares the as-of with this "
                                 "many months earlier (12: the annual accounts' reconciliation of the loss "
                                 "allowance, IFRS 7.35H)")
