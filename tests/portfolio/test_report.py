"""What the portfolio-risk report puts together: the name-concentration comparison and the Monte Carlo note on
a small simulated book, the merged headline metrics and the CSV outputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import format as fmt
from workbench.portfolio.book import obligor_portfolio
from workbench.portfolio.concentration import portfolio_concentration
from workbench.portfolio.ifrs9 import ifrs9_ecl, ifrs9_movement
from workbench.portfolio.params import PortfolioRiskParams
from workbench.portfolio.report import (
    name_concentration_table,
    portfolio_metrics,
    save_portfolio_outputs,
    simulation_note,
)
from workbench.portfolio.simulation import SimulationParams, simulate_losses, simulate_systematic_losses
from workbench.portfolio.stress import stress_test
from workbench.pricing.params import PricingParams
from workbench.reference import metrics

from .conftest import AS_OF, annual_matrix, make_book, rising_shifts

SIM = SimulationParams(n_scenarios=4_000, block_size=1_000, histogram_sample=500, seed=11)


def _concentrated_book() -> pd.DataFrame:
    """30 obligors in three industries: one name of EUR 60m, the others EUR 2-6m."""
    rng = np.random.default_rng(5)
    n = 30
    ead = np.round(rng.uniform(2.0, 6.0, n), 2)
    ead[0] = 60.0
    return pd.DataFrame({"obligor_id": [f"O{i:02d}" for i in range(n)],
                         "industry": np.array(["retail", "utilities", "construction"])[np.arange(n) % 3],
                         "tier": "B", "group": [f"O{i:02d}" for i in range(n)], "ead": ead, "lgd": 0.45,
                         "pd": np.round(rng.uniform(0.005, 0.03, n), 4), "sales": np.nan})


@pytest.fixture(scope="module")
def simulated():
    book = _concentrated_book()
    full = simulate_losses(book, SIM)
    granular = simulate_systematic_losses(book, SIM)
    return book, full, granular, portfolio_concentration(book)


def _cell(table: pd.DataFrame, start: str, column: str) -> str:
    rows = [i for i in table.index if i.startswith(start)]
    assert len(rows) == 1, rows
    return table.loc[rows[0], column]


def test_name_concentration_table_shows_the_ga_and_the_monte_carlo_effect(simulated):
    book, full, granular, conc = simulated
    table = name_concentration_table(conc, full, granular)
    assert list(table.columns) == ["EUR m", "share of performing EAD"] and len(table) == 4
    ead = book["ead"].sum()
    assert full.total_ead == pytest.approx(ead)
    ga = conc.granularity_adjustment_eur_m
    assert ga > 0
    assert _cell(table, "granularity adjustment", "EUR m") == fmt.eur_m(ga)
    assert _cell(table, "granularity adjustment", "share of performing EAD") == fmt.percent(ga / ead, 3)
    var, var_granular = full.var(0.999), granular.var(0.999)
    assert _cell(table, "Monte Carlo: VaR 99.9 % of the book", "EUR m") == fmt.eur_m(var)
    assert _cell(table, "Monte Carlo: VaR 99.9 % of the infinitely", "EUR m") == fmt.eur_m(var_granular)
    se = np.hypot(full.var_standard_error(0.999), granular.var_standard_error(0.999))
    effect = _cell(table, "Monte Carlo: name-concentration", "EUR m")
    assert effect == f"{fmt.eur_m(var - var_granular)} ± {fmt.eur_m(se)}"
    # One name holds 40 % of the book: the real book's tail is far above the infinitely granular one's.
    assert var - var_granular > 10.0
    assert _cell(table, "Monte Carlo: name-concentration", "share of performing EAD") == fmt.percent(
        (var - var_granular) / ead, 3)


def test_name_concentration_table_at_another_level(simulated):
    _, full, granular, conc = simulated
    table = name_concentration_table(conc, full, granular, q=0.99)
    assert _cell(table, "Monte Carlo: VaR 99.0 % of the book", "EUR m") == fmt.eur_m(full.var(0.99))
    assert _cell(table, "Monte Carlo: VaR 99.0 % of the infinitely", "EUR m") == fmt.eur_m(granular.var(0.99))


def test_granular_book_has_less_tail_than_the_real_one_for_the_same_expected_loss(simulated):
    _, full, granular, _ = simulated
    assert granular.analytic_expected_loss == pytest.approx(full.analytic_expected_loss)
    assert granular.var(0.999) < full.var(0.999)


def test_simulation_note_gives_scenarios_seed_var_and_its_error(simulated):
    _, full, _, _ = simulated
    note = simulation_note(full)
    var, se = full.var(0.999), full.var_standard_error(0.999)
    assert note.startswith("4,000 scenarios (seed 11): VaR 99.9 % EUR ")
    assert f"EUR {fmt.eur_m(var)} m with a Monte Carlo standard error of EUR {fmt.eur_m(se)} m" in note
    assert f"({fmt.percent(se / var, 1)})" in note
    assert f"expected shortfall EUR {fmt.eur_m(full.expected_shortfall(0.999))} m ± " \
           f"{fmt.eur_m(full.es_standard_error(0.999))} m." in note
    assert "VaR 99.0 % EUR " + fmt.eur_m(full.var(0.99)) in simulation_note(full, q=0.99)


@pytest.fixture(scope="module")
def report_parts():
    book, params = make_book(), PortfolioRiskParams()
    ifrs9 = ifrs9_ecl(book, annual_matrix(), rising_shifts(), params, AS_OF)
    movement = ifrs9_movement(book, ifrs9, annual_matrix(), rising_shifts(), params, AS_OF)
    stress = stress_test(book, annual_matrix(), rising_shifts(), params, AS_OF, pricing=PricingParams(),
                         watch_grade=8, watch_pd_multiple=3.0, watch_low_risk_pd=0.002)
    losses = simulate_losses(obligor_portfolio(book, 90), SIM)
    return ifrs9, movement, stress, losses, portfolio_concentration(book)


def test_portfolio_metrics_merges_the_four_metric_dicts(report_parts):
    ifrs9, _, stress, losses, conc = report_parts
    merged = portfolio_metrics(ifrs9, stress, losses, conc)
    parts = [ifrs9.metrics(), stress.metrics(), losses.metrics(), conc.metrics()]
    assert len(merged) == sum(len(p) for p in parts) == 19  # no key in two parts
    for part in parts:
        for key, value in part.items():
            assert merged[key] == value
    assert {metrics.PORTFOLIO_ECL, metrics.PORTFOLIO_CAPITAL_SEVERE_CHANGE, metrics.PORTFOLIO_VAR_999,
            metrics.PORTFOLIO_HHI_NAME, metrics.PORTFOLIO_MC_SCENARIOS} <= set(merged)
    assert merged[metrics.PORTFOLIO_MC_SCENARIOS] == 4_000.0


def test_save_portfolio_outputs_writes_five_csvs_readable_back(report_parts, tmp_path):
    ifrs9, movement, stress, losses, _ = report_parts
    out = save_portfolio_outputs(ifrs9, movement, stress, losses, tmp_path / "outputs")
    frames = {"ecl_facilities": ifrs9.facilities, "ecl_movement": movement.by_stage.reset_index(),
              "stress_summary": stress.summary, "stress_yearly": stress.yearly,
              "loss_contributions": losses.contributions}
    assert set(out) == set(frames)
    assert sorted(p.name for p in (tmp_path / "outputs").iterdir()) == sorted(f"{n}.csv" for n in frames)
    for name, frame in frames.items():
        back = pd.read_csv(out[name])
        assert back.shape == frame.shape and list(back.columns) == list(frame.columns), name
    facilities = pd.read_csv(out["ecl_facilities"])
    assert list(facilities["facility_id"]) == list(ifrs9.facilities["facility_id"])
    np.testing.assert_allclose(facilities["ecl"], ifrs9.facilities["ecl"], rtol=1e-12)
    summary = pd.read_csv(out["stress_summary"])
    assert list(summary["scenario"]) == ["baseline", "adverse", "severe"]
    assert list(pd.read_csv(out["ecl_movement"])["movement"])[0] == "opening ECL"
