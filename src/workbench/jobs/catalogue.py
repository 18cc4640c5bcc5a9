"""The workbench's own jobs and pipelines, registered when ``workbench.jobs`` is imported."""

from __future__ import annotations

from ..reference import metrics
from .monitoring import backfill_monitoring, precheck_monitoring
from .params import (
    AccountDossierParams,
    BuildFeaturesParams,
    CalibratePricingParams,
    MonitorPortfolioParams,
    PortfolioReportParams,
    ReviewModelParams,
    StructureFinancingParams,
    TrainPDParams,
)
from .portfolio import precheck_portfolio
from .registry import Job, Pipeline, Upstream, register, register_pipeline

__all__ = ["CREDIT_PIPELINE", "DASK_PIPELINE", "EXPERIMENTS"]

CREDIT_PIPELINE = "credit-pd"
#: The credit pipeline on Dask: the panel on dask partitions, the boosters with xgboost.dask
#: (`workbench pipeline --engine dask [--scheduler ADDRESS]`).
DASK_PIPELINE = "credit-pd-dask"

#: What each MLflow experiment holds, as its description in the UI says.
EXPERIMENTS: dict[str, str] = {
    "credit-pd": "The credit pipeline: one parent run per pipeline (features -> PD model -> pricing -> review), "
                 "a nested run per notebook. Open a parent run for the summary; a child run for its metrics "
                 "(split/metric: oot/auc, valid/brier, ...), figures, the executed notebook and its HTML report. "
                 "Training runs hold the optuna trials as nested runs (the best one tagged workbench.best_trial) "
                 "and register the model as key-account-pd@challenger.",
    "pricing": "Pricing-grid calibrations run on their own (workbench run 30_calibrate_pricing): IRB capital, "
               "hurdle floor, price-response model, the calibrated grid per tier and the portfolio RAROC.",
    "validation": "Independent reviews of registered model versions (workbench review run): reproducibility of "
                  "the logged metrics, champion vs challenger on the same out-of-time rows, the gate's figures. "
                  "The HTML report of each run is the validation document.",
    "structuring": "Financing proposals for one obligor or project (workbench structure): admission, repayment "
                   "schedules, debt sculpting, CFADS sensitivities and the financing mix.",
    "monitoring": "The monthly key-account monitoring report, one run per as-of date (tag as_of; a rerun tags the "
                  "earlier run workbench.superseded_by): tiers A/B/C, groups and large exposures, early-warning "
                  "alerts with reasons, watchlist changes and pending decisions, model monitoring. Run by "
                  "`workbench report monitoring --as-of YYYY-MM-DD` (cron); the HTML report is the document.",
    "dossier": "Client dossiers for the credit committee (workbench report dossier --obligor ID | --tier A --top N "
               "--as-of YYYY-MM-DD): one run per batch with a nested run per client. Runs hold ids and figures "
               "only; the dossiers name clients and stay on disk in experiments/reports/dossier/<as_of>/.",
    "portfolio": "The portfolio-risk report, one run per as-of date (tag as_of; a rerun supersedes the earlier run): "
                 "IFRS 9 stages and expected credit loss weighted over the macro scenarios, the ECL movement, the "
                 "stress test through the fitted satellite model, the Monte Carlo loss distribution (VaR, expected "
                 "shortfall, economic capital, Euler contributions) and concentration. Run by "
                 "`workbench report portfolio --as-of YYYY-MM-DD` (cron); the HTML report is the document.",
    "adhoc": "Notebooks run by path that are not registered jobs.",
}

