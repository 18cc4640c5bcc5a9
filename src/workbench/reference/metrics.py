"""The name of every metric a job logs to MLflow, once.

Names are ``<scope>/<figure>``: the scope is a split of the panel (``train``, ``valid``,
``oot``) or a part of a job (``grid``, ``admission``, ...). Training and the validation
review log the same figure under the same name, so the sign-off gate, the pipeline summary
and a reviewer comparing runs read one vocabulary. Code that logs or reads a metric uses
these constants (or ``split_metric`` for the per-split figures), never a string literal.
"""

from __future__ import annotations

__all__ = [
    "split_metric",
    "SPLIT_FIGURES",
    "OOT_AUC", "OOT_GINI", "OOT_KS", "OOT_BRIER", "OOT_ROWS", "OOT_DEFAULT_RATE",
    "VALID_AUC", "VALID_BRIER", "TRAIN_ROWS",
    "OOT_HOSMER_LEMESHOW_P", "OOT_RED_GRADES", "OOT_YELLOW_GRADES", "OOT_PSI_PD_VS_TRAIN",
    "OOT_MEAN_PD_OVER_DEFAULT_RATE", "OOT_BACKTEST_METRICS",
    "oot_auc_of", "CV_AUC", "TRIAL_NUMBER", "TRIAL_SECONDS",
    "explain_metric",
    "REPRODUCIBILITY_PASSED", "REPRODUCIBILITY_MAX_ABS_DIFF", "champion_metric", "migration_metric",
    "GRID_MONOTONE_IN_GRADE", "GRID_FLOOR_RESPECTED", "GRID_CELLS", "GRID_MEAN_FLOOR_SPREAD_BPS",
    "GRID_MEAN_RECOMMENDED_SPREAD_BPS", "GRID_SHARE_FLOOR_BINDS", "PORTFOLIO_FACILITIES",
    "PORTFOLIO_RAROC_TODAY", "PORTFOLIO_RAROC_GRID",
    "ADMISSION_DECISION", "ADMISSION_DECISION_CODES", "ADMISSION_INDUSTRY_SCORE", "ADMISSION_COLLATERAL_SHORTFALL",
    "SCULPTING_DEBT", "SCULPTING_MIN_DSCR", "SCULPTING_LLCR", "SCULPTING_PLCR", "SCULPTING_BREAKEVEN_HAIRCUT",
    "CAPACITY_DEBT", "CAPACITY_GEARING_BINDS", "MIX_FEASIBLE", "MIX_WACC",
    "PORTFOLIO_ECL", "PORTFOLIO_ECL_STAGE_1", "PORTFOLIO_ECL_STAGE_2", "PORTFOLIO_ECL_STAGE_3",
    "PORTFOLIO_ECL_COVERAGE", "PORTFOLIO_STAGE_2_EAD_SHARE", "PORTFOLIO_STAGE_3_EAD_SHARE", "PORTFOLIO_ECL_SEVERE",
    "PORTFOLIO_CAPITAL_SEVERE_CHANGE", "PORTFOLIO_EXPECTED_LOSS", "PORTFOLIO_VAR_999", "PORTFOLIO_ES_999",
    "PORTFOLIO_ECONOMIC_CAPITAL", "PORTFOLIO_VAR_999_SE", "PORTFOLIO_MC_SCENARIOS", "PORTFOLIO_HHI_NAME",
    "PORTFOLIO_HHI_INDUSTRY", "PORTFOLIO_TOP20_SHARE", "PORTFOLIO_GRANULARITY_ADJUSTMENT",
    "PIPELINE_DURATION_S",
]


def split_metric(split: str, figure: str) -> str:
    """``split_metric("oot", "auc") == "oot/auc"``."""
    if "/" in split or "/" in figure:
        raise ValueError(f"split {split!r} and figure {figure!r} must not contain '/'")
    return f"{split}/{figure}"


#: Figures logged per split: the panel summary (features) and discrimination (training, review).
SPLIT_FIGURES: tuple[str, ...] = ("rows", "obligors", "defaults", "default_rate", "mean_pd", "auc", "gini", "ks",
                                  "brier", "log_loss")

