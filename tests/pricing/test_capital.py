"""IRB capital against the Basel Committee's published risk weights."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.pricing.capital import irb_capital, risk_weight

# BCBS, "International Convergence of Capital Measurement and Capital Standards" (June 2006),
# Annex 5 "Illustrative IRB risk weights": corporate exposures, LGD 45 %, M = 2.5 years,
# risk weights in percent for large corporates and for SMEs with sales of EUR 5 million.
BASEL_ANNEX5 = [
    # PD,     corporate, SME (S = 5)
    (0.0003, 14.44, 11.30),
    (0.0010, 29.65, 23.30),
    (0.0025, 49.47, 39.01),
    (0.0050, 69.61, 54.91),
    (0.0100, 92.32, 72.39),
    (0.0200, 114.86, 88.55),
    (0.0500, 149.86, 112.26),
    (0.1000, 193.09, 146.51),
    (0.2000, 238.23, 188.42),
]


@pytest.mark.parametrize("pd_, corporate, sme", BASEL_ANNEX5)
def test_risk_weights_match_basel_annex_5(pd_, corporate, sme):
    assert risk_weight(pd_, 0.45, 2.5) * 100 == pytest.approx(corporate, abs=0.015)
    assert risk_weight(pd_, 0.45, 2.5, sales_eur_m=5.0) * 100 == pytest.approx(sme, abs=0.015)


def test_capital_rises_with_pd_lgd_and_maturity():
    pds = np.array([0.001, 0.01, 0.05])
    assert np.all(np.diff(irb_capital(pds, 0.45)) > 0)
    assert irb_capital(0.01, 0.75) > irb_capital(0.01, 0.45)
    assert irb_capital(0.01, 0.45, 5.0) > irb_capital(0.01, 0.45, 1.0)


def test_pd_floor_and_maturity_bounds_apply():
    assert irb_capital(0.00001, 0.45, pd_floor=0.0005) == irb_capital(0.0005, 0.45)
    assert irb_capital(0.01, 0.45, 10.0) == irb_capital(0.01, 0.45, 5.0)


def test_lgd_outside_unit_interval_is_rejected():
    with pytest.raises(ValueError, match="LGD"):
        irb_capital(0.01, 1.5)
