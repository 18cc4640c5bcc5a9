"""Foundation-IRB LGD: seniority, collateral thresholds (BCBS June 2006 para 287-295), guarantees (para 300-303).

Expected values are computed by hand from the default ``LGDParams`` (params/calibrate_pricing.yaml):
senior 45 %, subordinated 75 %; financial 0 % (C* 0, C** 1.00), receivables 35 % (0, 1.25),
real estate 35 % (0.30, 1.40), other physical 40 % (0.30, 1.40).
"""

from __future__ import annotations

import numpy as np
import pytest

from workbench.pricing.capital import irb_capital
from workbench.pricing.economics import required_rate
from workbench.pricing.lgd import foundation_lgd, label_codes, secured_share, substitute_guarantee
from workbench.pricing.params import CollateralLGDParams, LGDParams


@pytest.mark.parametrize("ctype, value, seniority, expected", [
    ("none", 0.0, "senior", 0.45),
    ("none", 500.0, "senior", 0.45),                     # a value without a collateral type secures nothing
    ("none", 0.0, "subordinated", 0.75),
    ("real_estate", 20.0, "senior", 0.45),               # C = 0.20 < C* = 0.30: not recognised
    ("real_estate", 30.0, "senior", 0.45 - 0.3 / 1.4 * 0.10),  # C = C* exactly: recognised, s = 0.3 / 1.4
    ("real_estate", 70.0, "senior", 0.40),               # s = 0.70 / 1.40 = 0.5: 0.5 x 35 % + 0.5 x 45 %
    ("real_estate", 140.0, "senior", 0.35),              # C = C**: fully secured
    ("real_estate", 200.0, "senior", 0.35),              # above C**: still 35 %, no further benefit
    ("real_estate", 70.0, "subordinated", 0.55),         # 0.5 x 35 % + 0.5 x 75 %
    ("receivables", 50.0, "senior", 0.41),               # C* = 0: s = 0.5 / 1.25 = 0.4: 0.4 x 35 % + 0.6 x 45 %
    ("other_physical", 28.0, "senior", 0.45),            # C = 0.28 < C* = 0.30
    ("other_physical", 70.0, "senior", 0.425),           # s = 0.5: 0.5 x 40 % + 0.5 x 45 %
    ("financial", 60.0, "senior", 0.18),                 # E* = E - C = 40: 45 % x 40 / 100
    ("financial", 100.0, "senior", 0.0),
    ("financial", 150.0, "subordinated", 0.0),
])
def test_foundation_lgd_hand_computed_cases(ctype, value, seniority, expected):
    assert float(foundation_lgd(100.0, ctype, value, seniority)) == pytest.approx(expected, abs=1e-12)


def test_vectorised_call_equals_row_by_row_calls():
    ctype = np.array(["none", "real_estate", "financial", "receivables", "other_physical", "real_estate"])
    value = np.array([np.nan, 70.0, 30.0, 500.0, 10.0, 35.0])
    exposure = np.array([100.0, 100.0, 60.0, 200.0, 100.0, 50.0])
    seniority = np.array(["senior", "subordinated", "senior", "senior", "subordinated", "senior"])
    lgd = foundation_lgd(exposure, ctype, value, seniority)
    rows = [float(foundation_lgd(e, t, v, s)) for e, t, v, s in zip(exposure, ctype, value, seniority)]
    np.testing.assert_allclose(lgd, rows, rtol=0, atol=1e-15)
    np.testing.assert_allclose(lgd, [0.45, 0.55, 0.225, 0.35, 0.75, 0.40], atol=1e-12)


def test_scalar_collateral_type_broadcasts_over_exposures():
    lgd = foundation_lgd(np.array([100.0, 200.0, 50.0]), "real_estate", 70.0, "senior")
    np.testing.assert_allclose(lgd, [0.40, 0.45 - 0.35 / 1.4 * 0.10, 0.35])


def test_unknown_collateral_types_are_named_in_the_error():
    with pytest.raises(ValueError, match=r"collateral_type \['crypto', 'gold'\]"):
        foundation_lgd(np.ones(3), np.array(["gold", "none", "crypto"]), 1.0, "senior")


def test_unknown_seniority_is_rejected():
    with pytest.raises(ValueError, match="seniority.*'mezzanine'"):
        foundation_lgd(100.0, "none", 0.0, "mezzanine")


@pytest.mark.parametrize("kwargs, name", [
    (dict(exposure=0.0, collateral_type="none", collateral_value=0.0, seniority="senior"), "exposure"),
    (dict(exposure=100.0, collateral_type="financial", collateral_value=-5.0, seniority="senior"), "collateral_value"),
    (dict(exposure=100.0, collateral_type="financial", collateral_value=np.nan, seniority="senior"),
     "collateral_value"),
    (dict(exposure=100.0, collateral_type="none", collateral_value=0.0, seniority="senior", guarantee_value=-1.0),
     "guarantee_value"),
    (dict(exposure=100.0, collateral_type="none", collateral_value=0.0, seniority="senior", guarantee_value=10.0,
          guarantor_lgd=1.3), "guarantor_lgd"),
])
def test_invalid_amounts_are_rejected_naming_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        foundation_lgd(**kwargs)


