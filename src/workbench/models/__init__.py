"""PD models: the xgboost PD model and its evaluation by split."""

from .pd_model import PDModel, evaluate_splits, plot_roc_by_split
from .training import TrainingResult, fit_on_panel

__all__ = ["PDModel", "evaluate_splits", "plot_roc_by_split", "TrainingResult", "fit_on_panel"]
