"""The service calendar: reviews due and overdue, maturities and covenant tests within the horizon, the
interaction summary, the interaction rules, and the as-of view of the log."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from workbench.accounts.calendar import (
    CalendarParams,
    check_interaction,
    interaction_summary,
    interaction_summary_table,
    interactions_as_of,
    service_calendar,
)

AS_OF = pd.Timestamp("2024-06-30")
T = pd.Timestamp


def _tiers(rows: dict[str, tuple[str, int]]) -> pd.DataFrame:
    return pd.DataFrame({"obligor_id": list(rows), "tier": [t for t, _ in rows.values()],
                         "review_frequency_months": [m for _, m in rows.values()]})


def _log(rows: list[tuple], recorded: dict[int, str] | None = None) -> pd.DataFrame:
    f = pd.DataFrame(rows, columns=["obligor_id", "date", "channel", "topic"])
    f["date"] = pd.to_datetime(f["date"])
    if recorded is not None:
        f["recorded_at"] = f["date"]
        for i, when in recorded.items():
            f.loc[i, "recorded_at"] = T(when)
    return f


def _facilities(rows: list[tuple]) -> pd.DataFrame:
    f = pd.DataFrame(rows, columns=["facility_id", "obligor_id", "limit", "origination_date", "maturity_date"])
    f["origination_date"] = pd.to_datetime(f["origination_date"])
    f["maturity_date"] = pd.to_datetime(f["maturity_date"])
    return f


NO_FACILITIES = _facilities([])


def _obligors(ids, start="2010-01-01") -> pd.DataFrame:
    return pd.DataFrame({"obligor_id": list(ids), "relationship_start": pd.to_datetime([start] * len(ids))})


# --------------------------------------------------------------------------- reviews


def test_next_review_is_due_by_the_tiers_frequency_from_the_last_annual_review_and_overdue_after_its_month():
    tiers = _tiers({"A1": ("A", 3), "B1": ("B", 6), "C1": ("C", 12)})
    log = _log([("A1", "2024-01-15", "meeting", "annual_review"),   # due April: overdue 2 months
                ("B1", "2024-02-10", "call", "annual_review"),      # due August: within 90 days
                ("C1", "2024-03-01", "email", "annual_review"),     # due March 2025
                ("C1", "2024-06-01", "call", "pricing")])           # not a review
    cal = service_calendar(tiers, log, NO_FACILITIES, as_of=AS_OF, obligors=_obligors(["A1", "B1", "C1"]))
    r = cal.reviews.set_index("obligor_id")
    assert r["next_due"].to_dict() == {"A1": T("2024-04-30"), "B1": T("2024-08-31"), "C1": T("2025-03-31")}
    assert r["overdue"].to_dict() == {"A1": True, "B1": False, "C1": False}
    assert r.loc["A1", "months_overdue"] == 2
    assert r["review_within_horizon"].to_dict() == {"A1": False, "B1": True, "C1": False}
    assert r.loc["B1", "days_to_review"] == 62
    events = cal.events()
    assert events[["obligor_id", "event"]].values.tolist() == [["A1", "review overdue"], ["B1", "review"]]
    assert events.loc[0, "days"] == -61


def test_a_review_recorded_after_the_as_of_does_not_count():
    tiers = _tiers({"A1": ("A", 3)})
    log = _log([("A1", "2024-01-15", "meeting", "annual_review"), ("A1", "2024-06-20", "meeting", "annual_review")],
               recorded={1: "2024-07-05"})  # back-dated: logged after the month end
    cal = service_calendar(tiers, log, NO_FACILITIES, as_of=AS_OF, obligors=_obligors(["A1"]))
    assert cal.reviews.loc[0, "last_review"] == T("2024-01-15") and bool(cal.reviews.loc[0, "overdue"])
    later = service_calendar(tiers, log, NO_FACILITIES, as_of="2024-07-31", obligors=_obligors(["A1"]))
    assert later.reviews.loc[0, "last_review"] == T("2024-06-20") and not later.reviews.loc[0, "overdue"]


def test_a_never_reviewed_client_counts_from_the_data_start_and_without_any_start_is_due_now():
    tiers = _tiers({"A1": ("A", 3)})
    from_data = service_calendar(tiers, None, NO_FACILITIES, as_of=AS_OF, data_start="2024-01-31")
    assert from_data.reviews.loc[0, "next_due"] == T("2024-04-30") and from_data.reviews.loc[0, "months_overdue"] == 2
    unknown = service_calendar(tiers, None, NO_FACILITIES, as_of=AS_OF)
    assert unknown.reviews.loc[0, "next_due"] == T("2024-06-30") and not unknown.reviews.loc[0, "overdue"]


# --------------------------------------------------------------------------- maturities and covenant tests


def test_maturities_within_90_days_of_live_facilities_of_tiered_clients():
    tiers = _tiers({"A1": ("A", 3), "B1": ("B", 6)})
    fac = _facilities([
        ("F1", "A1", 10.0, "2020-01-01", "2024-06-30"),   # on the as-of: still upcoming
        ("F2", "A1", 20.0, "2020-01-01", "2024-09-28"),   # day 90
        ("F3", "A1", 30.0, "2020-01-01", "2024-09-29"),   # day 91: outside
        ("F4", "B1", 40.0, "2020-01-01", "2024-06-29"),   # matured before the as-of
        ("F5", "B1", 50.0, "2024-07-15", "2024-08-15"),   # booked after the as-of: not known then
        ("F6", "Z9", 60.0, "2020-01-01", "2024-07-15"),   # not tiered
    ])
    cal = service_calendar(tiers, None, fac, as_of=AS_OF, data_start="2024-01-31")
    assert cal.maturities[["facility_id", "maturity_date", "limit"]].values.tolist() == [
        ["F1", T("2024-06-30"), 10.0], ["F2", T("2024-09-28"), 20.0]]
    assert cal.maturities["days_to_maturity"].tolist() == [0, 90]
    per = cal.per_obligor.set_index("obligor_id")
    assert per.loc["A1", "maturities"] == 2 and per.loc["A1", "limit_maturing"] == 30.0
    assert per.loc["A1", "next_maturity"] == T("2024-06-30")
    assert per.loc["B1", "maturities"] == 0 and pd.isna(per.loc["B1", "next_maturity"])
    wider = service_calendar(tiers, None, fac, as_of=AS_OF, data_start="2024-01-31", horizon_days=91)
    assert wider.maturities["facility_id"].tolist() == ["F1", "F2", "F3"]


def test_covenant_tests_within_the_horizon_keep_the_frames_columns():
    tiers = _tiers({"A1": ("A", 3), "B1": ("B", 6)})
    tests = pd.DataFrame({"obligor_id": ["A1", "A1", "A1", "B1", "Z9"], "covenant_id": ["C1", "C2", "C5", "C3", "C4"],
                          "type": ["max_leverage", "min_interest_cover", "min_dscr", "min_dscr", "max_leverage"],
                          "next_test_date": pd.to_datetime(["2024-09-27", "2024-09-30", "2024-05-31", "2024-07-31",
                                                            "2024-07-31"]),
                          "headroom": [0.1, 0.5, 0.4, -0.2, 0.3]})
    cal = service_calendar(tiers, None, NO_FACILITIES, tests, as_of=AS_OF, data_start="2024-01-31")
    # C2 on day 92 is outside 90 days, C5 is in the past, C4 belongs to an obligor not tiered.
    assert cal.covenant_tests[["obligor_id", "covenant_id", "type", "headroom"]].values.tolist() == [
        ["B1", "C3", "min_dscr", -0.2], ["A1", "C1", "max_leverage", 0.1]]
    assert cal.covenant_tests["days_to_test"].tolist() == [31, 89]
    per = cal.per_obligor.set_index("obligor_id")
    assert per["covenant_tests"].to_dict() == {"A1": 1, "B1": 1}
    assert per.loc["A1", "next_covenant_test"] == T("2024-09-27")
    events = cal.events("A1")
    assert events[events["event"] == "covenant test"]["detail"].tolist() == ["C1 (max_leverage)"]


def test_no_covenant_frame_means_no_tests_and_a_frame_without_the_columns_is_named():
    tiers = _tiers({"A1": ("A", 3)})
    cal = service_calendar(tiers, None, NO_FACILITIES, None, as_of=AS_OF, data_start="2024-01-31")
    assert cal.covenant_tests.empty and cal.per_obligor.loc[0, "covenant_tests"] == 0
    with pytest.raises(KeyError, match="next_test_date"):
        service_calendar(tiers, None, NO_FACILITIES, pd.DataFrame({"obligor_id": ["A1"], "covenant_id": ["C"],
                                                                   "type": ["x"]}), as_of=AS_OF)
    with pytest.raises(KeyError, match="maturity_date"):
        service_calendar(tiers, None, NO_FACILITIES.drop(columns="maturity_date"), as_of=AS_OF)


# --------------------------------------------------------------------------- the interaction summary


def _contacts() -> pd.DataFrame:
    return _log([
        ("O1", "2023-05-15", "meeting", "pricing"),        # before the 12 months: not counted, but a meeting
        ("O1", "2023-07-01", "call", "pricing"),           # within
        ("O1", "2024-02-10", "site_visit", "site_visit_report"),
        ("O1", "2024-06-01", "email", "pricing"),
        ("O1", "2024-06-02", "call", "annual_review"),
        ("O1", "2024-07-03", "meeting", "annual_review"),  # after the as-of
        ("O2", "2024-03-01", "email", "financing_need"),
    ])


def test_interaction_summary_counts_contacts_by_channel_and_topic_over_twelve_months():
    s = interaction_summary(_contacts(), AS_OF).set_index("obligor_id")
    assert list(s.index) == ["O1", "O2"]
    assert s.loc["O1", "contacts"] == 4
    assert s.loc["O1", ["channel_call", "channel_email", "channel_site_visit", "channel_meeting"]].tolist() == [
        2, 1, 1, 0]
    assert s.loc["O1", ["topic_pricing", "topic_annual_review", "topic_site_visit_report"]].tolist() == [2, 1, 1]
    assert s.loc["O2", "contacts"] == 1 and s.loc["O2", "topic_financing_need"] == 1


def test_interaction_summary_gives_the_last_contact_and_days_since_the_last_meeting():
    s = interaction_summary(_contacts(), AS_OF).set_index("obligor_id")
    assert s.loc["O1", "last_contact"] == T("2024-06-02") and s.loc["O1", "days_since_contact"] == 28
    assert s.loc["O1", "last_meeting"] == T("2024-02-10")  # the site visit
    assert s.loc["O1", "days_since_meeting"] == (AS_OF - T("2024-02-10")).days
    assert pd.isna(s.loc["O2", "last_meeting"]) and pd.isna(s.loc["O2", "days_since_meeting"])


def test_interaction_summary_for_named_obligors_gives_zeros_to_those_never_contacted():
    s = interaction_summary(_contacts(), AS_OF, ["O3", "O1"]).set_index("obligor_id")
    assert list(s.index) == ["O3", "O1"]
    assert s.loc["O3", "contacts"] == 0 and pd.isna(s.loc["O3", "last_contact"])
    assert s.loc["O3", [c for c in s.columns if c.startswith("channel_")]].sum() == 0


def test_a_twelve_month_window_is_configurable_and_meeting_channels_too():
    s = interaction_summary(_contacts(), AS_OF, params=CalendarParams(contact_months=1,
                                                                      meeting_channels=("email",)))
    o1 = s.set_index("obligor_id").loc["O1"]
    assert o1["contacts"] == 2 and o1["last_meeting"] == T("2024-06-01")


def test_interaction_summary_ignores_contacts_recorded_after_the_as_of():
    log = _contacts()
    log["recorded_at"] = log["date"]
    log.loc[4, "recorded_at"] = T("2024-07-01 09:00")  # the 2 June call logged in July
    s = interaction_summary(log, AS_OF).set_index("obligor_id")
    assert s.loc["O1", "contacts"] == 3 and s.loc["O1", "last_contact"] == T("2024-06-01")


def test_an_unknown_channel_in_the_log_is_named():
    log = _log([("O1", "2024-06-01", "pigeon", "pricing")])
    with pytest.raises(ValueError, match="unknown channel \\['pigeon'\\]"):
        interaction_summary(log, AS_OF)


def test_the_calendar_carries_the_contact_summary_per_obligor():
    tiers = _tiers({"O1": ("A", 3), "O9": ("C", 12)})
    cal = service_calendar(tiers, _contacts(), NO_FACILITIES, as_of=AS_OF, data_start="2024-01-31")
    per = cal.per_obligor.set_index("obligor_id")
    assert per.loc["O1", "contacts"] == 4 and per.loc["O9", "contacts"] == 0
    assert per.loc["O1", "last_review"] == T("2024-06-02")
    shown = cal.table()
    assert list(shown["Obligor"]) == ["O1", "O9"] and shown.loc[0, "Overdue"] == "no"
    assert "call" in interaction_summary_table(cal.contacts).columns
    assert "video call" not in interaction_summary_table(cal.contacts).columns  # no contact by video


# --------------------------------------------------------------------------- the log's rules


def test_check_interaction_refuses_unknown_channels_and_topics_naming_the_known_ones():
    now = dt.datetime(2024, 7, 1, 10)
    with pytest.raises(ValueError, match="unknown channel 'fax': choose one of call, email, meeting, site_visit"):
        check_interaction("fax", "pricing", "n", None, now)
    with pytest.raises(ValueError, match="unknown topic 'gossip': choose one of annual_review, financing_need"):
        check_interaction("call", "gossip", "n", None, now)
    with pytest.raises(ValueError, match="say what was discussed"):
        check_interaction("call", "pricing", " ", None, now)
    with pytest.raises(ValueError, match="after the day it is recorded"):
        check_interaction("call", "pricing", "n", "2024-07-02", now)
    assert check_interaction("call", "pricing", "n", None, now) == dt.date(2024, 7, 1)
    assert check_interaction("call", "pricing", "n", "2024-06-15", now) == dt.date(2024, 6, 15)


def test_interactions_as_of_keeps_contacts_dated_and_recorded_by_the_end_of_the_day():
    log = _log([("O1", "2024-06-30", "call", "pricing"), ("O1", "2024-06-29", "call", "pricing"),
                ("O1", "2024-07-01", "call", "pricing")],
               recorded={0: "2024-06-30 23:59", 1: "2024-07-01 00:00", 2: "2024-07-01"})
    kept = interactions_as_of(log, AS_OF)
    assert kept["date"].tolist() == [T("2024-06-30")]
