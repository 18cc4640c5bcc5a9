"""What the portfolio-risk report puts together from its parts: the name-concentration comparison (the
granularity adjustment against the Monte Carlo's own effect), the Monte Carlo's precision in words,
the headline figures logged to MLflow, and the tables written beside the report as CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import format as fmt
from ..data.io import write_csv_atomic
from .concentration import PortfolioConcentration
from .ifrs9 import Ifrs9Result
from .movement import EclMovement
from .simulation import LossDistribution, granularity_effect
from .stress import StressResult

__all__ = ["name_concentration_table", "simulation_note", "portfolio_metrics", "save_portfolio_outputs"]


def name_concentration_table(concentration: PortfolioConcentration, full: LossDistribution,
                             granular: LossDistribution, q: float = 0.999) -> pd.DataFrame:
    """Name concentration two ways (display): the granularity adjustment of Gordy & Lütkebohmert (an add-on
    to the IRB capital of the one-factor model) and the Monte Carlo's own effect, the VaR of the book minus
    the VaR of the same book made infinitely granular (no idiosyncratic risk, same factor draws), with its
    standard error. The two measure the same thing in different models (CreditRisk+ calibrated to the IRB
    formula vs this multi-factor copula), so they should agree in size, not to the digit."""
    effect = granularity_effect(full, granular).loc[q]
    # An upper bound: both runs share their factor draws, so their errors are positively correlated and the
    # difference's error is smaller than the two combined as if independent.
    se = float(np.hypot(full.var_standard_error(q), granular.var_standard_error(q)))
    ead = full.total_ead
    rows = [
        ("granularity adjustment (Gordy-Lütkebohmert, IRB one-factor)",
         fmt.eur_m(concentration.granularity_adjustment_eur_m),
         fmt.percent(concentration.granularity_adjustment_eur_m / ead if ead > 0 else np.nan, 3)),
        (f"Monte Carlo: VaR {fmt.percent(q, 1)} of the book", fmt.eur_m(effect["var"]),
         fmt.percent(effect["var"] / ead if ead > 0 else np.nan, 3)),
        (f"Monte Carlo: VaR {fmt.percent(q, 1)} of the infinitely granular book", fmt.eur_m(effect["var_granular"]),
         fmt.percent(effect["var_granular"] / ead if ead > 0 else np.nan, 3)),
        ("Monte Carlo: name-concentration effect (difference; ± at most one standard error)",
         f"{fmt.eur_m(effect['var_name_concentration'])} ± {fmt.eur_m(se)}",
         fmt.percent(effect["var_name_concentration"] / ead if ead > 0 else np.nan, 3)),
    ]
    return pd.DataFrame(rows, columns=["measure", "EUR m", "share of performing EAD"]).set_index("measure")


def simulation_note(dist: LossDistribution, q: float = 0.999) -> str:
    """One sentence on how precise the simulated tail is, for the report's reader."""
    var, se = dist.var(q), dist.var_standard_error(q)
    return (f"{dist.n_scenarios:,} scenarios (seed {dist.seed}): VaR {fmt.percent(q, 1)} EUR "
            f"{fmt.eur_m(var)} m with a Monte Carlo standard error of EUR {fmt.eur_m(se)} m "
            f"({fmt.percent(se / var if var > 0 else np.nan, 1)}); expected shortfall EUR "
            f"{fmt.eur_m(dist.expected_shortfall(q))} m ± {fmt.eur_m(dist.es_standard_error(q))} m.")


def portfolio_metrics(ifrs9: Ifrs9Result, stress: StressResult, losses: LossDistribution,
                      concentration: PortfolioConcentration) -> dict[str, float]:
    """The headline figures of the report, keyed by ``reference.metrics`` names."""
    return {**ifrs9.metrics(), **stress.metrics(), **losses.metrics(), **concentration.metrics()}


def save_portfolio_outputs(ifrs9: Ifrs9Result, movement: EclMovement, stress: StressResult,
                           losses: LossDistribution, directory) -> dict[str, Path]:
    """Per facility stages and ECL, the ECL movement, the stress results and the loss contributions as
    CSV files in ``directory`` (written atomically); ``{name: path}`` to record on the run."""
    directory = Path(directory)
    frames = {"ecl_facilities": ifrs9.facilities, "ecl_movement": movement.by_stage.reset_index(),
              "stress_summary": stress.summary, "stress_yearly": stress.yearly,
              "loss_contributions": losses.contributions}
    return {name: write_csv_atomic(frame, directory / f"{name}.csv") for name, frame in frames.items()}