OOT_AUC = split_metric("oot", "auc")
OOT_GINI = split_metric("oot", "gini")
OOT_KS = split_metric("oot", "ks")
OOT_BRIER = split_metric("oot", "brier")
OOT_ROWS = split_metric("oot", "rows")
OOT_DEFAULT_RATE = split_metric("oot", "default_rate")
VALID_AUC = split_metric("valid", "auc")
VALID_BRIER = split_metric("valid", "brier")
TRAIN_ROWS = split_metric("train", "rows")

# The out-of-time back-test of a PD model (``workbench.validation.oot_backtest_summary``).
OOT_HOSMER_LEMESHOW_P = "oot/hosmer_lemeshow_p"
OOT_RED_GRADES = "oot/red_grades"  # grades red in the Jeffreys test
OOT_YELLOW_GRADES = "oot/yellow_grades"
OOT_PSI_PD_VS_TRAIN = "oot/psi_pd_vs_train"
OOT_MEAN_PD_OVER_DEFAULT_RATE = "oot/mean_pd_over_default_rate"
OOT_BACKTEST_METRICS: tuple[str, ...] = (OOT_HOSMER_LEMESHOW_P, OOT_RED_GRADES, OOT_YELLOW_GRADES,
                                         OOT_PSI_PD_VS_TRAIN, OOT_MEAN_PD_OVER_DEFAULT_RATE)


def oot_auc_of(model: str) -> str:
    """OOT AUC of a named model in the challenger comparison: ``oot/auc_scorecard``."""
    return f"{OOT_AUC}_{model}"


# Tuning: a trial's cross-validated AUC on folds of the training rows (not the validation period).
CV_AUC = "cv/auc"
TRIAL_NUMBER = "trial/number"
TRIAL_SECONDS = "trial/seconds"


def explain_metric(name: str) -> str:
    """Explanation stability figures: ``explain/bag_<name>``."""
    return f"explain/bag_{name}"


# Validation review.
REPRODUCIBILITY_PASSED = "reproducibility/passed"
REPRODUCIBILITY_MAX_ABS_DIFF = "reproducibility/max_abs_diff"


def champion_metric(metric: str) -> str:
    """The champion's figure beside the reviewed model's: ``champion/oot/auc``."""
    return f"champion/{metric}"


def migration_metric(name: str) -> str:
    """Grade migration shares champion -> reviewed: ``migration/same_grade``."""
    return f"migration/{name}"


# Pricing calibration.
GRID_MONOTONE_IN_GRADE = "grid/monotone_in_grade"
GRID_FLOOR_RESPECTED = "grid/floor_respected"
GRID_CELLS = "grid/cells"
GRID_MEAN_FLOOR_SPREAD_BPS = "grid/mean_floor_spread_bps"
GRID_MEAN_RECOMMENDED_SPREAD_BPS = "grid/mean_recommended_spread_bps"
GRID_SHARE_FLOOR_BINDS = "grid/share_floor_binds"
PORTFOLIO_FACILITIES = "portfolio/facilities"
PORTFOLIO_RAROC_TODAY = "portfolio/raroc_today"
PORTFOLIO_RAROC_GRID = "portfolio/raroc_grid"

# Structuring proposal.
ADMISSION_DECISION = "admission/decision"
#: How the admission decision is logged as a number.
ADMISSION_DECISION_CODES: dict[str, float] = {"approve": 1.0, "refer": 0.5, "decline": 0.0}
ADMISSION_INDUSTRY_SCORE = "admission/industry_score"
ADMISSION_COLLATERAL_SHORTFALL = "admission/collateral_shortfall"
SCULPTING_DEBT = "sculpting/debt"
SCULPTING_MIN_DSCR = "sculpting/min_dscr"
SCULPTING_LLCR = "sculpting/llcr"
SCULPTING_PLCR = "sculpting/plcr"
SCULPTING_BREAKEVEN_HAIRCUT = "sculpting/breakeven_haircut"
CAPACITY_DEBT = "capacity/debt"
CAPACITY_GEARING_BINDS = "capacity/gearing_binds"
MIX_FEASIBLE = "mix/feasible"
MIX_WACC = "mix/wacc"

