"""One month end's report: its frames (tiers, exposures, alerts, watchlist, reviews), the tables a reader
looks at against hand counts, the MLflow metrics, the CSV outputs and the exposure plot."""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from workbench import format as fmt
from workbench.accounts.report import (
    CHANGE_STATUSES,
    month_report,
    plot_exposure_by_tier_and_level,
    save_month_outputs,
)
from workbench.accounts.watchlist import watchlist_step
from workbench.reference import metrics as metric_names

AS_OF = pd.Timestamp("2019-12-31")


@pytest.fixture(scope="module")
def watchlist(book, monitoring_params) -> pd.DataFrame:
    """The watchlist of AS_OF after six months of the pure monthly step (no database needed here)."""
    rows = None
    for day in book.months[-6:]:
        rows = watchlist_step(rows, book.alerts_at(day), None, monitoring_params.watchlist, day)
    return rows


@pytest.fixture(scope="module")
def report(book, portfolio, monitoring_params, watchlist):
    return month_report(book, portfolio, AS_OF, monitoring_params, watchlist)


def test_report_tiers_are_one_row_per_performing_obligor(report, book):
    assert report.as_of == AS_OF
    assert report.tiers["obligor_id"].is_unique
    assert set(report.tiers["obligor_id"]) == set(book.scored_at(AS_OF)["obligor_id"])
    assert (report.tiers["obs_date"] == AS_OF).all()


def test_report_takes_any_day_of_the_month_to_its_month_end(book, portfolio, monitoring_params, watchlist, report):
    again = month_report(book, portfolio, "2019-12-05", monitoring_params, watchlist)
    assert again.as_of == AS_OF
    pd.testing.assert_frame_equal(again.tiers, report.tiers)


def test_report_tiers_before_are_the_tiers_migration_months_earlier(report, monitoring_params):
    before = AS_OF - pd.offsets.MonthEnd(monitoring_params.migration_months)
    assert len(report.tiers_before) > 0
    assert (report.tiers_before["obs_date"] == before).all()


def test_report_alerts_are_that_months_alerts_without_reasons_when_no_model(report, book):
    pd.testing.assert_frame_equal(report.alerts, book.alerts_at(AS_OF))
    assert report.reasons is None


@pytest.mark.parametrize("by", ["tier", "grade", "industry"])
def test_overview_all_row_ead_equals_the_sum_of_per_facility_ead(report, by):
    table = report.overview(by)
    f = report.per_facility
    assert table.index[-1] == "all"
    assert table.loc["all", "EAD (EUR m)"] == fmt.eur_m(f["ead"].sum())
    assert table.loc["all", "facilities"] == fmt.integer(len(f))
    assert table.loc["all", "clients"] == fmt.integer(f["obligor_id"].nunique())
    assert len(table) == f[by].nunique() + 1


@pytest.mark.parametrize("by", ["tier", "grade", "industry"])
def test_overview_rows_are_the_per_facility_sums_of_their_group(report, by):
    table = report.overview(by)
    f = report.per_facility
    for key, part in f.groupby(by):
        assert table.loc[key, "EAD (EUR m)"] == fmt.eur_m(part["ead"].sum())
        assert table.loc[key, "expected loss (EUR m)"] == fmt.eur_m((part["pd"] * part["lgd"] * part["ead"]).sum())
        assert table.loc[key, "clients"] == fmt.integer(part["obligor_id"].nunique())


def test_overview_by_tier_counts_red_and_amber_alerts_of_each_tier(report):
    table = report.overview("tier")
    levels = report.alerts.merge(report.tiers[["obligor_id", "tier"]], on="obligor_id")
    for tier in report.per_facility["tier"].unique():
        mine = levels[levels["tier"] == tier]["level"]
        assert table.loc[tier, "red alerts"] == fmt.integer((mine == "red").sum())
        assert table.loc[tier, "amber alerts"] == fmt.integer((mine == "amber").sum())


