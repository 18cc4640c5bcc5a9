"""Behaviour windows by hand: the right months, and none after the observation month."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.features.behaviour import behaviour_features


@pytest.fixture
def beh() -> pd.DataFrame:
    months = pd.date_range("2020-01-31", periods=18, freq="ME")
    dpd = [0, 0, 5, 0, 35, 0, 0, 0, 0, 0, 0, 62, 0, 0, 90, 90, 90, 90]
    util = [0.3, 0.3, 0.3, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.7, 0.7, 0.7, 0.7, 1.0, 1.0, 1.0, 1.0]
    return pd.DataFrame({"obligor_id": "A", "month_end": months, "days_past_due": dpd, "utilisation": util,
                         "overdue_amount": np.array(dpd) / 10.0, "covenant_breach": [False] * 17 + [True]})


def test_windows_end_at_the_observation_month(beh):
    out = behaviour_features(beh, pd.Series(["A"]), pd.Series([pd.Timestamp("2020-12-31")])).iloc[0]
    assert out["dpd"] == 62
    assert out["dpd_max_3m"] == 62 and out["dpd_max_12m"] == 62
    assert out["dpd_mean_3m"] == pytest.approx(62 / 3)
    assert out["months_dpd30_12m"] == 2  # 35 and 62
    assert out["utilisation"] == pytest.approx(0.7)
    assert out["utilisation_spikes_12m"] == 2  # 0.3 -> 0.5 and 0.5 -> 0.7
    assert out["utilisation_max_12m"] == pytest.approx(0.7)
    assert out["covenant_breaches_12m"] == 0  # the breach of 2021-06 is in the future
    assert out["active"] == 1


def test_first_months_use_the_shorter_history(beh):
    out = behaviour_features(beh, pd.Series(["A"]), pd.Series([pd.Timestamp("2020-02-29")])).iloc[0]
    assert out["dpd_max_12m"] == 0 and out["dpd_mean_12m"] == 0
    assert np.isnan(out["utilisation_trend_6m"])  # 2 months are too few for a trend


def test_unknown_obligor_or_month_outside_the_relationship_is_inactive(beh):
    out = behaviour_features(beh, pd.Series(["A", "B", "A"]),
                             pd.Series(pd.to_datetime(["2019-12-31", "2020-05-31", "2021-12-31"])))
    assert out["active"].tolist() == [0, 0, 0]
    assert out["dpd"].isna().all()


def test_credit_turnover_against_own_habit_and_trend(beh):
    # Receipts steady at 10 for 9 months, then halving each month: below habit and trending down.
    turnover = [10.0] * 9 + [5.0, 2.5, 1.25] + [1.0] * 6
    out = behaviour_features(beh.assign(credit_turnover=turnover), pd.Series(["A"]),
                             pd.Series([pd.Timestamp("2020-12-31")])).iloc[0]
    logs = np.log(np.array(turnover[:12], dtype=np.float32))
    assert out["credit_turnover_vs_12m"] == pytest.approx(logs[-3:].mean() - logs.mean(), rel=1e-5)
    assert out["credit_turnover_trend_6m"] < 0


def test_without_credit_turnover_the_features_are_missing_not_absent(beh):
    out = behaviour_features(beh, pd.Series(["A"]), pd.Series([pd.Timestamp("2020-12-31")]))
    assert np.isnan(out.loc[0, "credit_turnover_vs_12m"]) and "credit_turnover_trend_6m" in out.columns
