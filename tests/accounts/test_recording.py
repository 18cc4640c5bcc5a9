"""Writing a book's months to the accounts store: which months a run writes (skip, refuse, force) and the
writes themselves on SQLite (each month, idempotent reruns, month k+1 building on month k)."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.accounts.monthly import month_tiers
from workbench.accounts.recording import RecordPlan, plan_months, record_months
from workbench.accounts.store import AccountsStore, LaterAsOfExists
from workbench.accounts.watchlist import ON_LIST_STATUSES, watchlist_step

JAN, FEB, MAR, APR = (pd.Timestamp(d) for d in ("2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"))
MONTHS = [pd.Timestamp(d) for d in ("2019-07-31", "2019-08-31", "2019-09-30")]
META = {"run_id": "test", "params_hash": "h", "data_fingerprint": "f"}


# -- plan_months


def test_plan_skips_stored_months_when_skip_stored():
    plan = plan_months([JAN.date(), FEB.date()], [JAN, FEB, MAR, APR], force=False, skip_stored=True)
    assert plan.write == [MAR, APR]
    assert plan.skipped == [JAN, FEB]


def test_plan_writes_stored_months_again_without_skip_stored():
    plan = plan_months([JAN.date(), FEB.date()], [FEB], force=False, skip_stored=False)
    assert plan.write == [FEB]
    assert plan.skipped == []


def test_plan_takes_any_day_to_its_month_end_and_sorts_the_months():
    plan = plan_months([], ["2024-03-15", "2024-01-02", "2024-03-31"], force=False, skip_stored=True)
    assert plan.write == [JAN, MAR]


def test_plan_refuses_a_month_earlier_than_the_latest_stored_without_force():
    with pytest.raises(LaterAsOfExists) as err:
        plan_months([JAN.date(), FEB.date(), MAR.date()], [JAN], force=False, skip_stored=False)
    message = str(err.value)
    assert "2024-02-29" in message and "2024-03-31" in message
    assert "--force" in message


def test_plan_refuses_to_fill_a_gap_before_a_stored_month_without_force():
    with pytest.raises(LaterAsOfExists, match="2024-03-31"):
        plan_months([JAN.date(), MAR.date()], [JAN, FEB, MAR, APR], force=False, skip_stored=True)


def test_plan_with_force_includes_every_later_stored_month():
    plan = plan_months([JAN.date(), FEB.date(), MAR.date(), APR.date()], [FEB], force=True, skip_stored=False)
    assert plan.write == [FEB, MAR, APR]
    assert plan.skipped == []


def test_plan_with_force_rewrites_stored_months_even_when_skip_stored():
    plan = plan_months([JAN.date(), FEB.date()], [JAN], force=True, skip_stored=True)
    assert plan.write == [JAN, FEB]
    assert plan.skipped == []


def test_plan_is_empty_when_every_month_is_stored():
    plan = plan_months([JAN.date(), FEB.date(), MAR.date()], [JAN, FEB], force=False, skip_stored=True)
    assert plan.write == []
    assert plan.skipped == [JAN, FEB]


# -- record_months on SQLite


@pytest.fixture
def store(tmp_path):
    s = AccountsStore.open("sqlite:///" + str(tmp_path / "a.db"))
    yield s
    s.close()


def _rows(store: AccountsStore, day) -> dict[str, pd.DataFrame]:
    return {"tiers": store.read_tiers(day), "alerts": store.read_alerts(day), "watchlist": store.read_watchlist(day)}


def test_record_writes_each_planned_month(store, book, portfolio, monitoring_params):
    plan = plan_months(store.stored_as_of(), MONTHS, force=False, skip_stored=True)
    progress: list[str] = []
    result = record_months(store, book, portfolio, plan, monitoring_params, meta=META, progress=progress.append)
    assert result.written == MONTHS
    assert [pd.Timestamp(d) for d in store.stored_as_of()] == MONTHS
    assert len(progress) == len(MONTHS)
    for day in MONTHS:
        tiers, alerts = store.read_tiers(day), store.read_alerts(day)
        assert sorted(tiers["obligor_id"]) == sorted(month_tiers(book, portfolio, day, monitoring_params)["obligor_id"])
        expected = book.alerts_at(day)
        assert sorted(alerts["obligor_id"]) == sorted(expected["obligor_id"])
        assert (alerts.set_index("obligor_id")["level"].sort_index()
                == expected.set_index("obligor_id")["level"].sort_index()).all()
        watchlist = store.read_watchlist(day)
        assert list(watchlist["obligor_id"]) == list(result.watchlist[day]["obligor_id"])
        assert list(watchlist["status"]) == list(result.watchlist[day]["status"])


def test_record_skips_what_the_plan_skips_and_says_so(store, book, portfolio, monitoring_params):
    record_months(store, book, portfolio, plan_months([], MONTHS[:2], force=False, skip_stored=True),
                  monitoring_params, meta=META)
    plan = plan_months(store.stored_as_of(), MONTHS, force=False, skip_stored=True)
    result = record_months(store, book, portfolio, plan, monitoring_params, meta=META)
    assert result.written == MONTHS[2:]
    assert result.skipped == MONTHS[:2]
    assert "1 month end(s)" in str(result) and "skipped 2" in str(result)


def test_rerunning_the_same_months_with_force_leaves_identical_rows_and_decisions(store, book, portfolio,
                                                                                 monitoring_params):
    record_months(store, book, portfolio, plan_months([], MONTHS, force=False, skip_stored=True),
                  monitoring_params, meta=META)
    last = store.read_watchlist(MONTHS[-1])
    case = last.loc[last["on_list"].astype(bool), "obligor_id"].iloc[0]
    store.record_decision(case, "plan", "A. Second", "reduce the line", plan="reduce the line by half")
    before = {day: _rows(store, day) for day in MONTHS}
    decisions = store.decisions_history()
    assert len(decisions) == 1

    plan = plan_months(store.stored_as_of(), MONTHS, force=True, skip_stored=True)
    assert plan.write == MONTHS
    record_months(store, book, portfolio, plan, monitoring_params, meta=META)

    assert [pd.Timestamp(d) for d in store.stored_as_of()] == MONTHS
    for day in MONTHS:
        after = _rows(store, day)
        for name, frame in before[day].items():
            pd.testing.assert_frame_equal(after[name], frame, obj=f"{name} at {day:%Y-%m-%d}")
    pd.testing.assert_frame_equal(store.decisions_history(), decisions)


def test_watchlist_of_a_month_builds_on_the_previous_stored_month(store, book, portfolio, monitoring_params):
    first, second = MONTHS[0], MONTHS[1]
    record_months(store, book, portfolio, RecordPlan([first], []), monitoring_params, meta=META)
    # The second month in a run of its own: its watchlist must come from the stored first month.
    record_months(store, book, portfolio, plan_months(store.stored_as_of(), [second], force=False, skip_stored=True),
                  monitoring_params, meta=META)
    w1 = store.read_watchlist(first).set_index("obligor_id")
    w2 = store.read_watchlist(second).set_index("obligor_id")
    red_first = book.alerts_at(first).query("level == 'red'")["obligor_id"]
    entered = w1.loc[w1.index.isin(red_first) & (w1["status"] == "new")]
    assert len(entered) > 0
    still_there = entered.index.intersection(book.alerts_at(second)["obligor_id"])
    assert len(still_there) > 0
    later = w2.loc[still_there]
    assert not (later["status"] == "new").any()
    assert later["status"].isin(ON_LIST_STATUSES).all()
    assert (later["entered"] == first).all()
    assert (later["months_on_list"] == 2).all()
    assert (later["previous_level"] == "red").all()
    # ... and the whole month is the pure step from the stored first month.
    expected = watchlist_step(store.read_watchlist(first), book.alerts_at(second), None, monitoring_params.watchlist,
                              second)
    assert list(w2.index) == list(expected["obligor_id"])
    assert list(w2["status"]) == list(expected["status"])


def test_the_first_month_recorded_starts_a_fresh_watchlist(store, book, portfolio, monitoring_params):
    result = record_months(store, book, portfolio, RecordPlan([MONTHS[1]], []), monitoring_params, meta=META)
    statuses = set(result.watchlist[MONTHS[1]]["status"])
    assert statuses <= {"new", "pending entry"}
    assert "new" in statuses


def test_recording_a_month_the_book_lacks_is_a_key_error_and_writes_nothing(store, book, portfolio,
                                                                           monitoring_params):
    plan = RecordPlan([MONTHS[0], pd.Timestamp("2020-01-31")], [])
    with pytest.raises(KeyError, match="2020-01-31") as err:
        record_months(store, book, portfolio, plan, monitoring_params, meta=META)
    assert "2019-12-31" in str(err.value)
    assert store.stored_as_of() == []
