"""EWS effectiveness on a hand-made book whose figures are counted by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from workbench.accounts.effectiveness import (
    EWS_FALSE_ALARM_RATE_RED,
    EWS_HIT_RATE_6M_RED,
    GRADE_HIT_RATE_6M_RED,
    EffectivenessParams,
    ews_effectiveness,
    plot_hit_rates,
)

MONTHS = pd.date_range("2020-01-31", periods=12, freq="ME")
DEFAULTS = pd.DataFrame({"obligor_id": ["A", "B", "D"],
                         "default_date": pd.to_datetime(["2020-10-15", "2020-08-10", "2020-06-20"])})
# (obligor, month, level, dpd): every other row is green with dpd 0.
FLAGS = [("A", "2020-03-31", "red", 0), ("A", "2020-09-30", "red", 45),  # second: 30+ DPD, excluded
         ("B", "2020-05-31", "amber", 0), ("B", "2020-07-31", "red", 0),
         ("C", "2020-01-31", "red", 0), ("C", "2020-02-29", "red", 0),
         ("D", "2020-05-31", "red", 40)]
PDS = {"A": 0.05, "B": 0.02, "C": 0.01, "D": 0.08}


def book() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    for ob, pdv in PDS.items():
        end = DEFAULTS.set_index("obligor_id")["default_date"].get(ob)
        for m in MONTHS:
            if end is None or m < end:
                rows.append({"obligor_id": ob, "obs_date": m, "pd": pdv, "dpd": 0.0, "level": "green"})
    scored = pd.DataFrame(rows)
    for ob, month, level, dpd in FLAGS:
        at = (scored["obligor_id"] == ob) & (scored["obs_date"] == pd.Timestamp(month))
        assert at.sum() == 1
        scored.loc[at, ["level", "dpd"]] = [level, float(dpd)]
    return scored[["obligor_id", "obs_date", "level", "dpd"]], scored.drop(columns="level")


def run(data_end="2021-12-31", **params):
    alerts, scored = book()
    return ews_effectiveness(alerts, scored, DEFAULTS, MONTHS, EffectivenessParams(n_boot=200, **params),
                             data_end=pd.Timestamp(data_end))


def test_hit_rates_leads_and_false_alarms_as_counted_by_hand():
    e = run().estimates.loc["ews"]
    # Defaulters A, B, D. Red: only A (7 months ahead; A's and D's 30+ DPD flags do not count).
    assert e.at["red", "defaults_evaluated"] == 3
    assert e.at["red", "hit_rate_3m"] == pytest.approx(1 / 3)
    assert e.at["red", "hit_rate_6m"] == pytest.approx(1 / 3)
    # Lead from the first counted flag, hit or not at 3m: A 7 months, B 1 month (its red in July).
    assert e.at["red", "median_lead_months"] == 4
    # Red or amber adds B's amber 3 months ahead (its red one month ahead is too late for either lead).
    assert e.at["red_amber", "hit_rate_3m"] == pytest.approx(2 / 3)
    assert e.at["red_amber", "hit_rate_6m"] == pytest.approx(1 / 3)
    assert e.at["red_amber", "median_lead_months"] == 5  # A 7, B 3 (its amber in May comes first)
    # Flags that count: A-Mar, B-Jul, C-Jan, C-Feb (red); C's two are not followed by a default.
    assert e.at["red", "false_alarm_rate"] == pytest.approx(2 / 4)
    assert e.at["red_amber", "false_alarm_rate"] == pytest.approx(2 / 5)
    # Volume counts every alert, excluded ones too: 6 red alerts over 12 months.
    assert e.at["red", "alerts_per_month"] == pytest.approx(6 / 12)


def test_false_alarms_only_over_months_whose_horizon_has_matured():
    e = run(data_end="2021-01-31").estimates.loc["ews"]
    assert e.at["red", "false_alarm_rate"] == pytest.approx(1.0)  # only January is matured: C's flag


def test_grade_only_flags_the_same_number_of_highest_pds():
    res = run()
    f = res.flags
    per_month = f.groupby("obs_date")[["ews_red", "grade_only_red"]].sum()
    assert (per_month["ews_red"] == per_month["grade_only_red"]).all()
    # January: one red alert (C) -> the grade flags the highest PD alive then, D (8 %).
    jan = f[(f["obs_date"] == MONTHS[0]) & f["grade_only_red"]]
    assert jan["obligor_id"].tolist() == ["D"]
    # July (D gone, two red... one red alert B): A has the highest PD left.
    jul = f[(f["obs_date"] == MONTHS[6]) & f["grade_only_red"]]
    assert jul["obligor_id"].tolist() == ["A"]


def test_grade_only_ties_go_to_the_smaller_obligor_id():
    alerts, scored = book()
    scored["pd"] = 0.03
    res = ews_effectiveness(alerts, scored, DEFAULTS, MONTHS, EffectivenessParams(n_boot=0),
                            data_end=pd.Timestamp("2021-12-31"))
    jan = res.flags[(res.flags["obs_date"] == MONTHS[0]) & res.flags["grade_only_red"]]
    assert jan["obligor_id"].tolist() == ["A"]


def test_bootstrap_is_reproducible_with_the_seed_and_contains_the_estimate():
    a, b, c = run(seed=3).estimates, run(seed=3).estimates, run(seed=4).estimates
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    for col in ("hit_rate_3m", "false_alarm_rate"):
        assert (a[f"{col}_low"] <= a[col]).all() and (a[col] <= a[f"{col}_high"]).all()


def test_metrics_table_comparison_and_plot():
    res = run()
    m = res.metrics()
    assert m[EWS_HIT_RATE_6M_RED] == pytest.approx(1 / 3)
    assert m[EWS_FALSE_ALARM_RATE_RED] == pytest.approx(0.5)
    assert GRADE_HIT_RATE_6M_RED in m and "ews_minus_grade/hit_rate_6m_red" in m
    assert m["ews_minus_grade/hit_rate_6m_red"] == pytest.approx(m[EWS_HIT_RATE_6M_RED] - m[GRADE_HIT_RATE_6M_RED])
    assert res.beats_grade_at_6m == (m[EWS_HIT_RATE_6M_RED] > m[GRADE_HIT_RATE_6M_RED]
                                     and m["ews/hit_rate_6m_red_amber"] > m["grade_only/hit_rate_6m_red_amber"])
    table = res.table()
    assert len(table) == 4 and "hit rate 6m (90 % CI)" in table.columns
    assert isinstance(plot_hit_rates(res), Figure)


def test_leads_beyond_the_horizon_are_refused():
    with pytest.raises(ValueError, match="leads"):
        EffectivenessParams(leads=(3, 18))


def test_months_without_scored_rows_are_refused():
    alerts, scored = book()
    with pytest.raises(ValueError, match="no rows"):
        ews_effectiveness(alerts, scored, DEFAULTS, ["2015-01-31"], EffectivenessParams(),
                          data_end=pd.Timestamp("2021-12-31"))


def test_grade_only_matches_the_volume_below_the_dpd_exclusion_and_carries_the_backstop():
    alerts, scored = book()
    march = MONTHS[2]
    for frame in (alerts, scored):
        at = (frame["obligor_id"] == "C") & (frame["obs_date"] == march)
        frame.loc[at, "dpd"] = 40.0
    alerts.loc[(alerts["obligor_id"] == "C") & (alerts["obs_date"] == march), "level"] = "red"
    # March: red on A (below 30 DPD) and C (40 DPD, the backstop). PDs: D 8 % > A 5 % > B 2 % > C 1 %.
    flagged = {}
    for basis in ("eligible", "all"):
        res = ews_effectiveness(alerts, scored, DEFAULTS, MONTHS, EffectivenessParams(n_boot=0, volume_basis=basis),
                                data_end=pd.Timestamp("2021-12-31"))
        f = res.flags[(res.flags["obs_date"] == march) & res.flags["grade_only_red"]]
        flagged[basis] = sorted(f["obligor_id"])
    assert flagged["eligible"] == ["C", "D"]  # one early flag (the highest PD below 30 DPD) plus the backstop
    assert flagged["all"] == ["A", "D"]  # the two highest PDs of the book
