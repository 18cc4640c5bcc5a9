"""Features: guarded financial ratios and the point-in-time modelling panel."""

from .panel import ID_COLUMNS, build_panel, feature_columns, summarise_panel
from .ratios import RATIOS, altman_z2, compute_ratios, safe_divide

__all__ = ["ID_COLUMNS", "build_panel", "feature_columns", "summarise_panel", "RATIOS", "altman_z2",
           "compute_ratios", "safe_divide"]
