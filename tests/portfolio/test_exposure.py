"""EAD now and by year: credit conversion factors, remaining life, the run-off of each repayment type
against the structuring desk's repayment schedules, year fractions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from workbench.portfolio.exposure import (
    CCFParams,
    drawn_at,
    ead_profile,
    exposure_at_default,
    facility_ccf,
    live_year_fraction,
    remaining_years,
)
from workbench.structuring.schedules import repayment_schedule

AS_OF = pd.Timestamp("2024-12-31")


def facilities(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"facility_id": [f"F{i}" for i in range(n)], "product": ["term_loan"] * n,
            "repayment_type": ["bullet"] * n, "limit": [100.0] * n, "drawn": [100.0] * n,
            "maturity_date": [AS_OF + pd.DateOffset(years=3)] * n, "eir": [0.05] * n}
    base.update(columns)
    return pd.DataFrame(base)


def test_default_ccfs_are_the_foundation_irb_values():
    # BCBS June 2006 para 311 (75 % for committed lines), para 85 (20 % trade letters of credit), para 83
    # (100 % direct credit substitutes).
    ccf = CCFParams()
    assert [ccf.factor(p) for p in ("term_loan", "revolver", "project_loan", "trade_finance", "guarantee")] == [
        0.75, 0.75, 0.75, 0.20, 1.0]


def test_unknown_product_is_an_error_naming_it():
    with pytest.raises(KeyError, match="leasing"):
        CCFParams().factor("leasing")
    with pytest.raises(KeyError, match="leasing"):
        exposure_at_default(facilities(product=["leasing"], repayment_type=["revolving"]))


def test_ccf_out_of_range_is_rejected():
    with pytest.raises(ValidationError):
        CCFParams(revolver=1.2)


def test_ead_is_drawn_plus_ccf_times_undrawn_per_product():
    f = facilities(product=["revolver", "trade_finance", "guarantee", "revolver"],
                   repayment_type=["revolving", "bullet", "bullet", "revolving"],
                   limit=[50.0, 10.0, 20.0, 10.0], drawn=[20.0, 5.0, 8.0, 12.0])
    # 20 + 0.75 x 30; 5 + 0.2 x 5; 8 + 1.0 x 12; overdrawn: no negative undrawn part.
    np.testing.assert_allclose(exposure_at_default(f), [42.5, 6.0, 20.0, 12.0])


def test_repaid_principal_of_an_amortising_loan_gets_no_ccf_unless_switched_off():
    f = facilities(repayment_type=["annuity", "equal_principal", "balloon", "sculpted", "bullet"],
                   product=["term_loan"] * 4 + ["term_loan"], drawn=[60.0] * 5)
    np.testing.assert_allclose(exposure_at_default(f), [60.0, 60.0, 60.0, 60.0, 90.0])
    np.testing.assert_allclose(facility_ccf(f), [0, 0, 0, 0, 0.75])
    literal = CCFParams(amortised_limit_repaid=False)
    np.testing.assert_allclose(exposure_at_default(f, literal), [90.0] * 5)


def test_negative_or_missing_amounts_name_the_facility():
    with pytest.raises(ValueError, match="drawn.*F1"):
        exposure_at_default(facilities(drawn=[10.0, -1.0]))
    with pytest.raises(ValueError, match="limit.*F0"):
        exposure_at_default(facilities(limit=[np.nan]))
    with pytest.raises(KeyError, match="drawn"):
        exposure_at_default(facilities(limit=[1.0]).drop(columns="drawn"))


def test_remaining_life_counts_calendar_anniversaries():
    f = facilities(maturity_date=[AS_OF + pd.DateOffset(years=5), AS_OF + pd.DateOffset(months=6),
                                  AS_OF, AS_OF - pd.DateOffset(days=1), pd.Timestamp("2026-12-31")])
    r = remaining_years(f, AS_OF)
    assert r[0] == 5.0 and r[4] == 2.0  # exactly on anniversaries: whole years, no day-count residue
    assert r[1] == pytest.approx(181 / 365)  # 31 Dec 2024 -> 30 Jun 2025 of a 365-day year
    assert r[2] == 0.0 and r[3] == 0.0  # maturing on the as-of or before: nothing left


def test_remaining_life_from_a_leap_day():
    f = facilities(maturity_date=[pd.Timestamp("2025-02-28"), pd.Timestamp("2025-08-28")])
    r = remaining_years(f, pd.Timestamp("2024-02-29"))
    assert r[0] == 1.0  # the anniversary of 29 February is 28 February
    assert r[1] == pytest.approx(1 + 181 / 365)


def _schedule_case(kind: str, options: dict, elapsed_months: int, years: int = 7, rate: float = 0.06,
                   ppy: int = 12):
    """A loan of 100 originated ``elapsed_months`` before the as-of, its schedule and its facility row."""
    origination = AS_OF - pd.DateOffset(months=elapsed_months)
    schedule = repayment_schedule(kind, 100.0, rate, years, ppy, **options)
    done = elapsed_months * ppy // 12
    drawn = 100.0 if done == 0 else float(schedule.loc[schedule["period"] == done, "closing_balance"].iloc[0])
    frame = facilities(repayment_type=[kind], drawn=[drawn], eir=[rate],
                       maturity_date=[origination + pd.DateOffset(months=12 * years)])
    return schedule, frame, done


@pytest.mark.parametrize("kind,options", [("annuity", {}), ("equal_principal", {}), ("bullet", {}),
                                          ("balloon", {"balloon_share": 0.4})])
@pytest.mark.parametrize("elapsed_months", [0, 24])
def test_profile_is_the_repayment_schedule_at_year_ends(kind, options, elapsed_months):
    schedule, frame, done = _schedule_case(kind, options, elapsed_months)
    profile = ead_profile(frame, AS_OF, CCFParams(balloon_share=0.4))
    left = 7 - elapsed_months // 12
    assert profile.shape == (1, left)
    # The EAD at the start of remaining year t is the schedule's opening balance of period done + 12 (t - 1) + 1.
    expected = schedule.set_index("period").loc[[done + 12 * t + 1 for t in range(left)], "opening_balance"]
    np.testing.assert_allclose(profile[0], expected.to_numpy(), rtol=1e-10)


@pytest.mark.parametrize("kind,options", [("annuity", {}), ("balloon", {"balloon_share": 0.25})])
def test_profile_with_yearly_instalments_matches_a_yearly_schedule(kind, options):
    schedule, frame, _ = _schedule_case(kind, options, 0, years=4, rate=0.08, ppy=1)
    profile = ead_profile(frame, AS_OF, CCFParams(balloon_share=0.25, payments_per_year=1))
    np.testing.assert_allclose(profile[0], schedule["opening_balance"].to_numpy(), rtol=1e-10)


def test_sculpted_runs_off_as_an_annuity_and_a_zero_rate_annuity_linearly():
    f = facilities(repayment_type=["sculpted", "annuity", "annuity", "equal_principal"], eir=[0.07, 0.07, 0.0, 0.0],
                   maturity_date=[AS_OF + pd.DateOffset(years=4)] * 4)
    p = ead_profile(f, AS_OF)
    np.testing.assert_allclose(p[0], p[1])
    np.testing.assert_allclose(p[2], [100.0, 75.0, 50.0, 25.0])
    np.testing.assert_allclose(p[3], p[2])


def test_revolver_keeps_its_converted_undrawn_part_until_maturity_then_zero():
    f = facilities(product=["revolver", "term_loan"], repayment_type=["revolving", "bullet"], limit=[50.0, 30.0],
                   drawn=[20.0, 30.0], maturity_date=[AS_OF + pd.DateOffset(months=18), AS_OF + pd.DateOffset(years=4)])
    p = ead_profile(f, AS_OF)
    assert p.shape == (2, 4)  # T = ceil of the longest remaining life
    np.testing.assert_allclose(p[0], [42.5, 42.5, 0.0, 0.0])  # live in years 1 and 2 (a stub), not after
    np.testing.assert_allclose(p[1], [30.0] * 4)


def test_undrawn_term_loan_amortises_with_the_drawn_part_when_converted():
    f = facilities(repayment_type=["equal_principal"], limit=[100.0], drawn=[60.0],
                   maturity_date=[AS_OF + pd.DateOffset(years=3)])
    p = ead_profile(f, AS_OF, CCFParams(amortised_limit_repaid=False))
    np.testing.assert_allclose(p[0], np.array([1.0, 2 / 3, 1 / 3]) * (60.0 + 0.75 * 40.0))


def test_balloon_already_down_to_its_balloon_stays_flat():
    f = facilities(repayment_type=["balloon"], limit=[100.0], drawn=[30.0])
    p = ead_profile(f, AS_OF, CCFParams(balloon_share=0.4))
    np.testing.assert_allclose(p[0], [30.0, 30.0, 30.0])


def test_profile_starts_at_the_ead_now_and_is_capped_at_max_years():
    f = facilities(product=["project_loan", "revolver"], repayment_type=["sculpted", "revolving"],
                   limit=[100.0, 10.0], drawn=[80.0, 0.0],
                   maturity_date=[AS_OF + pd.DateOffset(years=20), AS_OF - pd.DateOffset(days=10)])
    p = ead_profile(f, AS_OF, max_years=5)
    assert p.shape == (2, 5)
    np.testing.assert_allclose(p[:, 0], exposure_at_default(f))
    assert np.all(np.diff(p[0]) < 0)  # amortising all along the capped horizon
    np.testing.assert_allclose(p[1, 1:], 0.0)  # past its maturity: only the exposure now


def test_year_fraction_is_one_for_full_years_then_the_stub_then_zero():
    f = facilities(maturity_date=[AS_OF + pd.DateOffset(years=2) + pd.DateOffset(months=6),
                                  AS_OF + pd.DateOffset(years=1)])
    yf = live_year_fraction(f, AS_OF)
    assert yf.shape == (2, 3)
    np.testing.assert_allclose(yf[0], [1.0, 1.0, 181 / 365])
    np.testing.assert_allclose(yf[1], [1.0, 0.0, 0.0])


def test_bad_repayment_type_rate_or_horizon_is_an_error():
    with pytest.raises(KeyError, match="step_up"):
        ead_profile(facilities(repayment_type=["step_up"]), AS_OF)
    with pytest.raises(ValueError, match="eir.*F0"):
        ead_profile(facilities(repayment_type=["annuity"], eir=[np.nan]), AS_OF)
    with pytest.raises(ValueError, match="max_years"):
        ead_profile(facilities(repayment_type=["bullet"]), AS_OF, max_years=0)


@pytest.mark.parametrize("kind,options", [("annuity", {}), ("equal_principal", {}), ("balloon", {"balloon_share": 0.4})])
def test_drawn_amount_at_an_earlier_date_is_the_contractual_balance_of_the_schedule(kind, options):
    schedule, frame, _ = _schedule_case(kind, options, 0)
    frame["origination_date"] = AS_OF
    earlier = AS_OF + pd.DateOffset(months=24)  # two years into the loan
    expected = float(schedule.loc[schedule["period"] == 24, "closing_balance"].iloc[0])
    # Dates count in days / 365.25, the schedule in whole months: equal to a few parts in ten thousand.
    assert drawn_at(frame, earlier, ccf=CCFParams(balloon_share=0.4))[0] == pytest.approx(expected, rel=2e-3)


def test_drawn_amount_of_revolving_lines_follows_the_months_utilisation_and_guarantees_the_limit():
    frame = facilities(product=["revolver", "trade_finance", "guarantee", "term_loan", "revolver"],
                       repayment_type=["revolving", "bullet", "bullet", "bullet", "revolving"],
                       drawn=[20.0, 50.0, 100.0, 100.0, 30.0])
    frame["origination_date"] = AS_OF - pd.DateOffset(years=2)
    drawn = drawn_at(frame, AS_OF - pd.DateOffset(years=1), [0.6, 0.25, 0.1, 0.1, np.nan])
    # The last revolver has no utilisation that month: the snapshot's share (30 %).
    np.testing.assert_allclose(drawn, [60.0, 25.0, 100.0, 100.0, 30.0])


def test_a_defaulted_obligors_undrawn_lines_are_frozen():
    frame = facilities(product=["revolver", "revolver"], repayment_type=["revolving", "revolving"],
                       drawn=[40.0, 40.0])
    frame["defaulted"] = [True, False]
    np.testing.assert_allclose(exposure_at_default(frame), [40.0, 40.0 + 0.75 * 60.0])
    np.testing.assert_allclose(exposure_at_default(frame, CCFParams(defaulted_ccf=0.5)), [70.0, 85.0])
