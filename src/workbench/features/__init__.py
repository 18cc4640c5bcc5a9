"""Features: the point-in-time modelling panel (ratios, trends, behaviour, peers, questionnaire, macro)
and its dictionary."""

from .assembly import ID_COLUMNS, INPUT_TABLES, add_peer_features, feature_columns, obligor_rows
from .dictionary import FEATURES, FeatureSpec, feature_dictionary, lookup, monotone_directions
from .panel import build_panel, panel_metrics, plot_default_rate_by_obs_date, summarise_panel
from .params import PanelParams, TimeSplit
from .ratios import RATIO_NAMES, RATIOS, altman_z2, compute_ratios, safe_divide
from .report import (
    data_profile,
    default_rate_by_year,
    high_correlation_pairs,
    missing_report,
    panel_fingerprint,
    plot_correlation_heatmap,
    plot_ratio_distributions_by_industry,
    validation_summary,
)

__all__ = [
    "PanelParams", "TimeSplit",
    "FEATURES", "FeatureSpec", "feature_dictionary", "lookup", "monotone_directions",
    "ID_COLUMNS", "INPUT_TABLES", "add_peer_features", "build_panel", "feature_columns", "obligor_rows",
    "panel_metrics", "plot_default_rate_by_obs_date", "summarise_panel",
    "RATIO_NAMES", "RATIOS", "altman_z2", "compute_ratios", "safe_divide",
    "data_profile", "default_rate_by_year", "high_correlation_pairs", "missing_report", "panel_fingerprint",
    "plot_correlation_heatmap", "plot_ratio_distributions_by_industry", "validation_summary",
]
