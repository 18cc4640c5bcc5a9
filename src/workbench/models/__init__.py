"""PD models: the calibrated xgboost PD model (``fit_pd_model``), its tuning, calibration and
master scale, and its evaluation by split."""

from ..reference import DEFAULT_GRADE, MasterScale
from .calibration import Calibrator, anchor_shift
from .challengers import challenger_metrics, challenger_scores, compare_models
from .display import (
    display_backtest,
    display_comparison,
    display_csi,
    display_discrimination,
    display_gain_importance,
    display_hosmer_lemeshow,
    display_iv,
    display_master_scale,
    display_registration,
    display_tuning,
    split_counts,
)
from .params import (
    CalibrationParams,
    MasterScaleParams,
    PDModelParams,
    Range,
    SearchSpace,
    TuningParams,
    XGBParams,
)
from .pd_model import PDModel, fit_pd_model, monotone_directions_or_zero
from .scorecard import ScorecardModel
from .training import TrainingResult, champion_comparison, fit_on_panel, flat_table_panel, load_pd_model, score_panel
from .tuning import TuningResult, tune_xgboost, validation_folds

__all__ = ["challenger_metrics", "CalibrationParams", "MasterScaleParams", "PDModelParams", "Range", "SearchSpace", "TuningParams",
           "XGBParams", "challenger_scores", "compare_models", "ScorecardModel", "Calibrator", "anchor_shift", "DEFAULT_GRADE", "MasterScale", "PDModel",
           "fit_pd_model", "monotone_directions_or_zero", "TrainingResult", "champion_comparison", "fit_on_panel", "flat_table_panel", "load_pd_model", "score_panel",
           "TuningResult", "tune_xgboost", "validation_folds",
           "split_counts", "display_tuning", "display_discrimination", "display_comparison", "display_iv",
           "display_backtest", "display_hosmer_lemeshow", "display_master_scale", "display_gain_importance",
           "display_csi", "display_registration"]
