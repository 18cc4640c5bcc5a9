"""A single facility's price, fully broken down: what `workbench price` prints.

The grid gives the recommended spread of the facility's cell (grade x tenor bucket x
collateral x tier); the breakdown recomputes the facility's own economics at its exact
tenor, amount, collateral cover and sales (SME adjustment): PD, LGD, risk weight, capital,
expected loss, funding, operating cost, the hurdle spread, and the RAROC earned at the
recommended spread. The quoted spread is never below the facility's own hurdle spread.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..reference import MASTER_SCALE, NO_COLLATERAL, MasterScale
from .capital import irb_capital
from .economics import cost_of_funds, raroc, required_rate
from .grid import PricingGrid, calibrate_pricing_grid, grade_pd_table
from .lgd import foundation_lgd
from .params import PricingParams

__all__ = ["params_only_grid", "quote_facility"]


def params_only_grid(params: PricingParams, master_scale: MasterScale = MASTER_SCALE) -> PricingGrid:
    """The hurdle grid from params alone (the desk's master scale, no market layer): what a quote
    uses before any calibration has run."""
    return calibrate_pricing_grid(grade_pd_table(master_scale), params, None)


def quote_facility(grid: PricingGrid, params: PricingParams, *, grade: int, tenor_years: float,
                   collateral_type: str, amount_eur_m: float, tier: str = "B", sales_eur_m: float | None = None,
                   collateral_value_eur_m: float | None = None, seniority: str = "senior") -> pd.DataFrame:
    """The breakdown of one facility as a two-column table (item, value), amounts in EUR m per year.

    ``collateral_value_eur_m`` defaults to ``params.grid.collateral_coverage`` x amount for secured
    types. Raises ValueError for an unknown grade, collateral type or tier (naming what exists).
    """
    if amount_eur_m <= 0:
        raise ValueError(f"amount must be positive, got {amount_eur_m}")
    if tenor_years <= 0:
        raise ValueError(f"tenor must be positive, got {tenor_years}")
    econ, floor_pd = params.economics, params.capital.pd_floor
    cell = grid.lookup([grade], [tenor_years], [collateral_type], [tier]).iloc[0]
    if collateral_value_eur_m is None:
        collateral_value_eur_m = (0.0 if collateral_type == NO_COLLATERAL
                                  else params.grid.collateral_coverage * amount_eur_m)
    lgd = float(foundation_lgd(np.array([amount_eur_m]), np.array([collateral_type], dtype=object),
                               np.array([collateral_value_eur_m]), np.array([seniority], dtype=object),
                               params=params.lgd)[0])
    pd_ = max(float(cell["pd"]), floor_pd)
    k = float(irb_capital(pd_, lgd, tenor_years, sales_eur_m, pd_floor=floor_pd))
    cof = float(cost_of_funds(tenor_years, econ.funding_curve_bps)) / 1e4
    opex = econ.opex_bps / 1e4
    terms = dict(cost_of_funds=cof, opex=opex, tax=econ.tax_rate, capital_return=econ.capital_return_rate,
                 sales=sales_eur_m, pd_floor=floor_pd)
    required = float(required_rate(pd_, lgd, tenor_years, hurdle=econ.hurdle_rate, **terms))
    required_spread = (required - cof) * 1e4
    recommended_spread = max(float(cell["recommended_spread_bps"]), required_spread)
    rate = cof + recommended_spread / 1e4
    earned = float(raroc(rate, pd_, lgd, tenor_years, **terms))
    a = amount_eur_m
    rows = [
        ("grade", grade), ("tier", tier), ("tenor (years)", tenor_years),
        ("grid tenor bucket", float(cell["tenor_years"])),
        ("collateral", collateral_type), ("amount (EUR m)", a), ("collateral value (EUR m)", collateral_value_eur_m),
        ("sales (EUR m, SME adjustment)", sales_eur_m if sales_eur_m is not None else "none"),
        ("PD", pd_), ("LGD (F-IRB)", lgd), ("risk weight", 12.5 * k), ("capital K x EAD (EUR m)", k * a),
        ("expected loss PD x LGD x EAD (EUR m / year)", pd_ * lgd * a),
        ("cost of funds (bps)", cof * 1e4), ("funding cost (EUR m / year)", cof * a),
        ("operating cost (bps)", econ.opex_bps), ("operating cost (EUR m / year)", opex * a),
        ("hurdle (return on capital)", econ.hurdle_rate),
        ("required spread for the hurdle (bps)", required_spread),
        ("grid floor spread of the cell (bps)", float(cell["floor_spread_bps"])),
        ("grid recommended spread of the cell (bps)", float(cell["recommended_spread_bps"])),
        ("recommended spread (bps)", recommended_spread), ("all-in rate (bps)", rate * 1e4),
        ("interest income (EUR m / year)", rate * a), ("RAROC at the recommended spread", earned),
    ]
    if "acceptance_probability" in cell and pd.notna(cell["acceptance_probability"]):
        rows.append(("acceptance probability of the cell", float(cell["acceptance_probability"])))
    return pd.DataFrame(rows, columns=["item", "value"])
