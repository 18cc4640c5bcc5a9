"""The params of each job (notebook): its domain params plus the run ids and paths it reads.

A job's params model derives from the domain model its library calls take and adds only
what locates its inputs (``data_dir``, upstream run ids, a registry name). Notebooks hand
the domain part to the library with ``workbench.params.narrow`` or one of its sections
(``cfg.economics``), so no domain function ever sees a run id.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from pydantic import Field

from ..accounts.params import DossierParams, MonitoringParams
from ..data.params import ContractParams
from ..features.params import PanelParams
from ..models.params import PDModelParams
from ..params import StrictModel, narrow
from ..portfolio.params import PortfolioRiskParams
from ..pricing.params import PricingParams
from ..signoff.common import DEFAULT_MODEL_NAME
from ..structuring.params import ProposalParams

__all__ = [
    "BuildFeaturesParams",
    "TrainPDParams",
    "CalibratePricingParams",
    "ReviewModelParams",
    "StructureFinancingParams",
    "MonitorPortfolioParams",
    "AccountDossierParams",
    "PortfolioReportParams",
    "ReportInputs",
]

class BuildFeaturesParams(PanelParams):
    """Params of notebooks/10_build_features."""

    data_dir: str = Field("data/synthetic", description="Portfolio tables (Parquet), relative to the state dir")
    contract: ContractParams = ContractParams()

    @property
    def panel(self) -> PanelParams:
        """What ``build_panel`` takes."""
        return narrow(self, PanelParams)


def model_name_for_table(path: str) -> str:
    """The registered model name of a bring-your-own table: its file name, lower case, non-alphanumerics
    as dashes, plus ``-pd`` (``Loans 2024.csv`` -> ``loans-2024-pd``)."""
    stem = re.sub(r"[^a-z0-9]+", "-", Path(str(path)).stem.lower()).strip("-") or "table"
    return f"{stem}-pd"


class TrainPDParams(PDModelParams):
    """Params of notebooks/20_train_pd_model: the PD model's params plus where its rows come from."""

    features_run_id: str = Field("", description="MLflow run of 10_build_features; empty = the latest finished one")
    table_path: str = Field("", description="Bring your own data: a flat CSV/Parquet/ARFF table instead of a panel")
    id_column: str = Field("", description="Row id column of table_path")
    time_column: str = Field("", description="Date column of table_path; empty = stratified random splits")
    table_encoding: str = Field("", description="Text encoding of a CSV table_path (e.g. latin-1); empty = UTF-8")
    drop_columns: list[str] = Field([], description="Columns of table_path that are not features (free text, "
                                    "other ids, later outcomes)")
    target: str = "default_12m"
    registered_model: str = Field("", description="MLflow registered model name; empty = key-account-pd for the "
                                  "panel, '<table name>-pd' for a table_path (a table's model never replaces the "
                                  "desk's unless named so)")
    register_model: bool = Field(True, description="Register the model version with alias 'challenger'")

    @property
    def model_name(self) -> str:
        """The registered model this run's versions belong to (see ``registered_model``)."""
        if self.registered_model:
            return self.registered_model
        return model_name_for_table(self.table_path) if self.table_path else DEFAULT_MODEL_NAME

    @property
    def registry_name(self) -> str | None:
        """The registered model to add this run's version to, or None when ``register_model`` is off."""
        return self.model_name if self.register_model else None

    @property
    def pd_model(self) -> PDModelParams:
        """What ``fit_pd_model`` / ``fit_on_panel`` take."""
        return narrow(self, PDModelParams)


class CalibratePricingParams(PricingParams):
    """Params of notebooks/30_calibrate_pricing and of `workbench price`."""

    training_run_id: str = Field("", description="MLflow run of 20_train_pd_model; empty = the latest finished one")
    data_dir: str = Field("data/synthetic", description="Portfolio directory: quotes, facilities, obligors")
    accounts_db: str = Field("", description="Accounts database whose tiers replace the size-band proxy in the "
                             "portfolio RAROC; empty = $WORKBENCH_ACCOUNTS_DB, else accounts.db in the state dir")

    @property
    def pricing(self) -> PricingParams:
        """What the grid and quote functions take."""
        return narrow(self, PricingParams)


