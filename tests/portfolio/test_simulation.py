"""The Monte Carlo loss distribution: exact cases, the Vasicek limit, Euler contributions, reproducibility,
agreement with the numpy reference and bounded memory. Statistical checks use fixed seeds and tolerances
of 4 Monte Carlo standard errors (the standard errors the module itself reports, where it reports them)."""

from __future__ import annotations

import tracemalloc

import matplotlib
import numba
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy import stats

from workbench.portfolio.simulation import (
    SimulationParams,
    granularity_effect,
    industry_factor_correlation,
    plot_contributions,
    plot_loss_distribution,
    simulate_losses,
    simulate_losses_numpy,
    simulate_systematic_losses,
    tail_buffer_size,
)
from workbench.portfolio.vasicek import granularity_adjustment_one_factor, vasicek_quantile
from workbench.reference import metrics as mn

matplotlib.use("Agg")


def _book(n: int = 300, industries: int = 3, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "obligor_id": [f"o{i:04d}" for i in range(n)],
        "industry": [f"ind{j}" for j in rng.integers(0, industries, n)],
        "tier": rng.choice(["A", "B", "C"], n),
        "ead": rng.lognormal(1.0, 1.0, n),
        "lgd": rng.uniform(0.2, 0.6, n),
        "pd": np.clip(rng.lognormal(np.log(0.02), 0.8, n), 0.0003, 0.4),
    })


def _factor_corr(k: int = 3, c: float = 0.4) -> pd.DataFrame:
    m = np.full((k, k), c)
    np.fill_diagonal(m, 1.0)
    names = [f"ind{j}" for j in range(k)]
    return pd.DataFrame(m, index=names, columns=names)


def _homogeneous(n: int, pd_: float = 0.01) -> pd.DataFrame:
    return pd.DataFrame({"obligor_id": [f"h{i}" for i in range(n)], "ead": 1.0, "lgd": 1.0, "pd": pd_})


# --------------------------------------------------------------------------- Euler contributions


@pytest.mark.parametrize("random_lgd", [False, True])
def test_es_contributions_add_up_to_es(random_lgd):
    params = SimulationParams(n_scenarios=20_000, block_size=3_000, random_lgd=random_lgd)
    book = _book()
    results = [simulate_losses(book, params, factor_correlation=_factor_corr()),
               simulate_systematic_losses(book, params, factor_correlation=_factor_corr()),
               simulate_losses_numpy(book, params, factor_correlation=_factor_corr())]
    for dist in results:
        for q in params.confidence:
            es = dist.expected_shortfall(q)
            assert es > dist.var(q) * 0.999 > 0
            assert dist.es_contributions(q).sum() == pytest.approx(es, rel=1e-9, abs=0)
        by = dist.contributions_by("industry")
        assert by["es_contribution_99_9"].sum() == pytest.approx(dist.expected_shortfall(0.999), rel=1e-9)
        assert by["es_share_99_9"].sum() == pytest.approx(1.0, rel=1e-9)
        assert dist.contributions_by("tier")["ead"].sum() == pytest.approx(book["ead"].sum())


def test_homogeneous_book_has_equal_contributions():
    n, params = 40, SimulationParams(n_scenarios=40_000, correlation=0.2, confidence=(0.99,))
    dist = simulate_losses(_homogeneous(n, 0.02), params)
    c = dist.es_contributions(0.99).to_numpy()
    k = int(np.ceil(0.01 * params.n_scenarios))
    # Each contribution is (defaults of that name in the k tail scenarios) / k: binomial-like with the mean
    # tail default rate p; 4.5 sd for the largest of 40 deviations.
    p = c.mean()
    assert abs(c.sum() - dist.expected_shortfall(0.99)) < 1e-9 * c.sum()
    assert np.max(np.abs(c - p)) < 4.5 * np.sqrt(p * (1 - p) / k)
    assert c.std() > 0  # simulated, not averaged


# --------------------------------------------------------------------------- exact two-obligor book


