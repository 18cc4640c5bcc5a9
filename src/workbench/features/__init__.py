"""Features: the point-in-time modelling panel (ratios, trends, behaviour, peers, questionnaire, macro)
and its dictionary."""

from .assembly import (
    ID_COLUMNS,
    INPUT_TABLES,
    PANEL_COLUMNS,
    PANEL_DTYPES,
    add_peer_features,
    feature_columns,
    obligor_rows,
)
from .dictionary import (
    CONTEXT_ROLES,
    FEATURES,
    REASON_ROLES,
    ROLES,
    FeatureSpec,
    feature_dictionary,
    feature_role,
    lookup,
    monotone_directions,
)
from .display import (
    display_correlation_pairs,
    display_default_rates,
    display_dictionary,
    display_frame,
    display_missing,
    display_panel_summary,
    display_profile,
    display_validation_summary,
    params_table,
)
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
from .snapshot import snapshot, snapshot_outcomes

__all__ = [
    "PanelParams", "TimeSplit",
    "FEATURES", "FeatureSpec", "feature_dictionary", "lookup", "monotone_directions", "feature_role", "ROLES",
    "REASON_ROLES", "CONTEXT_ROLES",
    "display_frame", "params_table", "display_validation_summary", "display_panel_summary", "display_default_rates",
    "display_dictionary", "display_correlation_pairs", "display_missing", "display_profile",
    "ID_COLUMNS", "INPUT_TABLES", "PANEL_COLUMNS", "PANEL_DTYPES", "add_peer_features", "build_panel", "feature_columns", "obligor_rows",
    "panel_metrics", "plot_default_rate_by_obs_date", "summarise_panel",
    "RATIO_NAMES", "RATIOS", "altman_z2", "compute_ratios", "safe_divide",
    "data_profile", "default_rate_by_year", "high_correlation_pairs", "missing_report", "panel_fingerprint",
    "plot_correlation_heatmap", "plot_ratio_distributions_by_industry", "validation_summary",
    "snapshot", "snapshot_outcomes",
]
