"""The one-factor Vasicek quantile against Hull's published table, and the granularity adjustment against the
exact loss distribution of homogeneous portfolios (binomial mixture over the factor, by quadrature)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from workbench.portfolio.vasicek import (
    conditional_pd,
    granularity_adjustment_one_factor,
    vasicek_loss_quantile,
    vasicek_quantile,
)

# Hull, "Risk Management and Financial Institutions", 2nd ed. (2009), Table 11.4 (p. 236): the one-year
# 99.9 % worst-case default rate (%) by PD (columns) and copula correlation rho (rows), to 0.1 %.
HULL_PDS = (0.001, 0.005, 0.01, 0.015, 0.02)
HULL_WCDR_999 = {
    0.0: (0.1, 0.5, 1.0, 1.5, 2.0),
    0.2: (2.8, 9.1, 14.6, 18.9, 22.6),
    0.4: (7.1, 21.1, 31.6, 39.0, 44.9),
    0.6: (13.5, 38.7, 54.2, 63.8, 70.5),
    0.8: (23.3, 66.3, 83.6, 90.8, 94.4),
}


def test_wcdr_of_pd_1pct_rho_20pct_is_14_55pct():
    # Hull (2009) Table 11.4 prints 14.6 %; N((G(0.01) + sqrt(0.2) G(0.999)) / sqrt(0.8)) = 0.14553 (also the
    # Basel IRB worst-case default rate of BCBS, "An Explanatory Note on the Basel II IRB Risk Weight
    # Functions", 2005, for these inputs).
    assert vasicek_quantile(0.01, 0.2, 0.999) == pytest.approx(0.1455, abs=1e-4)


@pytest.mark.parametrize("rho", sorted(HULL_WCDR_999))
def test_wcdr_matches_hull_table_11_4(rho):
    got = vasicek_quantile(np.array(HULL_PDS), rho, 0.999)
    np.testing.assert_allclose(100 * got, HULL_WCDR_999[rho], atol=0.05 + 1e-9)


def test_quantile_is_the_conditional_pd_at_the_factor_quantile_and_grows_with_q_and_rho():
    q = np.array([0.9, 0.99, 0.999])
    np.testing.assert_allclose(vasicek_quantile(0.02, 0.15, q), conditional_pd(0.02, 0.15, stats.norm.ppf(1 - q)))
    assert np.all(np.diff(vasicek_quantile(0.02, 0.15, q)) > 0)
    assert vasicek_quantile(0.02, 0.10, 0.999) < vasicek_quantile(0.02, 0.20, 0.999)
    assert isinstance(vasicek_quantile(0.02, 0.1, 0.999), float)
    # The conditional PD averages back to the PD over the factor.
    z = np.linspace(-9, 9, 20001)
    mean = np.trapezoid(conditional_pd(0.02, 0.3, z) * stats.norm.pdf(z), z)
    assert mean == pytest.approx(0.02, rel=1e-6)


def test_loss_quantile_is_ead_times_lgd_times_wcdr():
    ead, pd_, lgd = np.array([10.0, 20.0]), np.array([0.01, 0.03]), np.array([0.45, 0.25])
    want = np.sum(ead * lgd * vasicek_quantile(pd_, 0.2, 0.999))
    assert vasicek_loss_quantile(ead, pd_, lgd, 0.2, 0.999) == pytest.approx(want)


@pytest.mark.parametrize(("name", "kwargs"), [
    ("pd", {"pd": 1.5}), ("rho", {"rho": 1.0}), ("q", {"q": 1.0})])
def test_out_of_range_inputs_name_the_argument(name, kwargs):
    args = {"pd": 0.01, "rho": 0.2, "q": 0.999} | kwargs
    with pytest.raises(ValueError, match=name):
        vasicek_quantile(**args)


def _exact_quantile(n: int, pd_: float, rho: float, q: float) -> int:
    """Smallest d with P(D <= d) >= q for n iid-given-Z names: P(D <= d) = int Bin(d; n, p(z)) phi(z) dz."""
    z = np.linspace(-9, 9, 6001)
    w = stats.norm.pdf(z) * (z[1] - z[0])
    pz = conditional_pd(pd_, rho, z)
    for d in range(n + 1):
        if np.sum(stats.binom.cdf(d, n, pz) * w) >= q:
            return d
    return n


@pytest.mark.parametrize("n", [100, 400, 1000])
def test_granularity_adjustment_closes_the_gap_to_the_exact_quantile(n):
    # Homogeneous book, fixed LGD 1: the loss share is D / n on a lattice of step 1 / n. Vasicek + GA must be
    # within one step of the exact 99.9 % quantile, Vasicek alone must not be (for these sizes).
    pd_, rho, q = 0.01, 0.2, 0.999
    exact = _exact_quantile(n, pd_, rho, q) / n
    v = vasicek_quantile(pd_, rho, q)
    ga = granularity_adjustment_one_factor(np.ones(n), pd_, 1.0, rho, q)
    assert ga > 0
    assert abs(v + ga - exact) <= 1.0 / n
    assert abs(v - exact) > abs(v + ga - exact)


def test_granularity_adjustment_scales_with_the_herfindahl_index():
    # Homogeneous book: GA is proportional to 1/n (sum w_i^2 = 1/n), zero in the limit, independent of the
    # currency unit of EAD, and proportional to LGD.
    ga = [granularity_adjustment_one_factor(np.ones(n), 0.02, 0.45, 0.15, 0.999) for n in (50, 100, 200)]
    assert ga[0] == pytest.approx(2 * ga[1], rel=1e-12)
    assert ga[1] == pytest.approx(2 * ga[2], rel=1e-12)
    assert granularity_adjustment_one_factor(np.ones(10**6), 0.02, 0.45, 0.15) < 1e-5
    ead = np.array([1.0, 5.0, 2.0, 8.0])
    pd_ = np.array([0.01, 0.02, 0.005, 0.03])
    assert granularity_adjustment_one_factor(1000 * ead, pd_, 0.4, 0.2) == pytest.approx(
        granularity_adjustment_one_factor(ead, pd_, 0.4, 0.2), rel=1e-12)
    assert granularity_adjustment_one_factor(np.ones(100), 0.02, 0.9, 0.15) == pytest.approx(
        2 * granularity_adjustment_one_factor(np.ones(100), 0.02, 0.45, 0.15), rel=1e-12)
    # A concentrated book (one large name) needs more than an equal-weight one of the same size.
    assert granularity_adjustment_one_factor(np.r_[50.0, np.ones(99)], 0.02, 0.45, 0.15) > ga[1]
