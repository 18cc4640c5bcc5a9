"""Loan economics: funding curve, price breakdown, the RAROC hurdle identity."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.pricing.capital import irb_capital
from workbench.pricing.economics import (
    bps_to_rate,
    cost_of_funds,
    economics_kwargs,
    price_breakdown,
    raroc,
    rate_to_bps,
    required_rate,
    required_rate_from_params,
    required_spread_bps,
)
from workbench.pricing.params import CapitalParams, EconomicsParams, PricingParams

CURVE = {1: 60.0, 2: 75.0, 3: 90.0, 5: 115.0, 7: 135.0, 10: 160.0, 15: 185.0, 20: 200.0}
TERMS = dict(hurdle=0.12, cost_of_funds=0.0115, opex=0.0040, tax=0.25, capital_return=0.03)


def test_cost_of_funds_interpolates_linearly_and_is_flat_beyond_the_ends():
    got = cost_of_funds(np.array([0.25, 1.0, 1.5, 4.0, 6.0, 12.5, 20.0, 30.0]), CURVE)
    np.testing.assert_allclose(got, [60.0, 60.0, 67.5, 102.5, 125.0, 172.5, 200.0, 200.0])


def test_cost_of_funds_ignores_the_order_of_the_curve_and_takes_a_single_point():
    shuffled = dict(reversed(list(CURVE.items())))
    np.testing.assert_array_equal(cost_of_funds([2.5, 8.0], shuffled), cost_of_funds([2.5, 8.0], CURVE))
    np.testing.assert_array_equal(cost_of_funds([0.5, 9.0], {3: 80.0}), [80.0, 80.0])


def test_cost_of_funds_rejects_an_empty_curve_and_negative_tenors():
    with pytest.raises(ValueError, match="curve"):
        cost_of_funds(1.0, {})
    with pytest.raises(ValueError, match="tenor_years"):
        cost_of_funds([-1.0, 2.0], CURVE)


def test_bps_conversions_round_trip():
    assert float(bps_to_rate(115)) == pytest.approx(0.0115)
    assert float(rate_to_bps(0.0115)) == pytest.approx(115)


def test_required_rate_hand_computed():
    # PD 1 %, LGD 45 %, M 2.5: K = 92.3168 % / 12.5 = 0.0738534; EL% = 0.0045;
    # rate = 0.0115 + 0.0045 + 0.0040 + 0.09 x 0.0738534 / 0.75 = 0.0200 + 0.0088624 = 0.0288624.
    k = float(irb_capital(0.01, 0.45, 2.5))
    assert k == pytest.approx(0.0738534, abs=1e-7)
    assert float(required_rate(0.01, 0.45, 2.5, **TERMS)) == pytest.approx(0.0288624, abs=1e-7)
    assert float(required_spread_bps(0.01, 0.45, 2.5, **TERMS)) == pytest.approx(288.624 - 115, abs=1e-3)


def _grid():
    """A broadcast grid of PDs x LGDs x maturities x sales (NaN = large corporate)."""
    pds = np.array([0.0001, 0.0003, 0.0007, 0.002, 0.006, 0.015, 0.04, 0.1, 0.25, 0.6])[:, None, None, None]
    lgds = np.array([0.05, 0.18, 0.35, 0.45, 0.75, 1.0])[None, :, None, None]
    mats = np.array([0.5, 1.0, 2.5, 4.0, 7.0])[None, None, :, None]
    sales = np.array([np.nan, 1.0, 5.0, 20.0, 49.0, 50.0, 300.0])[None, None, None, :]
    return pds, lgds, mats, sales


@pytest.mark.parametrize("pd_floor", [0.0003, 0.0005])
def test_raroc_at_the_required_rate_equals_the_hurdle_on_a_grid(pd_floor):
    pds, lgds, mats, sales = _grid()
    cof = bps_to_rate(cost_of_funds(mats, CURVE))  # cost of funds varying with the tenor
    hurdle = np.array([0.08, 0.12, 0.20])[:, None, None, None, None]
    args = dict(pd=pds, lgd=lgds, maturity=mats, hurdle=hurdle, cost_of_funds=cof, opex=0.004, tax=0.25,
                capital_return=0.03, sales=sales, pd_floor=pd_floor)
    rate = required_rate(**args)
    assert rate.shape == (3, 10, 6, 5, 7)
    got = raroc(rate, **args)
    np.testing.assert_allclose(got, np.broadcast_to(hurdle, got.shape), rtol=0, atol=1e-9)
    # ... and 1 bp more or less moves RAROC off the hurdle in the right direction.
    assert np.all(raroc(rate + 1e-4, **args) > hurdle)
    assert np.all(raroc(rate - 1e-4, **args) < hurdle)


def test_raroc_matches_the_definition_written_out():
    pd_, lgd, m, rate = 0.02, 0.40, 3.0, 0.035
    k = float(irb_capital(pd_, lgd, m))
    expected = ((rate - 0.0115 - 0.004 - pd_ * lgd) * 0.75 + 0.03 * k) / k
    assert float(raroc(rate, pd_, lgd, m, **TERMS)) == pytest.approx(expected, rel=1e-13)


def test_raroc_ignores_the_hurdle_argument():
    a = raroc(0.03, 0.01, 0.45, 2.5, **TERMS)
    b = raroc(0.03, 0.01, 0.45, 2.5, **{**TERMS, "hurdle": 0.5})
    assert a == b


def test_zero_capital_gives_nan_raroc_and_a_rate_without_capital_charge():
    # LGD 0 (fully cash-collateralised): no capital, RAROC undefined.
    assert np.isnan(raroc(0.02, 0.01, 0.0, 2.5, **TERMS))
    assert float(required_rate(0.01, 0.0, 2.5, **TERMS)) == pytest.approx(0.0115 + 0.0040)


def test_el_uses_the_floored_pd():
    floor_rate = required_rate(0.0003, 0.45, 2.5, **TERMS)
    assert required_rate(0.00001, 0.45, 2.5, **TERMS) == floor_rate
    assert required_rate(0.00001, 0.45, 2.5, **TERMS, pd_floor=0.0005) > floor_rate


def test_sme_sales_lower_the_required_rate():
    assert required_rate(0.01, 0.45, 2.5, **TERMS, sales=5.0) < required_rate(0.01, 0.45, 2.5, **TERMS)


def test_defaulted_exposures_need_a_best_estimate_el():
    with pytest.raises(ValueError, match="el_best_estimate"):
        required_rate(1.0, 0.45, 2.5, **TERMS)
    # K = 0.45 - 0.35 = 0.10; EL% = LGD = 0.45.
    assert float(required_rate(1.0, 0.45, 2.5, **TERMS, el_best_estimate=0.35)) \
        == pytest.approx(0.0115 + 0.45 + 0.004 + 0.09 * 0.10 / 0.75)


def test_tax_of_one_or_more_is_rejected():
    with pytest.raises(ValueError, match="tax"):
        required_rate(0.01, 0.45, 2.5, **{**TERMS, "tax": 1.0})


def test_price_breakdown_adds_up_per_facility():
    pds = np.array([0.002, 0.01, 0.05])
    ead = np.array([10.0, 25.0, 4.0])
    out = price_breakdown(pds, 0.45, 3.0, 0.03, ead, cost_of_funds=0.009, opex=0.004, tax=0.25, capital_return=0.03,
                          hurdle=0.12, sales=np.array([np.nan, 10.0, np.nan]))
    assert len(out) == 3
    k = irb_capital(pds, 0.45, 3.0, np.array([np.nan, 10.0, np.nan]))
    np.testing.assert_allclose(out["capital"], k * ead, rtol=1e-14)
    np.testing.assert_allclose(out["expected_loss"], pds * 0.45 * ead, rtol=1e-14)
    np.testing.assert_allclose(out["interest_income"], 0.03 * ead)
    np.testing.assert_allclose(out["funding_cost"], 0.009 * ead)
    np.testing.assert_allclose(out["operating_cost"], 0.004 * ead)
    pre_tax = out["interest_income"] - out["funding_cost"] - out["operating_cost"] - out["expected_loss"]
    np.testing.assert_allclose(out["pre_tax_profit"], pre_tax, rtol=1e-14)
    np.testing.assert_allclose(out["tax"], 0.25 * pre_tax, rtol=1e-14)
    np.testing.assert_allclose(out["net_profit"], 0.75 * pre_tax + 0.03 * out["capital"], rtol=1e-14)
    np.testing.assert_allclose(out["raroc"], out["net_profit"] / out["capital"], rtol=1e-14)
    np.testing.assert_allclose(out["raroc"], raroc(0.03, pds, 0.45, 3.0, cost_of_funds=0.009, opex=0.004, tax=0.25,
                                                   capital_return=0.03, sales=np.array([np.nan, 10.0, np.nan])),
                               rtol=1e-12)
    np.testing.assert_allclose(out["risk_weight"], 12.5 * k, rtol=1e-14)
    # Economic profit has the sign of RAROC - hurdle; the 5 % PD loan at 3 % misses the hurdle.
    assert list(out["meets_hurdle"]) == list(out["raroc"] >= 0.12)
    assert not out["meets_hurdle"].iloc[2]
    np.testing.assert_allclose(out["required_rate"],
                               required_rate(pds, 0.45, 3.0, hurdle=0.12, cost_of_funds=0.009, opex=0.004, tax=0.25,
                                             capital_return=0.03, sales=np.array([np.nan, 10.0, np.nan])),
                               rtol=1e-14)


def test_price_breakdown_at_the_required_rate_has_zero_economic_profit():
    rate = required_rate(0.01, 0.45, 2.5, **TERMS)
    out = price_breakdown(0.01, 0.45, 2.5, rate, 50.0, **TERMS)
    assert out["raroc"].iloc[0] == pytest.approx(0.12, abs=1e-12)
    assert out["economic_profit"].iloc[0] == pytest.approx(0.0, abs=1e-12)


def test_price_breakdown_without_hurdle_has_no_hurdle_columns():
    out = price_breakdown(0.01, 0.45, 2.5, 0.03, cost_of_funds=0.0115, opex=0.004, tax=0.25, capital_return=0.03)
    assert "required_rate" not in out and "meets_hurdle" not in out
    assert out["ead"].iloc[0] == 1.0


def test_params_helpers_use_decimals_and_the_funding_curve():
    params = PricingParams()
    econ, capital = params.economics, params.capital
    kw = economics_kwargs(econ, capital)
    assert kw["opex"] == pytest.approx(econ.opex_bps / 1e4)
    mats = np.array([1.0, 4.0, 12.0])
    cof = bps_to_rate(cost_of_funds(mats, econ.funding_curve_bps))
    expected = required_rate(0.01, 0.45, mats, hurdle=econ.hurdle_rate, cost_of_funds=cof, opex=econ.opex_bps / 1e4,
                             tax=econ.tax_rate, capital_return=econ.capital_return_rate, pd_floor=capital.pd_floor)
    np.testing.assert_allclose(required_rate_from_params(0.01, 0.45, mats, econ, capital), expected, rtol=1e-15)
    np.testing.assert_allclose(required_rate(0.01, 0.45, mats, cost_of_funds=cof, **kw), expected, rtol=1e-15)


def test_params_helpers_read_each_term_from_its_own_params():
    econ = EconomicsParams(opex_bps=55.0, hurdle_rate=0.15, capital_return_rate=0.02, tax_rate=0.30)
    capital = CapitalParams(pd_floor=0.0005, default_el_best_estimate=0.40)
    assert economics_kwargs(econ, capital) == {"hurdle": 0.15, "opex": 0.0055, "tax": 0.30, "capital_return": 0.02,
                                               "pd_floor": 0.0005, "el_best_estimate": 0.40}
    # The defaulted-EL estimate and the PD floor come from the capital params.
    got = required_rate_from_params(np.array([1.0, 0.0001]), 0.45, 2.5, econ, capital)
    cof = float(bps_to_rate(cost_of_funds(2.5, econ.funding_curve_bps)))
    assert got[0] == pytest.approx(cof + 0.45 + 0.0055 + 0.13 * (0.45 - 0.40) / 0.70)
    assert got[1] == pytest.approx(float(required_rate(0.0005, 0.45, 2.5, cost_of_funds=cof, **economics_kwargs(
        econ, capital))))


def test_raroc_can_take_the_same_terms_as_required_rate():
    kw = economics_kwargs(EconomicsParams(), CapitalParams())
    rate = required_rate(0.01, 0.45, 2.5, cost_of_funds=0.0115, **kw)
    assert float(raroc(rate, 0.01, 0.45, 2.5, cost_of_funds=0.0115, **kw)) == pytest.approx(kw["hurdle"], abs=1e-12)


def test_the_terms_are_keyword_only_and_required_rate_needs_the_hurdle():
    with pytest.raises(TypeError):
        raroc(0.03, 0.01, 0.45, 2.5, 0.12, 0.0115, 0.004, 0.25, 0.03)  # the former positional tail
    with pytest.raises(TypeError):
        required_rate(0.01, 0.45, 2.5, 0.12, 0.0115, 0.004, 0.25, 0.03)
    with pytest.raises(TypeError, match="hurdle"):
        required_rate(0.01, 0.45, 2.5, cost_of_funds=0.0115, opex=0.004, tax=0.25, capital_return=0.03)
    with pytest.raises(TypeError, match="hurdle"):
        required_spread_bps(0.01, 0.45, 2.5, cost_of_funds=0.0115, opex=0.004, tax=0.25, capital_return=0.03)
    # raroc does not need it.
    assert np.isfinite(raroc(0.03, 0.01, 0.45, 2.5, cost_of_funds=0.0115, opex=0.004, tax=0.25, capital_return=0.03))