@pytest.mark.parametrize("factor_corr", [None, 0.5])
def test_two_obligors_match_the_bivariate_normal(factor_corr):
    # Losses 0.5 (obligor a) and 0.8 (obligor b); both default with P12 = Phi2(G(pa), G(pb); r) where the asset
    # correlation r = sqrt(rho_a rho_b) x (factor correlation between their industries).
    pa, pb, rho = 0.03, 0.05, 0.25
    book = pd.DataFrame({"obligor_id": ["a", "b"], "industry": ["ind0", "ind0" if factor_corr is None else "ind1"],
                         "ead": [1.0, 2.0], "lgd": [0.5, 0.4], "pd": [pa, pb], "rho": [rho, rho]})
    fc = None if factor_corr is None else _factor_corr(2, factor_corr)
    r = rho * (1.0 if factor_corr is None else factor_corr)
    p12 = stats.multivariate_normal([0, 0], [[1, r], [r, 1]]).cdf([stats.norm.ppf(pa), stats.norm.ppf(pb)])
    n = 200_000
    dist = simulate_losses(book, SimulationParams(n_scenarios=n, histogram_sample=n), factor_correlation=fc)
    sample = np.round(dist.sample, 12)
    both = np.mean(sample == 1.3)
    assert abs(both - p12) < 4 * np.sqrt(p12 * (1 - p12) / n)
    assert abs(np.mean(sample == 0.5) - (pa - p12)) < 4 * np.sqrt(pa / n)
    assert abs(np.mean(sample == 0.8) - (pb - p12)) < 4 * np.sqrt(pb / n)
    assert dist.expected_loss == pytest.approx(0.5 * pa + 0.8 * pb, abs=4 * dist.expected_loss_standard_error)
    # 99 %: P(L = 1.3) = p12 < 1 % < pb, so VaR = 0.8 and the tail is all "both" scenarios plus b-only ones.
    assert p12 < 0.01 < pb
    k = n // 100
    assert dist.var(0.99) == pytest.approx(0.8)
    es_exact = (p12 * 1.3 + (0.01 - p12) * 0.8) / 0.01
    se = 0.5 * np.sqrt(n * p12 * (1 - p12)) / k
    assert abs(dist.expected_shortfall(0.99) - es_exact) < 4 * se
    assert dist.es_standard_error(0.99) == pytest.approx(se, rel=0.25)
    c99 = dist.es_contributions(0.99)
    assert c99["b"] == pytest.approx(0.8, rel=1e-12)  # b defaults in every tail scenario
    assert abs(c99["a"] - 0.5 * p12 / 0.01) < 4 * se
    # 99.9 %: the tail (200 scenarios) lies inside the "both" atom (p12 n = 510 or 1,040 scenarios): exact.
    assert p12 * n > 2 * n / 1000
    assert dist.var(0.999) == pytest.approx(1.3) and dist.expected_shortfall(0.999) == pytest.approx(1.3)
    assert dist.es_contributions(0.999).to_dict() == pytest.approx({"a": 0.5, "b": 0.8})


# --------------------------------------------------------------------------- the Vasicek limit


def test_one_factor_var_is_vasicek_plus_granularity_adjustment():
    # 100 names with the same PD 1 %, rho 0.2 and LGD 1 and EADs spread evenly over 0.5-1.5 (so that the loss
    # is not stuck on the lattice of default counts): the 99.9 % loss is EAD x (Vasicek + GA) = 14.6 + 1.75
    # within Monte Carlo error, and the Vasicek term alone is many standard errors short of it.
    n, pd_, rho = 100, 0.01, 0.2
    ead = np.linspace(0.5, 1.5, n)
    book = pd.DataFrame({"obligor_id": [f"h{i}" for i in range(n)], "ead": ead, "lgd": 1.0, "pd": pd_})
    dist = simulate_losses(book, SimulationParams(n_scenarios=1_000_000, correlation=rho, histogram_sample=0,
                                                  block_size=250_000))
    asrf = ead.sum() * vasicek_quantile(pd_, rho, 0.999)
    ga = ead.sum() * granularity_adjustment_one_factor(ead, pd_, 1.0, rho, 0.999)
    se = dist.var_standard_error(0.999)
    assert 0 < se < 0.2
    assert abs(dist.var(0.999) - (asrf + ga)) < 4 * se
    assert dist.var(0.999) - asrf > 8 * se
    assert dist.expected_loss == pytest.approx(pd_ * ead.sum(), abs=4 * dist.expected_loss_standard_error)


def test_systematic_loss_of_a_homogeneous_book_is_vasicek():
    n, pd_, rho, N = 50, 0.02, 0.15, 200_000
    params = SimulationParams(n_scenarios=N, correlation=rho, histogram_sample=0)
    g = simulate_systematic_losses(_homogeneous(n, pd_), params)
    for q in (0.99, 0.999):
        assert abs(g.var(q) - n * vasicek_quantile(pd_, rho, q)) < 4 * g.var_standard_error(q)
    # The order-statistic SE against the asymptotic sqrt(q (1 - q) / N) / f(VaR), f the loss density.
    q = 0.999
    z = stats.norm.ppf(1 - q)
    a, b = stats.norm.ppf(pd_) / np.sqrt(1 - rho), np.sqrt(rho / (1 - rho))
    density = stats.norm.pdf(z) / (n * b * stats.norm.pdf(a - b * z))
    assert g.var_standard_error(q) == pytest.approx(np.sqrt(q * (1 - q) / N) / density, rel=0.35)
    assert g.expected_loss == pytest.approx(n * pd_, abs=4 * g.expected_loss_standard_error)


