"""IFRS 9 stage rules on hand-made facilities: every trigger, its threshold, the exemptions and the
precedence between triggers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from workbench.portfolio.staging import StagingParams, assign_stages, stage_summary, stage_table


def facility(**kw) -> dict:
    row = {"defaulted": False, "days_past_due": 0, "pd": 0.01, "pd_origination": 0.01, "watchlist": False,
           "forborne": False}
    row.update(kw)
    return row


def stages_of(*rows: dict, params: StagingParams | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    frame.insert(0, "facility_id", [f"F{i}" for i in range(len(frame))])
    return assign_stages(frame, params)


def test_clean_facility_is_stage_one_without_trigger():
    out = stages_of(facility())
    assert out.loc[0, "stage"] == 1 and out.loc[0, "trigger"] == "" and out.loc[0, "triggers"] == ""
    assert list(out.columns[:4]) == ["facility_id", "stage", "trigger", "triggers"]


@pytest.mark.parametrize("row,stage,trigger", [
    (facility(defaulted=True, pd=1.0), 3, "in default"),
    (facility(days_past_due=90), 3, "90+ days past due"),
    (facility(days_past_due=89), 2, "30+ days past due (backstop)"),
    (facility(days_past_due=30), 2, "30+ days past due (backstop)"),
    (facility(days_past_due=29), 1, ""),
    (facility(pd=0.034, pd_origination=0.01), 2, "PD 3.4x its origination level"),
    (facility(pd=0.03, pd_origination=0.01), 2, "PD 3.0x its origination level"),  # at the threshold
    (facility(pd=0.029, pd_origination=0.01), 1, ""),
    (facility(watchlist=True), 2, "on the watchlist"),
    (facility(forborne=True), 2, "forborne"),
])
def test_each_rule_and_its_threshold(row, stage, trigger):
    out = stages_of(row)
    assert (out.loc[0, "stage"], out.loc[0, "trigger"]) == (stage, trigger)


def test_low_credit_risk_exempts_only_the_pd_multiple():
    out = stages_of(facility(pd=0.0029, pd_origination=0.0005),          # 5.8x but below 0.3 %: exempt
                    facility(pd=0.003, pd_origination=0.001),            # 3x at 0.3 %: not exempt
                    facility(pd=0.001, pd_origination=0.0002, days_past_due=31),
                    facility(pd=0.001, pd_origination=0.001, watchlist=True))
    assert out["stage"].tolist() == [1, 2, 2, 2]
    assert out["low_credit_risk"].tolist() == [True, False, True, True]
    assert out.loc[2, "trigger"] == "30+ days past due (backstop)"
    assert out.loc[0, "pd_multiple"] == pytest.approx(5.8)


def test_unknown_origination_pd_gives_no_pd_trigger():
    out = stages_of(facility(pd=0.2, pd_origination=np.nan))
    assert out.loc[0, "stage"] == 1 and np.isnan(out.loc[0, "pd_multiple"])


def test_switched_off_qualitative_rules_do_not_fire():
    params = StagingParams(use_watchlist=False, use_forbearance=False)
    frame = pd.DataFrame([facility(watchlist=True), facility(forborne=True)]).drop(columns=["watchlist", "forborne"])
    frame.insert(0, "facility_id", ["W", "F"])
    out = assign_stages(frame, params)  # the columns are not needed when their rule is off
    assert out["stage"].tolist() == [1, 1]


def test_precedence_default_first_then_arrears_then_pd_watchlist_forbearance():
    out = stages_of(
        facility(defaulted=True, pd=1.0, days_past_due=120, watchlist=True),
        facility(days_past_due=95, pd=0.05, forborne=True),
        facility(days_past_due=45, pd=0.05, watchlist=True, forborne=True),
        facility(pd=0.05, watchlist=True, forborne=True),
        facility(watchlist=True, forborne=True),
    )
    assert out["stage"].tolist() == [3, 3, 2, 2, 2]
    assert out["trigger"].tolist() == ["in default", "90+ days past due", "30+ days past due (backstop)",
                                       "PD 5.0x its origination level", "on the watchlist"]
    assert out.loc[0, "triggers"] == "in default; 90+ days past due; 30+ days past due (backstop); on the watchlist"
    assert out.loc[1, "triggers"] == ("90+ days past due; 30+ days past due (backstop); PD 5.0x its origination "
                                      "level; forborne")
    assert out.loc[4, "triggers"] == "on the watchlist; forborne"


def test_defaulted_pd_of_one_is_no_pd_multiple_signal():
    out = stages_of(facility(defaulted=True, pd=1.0, pd_origination=0.01))
    assert out.loc[0, "triggers"] == "in default" and np.isnan(out.loc[0, "pd_multiple"])


def test_thresholds_come_from_params_and_name_themselves():
    params = StagingParams(stage3_dpd=60, backstop_dpd=15, pd_multiple=2.0, low_credit_risk_pd=0.0)
    out = stages_of(facility(days_past_due=60), facility(days_past_due=15), facility(pd=0.0021, pd_origination=0.001),
                    params=params)
    assert out["stage"].tolist() == [3, 2, 2]
    assert out["trigger"].tolist() == ["60+ days past due", "15+ days past due (backstop)",
                                       "PD 2.1x its origination level"]


def test_params_keep_the_backstop_below_the_default_threshold():
    with pytest.raises(ValidationError, match="backstop_dpd"):
        StagingParams(backstop_dpd=90, stage3_dpd=90)
    with pytest.raises(ValidationError):
        StagingParams(pd_multiple=1.0)


def test_bad_input_names_the_column_or_facility():
    with pytest.raises(KeyError, match="pd_origination"):
        assign_stages(pd.DataFrame([facility()]).assign(facility_id="A").drop(columns="pd_origination"))
    bad = pd.DataFrame([facility(), facility(days_past_due=np.nan)])
    bad.insert(0, "facility_id", ["A", "B"])
    with pytest.raises(ValueError, match="days_past_due.*B"):
        assign_stages(bad)
    dup = pd.DataFrame([facility(), facility()])
    dup.insert(0, "facility_id", ["A", "A"])
    with pytest.raises(ValueError, match="unique"):
        assign_stages(dup)
    missing_flag = pd.DataFrame([facility(watchlist=None)])
    missing_flag.insert(0, "facility_id", ["Z"])
    with pytest.raises(ValueError, match="watchlist.*Z"):
        assign_stages(missing_flag)


def test_stage_summary_counts_facilities_and_ead_by_stage_and_trigger():
    out = stages_of(facility(), facility(), facility(days_past_due=40), facility(pd=0.05),
                    facility(pd=0.08), facility(defaulted=True, pd=1.0))
    ead = np.array([10.0, 30.0, 20.0, 15.0, 5.0, 20.0])
    summary = stage_summary(out, ead)
    assert summary.loc[(1, "all"), "facilities"] == 2 and summary.loc[(1, "all"), "ead"] == 40.0
    assert summary.loc[(2, "all"), "facilities"] == 3
    assert summary.loc[(2, "PD multiple since origination"), "ead"] == 20.0  # two PD triggers pooled
    assert summary.loc[(3, "in default"), "share_of_ead"] == pytest.approx(0.2)
    assert summary.loc[(1, "no trigger"), "share_of_facilities"] == pytest.approx(2 / 6)
    by_id = stage_summary(out, pd.Series(ead, index=out["facility_id"]))
    pd.testing.assert_frame_equal(by_id, summary)
    table = stage_table(out, ead)
    assert table.index[0] == "stage 1" and table.loc["stage 3", "share of EAD"] == "20.0\u00a0%"
    with pytest.raises(ValueError, match="one value per row"):
        stage_summary(out, ead[:3])