class ReviewModelParams(StrictModel):
    """Params of notebooks/40_review_model: the independent review of one registered model version."""

    model_name: str = Field("key-account-pd", description="Registered model to review")
    model_version: str = Field("", description="Version to review; empty = the version the training run "
                               "registered (training_run_id), else the latest version")
    training_run_id: str = Field("", description="Run of 20_train_pd_model whose version is reviewed; "
                                 "used only when model_version is empty")
    reproducibility_tolerance: float = Field(1e-6, gt=0, lt=0.01, description="Largest difference allowed "
                                             "between a logged metric and its recomputation")
    shap_rows: int = Field(5000, ge=100, description="OOT rows sampled for the SHAP comparison")
    seed: int = 42


class StructureFinancingParams(ProposalParams):
    """Params of notebooks/60_structure_financing: a financing proposal for one obligor."""

    obligor_id: str = Field("", description="Obligor to structure for; empty = the first project-finance obligor")
    project_id: str = Field("", description="Project to structure (its obligor is used); overrides obligor_id")
    data_dir: str = Field("data/synthetic", description="Portfolio: obligors, financials, projects, cash flows")
    training_run_id: str = Field("", description="Run of 20_train_pd_model for grades and the panel; "
                                 "empty = the latest finished one")

    @property
    def proposal(self) -> ProposalParams:
        """What the structuring functions take."""
        return narrow(self, ProposalParams)


class ReportInputs(StrictModel):
    """Where an as-of report (monitoring, dossier, portfolio) reads its book from: the portfolio tables, the
    PD model and the accounts database."""

    data_dir: str = Field("data/synthetic", description="Portfolio tables (Parquet), relative to the state dir")
    training_run_id: str = Field("", description="Run of 20_train_pd_model whose model scores the book; empty = "
                                 "the signed-off champion (else the newest challenger, flagged UNAPPROVED)")
    model_name: str = Field("key-account-pd", description="Registered model whose champion is used")
    accounts_db: str = Field("", description="SQLAlchemy URL of the accounts database; empty = "
                             "$WORKBENCH_ACCOUNTS_DB, else accounts.db in the state dir")


class MonitorPortfolioParams(MonitoringParams, ReportInputs):
    """Params of notebooks/50_monitor_portfolio and of `workbench report monitoring`."""

    as_of: date = Field(date(2024, 12, 31), description="Month end the report is for (the CLI defaults it to "
                        "the data's last month end)")
    force: bool = Field(False, description="Rewrite an as-of earlier than the latest stored one (and recompute "
                        "every later month, which builds on it)")

    @property
    def monitoring(self) -> MonitoringParams:
        """What the monitoring functions take."""
        return narrow(self, MonitoringParams)


class AccountDossierParams(DossierParams, ReportInputs):
    """Params of notebooks/70_account_dossier and of `workbench report dossier`: one client's dossier."""

    obligor_id: str = Field("", description="The client; empty = the largest tier-A client at the as-of")
    as_of: date = Field(date(2024, 12, 31), description="Month end of the dossier")

    @property
    def dossier(self) -> DossierParams:
        """What the dossier functions take."""
        return narrow(self, DossierParams)

    @property
    def monitoring(self) -> MonitoringParams:
        return narrow(self, MonitoringParams)


class PortfolioReportParams(PortfolioRiskParams, ReportInputs):
    """Params of notebooks/80_portfolio_risk and of `workbench report portfolio`."""

    as_of: date = Field(date(2024, 12, 31), description="Month end the report is for (the CLI defaults it to "
                        "the data's last month end)")
    monitoring_params: str = Field("params/monitor_portfolio.yaml", description="The monitoring report's params "
                                   "file: how the book is rebuilt, scored, tiered and alerted, so both reports "
                                   "see the same clients, grades, tiers and alerts")

    @property
    def portfolio(self) -> PortfolioRiskParams:
        """What the portfolio-risk functions take."""
        return narrow(self, PortfolioRiskParams)