def test_granularity_effect_uses_the_same_factor_draws():
    book, fc = _book(200), _factor_corr()
    params = SimulationParams(n_scenarios=20_000)
    full = simulate_losses(book, params, factor_correlation=fc)
    gran = simulate_systematic_losses(book, params, factor_correlation=fc)
    effect = granularity_effect(full, gran)
    assert (effect["var_name_concentration"] > 0).all()  # 200 names: idiosyncratic risk adds to VaR
    assert effect.loc[0.999, "var_granular"] == pytest.approx(gran.var(0.999))
    # Common random numbers: scenario s has the same factors in both, and the granular loss is E[full | factors],
    # so corr(full, granular)^2 = Var(granular) / Var(full); with another seed they are independent.
    sampled = params.model_copy(update={"histogram_sample": 20_000})
    full_s = simulate_losses(book, sampled, factor_correlation=fc)
    gran_s = simulate_systematic_losses(book, sampled, factor_correlation=fc)
    corr = np.corrcoef(full_s.sample, gran_s.sample)[0, 1]
    assert corr == pytest.approx(gran_s.sample.std() / full_s.sample.std(), abs=0.03)
    assert corr > 0.5
    other = simulate_systematic_losses(book, sampled, seed=1, factor_correlation=fc)
    assert abs(np.corrcoef(full_s.sample, other.sample)[0, 1]) < 4 / np.sqrt(20_000)
    assert gran.expected_loss == pytest.approx(gran.analytic_expected_loss, rel=0.05)


# --------------------------------------------------------------------------- reproducibility


def test_same_seed_same_losses_whatever_the_blocks_and_threads():
    book, fc = _book(150), _factor_corr()
    base = simulate_losses(book, SimulationParams(n_scenarios=12_000, block_size=12_000), factor_correlation=fc)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        single = simulate_losses(book, SimulationParams(n_scenarios=12_000, block_size=1_000), factor_correlation=fc)
    finally:
        numba.set_num_threads(threads)
    odd = simulate_losses(book, SimulationParams(n_scenarios=12_000, block_size=777, random_lgd=False),
                          factor_correlation=fc)
    for other in (single, odd):
        np.testing.assert_array_equal(other.tail_losses, base.tail_losses)
        np.testing.assert_array_equal(other.tail_scenarios, base.tail_scenarios)
        np.testing.assert_array_equal(other.sample, base.sample)
        pd.testing.assert_frame_equal(other.contributions, base.contributions)
        assert other.expected_loss == pytest.approx(base.expected_loss, rel=1e-12)
        assert other.unexpected_loss == pytest.approx(base.unexpected_loss, rel=1e-9)
    # Row order of the portfolio does not matter either.
    shuffled = simulate_losses(book.sample(frac=1.0, random_state=3), SimulationParams(n_scenarios=12_000),
                               factor_correlation=fc)
    np.testing.assert_array_equal(shuffled.tail_losses, base.tail_losses)
    # ... but the seed does; and n_scenarios / seed arguments override the params.
    other_seed = simulate_losses(book, SimulationParams(n_scenarios=12_000, seed=1), factor_correlation=fc)
    assert not np.array_equal(other_seed.tail_losses, base.tail_losses)
    same = simulate_losses(book, SimulationParams(n_scenarios=500, seed=1), n_scenarios=12_000, seed=0,
                           factor_correlation=fc)
    np.testing.assert_array_equal(same.tail_losses, base.tail_losses)
    assert (same.n_scenarios, same.seed) == (12_000, 0)


def test_more_scenarios_extend_the_same_stream():
    # Scenario s is the same whatever N: the first 5,000 losses of a 20,000 run are those of a 5,000 run.
    book = _book(100)
    short = simulate_losses(book, SimulationParams(n_scenarios=5_000, histogram_sample=5_000))
    long = simulate_losses(book, SimulationParams(n_scenarios=20_000, histogram_sample=5_000, block_size=3_000))
    np.testing.assert_array_equal(short.sample, long.sample)


# --------------------------------------------------------------------------- against the numpy reference


