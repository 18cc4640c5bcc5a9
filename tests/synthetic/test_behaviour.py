"""Monthly behaviour: arrears and utilisation climb before a default."""

from __future__ import annotations


def test_behaviour_deteriorates_before_default(portfolio):
    defaults = portfolio["defaults"][["obligor_id", "default_date"]]
    beh = portfolio["behaviour"].merge(defaults, on="obligor_id", how="left")
    months_before = (beh["default_date"] - beh["month_end"]).dt.days / 30.4
    near = beh[(months_before > 1) & (months_before <= 6)]
    performing = beh[beh["default_date"].isna()]
    assert near["days_past_due"].gt(0).mean() > 3 * performing["days_past_due"].gt(0).mean()
    assert near["utilisation"].mean() > performing["utilisation"].mean()
