"""The watchlist transitions (three as-of dates and more) and the four-eyes rule on decisions."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.accounts.watchlist import (
    WATCHLIST_COLUMNS,
    WatchlistParams,
    case_with_decisions,
    check_decision,
    normalise_watchlist,
    watchlist_step,
    watchlist_table,
)

P = WatchlistParams()
JAN, FEB, MAR, APR = (pd.Timestamp(d) for d in ("2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"))


def alerts(as_of: pd.Timestamp, levels: dict[str, str]) -> pd.DataFrame:
    rank = {"green": 0.0, "amber": 1.5, "red": 3.0}
    return pd.DataFrame({
        "obligor_id": list(levels),
        "obs_date": as_of,
        "level": list(levels.values()),
        "score": [rank[v] for v in levels.values()],
        "reasons": [[f"{v} reason"] if v != "green" else None for v in levels.values()],
    })


def decision(obligor: str, action: str, by: str, as_of: pd.Timestamp, note: str = "n", due=None, plan=None,
             at: str = "2024-02-05 10:00") -> dict:
    return {"obligor_id": obligor, "action": action, "by": by, "note": note, "due": due, "plan": plan,
            "decided_at": pd.Timestamp(at), "as_of": as_of}


def row(frame: pd.DataFrame, obligor: str) -> dict:
    found = frame.loc[frame["obligor_id"] == obligor]
    assert len(found) == 1, f"{obligor} has {len(found)} rows"
    return found.iloc[0].to_dict()


def status(frame: pd.DataFrame) -> dict[str, str]:
    return dict(zip(frame["obligor_id"], frame["status"]))


def test_three_as_of_dates_new_escalated_de_escalated_and_eligible_for_exit():
    jan = watchlist_step(None, alerts(JAN, {"A": "amber", "B": "red", "G": "green"}), None, P, JAN)
    assert status(jan) == {"A": "pending entry", "B": "new"}
    assert row(jan, "B")["on_list"] and not row(jan, "A")["on_list"]

    feb = watchlist_step(jan, alerts(FEB, {"A": "red", "B": "amber", "G": "green"}), None, P, FEB)
    assert status(feb) == {"A": "new", "B": "de-escalated"}
    assert row(feb, "B")["months_on_list"] == 2 and row(feb, "B")["entered"] == JAN

    mar = watchlist_step(feb, alerts(MAR, {"A": "red", "B": "green", "G": "amber"}), None, P, MAR)
    assert status(mar) == {"A": "unchanged", "B": "eligible for exit", "G": "pending entry"}
    assert row(mar, "B")["on_list"], "a cleared case stays on the list until an exit is decided"

    apr = watchlist_step(mar, alerts(APR, {"A": "red", "B": "red", "G": "amber"}), None, P, APR)
    assert status(apr) == {"A": "unchanged", "B": "escalated", "G": "new"}
    assert row(apr, "A")["months_on_list"] == 3 and row(apr, "B")["months_on_list"] == 4


def test_amber_enters_only_after_the_configured_number_of_consecutive_months():
    params = WatchlistParams(amber_months_to_enter=3)
    month1 = watchlist_step(None, alerts(JAN, {"A": "amber", "B": "amber"}), None, params, JAN)
    month2 = watchlist_step(month1, alerts(FEB, {"A": "amber", "B": "green"}), None, params, FEB)
    assert status(month2) == {"A": "pending entry"}, "a green month breaks B's streak"
    assert row(month2, "A")["amber_streak"] == 2
    month3 = watchlist_step(month2, alerts(MAR, {"A": "amber", "B": "amber"}), None, params, MAR)
    assert status(month3) == {"A": "new", "B": "pending entry"}
    assert row(month3, "A")["amber_streak"] == 3 and row(month3, "B")["amber_streak"] == 1


def test_a_single_amber_month_enters_when_one_month_is_configured():
    jan = watchlist_step(None, alerts(JAN, {"A": "amber"}), None, WatchlistParams(amber_months_to_enter=1), JAN)
    assert status(jan) == {"A": "new"}


def test_a_new_case_gets_the_default_owner_and_a_plan_due_date():
    jan = watchlist_step(None, alerts(JAN, {"B": "red"}), None, P, JAN)
    b = row(jan, "B")
    assert b["owner"] == "unassigned" and pd.isna(b["plan"])
    assert b["plan_due"] == JAN + pd.Timedelta(days=P.plan_due_days)
    assert not b["plan_overdue"]


def test_plan_decision_sets_owner_assessment_plan_and_due_date():
    jan = watchlist_step(None, alerts(JAN, {"B": "red"}), None, P, JAN)
    decided = pd.DataFrame([decision("B", "plan", "alice", JAN, note="margin squeeze", plan="reduce limit",
                                     due=pd.Timestamp("2024-03-15"))])
    feb = watchlist_step(jan, alerts(FEB, {"B": "red"}), decided, P, FEB)
    b = row(feb, "B")
    assert (b["owner"], b["plan_by"], b["assessment"], b["plan"]) == ("alice", "alice", "margin squeeze",
                                                                      "reduce limit")
    assert b["plan_due"] == pd.Timestamp("2024-03-15") and not b["plan_overdue"]
    assert b["decisions"] == "plan by alice"
    # Carried to the next month without a new decision, and overdue once the as-of is past the due date.
    mar = watchlist_step(feb, alerts(MAR, {"B": "red"}), None, P, MAR)
    b = row(mar, "B")
    assert b["owner"] == "alice" and b["plan"] == "reduce limit" and b["plan_overdue"]
    assert pd.isna(b["decisions"])


def test_four_eyes_exit_refused_for_the_owner_accepted_for_a_second_person_and_exited_next_month():
    jan = watchlist_step(None, alerts(JAN, {"B": "red"}), None, P, JAN)
    plan = pd.DataFrame([decision("B", "plan", "alice", JAN)])
    feb = watchlist_step(jan, alerts(FEB, {"B": "green"}), plan, P, FEB)
    case = row(feb, "B")
    assert case["status"] == "eligible for exit" and case["owner"] == "alice"

    with pytest.raises(ValueError, match="(?i)four eyes: alice owns the case"):
        check_decision(case, "exit", "Alice ")  # the same person, however spelled
    check_decision(case, "exit", "bob")

    exit_ = pd.DataFrame([decision("B", "exit", "bob", FEB, at="2024-03-02 09:00")])
    mar = watchlist_step(feb, alerts(MAR, {"B": "green"}), exit_, P, MAR)
    b = row(mar, "B")
    assert b["status"] == "exited" and not b["on_list"] and b["remark"] == "exit decided by bob"
    apr = watchlist_step(mar, alerts(APR, {"B": "green"}), None, P, APR)
    assert "B" not in set(apr["obligor_id"]), "an exited case is written once, then leaves"


def test_exit_refused_for_whoever_recorded_the_plan_even_if_not_the_owner():
    case = {"obligor_id": "B", "status": "eligible for exit", "on_list": True, "owner": "carol", "plan_by": "alice"}
    with pytest.raises(ValueError, match="four eyes: alice recorded the plan"):
        check_decision(case, "exit", "alice")
    check_decision(case, "exit", "bob")


def test_exit_refused_while_signals_have_not_cleared():
    case = {"obligor_id": "B", "status": "unchanged", "level": "amber", "on_list": True, "owner": "alice",
            "plan_by": "alice"}
    with pytest.raises(ValueError, match="cannot leave the watchlist: its status is 'unchanged'"):
        check_decision(case, "exit", "bob")
    check_decision(case, "keep", "bob")
    check_decision(case, "plan", "alice")


def test_exit_refused_when_nobody_has_worked_the_case_yet():
    case = {"obligor_id": "B", "status": "eligible for exit", "on_list": True, "owner": "unassigned",
            "plan_by": None}
    with pytest.raises(ValueError, match="no owner and no recorded plan"):
        check_decision(case, "exit", "bob")


def test_decisions_refused_for_unknown_actions_missing_deciders_and_cases_off_the_list():
    case = {"obligor_id": "B", "status": "exited", "on_list": False}
    with pytest.raises(ValueError, match="unknown action 'close'"):
        check_decision(case, "close", "bob")
    with pytest.raises(ValueError, match="say who decides"):
        check_decision({**case, "on_list": True}, "keep", " ")
    with pytest.raises(ValueError, match="not on the watchlist"):
        check_decision(case, "keep", "bob")


def test_pending_plan_counts_for_the_four_eyes_check_before_the_next_run():
    case = {"obligor_id": "B", "status": "eligible for exit", "on_list": True, "owner": "unassigned",
            "plan_by": None}
    pending = pd.DataFrame([decision("B", "plan", "alice", JAN)])
    effective = case_with_decisions(case, pending)
    with pytest.raises(ValueError, match="four eyes"):
        check_decision(effective, "exit", "alice")
    check_decision(effective, "exit", "bob")


def test_keep_decision_holds_a_green_case_until_it_turns_amber_again():
    jan = watchlist_step(None, alerts(JAN, {"B": "red"}), None, P, JAN)
    feb = watchlist_step(jan, alerts(FEB, {"B": "green"}), None, P, FEB)
    keep = pd.DataFrame([decision("B", "keep", "bob", FEB, note="seasonal, watch Q2")])
    mar = watchlist_step(feb, alerts(MAR, {"B": "green"}), keep, P, MAR)
    b = row(mar, "B")
    assert b["status"] == "kept by decision" and b["on_list"] and b["assessment"] == "seasonal, watch Q2"
    apr = watchlist_step(mar, alerts(APR, {"B": "green"}), None, P, APR)
    assert row(apr, "B")["status"] == "kept by decision"
    may = watchlist_step(apr, alerts(pd.Timestamp("2024-05-31"), {"B": "amber"}), None, P, "2024-05-31")
    assert row(may, "B")["status"] == "escalated" and not row(may, "B")["kept"]
    jun = watchlist_step(may, alerts(pd.Timestamp("2024-06-30"), {"B": "green"}), None, P, "2024-06-30")
    assert row(jun, "B")["status"] == "eligible for exit", "the keep ended when the signals returned"


def test_exit_lapses_when_the_signals_return_before_the_next_run():
    jan = watchlist_step(None, alerts(JAN, {"B": "red"}), pd.DataFrame(), P, JAN)
    feb = watchlist_step(jan, alerts(FEB, {"B": "green"}), None, P, FEB)
    exit_ = pd.DataFrame([decision("B", "exit", "bob", FEB)])
    mar = watchlist_step(feb, alerts(MAR, {"B": "amber"}), exit_, P, MAR)
    b = row(mar, "B")
    assert b["status"] == "escalated" and b["on_list"]
    assert b["remark"] == "exit decided by bob lapsed: level is amber"


def test_obligor_missing_from_the_snapshot_leaves_the_portfolio_once():
    jan = watchlist_step(None, alerts(JAN, {"A": "red", "B": "red", "C": "amber"}), None, P, JAN)
    feb = watchlist_step(jan, alerts(FEB, {"A": "red"}), None, P, FEB)
    assert status(feb) == {"A": "unchanged", "B": "left portfolio"}, "pending C just drops out"
    b = row(feb, "B")
    assert not b["on_list"] and pd.isna(b["level"]) and b["previous_level"] == "red"
    mar = watchlist_step(feb, alerts(MAR, {"A": "red"}), None, P, MAR)
    assert status(mar) == {"A": "unchanged"}


def test_long_cases_are_flagged_for_a_workout_decision():
    params = WatchlistParams(max_months_on_list=2)
    frame = None
    for month in pd.date_range(JAN, periods=3, freq="ME"):
        frame = watchlist_step(frame, alerts(month, {"B": "red"}), None, params, month)
    b = row(frame, "B")
    assert b["months_on_list"] == 3 and b["workout_overdue"] and "workout decision due" in b["remark"]


def test_step_is_deterministic_and_in_canonical_form():
    first = watchlist_step(None, alerts(JAN, {"B": "red", "A": "red"}), None, P, JAN)
    again = watchlist_step(None, alerts(JAN, {"A": "red", "B": "red"}), None, P, JAN)
    pd.testing.assert_frame_equal(first, again)
    assert tuple(first.columns) == WATCHLIST_COLUMNS
    pd.testing.assert_frame_equal(normalise_watchlist(first), first)
    assert list(watchlist_table(first).columns[:3]) == ["Obligor", "Status", "Level"]


def test_bad_inputs_are_refused_naming_what_is_wrong():
    with pytest.raises(ValueError, match="levels other than green/amber/red"):
        watchlist_step(None, pd.DataFrame({"obligor_id": ["A"], "level": ["orange"]}), None, P, JAN)
    with pytest.raises(ValueError, match="more than one row for obligors \\['A'\\]"):
        watchlist_step(None, pd.DataFrame({"obligor_id": ["A", "A"], "level": ["red", "red"]}), None, P, JAN)
    with pytest.raises(ValueError, match="other month ends"):
        watchlist_step(None, alerts(FEB, {"A": "red"}), None, P, JAN)
    jan = watchlist_step(None, alerts(JAN, {"A": "red"}), None, P, JAN)
    with pytest.raises(ValueError, match="belong to a later step"):
        watchlist_step(jan, alerts(FEB, {"A": "red"}), pd.DataFrame([decision("A", "keep", "bob", FEB)]), P, FEB)
    with pytest.raises(ValueError, match="unknown actions"):
        watchlist_step(jan, alerts(FEB, {"A": "red"}), pd.DataFrame([decision("A", "drop", "bob", JAN)]), P, FEB)


def test_step_is_vectorised_over_thousands_of_obligors():
    import time

    ids = [f"O{i:05d}" for i in range(5000)]
    levels = ["red", "amber", "green", "amber"] * 1250
    first = watchlist_step(None, pd.DataFrame({"obligor_id": ids, "level": levels}), None, P, JAN)
    started = time.perf_counter()
    second = watchlist_step(first, pd.DataFrame({"obligor_id": ids, "level": levels[1:] + levels[:1]}), None, P, FEB)
    assert time.perf_counter() - started < 2.0
    assert second["on_list"].sum() > 0
