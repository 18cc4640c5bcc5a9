"""Portfolio risk of the key-account book: PD term structure, IFRS 9 staging and expected credit
loss, the macro stress test through a fitted satellite model, the Monte Carlo credit loss
distribution with risk contributions, and concentration.

Pure domain code: DataFrames and typed params in, DataFrames, result objects and figures out.
The names below load their module on first use (``accounts`` imports ``portfolio.concentration``
for the monitoring report and should not pay for numba or the stress test).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "BookParams": "book", "facility_book": "book", "obligor_portfolio": "book", "grade_history": "book",
    "CCFParams": "exposure", "exposure_at_default": "exposure", "ead_profile": "exposure",
    "TermStructureParams": "term_structure", "MigrationMatrix": "term_structure",
    "estimate_migration_matrix": "term_structure", "pd_term_structure": "term_structure",
    "StagingParams": "staging", "assign_stages": "staging",
    "ECL": "ecl", "expected_credit_loss": "ecl", "facility_ecl": "ecl", "weighted_ecl": "ecl",
    "EclMovement": "movement", "ecl_movement": "movement", "plot_ecl_waterfall": "movement",
    "Ifrs9Result": "ifrs9", "ifrs9_ecl": "ifrs9", "ifrs9_movement": "ifrs9",
    "MacroScenario": "scenarios", "ScenarioParams": "scenarios", "scenario_table": "scenarios",
    "plot_scenarios": "scenarios",
    "SatelliteParams": "satellite", "SatelliteModel": "satellite", "default_rate_panel": "satellite",
    "fit_satellite": "satellite", "current_macro_state": "satellite", "plot_fit": "satellite",
    "StressResult": "stress", "stress_test": "stress", "plot_stress": "stress",
    "vasicek_quantile": "vasicek", "granularity_adjustment_one_factor": "vasicek",
    "SimulationParams": "simulation", "LossDistribution": "simulation", "simulate_losses": "simulation",
    "simulate_systematic_losses": "simulation", "industry_factor_correlation": "simulation",
    "granularity_effect": "simulation", "plot_loss_distribution": "simulation", "plot_contributions": "simulation",
    "ConcentrationParams": "concentration", "Concentration": "concentration",
    "hhi": "concentration", "granularity_adjustment": "concentration",
    "PortfolioConcentration": "concentration", "portfolio_concentration": "concentration",
    "PortfolioRiskParams": "params",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'workbench.portfolio' has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
