"""Features: guarded financial ratios and the point-in-time modelling panel."""

from .panel import (
    ID_COLUMNS,
    INPUT_TABLES,
    build_panel,
    feature_columns,
    panel_metrics,
    plot_default_rate_by_obs_date,
    summarise_panel,
)
from .ratios import RATIOS, altman_z2, compute_ratios, safe_divide

__all__ = ["ID_COLUMNS", "INPUT_TABLES", "panel_metrics", "plot_default_rate_by_obs_date", "build_panel", "feature_columns", "summarise_panel", "RATIOS", "altman_z2",
           "compute_ratios", "safe_divide"]
