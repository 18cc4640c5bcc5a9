"""portfolio_raroc with assigned tiers (replacing the size-band proxy only where given) and without a grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.pricing import PricingGrid, PricingParams, params_only_grid, portfolio_raroc

AS_OF = pd.Timestamp("2024-06-30")
TIER_MARKUP = {"A": 10.0, "B": 20.0, "C": 30.0}


@pytest.fixture(scope="module")
def params() -> PricingParams:
    return PricingParams()


@pytest.fixture(scope="module")
def tiered_grid(params) -> PricingGrid:
    """The params-only grid with a different spread per tier, so the tier used by the look-up shows."""
    base = params_only_grid(params)
    frame = base.frame.copy()
    frame["recommended_spread_bps"] = frame["recommended_spread_bps"] + frame["tier"].map(TIER_MARKUP)
    return PricingGrid(frame, base.tenor_buckets, False)


def _book() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    facilities = pd.DataFrame({
        "facility_id": ["F1", "F2", "F3"], "obligor_id": ["O1", "O2", "O3"], "product": "term_loan",
        "limit": [100.0, 50.0, 40.0], "drawn": [80.0, 0.0, 40.0],
        "origination_date": pd.to_datetime(["2022-01-15", "2023-03-01", "2021-05-01"]),
        "maturity_date": pd.to_datetime(["2027-01-15", "2026-03-01", "2028-05-01"]),
        "repayment_type": "amortising", "spread_bps": [150.0, 90.0, 300.0], "collateral_type": "none",
        "collateral_value": 0.0, "seniority": "senior"})
    obligors = pd.DataFrame({"obligor_id": ["O1", "O2", "O3"], "industry": "retail",
                             "size_band": ["very_large_corporate", "large_corporate", "mid_corporate"]})
    grades = pd.DataFrame({"obligor_id": ["O1", "O2", "O3"], "grade": [3, 5, 7], "pd": [0.001, 0.004, 0.02]})
    return facilities, obligors, grades


def test_assigned_tier_replaces_the_size_band_proxy_only_where_given(tiered_grid, params):
    facilities, obligors, grades = _book()
    tiers = pd.DataFrame({"obligor_id": ["O1", "O3"], "tier": ["C", "A"]})
    per = portfolio_raroc(facilities, obligors, grades, tiered_grid, params, AS_OF, tiers=tiers).set_index("obligor_id")
    assert per.loc["O1", "tier"] == "C" and per.loc["O1", "tier_source"] == "assigned"
    assert per.loc["O3", "tier"] == "A" and per.loc["O3", "tier_source"] == "assigned"
    # O2 has no assigned tier: its size band (large corporate -> B) still decides.
    assert per.loc["O2", "tier"] == "B" and per.loc["O2", "tier_source"] == "size band"
    for ob in ("O1", "O2", "O3"):
        row = per.loc[ob]
        cell = tiered_grid.lookup([row["grade"]], [row["tenor_years"]], ["none"], [row["tier"]]).iloc[0]
        assert row["spread_grid_bps"] == pytest.approx(cell["recommended_spread_bps"])


def test_without_tiers_every_facility_keeps_the_size_band_tier(tiered_grid, params):
    facilities, obligors, grades = _book()
    per = portfolio_raroc(facilities, obligors, grades, tiered_grid, params, AS_OF)
    assert per.set_index("obligor_id")["tier"].to_dict() == {"O1": "A", "O2": "B", "O3": "C"}
    assert (per["tier_source"] == "size band").all()


def test_no_grid_gives_booked_spread_figures_and_nan_grid_columns(tiered_grid, params):
    facilities, obligors, grades = _book()
    with_grid = portfolio_raroc(facilities, obligors, grades, tiered_grid, params, AS_OF)
    no_grid = portfolio_raroc(facilities, obligors, grades, None, params, AS_OF)
    assert no_grid["spread_grid_bps"].isna().all() and no_grid["raroc_grid"].isna().all()
    np.testing.assert_allclose(no_grid["raroc_today"], with_grid["raroc_today"])
    np.testing.assert_allclose(no_grid["capital"], with_grid["capital"])
    # The undrawn line counts at its limit.
    assert no_grid.set_index("facility_id").loc["F2", "ead"] == 50.0


def test_a_tier_unknown_to_the_grid_is_refused_by_the_lookup(tiered_grid, params):
    facilities, obligors, grades = _book()
    tiers = pd.DataFrame({"obligor_id": ["O1"], "tier": ["Z"]})
    with pytest.raises(ValueError, match="tier"):
        portfolio_raroc(facilities, obligors, grades, tiered_grid, params, AS_OF, tiers=tiers)


def test_two_tiers_for_one_obligor_are_refused(params):
    facilities, obligors, grades = _book()
    tiers = pd.DataFrame({"obligor_id": ["O1", "O1"], "tier": ["A", "B"]})
    with pytest.raises(ValueError, match="O1"):
        portfolio_raroc(facilities, obligors, grades, None, params, AS_OF, tiers=tiers)
