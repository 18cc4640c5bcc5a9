"""Params of the monthly key-account monitoring: one model composed of each part's own params.

Each part keeps its params beside its code (``ews.EWSParams``, ``tiering.TieringParams``, ...);
this model puts them together as ``params/monitor_portfolio.yaml`` lays them out, so that a
notebook hands each library call only its own section (``cfg.ews``, ``cfg.tiering``).
"""

from __future__ import annotations

from pydantic import Field

from ..features.params import PanelParams
from ..params import StrictModel
from ..pricing.params import PricingParams
from ..structuring.params import ProposalParams
from ..validation.monitoring import ModelMonitoringParams
from .benchmark import BenchmarkParams
from .calendar import CalendarParams
from .effectiveness import EffectivenessParams
from .ews import EWSParams
from .groups import LargeExposureParams
from .needs import NeedsParams
from .overrides import OverrideParams
from .tiering import TieringParams
from .watchlist import WatchlistParams

__all__ = ["MonitoringParams", "DossierParams"]


class MonitoringParams(StrictModel):
    """Everything the monthly monitoring computes with: the snapshot's point-in-time rules, the
    early-warning thresholds, tier rules, large-exposure limits, the watchlist's rules, the model
    monitoring triggers and the pricing economics the tiering's RAROC uses."""

    panel: PanelParams = Field(default_factory=PanelParams, description="Point-in-time rules of the snapshot "
                               "(reporting lag, macro lag, split): those the PD model was trained with")
    ews: EWSParams = Field(default_factory=EWSParams)
    effectiveness: EffectivenessParams = Field(default_factory=EffectivenessParams)
    tiering: TieringParams = Field(default_factory=TieringParams)
    large_exposures: LargeExposureParams = Field(default_factory=LargeExposureParams)
    watchlist: WatchlistParams = Field(default_factory=WatchlistParams)
    model_monitoring: ModelMonitoringParams = Field(default_factory=ModelMonitoringParams)
    pricing: PricingParams = Field(default_factory=PricingParams, description="Economics of the RAROC at booked "
                                   "spreads in the tiering (never the calibrated grid)")
    migration_months: int = Field(12, ge=1, le=60, description="Tier migration compares the as-of with this "
                                  "many months earlier")
    stability_months: int = Field(24, ge=1, le=240, description="Model monitoring shows the champion's "
                                  "stability over this many month ends up to the as-of")
    reason_codes: int = Field(3, ge=1, le=8, description="Adverse drivers of the PD shown per alerted client")


class DossierParams(MonitoringParams):
    """What a client dossier computes with: the monitoring's params (the book, tiers, alerts) plus the
    needs analysis, the peer benchmark, the service calendar, rating overrides and the structuring
    terms of a proposed new financing."""

    needs: NeedsParams = Field(default_factory=NeedsParams)
    benchmark: BenchmarkParams = Field(default_factory=BenchmarkParams)
    calendar: CalendarParams = Field(default_factory=CalendarParams)
    overrides: OverrideParams = Field(default_factory=OverrideParams)
    proposal: ProposalParams = Field(default_factory=ProposalParams, description="Terms of the financing "
                                     "proposal a need for new financing gets (rate, target DSCR, admission)")