register(Job(
    "10_build_features", BuildFeaturesParams, "params/build_features.yaml", experiment="credit-pd",
    description="Point-in-time panel: ratios, behaviour, peers, questionnaire, macro; target default_12m; time split",
    key_figures=(metrics.TRAIN_ROWS, metrics.OOT_ROWS, metrics.OOT_DEFAULT_RATE),
))
register(Job(
    "20_train_pd_model", TrainPDParams, "params/train_pd_model.yaml", experiment="credit-pd",
    description="Tuned, calibrated xgboost PD model; challengers, back-tests, SHAP; registered as challenger",
    upstream=(Upstream("features_run_id", "10_build_features"),),
    key_figures=(metrics.VALID_AUC, metrics.OOT_AUC, metrics.OOT_BRIER),
))
register(Job(
    "30_calibrate_pricing", CalibratePricingParams, "params/calibrate_pricing.yaml", experiment="pricing",
    description="IRB capital, hurdle floor, price-response model, calibrated grid per tier, portfolio RAROC",
    upstream=(Upstream("training_run_id", "20_train_pd_model"),),
    key_figures=(metrics.PORTFOLIO_RAROC_TODAY, metrics.PORTFOLIO_RAROC_GRID),
))
register(Job(
    "40_review_model", ReviewModelParams, "params/review_model.yaml", experiment="validation",
    description="Independent review of a registered version: reproducibility, champion vs challenger",
    upstream=(Upstream("training_run_id", "20_train_pd_model"),),
    key_figures=(metrics.REPRODUCIBILITY_PASSED, metrics.OOT_RED_GRADES, metrics.OOT_AUC),
    hide_code=True,
))
register(Job(
    "50_monitor_portfolio", MonitorPortfolioParams, "params/monitor_portfolio.yaml", experiment="monitoring",
    description="Monthly monitoring as of a month end: tiers, large exposures, early warnings, watchlist, "
                "model monitoring",
    upstream=(Upstream("training_run_id", "20_train_pd_model"),),
    key_figures=(metrics.MONITORING_RED_ALERTS, metrics.MONITORING_WATCHLIST, metrics.MONITORING_PSI_SCORE),
    hide_code=True, as_of_report="monitoring", precheck=precheck_monitoring, backfill=backfill_monitoring,
))
register(Job(
    "70_account_dossier", AccountDossierParams, "params/account_dossier.yaml", experiment="dossier",
    description="A client's dossier as of a month end: tier, rating, early warnings, financials against peers, "
                "facilities and covenants, profitability, needs and offer, calendar",
    upstream=(Upstream("training_run_id", "20_train_pd_model"),),
    key_figures=(metrics.DOSSIER_GRADE, metrics.DOSSIER_RAROC),
    hide_code=True, batch_report="dossier", private_outputs=True,
))
register(Job(
    "80_portfolio_risk", PortfolioReportParams, "params/portfolio_risk.yaml", experiment="portfolio",
    description="Portfolio risk as of a month end: IFRS 9 staging and ECL, ECL movement, macro stress test, "
                "Monte Carlo loss distribution with risk contributions, concentration",
    upstream=(Upstream("training_run_id", "20_train_pd_model"),),
    key_figures=(metrics.PORTFOLIO_ECL, metrics.PORTFOLIO_VAR_999, metrics.PORTFOLIO_ES_999),
    hide_code=True, as_of_report="portfolio", precheck=precheck_portfolio,
))
register(Job(
    "60_structure_financing", StructureFinancingParams, "params/structure_financing.yaml", experiment="structuring",
    description="Financing proposal for one obligor: admission, schedules, sculpting, sensitivities, financing mix",
    upstream=(Upstream("training_run_id", "20_train_pd_model"),),
    key_figures=(metrics.ADMISSION_DECISION, metrics.SCULPTING_DEBT, metrics.MIX_WACC),
))

register_pipeline(Pipeline(
    CREDIT_PIPELINE, experiment="credit-pd",
    jobs=("10_build_features", "20_train_pd_model", "30_calibrate_pricing", "40_review_model"),
    description="Features -> PD model -> pricing, and the validation review of the new model version",
))
register_pipeline(Pipeline(
    DASK_PIPELINE, experiment="credit-pd",
    jobs=("10_build_features", "20_train_pd_model", "30_calibrate_pricing", "40_review_model"),
    description="The credit pipeline on a Dask cluster: the panel on dask partitions, the PD model's boosters "
                "with xgboost.dask (same notebooks and feature code, same model within the scale tests' tolerance)",
    overrides={"10_build_features": {"engine": "dask"}, "20_train_pd_model": {"engine": "dask"}},
))