def test_alert_counts_totals_equal_the_number_of_alerts(report):
    table = report.alert_counts()
    alerts = report.alerts
    assert list(table.columns) == ["green", "amber", "red", "all"]
    assert table.loc["all", "all"] == len(alerts)
    for level in ("green", "amber", "red"):
        assert table.loc["all", level] == int((alerts["level"] == level).sum())
    per_tier = report.tiers["tier"].value_counts()
    for tier, clients in per_tier.items():
        assert table.loc[tier, "all"] == clients


def test_watchlist_changes_only_shows_change_statuses(report, watchlist):
    changes = report.watchlist_changes(n=1000)
    expected = watchlist[watchlist["status"].isin(CHANGE_STATUSES)]
    assert len(expected) > 0 and len(expected) < len(watchlist)  # some rows are no change ("unchanged", ...)
    assert set(changes["Status"]) <= set(CHANGE_STATUSES)
    assert sorted(changes["Obligor"]) == sorted(expected["obligor_id"])
    order = changes["Status"].map({s: i for i, s in enumerate(CHANGE_STATUSES)})
    assert order.is_monotonic_increasing  # most severe first


def test_watchlist_changes_shows_at_most_n_cases(report):
    assert len(report.watchlist_changes(n=2)) == 2


def test_pending_decisions_counts_equal_hand_counts_from_the_watchlist(report, watchlist):
    w = watchlist.copy()
    on_list = w["on_list"].astype(bool)
    assert on_list.any()
    # Give some cases an owner and flag some plans / cases so that every count is neither zero nor all.
    listed = w.index[on_list]
    w.loc[listed[::2], "owner"] = "J. Owner"
    w.loc[listed[::3], "plan_overdue"] = True
    w.loc[listed[1::3], "plan_overdue"] = False
    w.loc[listed[::4], "workout_overdue"] = True
    w.loc[w.index[~on_list], ["owner", "plan_overdue", "workout_overdue"]] = [None, True, True]  # off the list
    pending = dataclasses.replace(report, watchlist=w).pending_decisions()["cases"]
    mine = w[on_list]
    hand = [
        int((mine["status"] == "eligible for exit").sum()),
        int(mine["owner"].isna().sum() + mine["owner"].isin(["", "unassigned"]).sum()),
        int(mine["plan_overdue"].astype(bool).sum()),
        int(mine["workout_overdue"].astype(bool).sum()),
    ]
    assert list(pending) == hand
    assert hand[0] > 0 and 0 < hand[1] < len(mine)


def test_metrics_keys_are_the_reference_monitoring_names_and_values_match_hand_counts(report, watchlist):
    m = report.metrics()
    names = {
        metric_names.MONITORING_RED_ALERTS, metric_names.MONITORING_AMBER_ALERTS, metric_names.MONITORING_WATCHLIST,
        metric_names.MONITORING_WATCHLIST_NEW, metric_names.MONITORING_AWAITING_EXIT,
        metric_names.MONITORING_TIER_A_SHARE, metric_names.MONITORING_LARGE_EXPOSURE_BREACHES,
        metric_names.MONITORING_REVIEWS_OVERDUE, metric_names.MONITORING_HHI,
    }
    assert set(m) == names
    assert all(isinstance(v, float) for v in m.values())
    levels = report.alerts["level"].value_counts()
    assert m[metric_names.MONITORING_RED_ALERTS] == levels.get("red", 0)
    assert m[metric_names.MONITORING_AMBER_ALERTS] == levels.get("amber", 0)
    statuses = watchlist["status"].value_counts()
    assert m[metric_names.MONITORING_WATCHLIST] == int(watchlist["on_list"].sum())
    assert m[metric_names.MONITORING_WATCHLIST_NEW] == statuses.get("new", 0)
    assert m[metric_names.MONITORING_AWAITING_EXIT] == statuses.get("eligible for exit", 0)
    tiers = report.tiers["tier"]
    assert m[metric_names.MONITORING_TIER_A_SHARE] == pytest.approx((tiers == "A").sum() / len(tiers))
    assert m[metric_names.MONITORING_REVIEWS_OVERDUE] == int(report.reviews["months_overdue"].gt(0).sum())
    assert m[metric_names.MONITORING_LARGE_EXPOSURE_BREACHES] == int((report.large["status"] == "breach").sum())
    exposure = report.exposures[report.concentration.column]
    share = exposure / exposure.sum()
    assert m[metric_names.MONITORING_HHI] == pytest.approx(float((share**2).sum()))