# Monitoring report (one run per as-of): the month's book, watchlist and the champion's stability.
MONITORING_RED_ALERTS = "monitoring/red_alerts"
MONITORING_AMBER_ALERTS = "monitoring/amber_alerts"
MONITORING_WATCHLIST = "monitoring/watchlist_clients"
MONITORING_WATCHLIST_NEW = "monitoring/watchlist_new"
MONITORING_AWAITING_EXIT = "monitoring/awaiting_exit_decision"
MONITORING_TIER_A_SHARE = "monitoring/tier_a_share"
MONITORING_LARGE_EXPOSURE_BREACHES = "monitoring/large_exposure_breaches"
MONITORING_REVIEWS_OVERDUE = "monitoring/reviews_overdue"
MONITORING_HHI = "monitoring/hhi"
MONITORING_PSI_SCORE = "monitoring/psi_score"  # PSI of the PD, latest month end vs training
MONITORING_MAX_CSI = "monitoring/max_csi"  # largest CSI of the top features, latest month end
MONITORING_AUC_MATURED = "monitoring/auc_matured"  # AUC of the latest matured month
MONITORING_RED_GRADES = "monitoring/red_grades"  # grades red (Jeffreys) in the latest matured month
MONITORING_REVALIDATION_TRIGGERS = "monitoring/revalidation_triggers"  # current revalidation triggers

# Client dossier (ids and figures only: the dossier itself names the client and stays off MLflow).
DOSSIER_PD = "dossier/pd"
DOSSIER_GRADE = "dossier/grade"
DOSSIER_ALERT_LEVEL = "dossier/alert_level"  # 0 green, 1 amber, 2 red
DOSSIER_RAROC = "dossier/raroc"
DOSSIER_NEEDS_IDENTIFIED = "dossier/needs_identified"

# Portfolio risk report (one run per as-of): IFRS 9, the stress test, the loss distribution, concentration.
# Amounts in EUR m.
PORTFOLIO_ECL = "portfolio/ecl"  # probability-weighted over the macro scenarios, all stages
PORTFOLIO_ECL_STAGE_1 = "portfolio/ecl_stage_1"
PORTFOLIO_ECL_STAGE_2 = "portfolio/ecl_stage_2"
PORTFOLIO_ECL_STAGE_3 = "portfolio/ecl_stage_3"
PORTFOLIO_ECL_COVERAGE = "portfolio/ecl_coverage_rate"  # ECL / EAD
PORTFOLIO_STAGE_2_EAD_SHARE = "portfolio/stage_2_ead_share"
PORTFOLIO_STAGE_3_EAD_SHARE = "portfolio/stage_3_ead_share"
PORTFOLIO_ECL_SEVERE = "portfolio/ecl_severe"  # ECL under the worst scenario alone
PORTFOLIO_CAPITAL_SEVERE_CHANGE = "portfolio/irb_capital_severe_change_rate"  # vs baseline, relative
PORTFOLIO_EXPECTED_LOSS = "portfolio/expected_loss"  # one-year EL of the performing book (Monte Carlo)
PORTFOLIO_VAR_999 = "portfolio/var_999"
PORTFOLIO_ES_999 = "portfolio/es_999"
PORTFOLIO_ECONOMIC_CAPITAL = "portfolio/economic_capital_999"  # VaR 99.9 % - EL
PORTFOLIO_VAR_999_SE = "portfolio/var_999_standard_error"
PORTFOLIO_MC_SCENARIOS = "portfolio/mc_scenarios"
PORTFOLIO_HHI_NAME = "portfolio/hhi_name"
PORTFOLIO_HHI_INDUSTRY = "portfolio/hhi_industry"
PORTFOLIO_TOP20_SHARE = "portfolio/top20_share_rate"
PORTFOLIO_GRANULARITY_ADJUSTMENT = "portfolio/granularity_adjustment_rate"  # share of EAD (GL 2013)

# Runner.
PIPELINE_DURATION_S = "pipeline/duration_s"