@pytest.mark.parametrize("random_lgd", [False, True])
def test_numba_agrees_with_the_numpy_reference(random_lgd):
    book, fc = _book(250), _factor_corr()
    params = SimulationParams(n_scenarios=40_000, random_lgd=random_lgd)
    fast = simulate_losses(book, params, factor_correlation=fc)
    ref = simulate_losses_numpy(book, params, factor_correlation=fc, seed=7)

    def close(a, b, se_a, se_b):
        assert abs(a - b) < 4 * np.hypot(se_a, se_b), (a, b, se_a, se_b)

    close(fast.expected_loss, ref.expected_loss, fast.expected_loss_standard_error, ref.expected_loss_standard_error)
    for q in (0.99, 0.999):
        close(fast.var(q), ref.var(q), fast.var_standard_error(q), ref.var_standard_error(q))
        close(fast.expected_shortfall(q), ref.expected_shortfall(q), fast.es_standard_error(q),
              ref.es_standard_error(q))
    assert fast.unexpected_loss == pytest.approx(ref.unexpected_loss, rel=0.05)
    assert fast.expected_loss == pytest.approx(fast.analytic_expected_loss, abs=4 * fast.expected_loss_standard_error)
    by_fast = fast.contributions_by("industry")["es_share_99"]
    by_ref = ref.contributions_by("industry")["es_share_99"]
    assert (by_fast - by_ref.reindex(by_fast.index)).abs().max() < 0.06


def test_random_lgd_is_beta_with_the_given_mean_and_precision():
    # One obligor defaulting half the time: losses given default are Beta(0.4 x 3, 0.6 x 3) x EAD.
    book = pd.DataFrame({"obligor_id": ["x"], "ead": [10.0], "lgd": [0.4], "pd": [0.5]})
    n = 40_000
    dist = simulate_losses(book, SimulationParams(n_scenarios=n, random_lgd=True, lgd_precision=3.0,
                                                  histogram_sample=n, correlation=0.1))
    given = dist.sample[dist.sample > 0] / 10.0
    assert len(given) == pytest.approx(n / 2, abs=4 * np.sqrt(n / 4))
    assert stats.kstest(given, stats.beta(1.2, 1.8).cdf).pvalue > 1e-4
    assert given.var() == pytest.approx(0.4 * 0.6 / 4, rel=0.05)


# --------------------------------------------------------------------------- memory and streaming


def test_memory_does_not_grow_with_the_number_of_scenarios():
    book = _book(200)
    assert tail_buffer_size(1_000_000, (0.99, 0.999)) == 10_000 + 299 + 1
    peaks, dists = [], []
    for n in (20_000, 200_000):
        params = SimulationParams(n_scenarios=n, block_size=5_000, histogram_sample=1_000)
        simulate_losses(book, params.model_copy(update={"n_scenarios": 1_000}))  # compiled, caches warm
        tracemalloc.start()
        dists.append(simulate_losses(book, params))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    for d in dists:
        assert len(d.tail_losses) == tail_buffer_size(d.n_scenarios, d.confidence) < d.n_scenarios // 50
        assert len(d.sample) == 1_000
    # Ten times the scenarios: the peak grows by the tail buffer only (~1 % of N x 16 bytes), far below
    # what obligors x scenarios (200 x 200,000 x 8 bytes = 320 MB) or even all losses (1.6 MB) would take.
    assert peaks[1] < 1.5 * peaks[0]
    assert peaks[1] < 200_000 * 8


def test_progress_reports_every_block():
    seen = []
    simulate_losses(_book(50), SimulationParams(n_scenarios=1_000, block_size=300),
                    progress=lambda done, total: seen.append((done, total)))
    assert seen == [(300, 1_000), (600, 1_000), (900, 1_000), (1_000, 1_000)]


# --------------------------------------------------------------------------- factor correlation


def test_industry_factor_correlation_from_index_changes():
    rng = np.random.default_rng(5)
    months = pd.date_range("2010-01-31", periods=180, freq="ME")
    shocks = rng.multivariate_normal([0, 0, 0], [[1, 0.7, 0.0], [0.7, 1, 0.0], [0.0, 0.0, 1]], size=180) * 0.02
    macro = pd.DataFrame({"month_end": months, "gdp_growth": 1.0})
    for j, name in enumerate(["steel", "autos", "pharma"]):
        macro[f"idx_{name}"] = 100 * np.exp(np.cumsum(shocks[:, j]))
    corr = industry_factor_correlation(macro.iloc[::-1], ["steel", "autos", "pharma"])
    assert list(corr.index) == ["steel", "autos", "pharma"] == list(corr.columns)
    lc = np.log(macro[["idx_steel", "idx_autos", "idx_pharma"]].to_numpy())
    np.testing.assert_allclose(corr.to_numpy(), np.corrcoef(lc[12:] - lc[:-12], rowvar=False), atol=1e-12)
    assert corr.loc["steel", "autos"] > 0.4 and abs(corr.loc["steel", "pharma"]) < corr.loc["steel", "autos"]
    with pytest.raises(KeyError, match="idx_banks"):
        industry_factor_correlation(macro, ["steel", "banks"])


