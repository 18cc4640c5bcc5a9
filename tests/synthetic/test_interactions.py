"""Interactions: the desk reacts to arrears and covenant breaches with the reactive topics."""

from __future__ import annotations

import pandas as pd

from workbench.synthetic.codes import REACTIVE_TOPICS


def test_reactive_topics_follow_arrears_or_a_breach_at_the_previous_month_end(portfolio):
    inter, beh = portfolio["interactions"], portfolio["behaviour"]
    reactive = inter[inter["topic"].isin(REACTIVE_TOPICS)]
    assert set(reactive["topic"]) == set(REACTIVE_TOPICS)
    previous_month_end = reactive["date"].dt.to_period("M").dt.start_time - pd.Timedelta(days=1)
    seen = reactive.assign(month_end=previous_month_end).merge(beh, on=["obligor_id", "month_end"], how="left")
    assert len(seen) == len(reactive) and seen["days_past_due"].notna().all()  # a client at that month end
    assert ((seen["days_past_due"] > 0) | seen["covenant_breach"]).all()
    # Routine contacts reach clients without any arrears or breach as well.
    troubled = beh.loc[(beh["days_past_due"] > 0) | beh["covenant_breach"], "obligor_id"].unique()
    routine = inter[~inter["topic"].isin(REACTIVE_TOPICS)]
    assert (~routine["obligor_id"].isin(troubled)).any()
