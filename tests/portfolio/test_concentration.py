"""Concentration: HHI and top names (the monitoring report's measure), and the Gordy-Lütkebohmert
granularity adjustment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.stats import norm

from workbench.portfolio.concentration import (
    ConcentrationParams,
    concentration,
    ga_delta,
    general_granularity_adjustment,
    granularity_adjustment,
    granularity_contributions,
    hhi,
    portfolio_concentration,
)
from workbench.reference.metrics import (
    PORTFOLIO_GRANULARITY_ADJUSTMENT,
    PORTFOLIO_HHI_INDUSTRY,
    PORTFOLIO_HHI_NAME,
    PORTFOLIO_TOP20_SHARE,
)

# --------------------------------------------------------------------------- HHI and top names


def test_hhi_by_hand():
    assert hhi([50.0, 30.0, 20.0]) == pytest.approx(0.38)
    assert hhi(np.full(8, 3.0)) == pytest.approx(1 / 8)
    assert hhi([5.0]) == 1.0
    assert np.isnan(hhi([])) and np.isnan(hhi([0.0, 0.0]))
    with pytest.raises(ValueError, match="non-negative"):
        hhi([1.0, -2.0])


def test_concentration_hhi_and_top_exposures_by_hand():
    # The same case as tests/accounts/test_groups.py: this function replaces accounts.groups.concentration.
    exposures = pd.DataFrame({"obligor_id": ["O1", "O2", "O3", "O4"], "ead": [50.0, 30.0, 20.0, 0.0]})
    c = concentration(exposures, top=2)
    assert c.hhi == pytest.approx(0.5 ** 2 + 0.3 ** 2 + 0.2 ** 2)
    assert c.effective_number == pytest.approx(1 / 0.38)
    assert c.n == 3
    assert list(c.top.index) == ["O1", "O2"]
    assert c.top["cumulative_share"].tolist() == pytest.approx([0.5, 0.8])
    assert c.top_share == pytest.approx(0.8)
    assert c.summary().loc["share of the top 2", "value"] == "80.00 %"
    assert len(c.table()) == 2 and list(c.table().columns) == ["exposure (EUR m)", "share", "cumulative share"]


def test_concentration_sums_per_key():
    groups = pd.DataFrame({"group": ["G1", "O3"], "exposure_value": [60.0, 60.0]})
    assert concentration(groups, key="group", column="exposure_value").hhi == pytest.approx(0.5)
    facilities = pd.DataFrame({"obligor_id": ["A", "A", "B"], "ead": [10.0, 30.0, 40.0]})
    assert concentration(facilities).hhi == pytest.approx(0.5)  # A's two facilities are one name


def test_concentration_of_an_empty_book_and_bad_input():
    empty = concentration(pd.DataFrame({"obligor_id": ["O1"], "ead": [0.0]}))
    assert empty.n == 0 and np.isnan(empty.hhi) and np.isnan(empty.effective_number)
    assert empty.summary().loc["names", "value"] == "0"
    with pytest.raises(KeyError, match="ead"):
        concentration(pd.DataFrame({"obligor_id": ["O1"]}))
    with pytest.raises(ValueError, match="top"):
        concentration(pd.DataFrame({"obligor_id": ["O1"], "ead": [1.0]}), top=0)


# --------------------------------------------------------------------------- granularity adjustment


def test_delta_is_the_published_4_83():
    # Gordy & Lütkebohmert (2013, IJCB 9(3)), section 3: xi = 0.25 and q = 99.9 % give delta = 4.83.
    assert ga_delta(0.999, 0.25) == pytest.approx(4.83, abs=0.005)
    assert ConcentrationParams().effective_delta() == pytest.approx(4.8336, abs=1e-4)
    assert ConcentrationParams(delta=5.0).effective_delta() == 5.0


def _k_unadjusted(pd_, lgd):
    """IRB capital per unit EAD without maturity adjustment (BCBS 2006 para 272, M = 1), written out here."""
    w = (1 - np.exp(-50 * pd_)) / (1 - np.exp(-50))
    r = 0.12 * w + 0.24 * (1 - w)
    return lgd * (norm.cdf((norm.ppf(pd_) + np.sqrt(r) * norm.ppf(0.999)) / np.sqrt(1 - r)) - pd_)


def test_simplified_ga_of_a_small_book_by_hand():
    ead = np.array([100.0, 50.0, 25.0])
    pd_ = np.array([0.01, 0.02, 0.005])
    lgd = np.array([0.45, 0.40, 0.60])
    s = ead / ead.sum()
    k = _k_unadjusted(pd_, lgd)
    r = lgd * pd_
    c = (lgd ** 2 + 0.25 * lgd * (1 - lgd)) / lgd
    delta = 4.833601258193017
    expected = np.sum(s ** 2 * c * (delta * (k + r) - k)) / (2 * np.sum(s * k))
    assert granularity_adjustment(ead, pd_, lgd) == pytest.approx(expected, rel=1e-9)
    contributions = granularity_contributions(ead, pd_, lgd)
    assert contributions.sum() == pytest.approx(expected, rel=1e-12)
    assert contributions.argmax() == 0  # the largest name adds most


def test_ga_scales_as_one_over_n_and_vanishes_for_a_granular_book():
    def ga(n):
        return granularity_adjustment(np.full(n, 1.0), 0.01, 0.45)

    assert ga(100) / ga(1000) == pytest.approx(10.0, rel=1e-9)
    assert ga(10_000) == pytest.approx(ga(1) / 10_000, rel=1e-9)
    assert ga(1_000_000) < 1e-4 * _k_unadjusted(0.01, 0.45)  # vs K of about 5 %
    # Homogeneous book: GA x n = C (delta (K + R) - K) / (2K).
    k, r = _k_unadjusted(0.01, 0.45), 0.45 * 0.01
    c = 0.45 + 0.25 * 0.55
    assert ga(1) == pytest.approx(c * (ConcentrationParams().effective_delta() * (k + r) - k) / (2 * k), rel=1e-9)


def test_full_form_equals_the_general_formula_and_exceeds_the_simplified_one():
    rng = np.random.default_rng(3)
    ead = rng.lognormal(3, 1.2, 40)
    pd_ = rng.uniform(0.001, 0.08, 40)
    lgd = rng.uniform(0.2, 0.75, 40)
    full = ConcentrationParams(form="full")
    # The closed form is the Gordy (2003) / Martin-Wilde formula evaluated on GL's CreditRisk+ model.
    assert granularity_adjustment(ead, pd_, lgd, params=full) == pytest.approx(
        general_granularity_adjustment(ead, pd_, lgd), rel=1e-6)
    # The simplified form drops s^2 VLGD/ELGD^2 (K + R)(delta (K + R) - 2K) > 0 (delta > 2).
    assert granularity_adjustment(ead, pd_, lgd) < granularity_adjustment(ead, pd_, lgd, params=full)


def test_maturity_and_sales_feed_the_irb_capital():
    ead, pd_, lgd = np.array([10.0, 5.0]), np.array([0.01, 0.03]), 0.45
    base = granularity_adjustment(ead, pd_, lgd)
    # A longer maturity raises every K_i by a factor: K* grows and GA = sum(.)/K* changes.
    assert granularity_adjustment(ead, pd_, lgd, maturity=5.0) != pytest.approx(base)
    assert granularity_adjustment(ead, pd_, lgd, maturity=1.0) == pytest.approx(base)  # M = 1: no adjustment
    # Smaller firms: lower correlation, lower K, and relatively more idiosyncratic risk.
    assert granularity_adjustment(ead, pd_, lgd, sales=np.array([5.0, 5.0])) > base


def test_ga_input_errors_name_the_argument():
    with pytest.raises(ValueError, match="pd"):
        granularity_adjustment([1.0, 2.0], [0.01, 1.0], 0.45)
    with pytest.raises(ValueError, match="lgd"):
        granularity_adjustment([1.0], [0.01], 0.0)
    with pytest.raises(ValueError, match="ead"):
        granularity_adjustment([-1.0, 2.0], 0.01, 0.45)
    with pytest.raises(ValueError, match="total EAD"):
        granularity_adjustment([0.0], 0.01, 0.45)


# --------------------------------------------------------------------------- the book


def _book() -> pd.DataFrame:
    return pd.DataFrame({
        "facility_id": ["F1", "F2", "F3", "F4", "F5"],
        "obligor_id": ["A", "A", "B", "C", "D"],
        "industry": ["retail", "retail", "utilities", "utilities", "retail"],
        "group": ["G", "G", "G", "C", "D"],
        "ead": [30.0, 10.0, 40.0, 15.0, 5.0],
        "pd": [0.01, 0.01, 0.02, 0.005, 1.0],
        "lgd": [0.45, 0.25, 0.45, 0.45, 0.45],
        "defaulted": [False, False, False, False, True],
    })


def test_portfolio_concentration_of_a_small_book():
    pc = portfolio_concentration(_book(), ConcentrationParams(top=2))
    assert pc.total_ead == 100.0 and pc.performing_ead == 95.0
    assert pc.names.hhi == pytest.approx(0.4 ** 2 + 0.4 ** 2 + 0.15 ** 2 + 0.05 ** 2)
    assert pc.groups.hhi == pytest.approx(0.8 ** 2 + 0.15 ** 2 + 0.05 ** 2)
    assert pc.industries.hhi == pytest.approx(0.45 ** 2 + 0.55 ** 2)
    assert pc.names.top_share == pytest.approx(0.8)
    # GA on the performing obligors, facilities aggregated: A = 40 at LGD (30 x 0.45 + 10 x 0.25) / 40 = 0.40.
    expected = granularity_adjustment([40.0, 40.0, 15.0], [0.01, 0.02, 0.005], [0.40, 0.45, 0.45])
    assert pc.granularity_adjustment == pytest.approx(expected, rel=1e-12)
    assert pc.granularity_adjustment_eur_m == pytest.approx(expected * 95.0)
    assert pc.metrics() == {PORTFOLIO_HHI_NAME: pytest.approx(pc.names.hhi),
                            PORTFOLIO_HHI_INDUSTRY: pytest.approx(pc.industries.hhi),
                            PORTFOLIO_TOP20_SHARE: pytest.approx(0.8),
                            PORTFOLIO_GRANULARITY_ADJUSTMENT: pytest.approx(expected)}
    table = pc.table()
    assert "granularity adjustment (EUR m)" in table.index and "HHI industry" in table.index
    assert pc.frame().loc["hhi_group", "value"] == pytest.approx(pc.groups.hhi)
    assert isinstance(pc.plot_concentration(), Figure)


def test_portfolio_concentration_needs_a_performing_book_and_its_columns():
    book = _book()
    with pytest.raises(KeyError, match="group"):
        portfolio_concentration(book.drop(columns="group"))
    with pytest.raises(ValueError, match="performing"):
        portfolio_concentration(book.assign(pd=1.0))