def test_industry_factor_correlation_is_repaired_to_positive_definite():
    # 5 industries from 16 months (4 twelve-month changes): the sample correlation is singular.
    rng = np.random.default_rng(1)
    names = [f"i{j}" for j in range(5)]
    macro = pd.DataFrame({"month_end": pd.date_range("2020-01-31", periods=16, freq="ME")})
    for nm in names:
        macro[f"idx_{nm}"] = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, 16)))
    corr = industry_factor_correlation(macro, names, SimulationParams(factor_min_eigenvalue=1e-3)).to_numpy()
    np.testing.assert_allclose(np.diag(corr), 1.0)
    np.testing.assert_allclose(corr, corr.T)
    assert np.linalg.eigvalsh(corr).min() > 1e-4
    np.linalg.cholesky(corr)


# --------------------------------------------------------------------------- results and errors


def test_table_metrics_and_plots():
    dist = simulate_losses(_book(120), SimulationParams(n_scenarios=5_000), factor_correlation=_factor_corr())
    m = dist.metrics()
    assert set(m) == {mn.PORTFOLIO_EXPECTED_LOSS, mn.PORTFOLIO_VAR_999, mn.PORTFOLIO_ES_999,
                      mn.PORTFOLIO_ECONOMIC_CAPITAL, mn.PORTFOLIO_VAR_999_SE, mn.PORTFOLIO_MC_SCENARIOS}
    assert m[mn.PORTFOLIO_ECONOMIC_CAPITAL] == pytest.approx(m[mn.PORTFOLIO_VAR_999] - m[mn.PORTFOLIO_EXPECTED_LOSS])
    assert m[mn.PORTFOLIO_MC_SCENARIOS] == 5_000
    low, high = dist.var_interval(0.999)
    assert low <= dist.var(0.999) <= high
    table = dist.table()
    assert "VaR 99.9%" in table.index and table.loc["scenarios", "value (EUR m)"] == "5,000"
    assert dist.frame.loc["ES 99.0%", "value"] == pytest.approx(dist.expected_shortfall(0.99))
    top = dist.top_contributors(5)
    assert len(top) == 5 and top["es_contribution_99_9"].is_monotonic_decreasing
    shown = dist.top_contributors_table(5)
    assert list(shown.index) == list(top["obligor_id"]) and shown.iloc[0]["share of ES 99.9\u00a0%"].endswith("%")
    by_tier = dist.contributions_table("tier")
    assert list(by_tier.index) == list(dist.contributions_by("tier").index)
    assert by_tier["obligors"].str.replace(",", "").astype(int).sum() == 120
    for fig in (plot_loss_distribution(dist), plot_contributions(dist, "industry"), plot_contributions(dist, "tier"),
                plot_contributions(dist, "obligor_id", top=10)):
        assert isinstance(fig, Figure) and fig.axes
    with pytest.raises(ValueError, match="largest losses"):
        dist.var(0.9)
    with pytest.raises(KeyError, match="0.995"):
        dist.es_contributions(0.995)


@pytest.mark.parametrize(("change", "error", "match"), [
    (lambda b: b.drop(columns="pd"), KeyError, "pd"),
    (lambda b: b.assign(pd=np.where(b.index == 3, 1.0, b["pd"])), ValueError, "o0003"),
    (lambda b: b.assign(lgd=np.where(b.index == 4, 1.2, b["lgd"])), ValueError, "lgd.*o0004"),
    (lambda b: b.assign(obligor_id=["o0000"] * len(b)), ValueError, "more than one row"),
    (lambda b: b.assign(industry="banks"), KeyError, "banks"),
    (lambda b: b.assign(rho=1.0), ValueError, "rho"),
])
def test_bad_portfolios_are_named(change, error, match):
    with pytest.raises(error, match=match):
        simulate_losses(change(_book(10)), SimulationParams(n_scenarios=100), factor_correlation=_factor_corr())


def test_params_validate_levels_and_correlation():
    with pytest.raises(ValueError, match="increasing"):
        SimulationParams(confidence=(0.999, 0.99))
    with pytest.raises(ValueError, match="correlation"):
        SimulationParams(correlation=1.5)
    assert SimulationParams(correlation=0.12).correlation == 0.12
