"""IRB capital against the Basel Committee's published risk weights and the formula's own rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.pricing.capital import (
    BASEL3_PD_FLOOR,
    asset_correlation,
    irb_capital,
    irb_risk_weight,
    maturity_adjustment,
    risk_weight,
)

# BCBS, "International Convergence of Capital Measurement and Capital Standards - A Revised
# Framework, Comprehensive Version" (June 2006), Annex 5 "Illustrative IRB risk weights":
# corporate exposures, LGD 45 %, M = 2.5 years, risk weights in percent for turnover EUR 50m
# (no firm-size adjustment) and for SMEs with turnover EUR 5m (column two).
BASEL_ANNEX5 = [
    # PD,     corporate, SME (S = 5)
    (0.0003, 14.44, 11.30),
    (0.0005, 19.65, 15.39),
    (0.0010, 29.65, 23.30),
    (0.0025, 49.47, 39.01),
    (0.0040, 62.72, 49.49),
    (0.0050, 69.61, 54.91),
    (0.0075, 82.78, 65.14),
    (0.0100, 92.32, 72.40),
    (0.0130, 100.95, 78.77),
    (0.0150, 105.59, 82.11),
    (0.0200, 114.86, 88.55),
    (0.0250, 122.16, 93.43),
    (0.0300, 128.44, 97.58),
    (0.0500, 149.86, 112.26),
    (0.1000, 193.09, 146.51),
    (0.2000, 238.23, 188.42),
]
PDS = np.array([row[0] for row in BASEL_ANNEX5])


@pytest.mark.parametrize("pd_, corporate, sme", BASEL_ANNEX5)
def test_risk_weights_match_basel_annex_5(pd_, corporate, sme):
    assert float(irb_risk_weight(pd_, 0.45, 2.5)) * 100 == pytest.approx(corporate, abs=0.01)
    assert float(irb_risk_weight(pd_, 0.45, 2.5, 5.0)) * 100 == pytest.approx(sme, abs=0.01)


def test_annex_5_table_reproduced_by_one_vectorised_call():
    # Broadcasting: a column of PDs against a row of sales (EUR 50m = no adjustment, EUR 5m = SME).
    rw = irb_risk_weight(PDS[:, None], 0.45, 2.5, np.array([50.0, 5.0])) * 100
    expected = np.array([[c, s] for _, c, s in BASEL_ANNEX5])
    assert rw.shape == (len(PDS), 2)
    np.testing.assert_allclose(rw, expected, atol=0.01, rtol=0)


def test_capital_is_risk_weight_over_12_5_and_old_names_still_work():
    np.testing.assert_allclose(irb_capital(PDS, 0.45, 2.5) * 12.5, irb_risk_weight(PDS, 0.45, 2.5), rtol=1e-15)
    np.testing.assert_array_equal(risk_weight(PDS, 0.45, 2.5, sales_eur_m=5.0), irb_risk_weight(PDS, 0.45, 2.5, 5.0))
    np.testing.assert_array_equal(irb_capital(PDS, 0.45, 2.5, sales_eur_m=20.0), irb_capital(PDS, 0.45, 2.5, 20.0))
    with pytest.raises(ValueError, match="sales_eur_m"):
        irb_capital(0.01, 0.45, 2.5, 5.0, sales_eur_m=5.0)


def test_capital_matches_the_paragraph_272_formula_written_out_with_math():
    pd_, lgd, m, s = 0.0137, 0.38, 3.7, 22.0
    w = (1 - math.exp(-50 * pd_)) / (1 - math.exp(-50))
    r = 0.12 * w + 0.24 * (1 - w) - 0.04 * (1 - (s - 5) / 45)
    b = (0.11852 - 0.05478 * math.log(pd_)) ** 2
    nd = __import__("statistics").NormalDist()
    k = (lgd * nd.cdf((nd.inv_cdf(pd_) + math.sqrt(r) * nd.inv_cdf(0.999)) / math.sqrt(1 - r)) - pd_ * lgd) \
        * (1 + (m - 2.5) * b) / (1 - 1.5 * b)
    assert float(irb_capital(pd_, lgd, m, s)) == pytest.approx(k, rel=1e-12)


def test_capital_rises_with_pd_lgd_and_maturity():
    pds = np.array([0.001, 0.01, 0.05])
    assert np.all(np.diff(irb_capital(pds, 0.45)) > 0)
    assert irb_capital(0.01, 0.75) > irb_capital(0.01, 0.45)
    assert irb_capital(0.01, 0.45, 5.0) > irb_capital(0.01, 0.45, 1.0)


def test_capital_is_linear_in_lgd():
    np.testing.assert_allclose(irb_capital(PDS, 0.75), irb_capital(PDS, 0.45) * 0.75 / 0.45, rtol=1e-13)


@pytest.mark.parametrize("m", [1.0, 5.0, 4.0])
def test_maturity_scales_capital_by_one_plus_m_minus_2_5_times_b(m):
    # K(M) / K(2.5) = (1 + (M - 2.5) b) exactly, since both share the factor 1 / (1 - 1.5 b).
    ratio = irb_capital(PDS, 0.45, m) / irb_capital(PDS, 0.45, 2.5)
    np.testing.assert_allclose(ratio, 1 + (m - 2.5) * maturity_adjustment(PDS), rtol=1e-13)


def test_maturity_one_and_five_years_at_pd_one_percent_have_the_hand_computed_risk_weights():
    # b(1 %) = (0.11852 + 0.05478 ln 100)^2 = 0.370791^2 = 0.137486; from the Annex 5 value at M = 2.5
    # (92.3168 % unrounded): RW(M=1) = 92.3168 x (1 - 1.5 b) = 73.28 %, RW(M=5) = 92.3168 x (1 + 2.5 b) = 124.05 %.
    assert float(maturity_adjustment(0.01)) == pytest.approx(0.137486, abs=1e-6)
    assert float(irb_risk_weight(0.01, 0.45, 1.0)) * 100 == pytest.approx(73.278, abs=0.001)
    assert float(irb_risk_weight(0.01, 0.45, 5.0)) * 100 == pytest.approx(124.047, abs=0.001)


def test_maturity_outside_one_to_five_years_is_clipped():
    assert irb_capital(0.01, 0.45, 10.0) == irb_capital(0.01, 0.45, 5.0)
    assert irb_capital(0.01, 0.45, 0.25) == irb_capital(0.01, 0.45, 1.0)
    assert irb_capital(0.01, 0.45, 0.0) == irb_capital(0.01, 0.45, 1.0)


def test_pd_below_the_floor_is_floored():
    assert irb_capital(0.00001, 0.45) == irb_capital(0.0003, 0.45)
    assert irb_capital(0.0, 0.45) == irb_capital(0.0003, 0.45)
    assert irb_capital(0.00001, 0.45, pd_floor=0.0005) == irb_capital(0.0005, 0.45)


def test_basel_iii_floor_gives_a_higher_risk_weight_at_pd_0_03_percent():
    basel2 = float(irb_risk_weight(0.0003, 0.45, 2.5)) * 100
    basel3 = float(irb_risk_weight(0.0003, 0.45, 2.5, pd_floor=BASEL3_PD_FLOOR)) * 100
    assert basel2 == pytest.approx(14.44, abs=0.01)
    assert basel3 == pytest.approx(19.65, abs=0.01)  # the Annex 5 value at PD 0.05 %
    # Above both floors the choice of floor changes nothing.
    assert irb_capital(0.01, 0.45, pd_floor=BASEL3_PD_FLOOR) == irb_capital(0.01, 0.45)


def test_sme_adjustment_floors_sales_at_5_and_stops_at_50():
    base = asset_correlation(PDS)
    np.testing.assert_allclose(asset_correlation(PDS, 1.0), base - 0.04, rtol=1e-14)
    np.testing.assert_allclose(asset_correlation(PDS, 5.0), base - 0.04, rtol=1e-14)
    np.testing.assert_allclose(asset_correlation(PDS, 27.5), base - 0.02, rtol=1e-14)
    np.testing.assert_array_equal(asset_correlation(PDS, 50.0), base)
    np.testing.assert_array_equal(asset_correlation(PDS, 400.0), base)
    assert irb_capital(0.01, 0.45, 2.5, 2.0) == irb_capital(0.01, 0.45, 2.5, 5.0)
    assert irb_capital(0.01, 0.45, 2.5, 80.0) == irb_capital(0.01, 0.45, 2.5)


def test_missing_sales_in_an_array_mean_no_sme_adjustment():
    k = irb_capital(0.01, 0.45, 2.5, np.array([np.nan, 5.0]))
    assert k[0] == irb_capital(0.01, 0.45, 2.5)
    assert k[1] == irb_capital(0.01, 0.45, 2.5, 5.0)


def test_correlation_runs_from_0_24_at_low_pd_to_0_12_at_high_pd():
    assert float(asset_correlation(1e-9)) == pytest.approx(0.24, abs=1e-7)
    assert float(asset_correlation(0.5)) == pytest.approx(0.12, abs=1e-10)


def test_defaulted_exposures_hold_lgd_minus_best_estimate_el():
    k = irb_capital(np.array([1.0, 1.0, 0.01]), np.array([0.45, 0.30, 0.45]), 2.5, el_best_estimate=0.35)
    assert k[0] == pytest.approx(0.10, abs=1e-15)
    assert k[1] == 0.0  # max(0, 0.30 - 0.35)
    assert k[2] == irb_capital(0.01, 0.45, 2.5)
    assert irb_risk_weight(1.0, 0.45, el_best_estimate=np.array([0.35, 0.40]))[1] == pytest.approx(12.5 * 0.05)


def test_defaulted_exposure_without_best_estimate_el_is_rejected():
    with pytest.raises(ValueError, match="el_best_estimate"):
        irb_capital(np.array([0.01, 1.0]), 0.45)


def test_broadcasting_gives_the_joint_shape():
    k = irb_capital(PDS[:, None, None], np.array([0.25, 0.45])[None, :, None], np.array([1.0, 2.5, 5.0]))
    assert k.shape == (len(PDS), 2, 3)
    assert k[3, 1, 1] == irb_capital(PDS[3], 0.45, 2.5)


def test_nan_inputs_give_nan_without_raising():
    k = irb_capital(np.array([np.nan, 0.01]), np.array([0.45, np.nan]))
    assert np.isnan(k).all()


@pytest.mark.parametrize("kwargs, name", [
    (dict(pd=0.01, lgd=1.5), "lgd"),
    (dict(pd=0.01, lgd=-0.1), "lgd"),
    (dict(pd=1.2, lgd=0.45), "pd"),
    (dict(pd=-0.01, lgd=0.45), "pd"),
    (dict(pd=0.01, lgd=0.45, maturity=-1.0), "maturity"),
    (dict(pd=0.01, lgd=0.45, sales=-3.0), "sales"),
    (dict(pd=0.01, lgd=0.45, pd_floor=0.0), "pd_floor"),
    (dict(pd=1.0, lgd=0.45, el_best_estimate=1.2), "el_best_estimate"),
])
def test_out_of_range_inputs_are_rejected_naming_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        irb_capital(**kwargs)
