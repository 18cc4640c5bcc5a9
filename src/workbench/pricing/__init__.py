"""Pricing: IRB capital, F-IRB LGD, loan economics (RAROC, required rate), the price-response
model from quotes, the calibrated pricing grid, and single-facility quotes.

Each function takes the narrowest params model it reads (``pricing.params``): ``EconomicsParams``
and ``CapitalParams`` for the loan economics, ``LGDParams`` for the LGD, ``PricingParams`` for a
whole grid or a quote; never a job's params (run ids, paths).
"""

from .capital import (
                      BASEL2_PD_FLOOR,
                      BASEL3_PD_FLOOR,
                      asset_correlation,
                      irb_capital,
                      irb_risk_weight,
                      maturity_adjustment,
                      risk_weight,
)
from .display import (
                      display_grade_pd,
                      display_pricing_metrics,
                      display_raroc_summary,
                      floor_by_grade_and_tenor,
                      quotes_summary,
)
from .economics import (
                      bps_to_rate,
                      cost_of_funds,
                      economics_kwargs,
                      price_breakdown,
                      raroc,
                      rate_to_bps,
                      required_rate,
                      required_rate_from_params,
                      required_spread_bps,
)
from .grid import (
                      TIERS,
                      PricingGrid,
                      calibrate_pricing_grid,
                      grade_pd_table,
                      grid_from_table,
                      hurdle_grid,
                      latest_grades,
                      plot_capital_curve,
                      plot_required_spread,
                      portfolio_raroc,
                      pricing_metrics,
                      raroc_summary,
                      save_pricing_outputs,
)
from .lgd import GuaranteeSplit, foundation_lgd, label_codes, secured_share, substitute_guarantee
from .params import (
                      CapitalParams,
                      CollateralLGDParams,
                      EconomicsParams,
                      GridParams,
                      LGDParams,
                      PriceResponseParams,
                      PricingParams,
)
from .quote import params_only_grid, quote_facility
from .response import PriceResponseModel, optimal_spread, plot_acceptance_curves, quote_features

__all__ = [
    "CapitalParams", "CollateralLGDParams", "EconomicsParams", "GridParams", "LGDParams", "PriceResponseParams",
    "PricingParams",
    "BASEL2_PD_FLOOR", "BASEL3_PD_FLOOR", "asset_correlation", "irb_capital", "irb_risk_weight",
    "maturity_adjustment", "risk_weight",
    "bps_to_rate", "cost_of_funds", "economics_kwargs", "price_breakdown", "raroc", "rate_to_bps", "required_rate",
    "required_rate_from_params", "required_spread_bps",
    "TIERS", "PricingGrid", "calibrate_pricing_grid", "grade_pd_table", "grid_from_table", "hurdle_grid",
    "latest_grades", "plot_capital_curve", "plot_required_spread", "portfolio_raroc", "pricing_metrics",
    "raroc_summary", "save_pricing_outputs",
    "GuaranteeSplit", "foundation_lgd", "label_codes", "secured_share", "substitute_guarantee",
    "params_only_grid", "quote_facility",
    "display_grade_pd", "display_pricing_metrics", "display_raroc_summary", "floor_by_grade_and_tenor", "quotes_summary",
    "PriceResponseModel", "optimal_spread", "plot_acceptance_curves", "quote_features",
]