def test_custom_params_add_a_collateral_type_and_change_unsecured_lgds():
    params = LGDParams(senior_unsecured=0.40, subordinated=0.80,
                       collateral={"ships": CollateralLGDParams(lgd=0.25, c_min=0.5, c_full=2.0)})
    assert float(foundation_lgd(100.0, "ships", 100.0, "senior", params=params)) == pytest.approx(0.325)  # s = 0.5
    assert float(foundation_lgd(100.0, "ships", 40.0, "subordinated", params=params)) == pytest.approx(0.80)
    with pytest.raises(ValueError, match="real_estate"):  # not in this params' table
        foundation_lgd(100.0, "real_estate", 100.0, "senior", params=params)


def test_guaranteed_share_takes_the_guarantor_lgd():
    # 40 % guaranteed by a guarantor with LGD 20 %: 0.4 x 20 % + 0.6 x 45 % = 35 %.
    assert float(foundation_lgd(100.0, "none", 0.0, "senior", guarantee_value=40.0, guarantor_lgd=0.2)) \
        == pytest.approx(0.35)
    # Collateral first on the whole exposure (LGD* 40 %), shared pro rata: 0.5 x 30 % + 0.5 x 40 %.
    assert float(foundation_lgd(100.0, "real_estate", 70.0, "senior", guarantee_value=50.0, guarantor_lgd=0.3)) \
        == pytest.approx(0.35)
    # A guarantee above the exposure covers all of it; by default the guarantor's LGD is senior unsecured.
    assert float(foundation_lgd(100.0, "none", 0.0, "subordinated", guarantee_value=150.0)) == pytest.approx(0.45)


def test_guarantees_are_ignored_when_substitution_is_switched_off():
    params = LGDParams(guarantee_substitution=False)
    assert float(foundation_lgd(100.0, "none", 0.0, "subordinated", params=params, guarantee_value=100.0,
                                guarantor_lgd=0.1)) == pytest.approx(0.75)


def test_label_codes_index_a_grid_axis_and_name_unknown_labels():
    axis = ["none", "financial", "real_estate"]
    codes = label_codes(np.array([["real_estate", "none"], ["financial", "real_estate"]]), axis)
    np.testing.assert_array_equal(codes, [[2, 0], [1, 2]])
    assert label_codes("financial", axis).shape == ()
    with pytest.raises(ValueError, match=r"unknown collateral_type \['ships'\]"):
        label_codes(["none", "ships"], axis, name="collateral_type")
    with pytest.raises(ValueError, match="strings"):
        label_codes(np.array([1, 2]), axis)


def test_secured_share_thresholds():
    np.testing.assert_allclose(secured_share([0.29, 0.30, 0.70, 1.40, 3.0], 0.30, 1.40),
                               [0.0, 0.3 / 1.4, 0.5, 1.0, 1.0])


def test_substitute_guarantee_splits_exposure_pd_and_lgd():
    split = substitute_guarantee(pd=0.02, lgd=0.45, exposure=100.0, guarantee_value=60.0, guarantor_pd=0.001,
                                 guarantor_lgd=0.45)
    assert float(split.share) == pytest.approx(0.6)
    assert float(split.borrower_ead) == pytest.approx(40.0)
    assert float(split.guarantor_ead) == pytest.approx(60.0)
    assert float(split.el_rate) == pytest.approx(0.4 * 0.02 * 0.45 + 0.6 * 0.001 * 0.45)  # 0.00387
    k = split.blend(irb_capital(split.borrower_pd, split.borrower_lgd, 2.5),
                    irb_capital(split.guarantor_pd, split.guarantor_lgd, 2.5))
    assert float(k) == pytest.approx(0.4 * float(irb_capital(0.02, 0.45)) + 0.6 * float(irb_capital(0.001, 0.45)))
    # Substitution by a better guarantor lowers capital below the borrower's own.
    assert float(k) < float(irb_capital(0.02, 0.45))


def test_blending_the_legs_required_rates_prices_the_guaranteed_facility():
    # required_rate is linear in EL% and K, so the blend of the legs' rates is the facility's hurdle rate.
    pd_, lgd, e, g, gpd, glgd, m = (np.array([0.01, 0.05]), 0.45, np.array([100.0, 80.0]), np.array([30.0, 80.0]),
                                    0.002, 0.40, 3.0)
    terms = dict(hurdle=0.12, cost_of_funds=0.009, opex=0.004, tax=0.25, capital_return=0.03)
    split = substitute_guarantee(pd_, lgd, e, g, gpd, glgd)
    rate = split.blend(required_rate(pd_, lgd, m, **terms), required_rate(gpd, glgd, m, **terms))
    k = split.blend(irb_capital(pd_, lgd, m), irb_capital(gpd, glgd, m))
    expected = 0.009 + split.el_rate + 0.004 + (0.12 - 0.03) * k / 0.75
    np.testing.assert_allclose(rate, expected, rtol=1e-13)
    assert rate[1] == pytest.approx(float(required_rate(gpd, glgd, m, **terms)))  # fully guaranteed


def test_substitute_guarantee_rejects_invalid_inputs():
    with pytest.raises(ValueError, match="guarantor_pd"):
        substitute_guarantee(0.01, 0.45, 100.0, 50.0, 1.5, 0.45)
    with pytest.raises(ValueError, match="exposure"):
        substitute_guarantee(0.01, 0.45, -100.0, 50.0, 0.001, 0.45)