def test_migration_rows_are_tiers_before_and_columns_tiers_now(report):
    matrix = report.migration()
    assert list(matrix.index) == ["A", "B", "C", "new"]
    assert list(matrix.columns) == ["A", "B", "C", "left"]
    now = report.tiers["tier"].value_counts()
    before = report.tiers_before["tier"].value_counts()
    for tier in ("A", "B", "C"):
        assert matrix[tier].sum() == now.get(tier, 0)
        assert matrix.loc[tier].sum() == before.get(tier, 0)
    everyone = set(report.tiers["obligor_id"]) | set(report.tiers_before["obligor_id"])
    assert matrix.to_numpy().sum() == len(everyone)
    assert matrix.loc["new"].sum() == len(set(report.tiers["obligor_id"]) - set(report.tiers_before["obligor_id"]))


def test_migration_of_a_month_without_an_earlier_month_in_the_book_counts_everyone_as_new(book, portfolio,
                                                                                       monitoring_params, watchlist):
    early = month_report(book, portfolio, book.months[3], monitoring_params, watchlist)
    assert early.tiers_before.empty
    matrix = early.migration()
    assert matrix.loc["new"].sum() == len(early.tiers)
    assert matrix.drop(index="new").to_numpy().sum() == 0


def test_reviews_of_the_report_are_one_row_per_tiered_obligor(report):
    assert sorted(report.reviews["obligor_id"]) == sorted(report.tiers["obligor_id"])
    table = report.reviews_table()
    assert sum(int(v.replace(",", "")) for v in table["clients"]) == len(report.tiers)


def test_tables_for_people_are_frames_of_text(report):
    for table in (report.tier_table(), report.top_tier_a(), report.alert_table(("red", "amber")),
                  report.large_exposures_table(), report.groups_table(), report.watchlist_summary(),
                  report.pending_cases()):
        assert isinstance(table, pd.DataFrame) and len(table) > 0
    reds = report.alert_table(("red",), n=1000)
    assert set(reds["level"]) == {"red"}
    assert len(reds) == int((report.alerts["level"] == "red").sum())
    assert report.watchlist_summary()["clients"].sum() == len(report.watchlist)


def test_save_month_outputs_writes_the_four_csvs(report, tmp_path):
    paths = save_month_outputs(report, tmp_path / "out")
    assert set(paths) == {"tiers", "alerts", "watchlist", "large_exposures"}
    frames = {"tiers": report.tiers, "alerts": report.alerts, "watchlist": report.watchlist,
              "large_exposures": report.large}
    for name, path in paths.items():
        assert path.exists() and path.name == f"{name}.csv"
        back = pd.read_csv(path)
        assert len(back) == len(frames[name])
        assert list(back.columns) == list(frames[name].columns)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(f"{n}.csv" for n in paths)


def test_plot_exposure_by_tier_and_level_returns_a_closed_figure_of_the_ead(report):
    fig = plot_exposure_by_tier_and_level(report)
    assert isinstance(fig, Figure)
    assert fig.number not in plt.get_fignums()
    (ax,) = fig.axes
    heights = np.array([p.get_height() for p in ax.patches])
    assert heights.sum() == pytest.approx(report.per_facility["ead"].sum())
    assert [t.get_text() for t in ax.get_xticklabels()] == sorted(report.per_facility["tier"].unique())


def test_report_of_data_without_an_interactions_table_counts_reviews_from_the_data_start(book, portfolio,
                                                                                       monitoring_params, watchlist):
    tables = {name: frame for name, frame in portfolio.items() if name != "interactions"}
    r = month_report(book, tables, AS_OF, monitoring_params, watchlist)
    assert not r.reviews["reviewed_in_data"].any()
    assert (r.reviews["last_review"] >= book.months[0]).all()
    assert len(r.reviews) == len(r.tiers)
