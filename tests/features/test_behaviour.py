"""Behaviour windows by hand: the right months, and none after the observation month."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.features._behaviour_kernel import SPIKE, WINDOW_FEATURES, window_features
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


def _numpy_window_features(dpd, util, overdue, breach, turnover, rows, cols, inside):
    """The window features as numpy computes them (np.nanmean, np.fmax.reduce, np.nansum on
    float32 windows): the oracle of the compiled kernel."""
    idx = cols[:, None] - np.arange(12)[None, ::-1]

    def window(m):
        w = m[rows[:, None], idx]
        w[~inside] = np.nan
        return w

    def slope(w):
        x = np.where(np.isnan(w), np.nan, np.arange(w.shape[1], dtype=np.float32)[None, :])
        xc, yc = x - np.nanmean(x, axis=1, keepdims=True), w - np.nanmean(w, axis=1, keepdims=True)
        s = np.nansum(xc * yc, axis=1) / np.nansum(xc * xc, axis=1)
        return np.where((~np.isnan(w)).sum(axis=1) >= 3, s, np.nan)

    d, u, o, b, t = (window(m) for m in (dpd, util, overdue, breach, turnover))
    last_nan = np.isnan(d[:, -1])
    out = {"dpd": d[:, -1]}
    for w in (3, 6, 12):
        out[f"dpd_max_{w}m"], out[f"dpd_mean_{w}m"] = np.fmax.reduce(d[:, -w:], axis=1), np.nanmean(d[:, -w:], axis=1)
    out["months_dpd30_12m"] = np.where(last_nan, np.nan, (d > 30).sum(axis=1))
    out["utilisation"] = u[:, -1]
    out["utilisation_mean_3m"] = np.nanmean(u[:, -3:], axis=1)
    out["utilisation_vs_12m_mean"] = out["utilisation_mean_3m"] - np.nanmean(u, axis=1)
    out["utilisation_max_12m"] = np.fmax.reduce(u, axis=1)
    out["utilisation_trend_6m"] = slope(u[:, -6:])
    out["utilisation_spikes_12m"] = np.where(np.isnan(u[:, -1]), np.nan, (np.diff(u, axis=1) >= SPIKE).sum(axis=1))
    out["overdue_amount"], out["overdue_amount_max_12m"] = o[:, -1], np.fmax.reduce(o, axis=1)
    out["credit_turnover_vs_12m"] = np.nanmean(t[:, -3:], axis=1) - np.nanmean(t, axis=1)
    out["credit_turnover_trend_6m"] = slope(t[:, -6:])
    out["covenant_breaches_12m"] = np.where(np.isnan(b[:, -1]), np.nan, np.nansum(b, axis=1))
    return {k: v.astype(np.float32) for k, v in out.items()}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's own "Mean of empty slice" in the oracle
def test_compiled_windows_equal_numpy_value_for_value():
    rng = np.random.default_rng(7)
    n_obligors, n_months, n = 300, 40, 20_000
    shape = (n_obligors, n_months + 11)

    def series(scale):
        m = (rng.standard_normal(shape) * scale * 10 ** rng.uniform(-2, 2, shape)).astype(np.float32)
        m[rng.random(shape) < rng.uniform(0, 0.9, (n_obligors, 1))] = np.nan  # gaps, some windows nearly empty
        m[:, :11] = np.nan
        return m

    dpd = np.abs(np.round(series(30.0)))
    util, overdue, turnover = np.abs(series(0.5)), np.abs(series(100.0)), series(3.0)
    breach = np.where(np.isnan(dpd), np.nan, (rng.random(shape) < 0.2)).astype(np.float32)
    rows = rng.integers(0, n_obligors, n)
    cols = rng.integers(11, n_months + 11, n)
    inside = rng.random(n) < 0.95
    got = window_features(dpd, util, overdue, breach, turnover, rows, cols, inside)
    expected = _numpy_window_features(dpd, util, overdue, breach, turnover, rows, cols, inside)
    assert list(expected) == list(WINDOW_FEATURES)
    for k, name in enumerate(WINDOW_FEATURES):
        np.testing.assert_array_equal(got[k], expected[name], err_msg=name)
    assert np.isnan(got[:, ~inside]).all()
    assert not np.isnan(got[WINDOW_FEATURES.index("utilisation_trend_6m")]).all()  # the slopes were exercised


def test_a_record_without_an_obligor_or_a_month_counts_for_nobody(beh):
    other = beh.assign(obligor_id="B")
    stray = beh.iloc[[11]].assign(obligor_id=None, days_past_due=999)  # no id: numpy's -1 would be the last obligor
    undated = beh.iloc[[11]].assign(obligor_id="B", month_end=pd.NaT, days_past_due=999)
    table = pd.concat([beh, other, stray, undated], ignore_index=True)
    out = behaviour_features(table, pd.Series(["A", "B"]), pd.Series([pd.Timestamp("2020-12-31")] * 2))
    assert out["dpd_max_12m"].tolist() == [62, 62]
