"""Exposure per obligor: live facilities, EAD of undrawn lines, exposure value, booked revenue, growth."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.accounts.exposure import ExposureParams, live_facilities, obligor_exposure
from workbench.pricing import PricingParams, portfolio_raroc

AS_OF = pd.Timestamp("2024-06-30")


def _facilities(rows: list[dict]) -> pd.DataFrame:
    base = {"product": "term_loan", "repayment_type": "bullet", "collateral_type": "none", "collateral_value": 0.0,
            "seniority": "senior", "spread_bps": 100.0}
    df = pd.DataFrame([{**base, **r} for r in rows])
    for c in ("origination_date", "maturity_date"):
        df[c] = pd.to_datetime(df[c])
    return df


def test_live_means_originated_by_as_of_and_maturing_after_it():
    fac = _facilities([
        dict(facility_id="on_the_day", obligor_id="O1", limit=10.0, drawn=5.0, origination_date="2024-06-30",
             maturity_date="2026-01-01"),
        dict(facility_id="matured", obligor_id="O1", limit=10.0, drawn=0.0, origination_date="2020-01-01",
             maturity_date="2024-06-30"),
        dict(facility_id="future", obligor_id="O1", limit=10.0, drawn=5.0, origination_date="2024-07-01",
             maturity_date="2027-01-01"),
        dict(facility_id="running", obligor_id="O2", limit=10.0, drawn=5.0, origination_date="2021-01-01",
             maturity_date="2025-01-01"),
    ])
    assert sorted(live_facilities(fac, AS_OF)["facility_id"]) == ["on_the_day", "running"]
    out = obligor_exposure(fac, AS_OF).set_index("obligor_id")
    assert out.loc["O1", "facilities"] == 1 and out.loc["O1", "limit"] == 10.0


def test_undrawn_line_counts_at_its_limit_and_exposure_value_is_the_commitment():
    fac = _facilities([
        dict(facility_id="undrawn", obligor_id="O1", limit=40.0, drawn=0.0, origination_date="2023-01-01",
             maturity_date="2026-01-01"),
        dict(facility_id="part_drawn", obligor_id="O1", limit=100.0, drawn=60.0, origination_date="2023-01-01",
             maturity_date="2026-01-01"),
        dict(facility_id="overdrawn", obligor_id="O2", limit=10.0, drawn=12.0, origination_date="2023-01-01",
             maturity_date="2026-01-01"),
    ])
    out = obligor_exposure(fac, AS_OF).set_index("obligor_id")
    assert out.loc["O1", "ead"] == pytest.approx(40.0 + 60.0)
    assert out.loc["O1", "exposure_value"] == pytest.approx(40.0 + 100.0)
    assert out.loc["O1", "undrawn"] == pytest.approx(40.0 + 40.0)
    assert out.loc["O2", "ead"] == pytest.approx(12.0)
    assert out.loc["O2", "exposure_value"] == pytest.approx(12.0)
    assert out.loc["O2", "undrawn"] == 0.0


def test_revenue_is_drawn_times_spread_plus_undrawn_times_commitment_fee():
    fac = _facilities([
        dict(facility_id="F1", obligor_id="O1", limit=100.0, drawn=60.0, spread_bps=200.0,
             origination_date="2023-01-01", maturity_date="2026-01-01"),
        dict(facility_id="F2", obligor_id="O1", limit=50.0, drawn=0.0, spread_bps=150.0,
             origination_date="2023-01-01", maturity_date="2026-01-01"),
    ])
    out = obligor_exposure(fac, AS_OF, ExposureParams(commitment_fee_bps=30.0)).iloc[0]
    # 60 x 2 % + (40 + 50) x 0.3 % = 1.2 + 0.27
    assert out["revenue"] == pytest.approx(1.47)
    no_fee = obligor_exposure(fac, AS_OF, ExposureParams(commitment_fee_bps=0.0)).iloc[0]
    assert no_fee["revenue"] == pytest.approx(1.2)


def test_exposure_growth_against_the_facilities_live_a_year_earlier():
    fac = _facilities([
        dict(facility_id="old", obligor_id="O1", limit=50.0, drawn=50.0, origination_date="2020-01-01",
             maturity_date="2027-01-01"),
        dict(facility_id="new", obligor_id="O1", limit=25.0, drawn=25.0, origination_date="2024-01-15",
             maturity_date="2027-01-01"),
        dict(facility_id="repaid", obligor_id="O1", limit=30.0, drawn=0.0, origination_date="2019-01-01",
             maturity_date="2024-01-01"),
        dict(facility_id="brand_new", obligor_id="O2", limit=10.0, drawn=10.0, origination_date="2024-03-01",
             maturity_date="2027-01-01"),
    ])
    out = obligor_exposure(fac, AS_OF).set_index("obligor_id")
    # A year earlier (2023-06-30): "old" (50) and "repaid" (undrawn: at its limit, 30).
    assert out.loc["O1", "ead_before"] == pytest.approx(80.0)
    assert out.loc["O1", "exposure_growth"] == pytest.approx(75.0 / 80.0 - 1)
    assert out.loc["O1", "first_origination"] == pd.Timestamp("2020-01-01")
    assert out.loc["O2", "ead_before"] == 0.0 and pd.isna(out.loc["O2", "exposure_growth"])


def test_ead_is_the_same_as_portfolio_raroc_counts():
    fac = _facilities([
        dict(facility_id="F1", obligor_id="O1", limit=40.0, drawn=0.0, origination_date="2023-01-01",
             maturity_date="2026-01-01"),
        dict(facility_id="F2", obligor_id="O1", limit=100.0, drawn=60.0, origination_date="2023-01-01",
             maturity_date="2026-01-01"),
    ])
    obligors = pd.DataFrame({"obligor_id": ["O1"], "industry": ["retail"], "size_band": ["large_corporate"]})
    grades = pd.DataFrame({"obligor_id": ["O1"], "grade": [4], "pd": [0.003]})
    per = portfolio_raroc(fac, obligors, grades, None, PricingParams(), AS_OF)
    assert per["ead"].sum() == pytest.approx(obligor_exposure(fac, AS_OF)["ead"].sum())


def test_missing_facility_column_is_named():
    fac = _facilities([dict(facility_id="F1", obligor_id="O1", limit=1.0, drawn=1.0, origination_date="2023-01-01",
                            maturity_date="2026-01-01")]).drop(columns="spread_bps")
    with pytest.raises(KeyError, match="spread_bps"):
        obligor_exposure(fac, AS_OF)
