"""The as-of snapshot: performing obligors at month ends, point in time, equal to the panel where both exist."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from workbench.features import PanelParams, build_panel, feature_columns
from workbench.features.peers import PEER_RATIOS
from workbench.features.snapshot import (
    SNAPSHOT_ID_COLUMNS,
    check_as_of,
    data_range,
    month_ends,
    snapshot,
    snapshot_outcomes,
)
from workbench.features.statements import statement_features
from workbench.params import load_params
from workbench.synthetic import GeneratorSettings, generate_portfolio

PARAMS = load_params(PanelParams, None, {"split.train_end": "2018-12-31", "split.valid_end": "2019-12-31"})
CUT = pd.Timestamp("2018-06-30")


@pytest.fixture(scope="module")
def tables():
    return generate_portfolio(GeneratorSettings(n_obligors=300, years=6, seed=4))


@pytest.fixture(scope="module")
def panel(tables):
    return build_panel(tables, PARAMS)


@pytest.fixture(scope="module")
def full(tables):
    """The snapshot at every month end of the data."""
    return snapshot(tables, month_ends(tables), PARAMS)


def _usable(fin: pd.DataFrame) -> pd.Series:
    return np.maximum(fin["reported_date"], fin["period_end"] + pd.Timedelta(days=PARAMS.reporting_lag_days))


def _statement_features() -> list[str]:
    keys = {"obligor_id", "obs_date", "period_end", "available_date", "_newest"}
    fin = generate_portfolio(GeneratorSettings(n_obligors=20, years=3, seed=1))["financials"]
    return [c for c in statement_features(fin, PARAMS.reporting_lag_days).columns if c not in keys]


def test_columns_are_the_panels_without_the_target_features_float32_in_one_block(full, panel):
    assert list(full.columns[: len(SNAPSHOT_ID_COLUMNS)]) == list(SNAPSHOT_ID_COLUMNS)
    assert "default_12m" not in full.columns
    assert feature_columns(full) == feature_columns(panel)
    assert full[feature_columns(full)].dtypes.eq(np.float32).all()
    for col in SNAPSHOT_ID_COLUMNS:
        assert full[col].dtype == panel[col].dtype, col
    assert not np.isinf(full[feature_columns(full)].to_numpy()).any()
    from pandas.errors import PerformanceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", PerformanceWarning)
        full.assign(year=full["obs_date"].dt.year)


def test_rows_are_sorted_by_obligor_and_month_end_with_a_fresh_index(full):
    assert full.index.equals(pd.RangeIndex(len(full)))
    resorted = full.sort_values(["obligor_id", "obs_date"], kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(resorted, full)
    assert not full.duplicated(["obligor_id", "obs_date"]).any()
    assert (full["obs_date"] == full["obs_date"] + pd.offsets.MonthEnd(0)).all()


def test_rows_are_exactly_the_performing_obligor_months(full, tables):
    beh = tables["behaviour"][["obligor_id", "month_end"]].astype({"obligor_id": str})
    dd = beh["obligor_id"].map(tables["defaults"].set_index("obligor_id")["default_date"])
    performing = beh[dd.isna() | (dd > beh["month_end"])]
    expected = set(zip(performing["obligor_id"], performing["month_end"] + pd.offsets.MonthEnd(0)))
    assert set(zip(full["obligor_id"], full["obs_date"])) == expected


def test_defaulted_obligors_are_absent_from_their_default_month_end_on(full, tables):
    dft = tables["defaults"].set_index("obligor_id")["default_date"]
    last_seen = full.groupby("obligor_id")["obs_date"].max()
    inside = dft[(dft > data_range(tables)[0] + pd.offsets.MonthEnd(1)) & dft.index.isin(last_seen.index)]
    assert len(inside) >= 5
    # Present at the month end before the default (they had a behaviour record then), gone from then on.
    before = (inside - pd.offsets.MonthEnd(1)).dt.normalize()
    assert (last_seen[inside.index] < inside).all()
    assert (last_seen[inside.index] == before).all()
    # The behaviour table still has their default month: absence comes from the default, not missing data.
    beh = tables["behaviour"]
    month_of_default = inside.dt.normalize() + pd.offsets.MonthEnd(0)
    has_record = [((beh["obligor_id"] == ob) & (beh["month_end"] == m)).any() for ob, m in month_of_default.items()]
    assert any(has_record)


def test_an_obligor_without_a_behaviour_record_that_month_is_absent(tables):
    beh = tables["behaviour"]
    ob = "OB000001"
    month = pd.Timestamp("2017-03-31")
    gap = beh[~((beh["obligor_id"] == ob) & (beh["month_end"] == month))]
    months = [month - pd.offsets.MonthEnd(1), month, month + pd.offsets.MonthEnd(1)]
    snap = snapshot(dict(tables, behaviour=gap), months, PARAMS)
    assert list(snap.loc[snap["obligor_id"] == ob, "obs_date"]) == [months[0], months[2]]
    assert snapshot(tables, months, PARAMS)["obligor_id"].eq(ob).sum() == 3


def test_changing_every_record_after_the_as_of_date_changes_no_snapshot(tables):
    """Leakage guard: statements usable after the cut (including ones whose period ended before it but
    which were reported after), behaviour, questionnaires and macro after the cut are altered, dropped
    or added, later defaults removed and new ones invented; no snapshot up to the cut may move."""
    rng = np.random.default_rng(0)
    dates = month_ends(tables, end=CUT)
    before = snapshot(tables, dates, PARAMS)

    fin = tables["financials"].copy()
    later = _usable(fin) > CUT
    late_old = later & (fin["period_end"] < CUT)
    assert late_old.sum() > 10  # statements of periods before the cut, reported after it
    for col in ("revenue", "ebitda", "ebit", "total_debt", "cash", "operating_cash_flow", "total_assets"):
        fin.loc[later, col] = fin.loc[later, col] * rng.uniform(0.2, 3.0, later.sum())
    fin.loc[later, "audited"] = ~fin.loc[later, "audited"]
    fin = fin.drop(fin.index[later.to_numpy()][::5])
    # A statement for a period long before the cut that only arrives after it, with absurd figures.
    extra = fin[fin["obligor_id"] == "OB000010"].iloc[[0]].copy()
    extra["period_end"] = CUT - pd.offsets.MonthEnd(7)
    extra["reported_date"] = CUT + pd.Timedelta(days=1)
    extra["revenue"] = 1e6
    fin = pd.concat([fin, extra], ignore_index=True)

    beh = tables["behaviour"].copy()
    later = beh["month_end"] > CUT
    beh.loc[later, "days_past_due"] = 89
    beh.loc[later, "utilisation"] = 1.2
    beh.loc[later, "covenant_breach"] = True
    beh.loc[later, "credit_turnover"] = beh.loc[later, "credit_turnover"] * 0.1
    newcomer = beh[later & (beh["obligor_id"] == "OB000002")].assign(obligor_id="OB999999")
    beh = beh.drop(beh.index[later.to_numpy()][::7])
    beh = pd.concat([beh, newcomer], ignore_index=True)

    dft = tables["defaults"]
    dft = dft[dft["default_date"] <= CUT]  # every later default disappears ...
    alive = before.loc[before["obs_date"] == CUT, "obligor_id"].iloc[:5]
    invented = pd.DataFrame({"obligor_id": alive.to_numpy(), "default_date": CUT + pd.Timedelta(days=3),
                             "default_type": "unlikely_to_pay", "ead": 1.0, "recovery": 0.5})
    dft = pd.concat([dft, invented], ignore_index=True)  # ... and some appear the day after the cut

    macro = tables["macro"].copy()
    later = macro["month_end"] > CUT
    macro.loc[later, macro.columns[1:]] = macro.loc[later, macro.columns[1:]] * 1.7 + 3

    quest = tables["questionnaires"].copy()
    later = quest["survey_date"] > CUT
    assert later.sum() > 0
    quest.loc[later, "answer"] = 6 - quest.loc[later, "answer"]
    quest = quest.drop(quest.index[later.to_numpy()][::3])

    altered = dict(tables, financials=fin, behaviour=beh, defaults=dft, macro=macro, questionnaires=quest)
    pd.testing.assert_frame_equal(snapshot(altered, dates, PARAMS), before)
    # The alterations are real: a month end after the cut does move.
    after = CUT + pd.offsets.MonthEnd(6)
    assert not snapshot(altered, after, PARAMS).equals(snapshot(tables, after, PARAMS))


def test_at_a_panel_observation_date_the_snapshot_row_is_the_panel_row(full, panel):
    feats = feature_columns(panel)
    both = panel[["obligor_id", "obs_date"]].merge(full, on=["obligor_id", "obs_date"], how="left")
    # Every panel row is a performing obligor-month, so it is in the snapshot.
    assert both["industry"].notna().all() and len(both) == len(panel) > 500
    cols = ["obligor_id", "obs_date", "period_end", "industry", "segment", "split", *feats]
    pd.testing.assert_frame_equal(both[cols], panel[cols])


def test_each_row_uses_the_newest_statement_usable_by_its_month_end(full, tables):
    fin = tables["financials"][["obligor_id", "period_end"]].assign(usable=_usable(tables["financials"]))
    pairs = full[["obligor_id", "obs_date"]].merge(fin, on="obligor_id")
    pairs = pairs[pairs["usable"] <= pairs["obs_date"]]
    newest = pairs.groupby(["obligor_id", "obs_date"])["period_end"].max()
    used = full.set_index(["obligor_id", "obs_date"])["period_end"]
    assert used.dropna().sort_index().equals(newest.reindex(used.dropna().index).sort_index())
    assert used[used.isna()].index.isin(newest.index).sum() == 0  # NaT only where nothing was usable
    age = (full["obs_date"] - full["period_end"]).dt.days.astype(np.float32)
    np.testing.assert_array_equal(full["statement_age_days"].to_numpy(), age.to_numpy())
    start = full["obligor_id"].map(tables["obligors"].set_index("obligor_id")["relationship_start"])
    years = ((full["obs_date"] - start).dt.days / 365.25).astype(np.float32)
    np.testing.assert_array_equal(full["relationship_years"].to_numpy(), years.to_numpy())


def test_a_late_old_statement_is_not_used_before_it_arrives_nor_over_a_newer_one(tables):
    fin = tables["financials"].copy()
    ob = fin["obligor_id"].value_counts().index[0]
    rows = fin.index[fin["obligor_id"] == ob]
    first, second = rows[0], rows[1]
    fin.loc[first, "reported_date"] = fin.loc[second, "reported_date"] + pd.Timedelta(days=400)
    snap = snapshot(dict(tables, financials=fin), month_ends(tables), PARAMS)
    mine = snap[snap["obligor_id"] == ob]
    arrival = (fin.loc[second, "reported_date"] + pd.offsets.MonthEnd(0)).normalize()
    assert (mine["period_end"] != fin.loc[first, "period_end"]).all()
    assert mine.loc[mine["obs_date"] < arrival, "period_end"].isna().all()


def test_a_late_statement_for_an_earlier_period_changes_no_trend_before_it_arrives(tables):
    # Counting the late in-between statement as "the year before" of the next one from the start (taking
    # the k-th earlier period, then dropping it as not usable yet) would turn that one's growth NaN before
    # the late statement even arrived.
    fin = tables["financials"]
    ob = "OB000010"
    mine = fin[fin["obligor_id"] == ob].sort_values("period_end")
    target = mine.iloc[2]
    extra = mine.iloc[[1]].copy()
    extra["period_end"] = target["period_end"] - pd.offsets.MonthEnd(1)
    extra["reported_date"] = target["reported_date"] + pd.Timedelta(days=500)
    dates = month_ends(tables, start=target["reported_date"], end=extra["reported_date"].iloc[0]
                       - pd.offsets.MonthEnd(1))
    before = snapshot(tables, dates, PARAMS)
    after = snapshot(dict(tables, financials=pd.concat([fin, extra], ignore_index=True)), dates, PARAMS)
    assert before.loc[before["obligor_id"] == ob, "revenue_growth"].notna().any()
    pd.testing.assert_frame_equal(after, before)


def test_a_performing_obligor_without_a_usable_statement_is_kept_with_nan_statement_features(tables, full):
    at = full[full["obs_date"].isin(pd.to_datetime(["2016-06-30", "2019-06-30"])) & full["period_end"].notna()]
    ob = at["obligor_id"].value_counts().index[0]  # performing at both dates, with statements then
    fin = tables["financials"][tables["financials"]["obligor_id"] != ob]
    snap = snapshot(dict(tables, financials=fin), ["2016-06-30", "2019-06-30"], PARAMS)
    mine = snap[snap["obligor_id"] == ob]
    assert len(mine) == 2 and mine["period_end"].isna().all()
    peer_cols = [c for c in snap.columns if "peer" in c]
    assert len(peer_cols) == 3 * len(PEER_RATIOS) + 2
    assert mine[_statement_features() + peer_cols].isna().all().all()
    assert mine[["dpd", "utilisation", "relationship_years", "gdp_growth"]].notna().all().all()
    # Others at the same month ends keep their statements.
    assert snap.loc[(snap["obligor_id"] != ob) & (snap["obs_date"] == "2019-06-30"), "period_end"].notna().mean() > 0.9


def test_early_months_have_clients_without_statements_yet(full):
    first = full[full["obs_date"] == full["obs_date"].min()]
    assert len(first) > 100 and first["period_end"].isna().all() and first["leverage"].isna().all()


def test_many_month_ends_at_once_equal_one_month_end_at_a_time(tables):
    dates = pd.DatetimeIndex(["2015-03-31", "2016-09-30", "2018-06-30", "2020-12-31"])
    together = snapshot(tables, dates, PARAMS)
    one_by_one = pd.concat([snapshot(tables, d, PARAMS) for d in dates], ignore_index=True)
    one_by_one = one_by_one.sort_values(["obligor_id", "obs_date"], kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(together, one_by_one)
    assert set(together["obs_date"]) == set(dates)


def test_as_of_dates_are_taken_to_month_ends_and_deduplicated(tables):
    once = snapshot(tables, "2018-06-30", PARAMS)
    pd.testing.assert_frame_equal(snapshot(tables, ["2018-06-05", pd.Timestamp("2018-06-30"), "2018-06-17"], PARAMS),
                                  once)
    assert (once["obs_date"] == CUT).all()


def test_split_follows_the_panel_params(full):
    expected = np.where(full["obs_date"] <= "2018-12-31", "train",
                        np.where(full["obs_date"] <= "2019-12-31", "valid", "oot"))
    assert (full["split"].to_numpy() == expected).all()


def test_compact_tables_give_the_same_snapshot(tables):
    from workbench.data.io import compact_table

    compact = {name: compact_table(name, df) for name, df in tables.items()}
    assert compact["behaviour"]["obligor_id"].dtype == "category"
    pd.testing.assert_frame_equal(snapshot(compact, ["2016-06-30", CUT], PARAMS),
                                  snapshot(tables, ["2016-06-30", CUT], PARAMS))


def test_an_as_of_outside_the_data_is_refused_naming_the_range(tables):
    with pytest.raises(ValueError, match=r"as-of 2031-01-31 is after the data's last month end 2020-12-31 "
                                         r"\(data covers 2015-01-31 \.\. 2020-12-31\)"):
        snapshot(tables, "2031-01-15", PARAMS)
    with pytest.raises(ValueError, match=r"as-of 2014-12-31 is before the data's first month end 2015-01-31"):
        check_as_of(tables, ["2016-01-31", "2014-12-31"])
    with pytest.raises(ValueError, match="empty"):
        check_as_of(tables, [])
    assert list(check_as_of(tables, ["2020-12-01", "2015-01-31"])) == [pd.Timestamp("2015-01-31"),
                                                                       pd.Timestamp("2020-12-31")]


def test_missing_table_is_named(tables):
    with pytest.raises(KeyError, match="financials"):
        snapshot({k: v for k, v in tables.items() if k != "financials"}, CUT, PARAMS)


def test_month_ends_and_data_range_follow_the_behaviour_table():
    beh = pd.DataFrame({"obligor_id": ["a", "a", "b", "b", "b"],
                        "month_end": pd.to_datetime(["2020-01-31", "2020-02-29", "2020-02-29", "2020-04-30",
                                                     "2020-05-31"])})
    tables = {"behaviour": beh}
    assert data_range(tables) == (pd.Timestamp("2020-01-31"), pd.Timestamp("2020-05-31"))
    assert list(month_ends(tables)) == list(pd.to_datetime(["2020-01-31", "2020-02-29", "2020-04-30", "2020-05-31"]))
    assert list(month_ends(tables, start="2020-02-10", end="2020-04-30")) == list(
        pd.to_datetime(["2020-02-29", "2020-04-30"]))
    with pytest.raises(KeyError, match="behaviour"):
        data_range({})


def test_snapshot_outcomes_are_defaults_within_the_horizon_and_nan_past_the_data():
    snap = pd.DataFrame({
        "obligor_id": ["a", "b", "c", "d", "e", "f", "g"],
        "obs_date": pd.to_datetime(["2020-01-31"] * 6 + ["2020-06-30"]),
    }, index=[10, 11, 12, 13, 14, 15, 16])
    defaults = pd.DataFrame({
        "obligor_id": ["a", "b", "d", "e", "f", "f", "g"],
        "default_date": pd.to_datetime(["2020-06-15", "2021-03-01", "2021-01-31", "2021-02-01", "2019-05-01",
                                        "2020-08-01", "2021-01-15"]),
    })
    out = snapshot_outcomes(snap, defaults, 12, data_end=pd.Timestamp("2021-01-31"))
    assert list(out.columns) == ["obligor_id", "obs_date", "default_date", "default_within"]
    assert out.index.equals(snap.index) and list(out["obligor_id"]) == list(snap["obligor_id"])
    # a: within; b: after the horizon; c: no default; d: on the horizon's last day; e: a day after it;
    # f: an earlier default is ignored, the next one counts; g: window runs past the data (even with a default seen).
    np.testing.assert_array_equal(out["default_within"].to_numpy(), [1.0, 0.0, 0.0, 1.0, 0.0, 1.0, np.nan])
    assert out["default_within"].dtype == np.float64
    assert out.loc[12, "default_date"] is pd.NaT
    assert out.loc[15, "default_date"] == pd.Timestamp("2020-08-01")
    assert out.loc[11, "default_date"] == pd.Timestamp("2021-03-01")
    short = snapshot_outcomes(snap, defaults, 3, data_end="2021-01-31")
    np.testing.assert_array_equal(short["default_within"].to_numpy(), [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])


def test_snapshot_outcomes_match_the_panel_target(full, panel, tables):
    out = snapshot_outcomes(full, tables["defaults"], PARAMS.horizon_months, data_end=data_range(tables)[1])
    merged = panel[["obligor_id", "obs_date", "default_12m"]].merge(out, on=["obligor_id", "obs_date"])
    assert len(merged) == len(panel)
    np.testing.assert_array_equal(merged["default_within"].to_numpy(), merged["default_12m"].to_numpy(dtype=float))
    late = full["obs_date"] + pd.offsets.MonthEnd(12) > data_range(tables)[1]
    assert out.loc[late, "default_within"].isna().all() and out.loc[~late, "default_within"].notna().all()
    with pytest.raises(KeyError, match="default_date"):
        snapshot_outcomes(full, tables["defaults"].drop(columns="default_date"), data_end="2020-12-31")
