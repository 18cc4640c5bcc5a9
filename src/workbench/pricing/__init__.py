"""Pricing: IRB capital, master scale and the risk-based price per grade."""

from .capital import asset_correlation, irb_capital, maturity_adjustment, risk_weight
from .grid import assign_grades, grade_table, master_scale, plot_price_grid, price_grid, pricing_metrics

__all__ = ["asset_correlation", "irb_capital", "maturity_adjustment", "risk_weight",
           "assign_grades", "grade_table", "master_scale", "price_grid", "pricing_metrics", "plot_price_grid"]
