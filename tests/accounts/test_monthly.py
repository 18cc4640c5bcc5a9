"""The monitoring book: every month end through ``through``, refusals outside the data, outcomes as known at
``through`` (no later default), one-month slices and the tiers of a month."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.accounts.monthly import monitoring_book, month_tiers
from workbench.accounts.tiering import assign_tiers
from workbench.features.snapshot import data_range

EARLY = pd.Timestamp("2018-06-30")


@pytest.fixture(scope="module")
def early_book(portfolio, fake_model, monitoring_params):
    """The same data, but a book as the report of June 2018 would build it."""
    return monitoring_book(portfolio, fake_model, monitoring_params, through=EARLY)


def test_book_covers_every_month_end_from_the_datas_first_through_its_last_by_default(portfolio, book):
    first, last = data_range(portfolio)
    expected = pd.date_range(first, last, freq="ME")
    assert list(book.months) == list(expected)
    assert book.through == last
    assert book.data_end == last
    assert sorted(book.scored["obs_date"].unique()) == list(expected)
    assert sorted(book.ews.alerts["obs_date"].unique()) == list(expected)


def test_book_covers_every_month_end_from_the_datas_first_through_an_earlier_through(portfolio, early_book):
    first, _ = data_range(portfolio)
    assert list(early_book.months) == list(pd.date_range(first, EARLY, freq="ME"))
    assert early_book.through == EARLY
    assert early_book.scored["obs_date"].max() == EARLY


def test_book_takes_a_mid_month_through_to_its_month_end(portfolio, fake_model, monitoring_params):
    b = monitoring_book(portfolio, fake_model, monitoring_params, through="2015-03-14")
    assert b.through == pd.Timestamp("2015-03-31")
    assert len(b.months) == 3


@pytest.mark.parametrize("through", ["2021-06-30", "2014-06-30"])
def test_book_refuses_a_through_outside_the_data_naming_the_datas_range(portfolio, fake_model, monitoring_params,
                                                                        through):
    first, last = data_range(portfolio)
    with pytest.raises(ValueError) as err:
        monitoring_book(portfolio, fake_model, monitoring_params, through=through)
    assert f"{first:%Y-%m-%d}" in str(err.value) and f"{last:%Y-%m-%d}" in str(err.value)


def test_outcomes_are_nan_for_months_whose_12_month_window_runs_past_through(early_book, monitoring_params):
    horizon = monitoring_params.panel.horizon_months
    o = early_book.outcomes
    window_end = pd.DatetimeIndex(o["obs_date"]) + pd.offsets.MonthEnd(horizon)
    open_window = np.asarray(window_end > EARLY)
    assert open_window.any() and (~open_window).any()
    assert o.loc[open_window, "default_within"].isna().all()
    assert o.loc[~open_window, "default_within"].notna().all()
    assert len(early_book.outcomes_known()) == int((~open_window).sum())
    assert early_book.outcomes_known()["obs_date"].max() == EARLY - pd.offsets.MonthEnd(horizon)


def test_outcomes_have_one_row_per_scored_row(book):
    pd.testing.assert_frame_equal(book.outcomes[["obligor_id", "obs_date"]].reset_index(drop=True),
                                  book.scored[["obligor_id", "obs_date"]].reset_index(drop=True))


def test_known_outcomes_of_an_earlier_book_count_only_defaults_on_or_before_its_through(portfolio, book, early_book,
                                                                                        monitoring_params):
    horizon = monitoring_params.panel.horizon_months
    defaults = portfolio["defaults"]
    # The check can fail only if the data holds defaults the June 2018 report must not see.
    assert (defaults["default_date"] > EARLY).any()
    known = early_book.outcomes_known()
    # By hand: a default of the obligor in (obs_date, obs_date + 12 month ends] that is on or before through.
    pairs = known[["obligor_id", "obs_date"]].reset_index().merge(defaults[["obligor_id", "default_date"]],
                                                                  on="obligor_id", how="left")
    end = pairs["obs_date"] + pd.offsets.MonthEnd(horizon)
    hit = ((pairs["default_date"] > pairs["obs_date"]) & (pairs["default_date"] <= end)
           & (pairs["default_date"] <= EARLY))
    expected = hit.groupby(pairs["index"]).any().astype(float).reindex(known.index)
    np.testing.assert_array_equal(known["default_within"].to_numpy(), expected.to_numpy())
    # and the full book agrees on those rows: what matured by June 2018 does not change later.
    full = book.outcomes.set_index(["obligor_id", "obs_date"])["default_within"]
    again = full.reindex(pd.MultiIndex.from_frame(known[["obligor_id", "obs_date"]]))
    np.testing.assert_array_equal(known["default_within"].to_numpy(), again.to_numpy())


def test_outcomes_of_an_earlier_book_show_no_default_date_after_its_through(early_book):
    """A report as of a past date sees no later default, not even as a date in the outcomes frame."""
    later = early_book.outcomes["default_date"] > early_book.through
    assert not later.any(), (f"{int(later.sum())} outcome rows of the book through {early_book.through:%Y-%m-%d} "
                             f"show a later default, e.g. "
                             f"{early_book.outcomes.loc[later, ['obligor_id', 'default_date']].head(3).to_dict('records')}")


def test_an_earlier_book_is_unchanged_by_defaults_after_its_through(portfolio, fake_model, monitoring_params,
                                                                    early_book):
    alive = early_book.scored_at(EARLY)["obligor_id"]
    extra = pd.DataFrame({"obligor_id": alive.head(20).to_numpy(), "default_date": EARLY + pd.Timedelta(days=10)})
    changed = dict(portfolio, defaults=pd.concat([portfolio["defaults"], extra], ignore_index=True))
    again = monitoring_book(changed, fake_model, monitoring_params, through=EARLY)
    pd.testing.assert_frame_equal(again.scored, early_book.scored)
    pd.testing.assert_frame_equal(again.ews.alerts, early_book.ews.alerts)
    pd.testing.assert_series_equal(again.outcomes["default_within"], early_book.outcomes["default_within"])


def test_scored_at_is_the_scored_rows_of_that_month_end(book):
    day = pd.Timestamp("2017-05-31")
    rows = book.scored_at("2017-05-12")  # any day of the month means its month end
    assert (rows["obs_date"] == day).all()
    assert rows.index.equals(pd.RangeIndex(len(rows)))
    pd.testing.assert_frame_equal(rows, book.scored[book.scored["obs_date"] == day].reset_index(drop=True))
    assert rows["obligor_id"].is_unique
    assert {"pd", "grade"} <= set(rows.columns)


def test_alerts_at_is_one_alert_per_performing_obligor_of_that_month_end(book):
    day = pd.Timestamp("2017-05-31")
    alerts = book.alerts_at(day)
    assert (alerts["obs_date"] == day).all()
    assert alerts["obligor_id"].is_unique
    assert set(alerts["obligor_id"]) == set(book.scored_at(day)["obligor_id"])
    assert set(alerts["level"]) <= {"green", "amber", "red"}
    pd.testing.assert_frame_equal(alerts, book.ews.alerts[book.ews.alerts["obs_date"] == day].reset_index(drop=True))


def test_signals_at_holds_only_that_month_end(book):
    signals = book.signals_at("2017-05-31")
    assert len(signals) > 0
    assert (signals["obs_date"] == pd.Timestamp("2017-05-31")).all()


@pytest.mark.parametrize("day", ["2019-01-31", "2014-12-31"])
def test_a_month_not_in_the_book_is_a_key_error_naming_the_books_range(early_book, day):
    for at in (early_book.scored_at, early_book.alerts_at):
        with pytest.raises(KeyError, match=r"2015-01-31 \.\. 2018-06-30"):
            at(day)


def test_month_tiers_are_the_tiers_of_that_months_scored_snapshot(portfolio, book, monitoring_params):
    day = pd.Timestamp("2019-12-31")
    tiers = month_tiers(book, portfolio, day, monitoring_params)
    assert tiers["obligor_id"].is_unique
    assert set(tiers["obligor_id"]) == set(book.scored_at(day)["obligor_id"])
    assert set(tiers["tier"]) <= {"A", "B", "C"}
    expected = assign_tiers(book.scored_at(day), portfolio["facilities"], monitoring_params.tiering,
                            monitoring_params.pricing)
    pd.testing.assert_frame_equal(tiers, expected)


def test_month_tiers_refuses_a_month_not_in_the_book(portfolio, early_book, monitoring_params):
    with pytest.raises(KeyError, match="not in the book"):
        month_tiers(early_book, portfolio, "2019-12-31", monitoring_params)


def test_an_approved_override_moves_the_client_to_the_tier_of_its_approved_grade(portfolio, book, monitoring_params):
    import datetime as dt

    from workbench.accounts.monthly import month_tiers

    as_of = book.months[-1]
    plain = month_tiers(book, portfolio, as_of, monitoring_params)
    client = plain[plain["tier"] != "C"].sort_values("obligor_id")["obligor_id"].iloc[0]
    overrides = pd.DataFrame({
        "id": [1], "obligor_id": [client], "as_of": [as_of], "model_grade": [None], "proposed_grade": [10],
        "reason": ["fraud suspected"], "proposed_by": ["R. Manager"], "proposed_at": [dt.datetime(2000, 1, 1)],
        "status": ["approved"], "decided_by": ["C. Credit"], "decided_at": [dt.datetime(2000, 1, 2)],
        "decision_note": [None]})
    moved = month_tiers(book, portfolio, as_of, monitoring_params, overrides).set_index("obligor_id")
    assert moved.loc[client, "tier"] == "C" and moved.loc[client, "grade"] == 10
    others = plain.set_index("obligor_id").drop(index=client)["tier"]
    assert (moved.drop(index=client)["tier"].reindex(others.index) == others).mean() > 0.95
