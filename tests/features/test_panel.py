from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.config import BuildFeaturesParams, load_params
from workbench.data import GeneratorSettings, generate_portfolio
from workbench.features import ID_COLUMNS, build_panel, feature_columns, summarise_panel

PARAMS = load_params(BuildFeaturesParams, None, {"split.train_end": "2018-12-31", "split.valid_end": "2019-12-31"})


@pytest.fixture(scope="module")
def tables():
    return generate_portfolio(GeneratorSettings(n_obligors=800, years=7, seed=4))


@pytest.fixture(scope="module")
def panel(tables):
    return build_panel(tables, PARAMS)


def test_one_row_per_obligor_and_observation_date(panel):
    assert not panel.duplicated(["obligor_id", "obs_date"]).any()
    assert (panel["obs_date"] == panel["obs_date"] + pd.offsets.MonthEnd(0)).all()


def test_statements_used_were_available_at_the_observation_date(panel, tables):
    used = panel.merge(tables["financials"][["obligor_id", "period_end", "reported_date"]], on=["obligor_id", "period_end"])
    assert len(used) == len(panel)
    assert (used["reported_date"] <= used["obs_date"]).all()
    assert (used["period_end"] + pd.Timedelta(days=PARAMS.reporting_lag_days) <= used["obs_date"]).all()


def test_target_is_default_within_horizon_and_defaulted_obligors_are_dropped(panel, tables):
    dd = panel["obligor_id"].map(tables["defaults"].set_index("obligor_id")["default_date"])
    assert (dd.isna() | (dd > panel["obs_date"])).all()
    expected = dd.notna() & (dd <= panel["obs_date"] + pd.offsets.MonthEnd(12))
    assert (panel["default_12m"] == expected.astype(int)).all()
    assert panel["default_12m"].sum() > 20


def test_split_is_by_time(panel):
    order = {"train": 0, "valid": 1, "oot": 2}
    by_date = panel.groupby("split")["obs_date"].agg(["min", "max"])
    assert by_date.loc["train", "max"] < by_date.loc["valid", "min"]
    assert by_date.loc["valid", "max"] < by_date.loc["oot", "min"]
    assert list(summarise_panel(panel).index) == sorted(order, key=order.get)


def test_outcome_window_never_runs_past_the_data(panel, tables):
    data_end = tables["behaviour"]["month_end"].max()
    assert (panel["obs_date"] + pd.offsets.MonthEnd(12) <= data_end).all()


def test_features_are_numeric_and_finite(panel):
    feats = feature_columns(panel)
    assert len(feats) >= 20 and not set(feats) & set(ID_COLUMNS)
    values = panel[feats].to_numpy(dtype=float)
    assert not np.isinf(values).any()


def test_behaviour_features_use_no_month_after_the_observation_date(tables):
    """Change every behaviour record after each observation date: that row's features must not move."""
    panel = build_panel(tables, PARAMS)
    cut = panel["obs_date"].quantile(0.5)
    rows = panel[panel["obs_date"] <= cut]
    altered = dict(tables)
    beh = tables["behaviour"].copy()
    later = beh["month_end"] > cut
    beh.loc[later, "days_past_due"] = 89
    beh.loc[later, "utilisation"] = 1.2
    fin = tables["financials"].copy()
    fin.loc[fin["reported_date"] > cut, "total_debt"] *= 3
    altered["behaviour"], altered["financials"] = beh, fin
    again = build_panel(altered, PARAMS)
    again = again[again["obs_date"] <= cut]
    feats = [c for c in feature_columns(panel) if c != "default_12m"]
    pd.testing.assert_frame_equal(rows[["obligor_id", "obs_date"] + feats].reset_index(drop=True),
                                  again[["obligor_id", "obs_date"] + feats].reset_index(drop=True))


def test_missing_table_is_named(tables):
    with pytest.raises(KeyError, match="behaviour"):
        build_panel({k: v for k, v in tables.items() if k != "behaviour"}, PARAMS)


def test_a_late_old_statement_never_feeds_earlier_rows_or_growth(tables):
    """An old statement that arrives late must not show up before it arrives (reviewer's repro)."""
    fin = tables["financials"].copy()
    ob = fin["obligor_id"].value_counts().index[0]
    rows = fin.index[fin["obligor_id"] == ob]
    first, second = rows[0], rows[1]
    # The first statement only reaches the bank after the second one, with absurd revenue.
    fin.loc[first, "reported_date"] = fin.loc[second, "reported_date"] + pd.Timedelta(days=400)
    fin.loc[first, "revenue"] = 1e6
    altered = dict(tables, financials=fin)
    panel = build_panel(altered, PARAMS)
    mine = panel[panel["obligor_id"] == ob]
    late_arrival = fin.loc[first, "reported_date"]
    before = mine[mine["obs_date"] < late_arrival]
    assert (before["period_end"] != fin.loc[first, "period_end"]).all()
    # Once it arrives, the newer statement still wins; growth never divides by the 1e6 revenue.
    assert (mine["period_end"] != fin.loc[first, "period_end"]).all()
    assert mine["revenue_growth"].dropna().gt(-0.99).all()
