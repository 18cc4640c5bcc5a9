"""Validation of PD models: discrimination, calibration back-tests, population stability, figures.

``metrics`` (AUC, Gini, KS, CAP, Brier, log loss, per-split table), ``backtest`` (binomial and
Jeffreys tests, traffic lights, Hosmer-Lemeshow, per-grade back-test), ``stability`` (PSI,
CSI) and ``plots``. Sources for every formula are in each module's docstring.
"""

from .backtest import (
    binomial_test,
    calibration_table,
    grade_backtest,
    hosmer_lemeshow,
    jeffreys_test,
    traffic_light,
)
from .metrics import (
    accuracy_ratio,
    auc,
    brier,
    cap_curve,
    discrimination_table,
    gini,
    ks,
    log_loss,
)
from .oot_summary import oot_backtest_summary
from .plots import plot_calibration, plot_cap, plot_grade_backtest, plot_psi, plot_roc_by_split
from .review import (
    REVIEW_MODEL_TAG,
    REVIEW_VERSION_TAG,
    ModelComparison,
    importance_comparison,
    oot_sample,
    reproducibility_check,
    review_metrics,
    review_tags,
)
from .stability import csi, psi, psi_bins, psi_from_proportions, psi_status

__all__ = [
    "oot_backtest_summary",
    "REVIEW_MODEL_TAG",
    "REVIEW_VERSION_TAG",
    "ModelComparison",
    "importance_comparison",
    "oot_sample",
    "reproducibility_check",
    "review_metrics",
    "review_tags",
    "plot_roc_by_split",
    "auc",
    "gini",
    "ks",
    "brier",
    "log_loss",
    "cap_curve",
    "accuracy_ratio",
    "discrimination_table",
    "binomial_test",
    "jeffreys_test",
    "traffic_light",
    "hosmer_lemeshow",
    "calibration_table",
    "grade_backtest",
    "psi_from_proportions",
    "psi_bins",
    "psi",
    "psi_status",
    "csi",
    "plot_cap",
    "plot_calibration",
    "plot_grade_backtest",
    "plot_psi",
]
