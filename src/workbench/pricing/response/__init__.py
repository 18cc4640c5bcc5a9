"""Price response: how likely a key-account client is to accept a quoted spread, and the best spread.

The hurdle grid (``grid.hurdle_grid``) gives the *required* spread of a cell (the hurdle floor).
This package adds the market layer the desk checks that grid against (DOMAIN.md, "checking it
against observed quote acceptance"):

* ``quotes``: ``quote_features(quotes, obligors, tier_by_size_band)`` turns the ``quotes`` and
  ``obligors`` tables into one row per quote: offered spread, grade, tenor, collateral, client
  tier (from the size band), relationship length at the quote date, and the outcome.
* ``model``: ``PriceResponseModel`` estimates P(accept | spread, grade, tenor, collateral, tier,
  relationship) with a guaranteed monotone *decreasing* effect of the spread (a dearer offer is
  never more likely to be accepted), either as a logistic regression or as monotone-constrained
  xgboost.
* ``optimum``: ``optimal_spread(model, cells, floor_bps, exposure)`` finds, per cell, the spread
  maximising the expected economic profit P(accept | s) x (s - floor) x exposure over s >= floor,
  in named steps (validate, range, coarse grid, golden section, choose, report).
* ``plots``: ``plot_acceptance_curves`` draws acceptance against spread, one line per grade.

Everything here is pure: no file I/O, no tracking.
"""

from .model import PriceResponseModel
from .optimum import optimal_spread
from .plots import plot_acceptance_curves
from .quotes import CELL_COLUMNS, FEATURE_COLUMNS, TARGET, quote_features

__all__ = ["CELL_COLUMNS", "FEATURE_COLUMNS", "TARGET", "quote_features", "PriceResponseModel", "optimal_spread",
           "plot_acceptance_curves"]
