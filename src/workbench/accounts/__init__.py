"""Key-account management: tiering A/B/C, groups and large exposures, the early-warning system,
the watchlist and its store (SQLAlchemy), and how well the warnings work.

* ``monthly``: the book of every month end (snapshot, score, early warnings, outcomes);
* ``tiering`` / ``exposure`` / ``groups``: tiers with their service, exposures, large exposures;
* ``ews`` / ``effectiveness``: the indicators, the alerts, and their measured hit rates;
* ``watchlist`` / ``store`` / ``recording``: the watchlist's transitions and the accounts database;
* ``report``: one month end as the monitoring report shows it; ``reviews``: reviews due by tier;
* ``needs`` / ``benchmark`` / ``covenants`` / ``overrides`` / ``calendar`` / ``profitability``: what
  a client dossier (``dossier``) shows beside the monitoring figures.
"""

from .benchmark import BenchmarkParams, PeerBenchmark, peer_benchmark, peer_positions, plot_radar
from .calendar import CalendarParams, ServiceCalendar, interaction_summary, service_calendar
from .covenants import CovenantParams, covenant_table, covenant_tests
from .dossier import Dossier, DossierBook, client_dossier, plot_grade_history
from .effectiveness import EffectivenessParams, EffectivenessResult, ews_effectiveness, plot_hit_rates
from .ews import INDICATORS, EWSParams, EWSResult, early_warnings, indicator_table, plot_alert_counts
from .exposure import ExposureParams, obligor_exposure
from .groups import LargeExposureParams, concentration, group_exposures, large_exposures
from .monthly import MonitoringBook, monitoring_book, month_tiers
from .needs import NeedsParams, NeedsProfile, admission_screen, needs_profile, plot_needs
from .overrides import OverrideParams, apply_overrides, approved_grades, override_rate
from .params import DossierParams, MonitoringParams
from .profitability import client_profitability, profitability_table
from .recording import RecordPlan, RecordResult, plan_months, record_months
from .report import MonthReport, month_report, plot_exposure_by_tier_and_level, save_month_outputs
from .reviews import overdue_by_tier, reviews_due
from .scoring import score_snapshot, snapshot_reasons
from .store import AccountsDatabaseUnreachable, AccountsStore, LaterAsOfExists
from .tiering import (
    ServiceStrategy,
    TieringParams,
    TierRule,
    assign_tiers,
    plot_exposure_by_tier,
    rules_table,
    service_strategy_table,
    tier_migration,
)
from .watchlist import WatchlistParams, check_decision, watchlist_step

__all__ = [
    "BenchmarkParams", "PeerBenchmark", "peer_benchmark", "peer_positions", "plot_radar",
    "CalendarParams", "ServiceCalendar", "interaction_summary", "service_calendar",
    "CovenantParams", "covenant_table", "covenant_tests",
    "Dossier", "DossierBook", "client_dossier", "plot_grade_history",
    "NeedsParams", "NeedsProfile", "admission_screen", "needs_profile", "plot_needs",
    "OverrideParams", "apply_overrides", "approved_grades", "override_rate",
    "client_profitability", "profitability_table",
    "EffectivenessParams", "EffectivenessResult", "ews_effectiveness", "plot_hit_rates",
    "INDICATORS", "EWSParams", "EWSResult", "early_warnings", "indicator_table", "plot_alert_counts",
    "ExposureParams", "obligor_exposure",
    "LargeExposureParams", "concentration", "group_exposures", "large_exposures",
    "MonitoringBook", "month_tiers", "monitoring_book", "MonitoringParams", "DossierParams",
    "RecordPlan", "RecordResult", "plan_months", "record_months",
    "MonthReport", "month_report", "plot_exposure_by_tier_and_level", "save_month_outputs",
    "overdue_by_tier", "reviews_due", "score_snapshot", "snapshot_reasons",
    "AccountsDatabaseUnreachable", "AccountsStore", "LaterAsOfExists",
    "ServiceStrategy", "TieringParams", "TierRule", "assign_tiers", "plot_exposure_by_tier", "rules_table",
    "service_strategy_table", "tier_migration",
    "WatchlistParams", "check_decision", "watchlist_step",
]
