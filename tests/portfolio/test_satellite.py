"""The satellite model: the default-rate panel, the probit fit on counts, and scenario shifts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.stats import norm

from workbench.portfolio.satellite import (
    SatelliteParams,
    current_macro_state,
    default_rate_panel,
    fit_satellite,
    macro_regressors,
)
from workbench.portfolio.scenarios import MacroScenario, ScenarioParams
from workbench.synthetic import GeneratorSettings, generate_portfolio

# --------------------------------------------------------------------------- hand-made data


def _macro(months: int = 48, start: str = "2015-01-31") -> pd.DataFrame:
    me = pd.date_range(start, periods=months, freq="ME")
    t = np.arange(months)
    return pd.DataFrame({"month_end": me, "gdp_growth": 1.0 + 0.1 * t, "policy_rate": 0.5 + 0.01 * t,
                         "idx_a": 100.0 * np.exp(0.01 * t), "idx_b": 100.0 * np.exp(-0.02 * t)})


def test_panel_counts_defaults_in_the_outcome_year_of_matured_cohorts_only():
    macro = _macro()
    months = pd.date_range("2015-12-31", "2018-12-31", freq="ME")
    ids = ["O1", "O2", "O3", "O4", "O5"]
    pop = pd.DataFrame([(o, m, "a" if o in ("O1", "O2", "O3") else "b") for o in ids for m in months],
                       columns=["obligor_id", "obs_date", "industry"])
    defaults = pd.DataFrame({"obligor_id": ["O1", "O2", "O4"],
                             # O1: exactly 12 months after the Dec-2015 cohort (counted, boundary inclusive);
                             # O2: on the Dec-2016 cohort date (not performing there: dropped, counted in 2015);
                             # O4: in the year after the Dec-2016 cohort.
                             "default_date": pd.to_datetime(["2016-12-31", "2016-12-31", "2017-06-15"])})
    panel = default_rate_panel(pop, defaults, macro, data_end="2017-12-31")
    # Matured by 2017-12: the cohorts of Dec 2015 and Dec 2016 (the month of the latest matured cohort).
    assert sorted(panel["cohort"].dt.strftime("%Y-%m").unique()) == ["2015-12", "2016-12"]
    cell = panel.set_index([panel["cohort"].dt.year, "industry"])
    assert cell.loc[(2015, "a"), ["obligors", "defaults"]].tolist() == [3, 2]
    assert cell.loc[(2016, "a"), ["obligors", "defaults"]].tolist() == [1, 0]  # O1 and O2 have defaulted
    assert cell.loc[(2015, "b"), ["obligors", "defaults"]].tolist() == [2, 0]
    assert cell.loc[(2016, "b"), ["obligors", "defaults"]].tolist() == [2, 1]
    assert cell.loc[(2015, "a"), "default_rate"] == pytest.approx(2 / 3)


def test_panel_cohort_month_and_monthly_cohorts():
    macro = _macro()
    months = pd.date_range("2015-12-31", "2017-12-31", freq="ME")
    pop = pd.DataFrame({"obligor_id": "O1", "obs_date": months, "industry": "a"})
    none = pd.DataFrame({"obligor_id": pd.Series([], dtype=str), "default_date": pd.Series([], dtype="M8[ns]")})
    june = default_rate_panel(pop, none, macro, data_end="2017-12-31", cohort_month=6)
    assert june["cohort"].dt.strftime("%Y-%m").tolist() == ["2016-06"]
    monthly = default_rate_panel(pop, none, macro, data_end="2017-12-31", cohort_month="all")
    assert len(monthly) == 13  # Dec 2015 .. Dec 2016
    with pytest.raises(ValueError, match="cohort_month"):
        default_rate_panel(pop, none, macro, data_end="2017-12-31", cohort_month=13)
    with pytest.raises(ValueError, match="data_end"):
        default_rate_panel(pop, none, macro, data_end="2016-06-30")
    with pytest.raises(KeyError, match="default_date"):
        default_rate_panel(pop, none.rename(columns={"default_date": "date"}), macro, data_end="2017-12-31")


def test_macro_regressors_by_hand():
    macro = _macro()
    x = macro_regressors(macro, ["2016-12-31", "2015-06-30"], ["a", "b"]).iloc[0]
    # Dec 2016 is month index 23: outcome year = months 24..35, the year before = 12..23.
    assert x["gdp_growth"] == pytest.approx(1.0 + 0.1 * np.mean(np.arange(24, 36)))
    assert x["gdp_growth_lag"] == pytest.approx(1.0 + 0.1 * np.mean(np.arange(12, 24)))
    assert x["policy_rate"] == pytest.approx(0.5 + 0.01 * np.mean(np.arange(24, 36)))
    assert x["index_change"] == pytest.approx(100 * 0.01 * 12)
    assert x["index_change_lag"] == pytest.approx(100 * 0.01 * 12)
    early = macro_regressors(macro, ["2015-06-30"], ["b"]).iloc[0]
    assert np.isnan(early["gdp_growth_lag"]) and np.isnan(early["index_change_lag"])  # before the data start
    assert early["index_change"] == pytest.approx(-100 * 0.02 * 12)
    with pytest.raises(KeyError, match="idx_c"):
        macro_regressors(macro, ["2016-12-31"], ["c"])


def test_current_state_takes_the_year_up_to_the_as_of():
    macro = _macro()
    state = current_macro_state(macro, "2017-12-31", ["a", "b"])
    # The as-of is month 35: "outcome year" slots = months 24..35, lags = 12..23.
    assert state.loc["a", "gdp_growth"] == pytest.approx(1.0 + 0.1 * np.mean(np.arange(24, 36)))
    assert state.loc["b", "index_change"] == pytest.approx(-24.0)
    with pytest.raises(ValueError, match="does not cover the months up to"):
        current_macro_state(macro, "2015-12-31", ["a"])


def _cells(rates_and_counts, x, industry="a", start=2010):
    d, n = zip(*rates_and_counts)
    return pd.DataFrame({"industry": industry, "cohort": pd.to_datetime([f"{start + i}-12-31" for i in range(len(d))]),
                         "obligors": n, "defaults": d, "gdp_growth": x})


def test_probit_fit_is_the_closed_form_mle_of_grouped_data():
    # One industry, GDP 0 in one cohort and 1 in two: the probit MLE fits each GDP value's pooled rate exactly,
    # a = G(d0/n0), a + b = G((d1 + d2)/(n1 + n2)), with binomial errors Var(a) = p(1-p) / (n phi(a)^2).
    panel = _cells([(30, 1000), (10, 800), (14, 1200)], [0.0, 1.0, 1.0])
    model = fit_satellite(panel, SatelliteParams(regressors=["gdp_growth"], industry_effects=False,
                                                 covariance="binomial"))
    a, b = model.coefficients["coefficient"]
    assert a == pytest.approx(norm.ppf(0.03), abs=1e-8)
    assert a + b == pytest.approx(norm.ppf(24 / 2000), abs=1e-8)
    se_a = np.sqrt(0.03 * 0.97 / (1000 * norm.pdf(a) ** 2))
    assert model.coefficients.loc["intercept", "std_error"] == pytest.approx(se_a, rel=1e-6)
    stats = model.fit_statistics()
    assert stats["converged"] == 1.0

    # The likelihoods are obligor-level (Bernoulli), without the grouped binomial's ln C(n, d).
    def bernoulli(d, n, p):
        return d * np.log(p) + (n - d) * np.log(1 - p)

    ll = bernoulli(30, 1000, 0.03) + bernoulli(10, 800, 0.012) + bernoulli(14, 1200, 0.012)
    ll0 = bernoulli(54, 3000, 54 / 3000)
    assert stats["log_likelihood"] == pytest.approx(ll, rel=1e-10)
    assert stats["null_log_likelihood"] == pytest.approx(ll0, rel=1e-10)
    assert stats["mcfadden_r2"] == pytest.approx(1 - ll / ll0, rel=1e-8)
    assert stats["aic"] == pytest.approx(-2 * ll + 4, rel=1e-10)
    # Deviance: twice the log-likelihood gap to the saturated model (each cell at its own rate).
    saturated = bernoulli(30, 1000, 0.03) + bernoulli(10, 800, 10 / 800) + bernoulli(14, 1200, 14 / 1200)
    assert stats["deviance"] == pytest.approx(2 * (saturated - ll), rel=1e-8)
    # Pearson X^2 over the two cells the fit does not reproduce.
    x2 = sum((d - n * 0.012) ** 2 / (n * 0.012 * 0.988) for d, n in [(10, 800), (14, 1200)])
    assert stats["pearson_chi2"] == pytest.approx(x2, rel=1e-8)
    assert stats["dispersion"] == pytest.approx(x2 / 1, rel=1e-8)


def test_probit_fit_recovers_simulated_coefficients():
    rng = np.random.default_rng(7)
    cohorts, industries = 30, ["a", "b", "c"]
    rows = []
    for t in range(cohorts):
        gdp = rng.normal(1.5, 1.5)
        for j, k in enumerate(industries):
            n = 5000
            p = norm.cdf(-2.0 + 0.2 * j - 0.15 * gdp)
            rows.append((k, pd.Timestamp(f"{1990 + t}-12-31"), n, rng.binomial(n, p), gdp))
    panel = pd.DataFrame(rows, columns=["industry", "cohort", "obligors", "defaults", "gdp_growth"])
    model = fit_satellite(panel, SatelliteParams(regressors=["gdp_growth"]))
    c = model.coefficients
    truth = {"intercept": -2.0, "industry[b]": 0.2, "industry[c]": 0.4, "gdp_growth": -0.15}
    for term, value in truth.items():
        assert abs(c.loc[term, "coefficient"] - value) < 4 * c.loc[term, "std_error"], term
    # Binomial data: the Pearson dispersion is near 1 (chi-square with 86 df: sd of X2/df about 0.15).
    assert 0.6 < model.fit_statistics()["dispersion"] < 1.5


def _overdispersed_panel(seed=3, cohorts=25, industries=("a", "b")):
    # A probit in GDP plus a cohort factor the regressors do not see: counts vary more than binomially.
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(cohorts):
        gdp, z = rng.normal(1.5, 1.5), rng.normal(0, 0.15)
        for j, k in enumerate(industries):
            p = norm.cdf(-2.0 + 0.1 * j - 0.1 * gdp + z)
            rows.append((k, pd.Timestamp(f"{1990 + t}-12-31"), 3000, rng.binomial(3000, p), gdp))
    return pd.DataFrame(rows, columns=["industry", "cohort", "obligors", "defaults", "gdp_growth"])


def test_pearson_errors_scale_the_binomial_ones_by_the_dispersion_never_below():
    panel = _overdispersed_panel()
    params = SatelliteParams(regressors=["gdp_growth"])
    binomial = fit_satellite(panel, params.model_copy(update={"covariance": "binomial"}))
    pearson = fit_satellite(panel, params)
    cells = binomial.panel
    n, d, p = cells["obligors"], cells["defaults"], cells["fitted_rate"]
    dispersion = float(((d - n * p) ** 2 / (n * p * (1 - p))).sum()) / (len(cells) - 3)
    assert dispersion > 2  # the cohort factor shows
    assert pearson.fit_statistics()["dispersion"] == pytest.approx(dispersion, rel=1e-8)
    assert np.allclose(pearson.coefficients["coefficient"], binomial.coefficients["coefficient"], atol=1e-9)
    assert np.allclose(pearson.coefficients["std_error"], binomial.coefficients["std_error"] * np.sqrt(dispersion),
                       rtol=1e-8)
    assert np.allclose(pearson.covariance, binomial.covariance * dispersion, rtol=1e-8)
    # Under-dispersed (the closed-form panel: X^2 / df well below 1) the errors stay binomial.
    small = _cells([(30, 1000), (10, 800), (14, 1200)], [0.0, 1.0, 1.0])
    one = SatelliteParams(regressors=["gdp_growth"], industry_effects=False)
    under = fit_satellite(small, one)
    assert under.fit_statistics()["dispersion"] < 1
    assert np.allclose(under.coefficients["std_error"],
                       fit_satellite(small, one.model_copy(update={"covariance": "binomial"}))
                       .coefficients["std_error"], rtol=1e-10)


def _driscoll_kraay(X, d, n, beta, cohort, lags):
    """Reference: the probit's score per cell summed per cohort date, Bartlett weights over the sequence of
    dates, and the observed Hessian of the log-likelihood as the bread."""
    eta = X @ beta
    p, phi = norm.cdf(eta), norm.pdf(eta)
    lam1, lam0 = phi / p, phi / (1 - p)  # d ln N(eta) / d eta and -d ln N(-eta) / d eta
    score = X * (d * lam1 - (n - d) * lam0)[:, None]
    hess = -(X * (d * lam1 * (lam1 + eta) + (n - d) * lam0 * (lam0 - eta))[:, None]).T @ X
    _, code = np.unique(cohort, return_inverse=True)
    g = np.zeros((code.max() + 1, X.shape[1]))
    np.add.at(g, code, score)
    meat = g.T @ g
    for lag in range(1, lags + 1):
        gamma = g[lag:].T @ g[:-lag]
        meat += (1 - lag / (lags + 1)) * (gamma + gamma.T)
    bread = np.linalg.inv(hess)
    return bread @ meat @ bread


@pytest.mark.parametrize("lags", [0, 1, 3])
def test_hac_errors_are_driscoll_kraay_over_cohort_dates(lags):
    # Annual cohorts, 12 months apart: the lags count cohort dates, not months (statsmodels takes the time
    # codes as bincount labels, so month numbers would put empty months between the cohorts).
    industries = tuple("abcdefgh")
    panel = _overdispersed_panel(seed=5, cohorts=12, industries=industries)
    model = fit_satellite(panel, SatelliteParams(regressors=["gdp_growth"], covariance="hac", hac_lags=lags))
    cells = model.panel
    X = np.column_stack([np.ones(len(cells))] + [(cells["industry"] == k).astype(float) for k in industries[1:]]
                        + [cells["gdp_growth"]])
    expected = _driscoll_kraay(X, cells["defaults"].to_numpy(float), cells["obligors"].to_numpy(float),
                               model.coefficients["coefficient"].to_numpy(), cells["cohort"].to_numpy(), lags)
    assert np.allclose(model.covariance.to_numpy(), expected, rtol=1e-6)
    assert model.coefficients["std_error"].to_numpy() == pytest.approx(np.sqrt(np.diag(expected)), rel=1e-6)


def test_a_fit_that_does_not_converge_raises():
    panel = _overdispersed_panel()
    with pytest.raises(RuntimeError, match="did not converge in 1 IRLS"):
        fit_satellite(panel, SatelliteParams(regressors=["gdp_growth"], max_iterations=1))
    # An industry without a default given an effect of its own: the effect runs to minus infinity.
    panel.loc[panel["industry"] == "b", "defaults"] = 0
    with pytest.raises(RuntimeError, match="without defaults"):
        fit_satellite(panel, SatelliteParams(regressors=["gdp_growth"], min_industry_defaults=0))


def test_an_industry_with_too_few_defaults_shares_the_base_level_and_the_fit_converges():
    panel = _overdispersed_panel()
    panel.loc[panel["industry"] == "b", "defaults"] = 0
    model = fit_satellite(panel, SatelliteParams(regressors=["gdp_growth"]))
    assert model.pooled_industries == ("b",)
    assert "industry[b]" not in model.coefficients.index
    assert model.statistics["converged"] == 1.0 and np.isfinite(model.coefficients["coefficient"]).all()
    assert "fewer than 5 defaults" in model.fit_table().to_string()


def test_overlapping_cohorts_need_hac_errors():
    panel = _cells([(5, 500), (9, 500), (2, 500), (7, 500), (4, 500), (6, 500)], [0.0, 1.0, 2.0, 1.0, 0.5, 1.5])
    panel["cohort"] = pd.date_range("2015-01-31", periods=6, freq="ME")
    params = SatelliteParams(regressors=["gdp_growth"], industry_effects=False)
    with pytest.raises(ValueError, match="hac"):
        fit_satellite(panel, params)
    hac = fit_satellite(panel, params.model_copy(update={"covariance": "hac"}))
    assert (hac.coefficients["std_error"] > 0).all() and np.isfinite(hac.coefficients["std_error"]).all()


def test_params_reject_unknown_regressors():
    with pytest.raises(ValueError, match="unemployment"):
        SatelliteParams(regressors=["unemployment"])
    with pytest.raises(ValueError, match="at least one"):
        SatelliteParams(regressors=[])


# --------------------------------------------------------------------------- on the synthetic portfolio


@pytest.fixture(scope="module")
def synthetic():
    tables = generate_portfolio(GeneratorSettings(n_obligors=4000, years=12, seed=0,
                                                  tables=("obligors", "behaviour", "defaults", "macro")))
    pop = tables["behaviour"][["obligor_id", "month_end"]].rename(columns={"month_end": "obs_date"})
    pop["industry"] = pop["obligor_id"].map(tables["obligors"].set_index("obligor_id")["industry"])
    data_end = tables["macro"]["month_end"].max()
    panel = default_rate_panel(pop, tables["defaults"], tables["macro"], data_end=data_end)
    return tables, panel, data_end


@pytest.fixture(scope="module")
def model(synthetic):
    return fit_satellite(synthetic[1])


def test_fitted_gdp_effect_has_the_generators_sign_significance_and_magnitude(model):
    # The generator (synthetic/latent.py, macro.py): monthly default hazard N(-4.05 - z), z loads 0.55 x
    # cyclicality on the macro factor M, GDP growth = 1.6 + 1.9 M + noise, so more growth means fewer defaults.
    # Through the heterogeneous book that is about -0.55 x 0.55 / 1.9 x 0.9 = -0.14 on the annual probit per
    # GDP point (satellite module doc); the fit must find it within a factor of two, clearly significant.
    gdp = model.coefficients.loc["gdp_growth"]
    assert gdp["coefficient"] < 0 and gdp["p_value"] < 1e-3
    assert -0.28 < gdp["coefficient"] < -0.07
    # The industry's own cycle (its index net of GDP) also lowers defaults when it is up.
    idx = model.coefficients.loc["index_residual"]
    assert idx["coefficient"] < 0 and idx["p_value"] < 1e-3
    stats = model.fit_statistics()
    assert stats["correlation_cohort"] > 0.5 and 0 < stats["mcfadden_r2"] < 0.5
    assert stats["cohorts"] == 11 and stats["cells"] == 11 * stats["industries"]


def test_gdp_alone_also_comes_out_negative_and_significant(synthetic):
    alone = fit_satellite(synthetic[1], SatelliteParams(regressors=["gdp_growth"]))
    assert alone.coefficients.loc["gdp_growth", "coefficient"] < 0
    assert alone.coefficients.loc["gdp_growth", "p_value"] < 1e-3


def test_monthly_cohorts_with_hac_errors_agree_in_sign(synthetic):
    tables, _, data_end = synthetic
    pop = tables["behaviour"][["obligor_id", "month_end"]].rename(columns={"month_end": "obs_date"})
    pop["industry"] = pop["obligor_id"].map(tables["obligors"].set_index("obligor_id")["industry"])
    monthly = default_rate_panel(pop, tables["defaults"], tables["macro"], data_end=data_end, cohort_month="all")
    hac = fit_satellite(monthly, SatelliteParams(covariance="hac"))
    gdp = hac.coefficients.loc["gdp_growth"]
    assert gdp["coefficient"] < 0 and gdp["p_value"] < 1e-2
    assert hac.fit_statistics()["cohorts"] > 100


def _scenarios() -> ScenarioParams:
    return ScenarioParams(horizon_years=2, scenarios=[
        MacroScenario(name="baseline", weight=0.6, gdp_growth=[1.0, 1.5], policy_rate=[1.0, 1.0],
                      industry_index_growth=[2.0, 3.0]),
        MacroScenario(name="down", weight=0.4, gdp_growth=[-2.0, -1.0], policy_rate=[0.0, 0.0],
                      industry_index_growth=[-10.0, -5.0], industry_overrides={"retail": [-20.0, -10.0]}),
    ])


def test_shifts_are_the_coefficients_times_the_change_of_the_regressors(model, synthetic):
    macro = synthetic[0]["macro"]
    industries = ["retail", "utilities"]
    state = current_macro_state(macro, synthetic[2], industries)
    from_baseline = dataclasses.replace(model, params=model.params.model_copy(update={"shift_from": "baseline"}))
    shifts = from_baseline.shifts(_scenarios(), state, industries).set_index(["scenario", "year", "industry"])["shift"]
    b_gdp = model.coefficients.loc["gdp_growth", "coefficient"]
    b_idx = model.coefficients.loc["index_residual", "coefficient"]
    slope = model.index_projection["slope"]

    def residual(growth, gdp):  # the intercepts cancel in every difference
        return 100 * np.log1p(growth / 100) - slope * gdp

    # Measured from the baseline, whose shift is 0.
    assert (shifts.loc["baseline"] == 0).all()
    expected = b_gdp * (-2.0 - 1.0) + b_idx * (residual(-20.0, -2.0) - residual(2.0, 1.0))
    assert shifts.loc[("down", 1, "retail")] == pytest.approx(expected)
    expected = b_gdp * (-1.0 - 1.5) + b_idx * (residual(-5.0, -1.0) - residual(3.0, 1.5))
    assert shifts.loc[("down", 2, "utilities")] == pytest.approx(expected)
    assert (shifts.loc["down"] > 0).all()  # a downturn raises PDs
    assert list(shifts.index.get_level_values("scenario").unique()) == ["baseline", "down"]

    # From the as-of state: the baseline moves too.
    as_of = fit_satellite(synthetic[1], SatelliteParams(shift_from="as_of"))
    s = as_of.shifts(_scenarios(), state, industries).set_index(["scenario", "year", "industry"])["shift"]
    now = state.loc["utilities"]
    expected = b_gdp * (1.0 - now["gdp_growth"]) + b_idx * (
        residual(2.0, 1.0) - (now["index_change"] - slope * now["gdp_growth"]))
    assert s.loc[("baseline", 1, "utilities")] == pytest.approx(expected, rel=1e-9)


def test_default_scenarios_shift_pds_in_order_for_every_industry(model, synthetic):
    industries = sorted(synthetic[0]["obligors"]["industry"].unique())
    state = current_macro_state(synthetic[0]["macro"], synthetic[2], industries)
    wide = model.shifts(ScenarioParams(), state, industries).pivot_table(
        index=["industry", "year"], columns="scenario", values="shift")
    # Default: from the probability-weighted path, so the weighted shift is 0 for every industry and year.
    weights = ScenarioParams().weights()
    assert sum(w * wide[name] for name, w in weights.items()).abs().max() < 1e-12
    assert (wide["baseline"] < wide["adverse"]).all() and (wide["severe"] > wide["adverse"]).all()
    assert (wide["baseline"] < 0).all() and (wide["severe"] > 0).all()
    rates = model.scenario_default_rates(ScenarioParams(), state, industries)
    assert rates["default_rate"].between(0, 1).all()
    by = rates.groupby("scenario")["default_rate"].mean()
    assert by["severe"] > by["adverse"] > by["baseline"]
    shown = model.scenario_table(ScenarioParams(), state, industries)
    assert list(shown.index) == ["baseline", "adverse", "severe"] and list(shown.columns)[0] == "as-of"


def test_scenario_use_names_missing_inputs(model):
    with pytest.raises(KeyError, match="index_change"):
        model.shifts(_scenarios(), {"gdp_growth": 1.0}, ["retail"])
    state = {"gdp_growth": 1.0, "index_change": {"retail": 2.0}}
    with pytest.raises(KeyError, match="utilities"):
        model.shifts(_scenarios(), state, ["retail", "utilities"])
    assert len(model.shifts(_scenarios(), state, ["retail"])) == 4
    with pytest.raises(KeyError, match="space_mining"):
        model.scenario_default_rates(_scenarios(), {"gdp_growth": 1.0, "index_change": 0.0}, ["space_mining"])


def test_tables_and_plot(model):
    table = model.table()
    assert list(table.columns) == ["coefficient", "std error", "z", "p-value"]
    assert "gdp_growth" in table.index and "intercept" in table.index
    assert "McFadden pseudo R²" in model.fit_table().index
    assert isinstance(model.plot_fit(), Figure)
