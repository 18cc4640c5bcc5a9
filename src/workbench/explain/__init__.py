"""Explainability: exact SHAP values of the PD model, scorecard contributions, reason codes,
importance stability and SHAP figures.

Pure functions of a fitted model and a DataFrame; they return results, tables and figures and
write nothing (the notebook logs what it shows).
"""

from .display import display_bag_stability, display_importance, display_importance_comparison, importance_agreement
from .plots import (
    plot_beeswarm,
    plot_dependence,
    plot_importance,
    plot_top_dependence,
    plot_waterfall,
    strongest_interaction,
)
from .reasons import KINDS, context_label, direction_allows, favourable_label, reason_codes, reason_table
from .shap_values import (
    ADDITIVITY_TOL,
    AdditivityError,
    ImportanceStability,
    ShapResult,
    bag_importance_stability,
    feature_direction,
    feature_label,
    importance_stability,
    scorecard_contributions,
    shap_importance_side_by_side,
    shap_values,
)

__all__ = [
    "ADDITIVITY_TOL", "AdditivityError", "ShapResult", "ImportanceStability", "shap_values", "shap_importance_side_by_side",
    "scorecard_contributions", "importance_stability", "bag_importance_stability", "feature_label",
    "feature_direction", "reason_codes", "reason_table", "context_label", "KINDS", "favourable_label",
    "direction_allows", "plot_importance", "display_importance", "display_importance_comparison",
    "importance_agreement", "display_bag_stability",
    "plot_beeswarm", "plot_dependence", "plot_top_dependence", "plot_waterfall", "strongest_interaction",
]
