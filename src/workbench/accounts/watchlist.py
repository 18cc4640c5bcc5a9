"""The watchlist: which clients the desk watches closely, why, who owns each case and how a case leaves.

Pure transition logic, no database: ``watchlist_step(previous, alerts, decisions, params, as_of)`` turns
last month's watchlist rows, this month's early-warning alerts and the decisions recorded on last month's
list into this month's rows. ``workbench.accounts.store`` keeps the rows and the decisions;
``workbench watchlist decide`` records a decision after ``check_decision`` allowed it.

Statuses (one row per obligor and as-of):

* ``new`` -- enters: level red, or amber for ``amber_months_to_enter`` consecutive months;
* ``escalated`` / ``de-escalated`` / ``unchanged`` -- level worse / better (still amber or red) / the same
  as last month;
* ``eligible for exit`` -- the signals cleared (green); the case stays on the list until a second person
  records an ``exit`` decision (four eyes, as supervisory practice asks for leaving a watchlist);
* ``kept by decision`` -- green, but a ``keep`` decision keeps it on the list (until it turns amber/red
  again, which clears the keep);
* ``exited`` -- written once, the month after the exit decision, then the obligor is off the list;
* ``left portfolio`` -- on the list last month, not in this month's snapshot (defaulted, repaid, left the
  bank: the alerts alone cannot tell which), written once;
* ``pending entry`` -- amber but not yet for long enough to enter; not on the list (``on_list`` False),
  kept only so the amber streak survives from one month to the next without reading old alerts.

A ``plan`` decision makes the decider the case owner and sets the assessment (the note), the corrective
plan (``plan``, else the note) and its due date; a ``keep`` decision updates the assessment. Every on-list
row carries owner, assessment, plan and plan due date (a new case gets ``default_owner`` and a plan due
``plan_due_days`` after entry), ``plan_overdue`` once the as-of is past the due date and
``workout_overdue`` once the case has been on the list longer than ``max_months_on_list``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from ..params import StrictModel
from ..reference.codes import ALERT_LEVELS

__all__ = [
    "ACTIONS",
    "LEVELS",
    "ON_LIST_STATUSES",
    "EXIT_STATUSES",
    "WATCHLIST_COLUMNS",
    "DECISION_COLUMNS",
    "WatchlistParams",
    "watchlist_step",
    "normalise_watchlist",
    "normalise_decisions",
    "check_decision",
    "case_with_decisions",
    "decision_outcome",
    "watchlist_table",
]

#: Alert levels, best first; their position is the severity rank used to call a move an escalation.
LEVELS = ALERT_LEVELS  # one list, in workbench.reference
#: What a decision may do to a case.
ACTIONS: tuple[str, ...] = ("exit", "keep", "plan")
ON_LIST_STATUSES: tuple[str, ...] = ("new", "escalated", "unchanged", "de-escalated", "eligible for exit",
                                     "kept by decision")
#: Statuses from which an exit may be decided: the signals have cleared.
EXIT_STATUSES: tuple[str, ...] = ("eligible for exit", "kept by decision")

_DATE_COLUMNS = ("as_of", "entered", "plan_due")
_TEXT_COLUMNS = ("obligor_id", "status", "level", "previous_level", "reasons", "owner", "assessment", "plan",
                 "plan_by", "decisions", "remark")
_INT_COLUMNS = ("months_on_list", "amber_streak")
_BOOL_COLUMNS = ("on_list", "plan_overdue", "workout_overdue", "kept")
_FLOAT_COLUMNS = ("score",)
#: The watchlist frame (and the ``watchlist`` table), in this order.
WATCHLIST_COLUMNS: tuple[str, ...] = (
    "as_of", "obligor_id", "status", "on_list", "level", "previous_level", "score", "reasons", "entered",
    "months_on_list", "amber_streak", "owner", "assessment", "plan", "plan_by", "plan_due", "plan_overdue",
    "workout_overdue", "kept", "decisions", "remark",
)
#: A decisions frame (``AccountsStore.decisions_for``); ``id`` orders decisions recorded in the same instant.
DECISION_COLUMNS: tuple[str, ...] = ("id", "obligor_id", "as_of", "action", "decided_by", "note", "plan", "due",
                                     "decided_at")
#: Scores are kept to this many decimals so that a row read back from the database equals the row written.
SCORE_DECIMALS = 6


class WatchlistParams(StrictModel):
    """When a client enters the watchlist and what its case must carry."""

    amber_months_to_enter: int = Field(
        2, ge=1, le=12,
        description="Consecutive month ends at amber (or worse) after which a client enters the watchlist; red "
        "enters at once. Two months filter out one-off blips (a late statement, a seasonal utilisation peak) "
        "while still acting within a quarter, the review rhythm of EBA/GL/2020/06 para 271 monitoring.")
    max_months_on_list: int = Field(
        12, ge=1, le=60,
        description="Months on the list after which the case is flagged 'workout decision overdue': a client "
        "watched for a year without recovering should be decided on (restructure, workout, exit), not "
        "watched further.")
    default_owner: str = Field(
        "unassigned", min_length=1,
        description="Owner of a new case until someone records a plan (the recorder becomes the owner).")
    plan_due_days: int = Field(
        90, ge=1, le=365,
        description="Days after entry (or after a plan decision without a due date) by which a corrective "
        "plan is due; 90 days matches the quarterly watchlist committee.")


# --------------------------------------------------------------------------- frames


def _month_end(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError("as_of is missing (NaT)")
    return (ts.normalize() + pd.offsets.MonthEnd(0)).as_unit("ns")


def _as_text(values: Any) -> pd.Series:
    """Text with missing values as NaN, in pandas' string dtype: the same whether built here or read back."""
    s = pd.Series(values, dtype=object)
    s = s.where(s.notna(), None)
    return pd.Series(s.tolist(), index=s.index, dtype="str")


def normalise_watchlist(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly ``WATCHLIST_COLUMNS`` in their canonical dtypes (dates ``datetime64[ns]``, text
    ``str``, counts ``int64``, flags ``bool``, the score rounded), sorted by obligor: a frame computed by
    ``watchlist_step`` and the same rows read back from the store compare equal."""
    missing = [c for c in WATCHLIST_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"watchlist frame lacks columns {missing}")
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    src = frame.reset_index(drop=True)
    for col in WATCHLIST_COLUMNS:
        if col in _DATE_COLUMNS:
            out[col] = pd.to_datetime(src[col]).astype("datetime64[ns]")
        elif col in _TEXT_COLUMNS:
            out[col] = _as_text(src[col])
        elif col in _INT_COLUMNS:
            out[col] = pd.to_numeric(src[col]).fillna(0).astype("int64")
        elif col in _BOOL_COLUMNS:
            out[col] = src[col].fillna(False).astype(bool)
        else:
            out[col] = pd.to_numeric(src[col]).astype("float64").round(SCORE_DECIMALS)
    return out.sort_values(["as_of", "obligor_id"], kind="stable").reset_index(drop=True)


def normalise_decisions(decisions: pd.DataFrame | None) -> pd.DataFrame:
    """A decisions frame in canonical form (``by`` accepted for ``decided_by``), in the order they were
    recorded (decided_at, then id); an empty frame for None."""
    if decisions is None or (decisions.empty and len(decisions.columns) == 0):
        decisions = pd.DataFrame(columns=list(DECISION_COLUMNS))
    d = decisions.rename(columns={"by": "decided_by"}).reset_index(drop=True)
    required = ("obligor_id", "action", "decided_by", "note")
    missing = [c for c in required if c not in d.columns]
    if missing:
        raise KeyError(f"decisions frame lacks columns {missing}")
    for col in DECISION_COLUMNS:
        if col not in d.columns:
            d[col] = None
    bad = d.loc[~d["action"].isin(ACTIONS), ["obligor_id", "action"]]
    if len(bad):
        raise ValueError(f"decisions with unknown actions (allowed: {', '.join(ACTIONS)}): "
                         f"{bad.head(5).to_dict('records')}")
    out = pd.DataFrame({
        "id": pd.to_numeric(d["id"]).astype("float64"),
        "obligor_id": _as_text(d["obligor_id"]),
        "as_of": pd.to_datetime(d["as_of"]).astype("datetime64[ns]"),
        "action": _as_text(d["action"]),
        "decided_by": _as_text(d["decided_by"]),
        "note": _as_text(d["note"]),
        "plan": _as_text(d["plan"]),
        "due": pd.to_datetime(d["due"]).astype("datetime64[ns]"),
        "decided_at": pd.to_datetime(d["decided_at"]).astype("datetime64[ns]"),
    })
    if out["id"].notna().all():
        out["id"] = out["id"].astype("int64")
    return out.sort_values(["decided_at", "id"], kind="stable", na_position="first").reset_index(drop=True)


def _check_alerts(alerts: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    missing = [c for c in ("obligor_id", "level") if c not in alerts.columns]
    if missing:
        raise KeyError(f"alerts frame lacks columns {missing}")
    a = alerts.reset_index(drop=True)
    if "obs_date" in a.columns:
        obs = pd.to_datetime(a["obs_date"]).dt.normalize()
        other = a.loc[obs != as_of.normalize(), "obs_date"]
        if len(other):
            raise ValueError(f"alerts hold rows of other month ends than the as-of {as_of.date()}: "
                             f"{sorted({str(pd.Timestamp(x).date()) for x in other.head(5)})}")
    bad = a.loc[~a["level"].isin(LEVELS), ["obligor_id", "level"]]
    if len(bad):
        raise ValueError(f"alerts with levels other than {'/'.join(LEVELS)}: {bad.head(5).to_dict('records')}")
    dup = a.loc[a["obligor_id"].duplicated(), "obligor_id"]
    if len(dup):
        raise ValueError(f"alerts hold more than one row for obligors {dup.head(5).tolist()}")
    reasons = a["reasons"] if "reasons" in a.columns else pd.Series(None, index=a.index, dtype=object)
    reasons = reasons.map(lambda r: "; ".join(map(str, r)) if isinstance(r, (list, tuple, np.ndarray)) else r)
    return pd.DataFrame({
        "obligor_id": _as_text(a["obligor_id"]),
        "level": _as_text(a["level"]),
        "score": pd.to_numeric(a["score"]).astype("float64") if "score" in a.columns else np.nan,
        "reasons": _as_text(reasons),
    })


def _previous_state(previous: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    """Last month's rows that carry over: cases on the list and pending amber streaks (exited and
    left-portfolio rows were written once and are done)."""
    if previous is None or len(previous) == 0:
        return normalise_watchlist(pd.DataFrame(columns=list(WATCHLIST_COLUMNS)))
    prev = normalise_watchlist(previous)
    later = prev.loc[prev["as_of"] >= as_of, "as_of"]
    if len(later):
        raise ValueError(f"the previous watchlist holds rows of {later.iloc[0].date()}, not before the as-of "
                         f"{as_of.date()}")
    if prev["as_of"].nunique() > 1:
        raise ValueError(f"the previous watchlist holds several as-of dates: "
                         f"{sorted(str(d.date()) for d in prev['as_of'].unique())}")
    return prev.loc[prev["on_list"] | (prev["status"] == "pending entry")]


def _decision_summary(decisions: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per obligor: the last plan (owner, assessment, plan, due), the last note of a plan or keep (the
    assessment), the disposition (the last of exit / keep) with who decided it, and every decision in words."""
    d = normalise_decisions(decisions)
    late = d.loc[d["as_of"].notna() & (d["as_of"] >= as_of), "as_of"]
    if len(late):
        raise ValueError(f"decisions recorded on {late.iloc[0].date()} belong to a later step than the as-of "
                         f"{as_of.date()}")
    cols = ["obligor_id", "plan_owner", "plan_text", "plan_due_new", "plan_decided_on", "assessment_new",
            "disposition", "disposition_by", "due_keep", "decisions_text"]
    if d.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    d["words"] = d["action"] + " by " + d["decided_by"]
    words = d.groupby("obligor_id", sort=True)["words"].agg("; ".join).rename("decisions_text")
    plans = d.loc[d["action"] == "plan"].drop_duplicates("obligor_id", keep="last").set_index("obligor_id")
    plans = pd.DataFrame({"plan_owner": plans["decided_by"], "plan_text": plans["plan"].fillna(plans["note"]),
                          "plan_due_new": plans["due"], "plan_decided_on": plans["as_of"]})
    notes = d.loc[d["action"].isin(["plan", "keep"])].drop_duplicates("obligor_id", keep="last")
    notes = notes.set_index("obligor_id")["note"].rename("assessment_new")
    disp = d.loc[d["action"].isin(["exit", "keep"])].drop_duplicates("obligor_id", keep="last").set_index("obligor_id")
    disp = pd.DataFrame({"disposition": disp["action"], "disposition_by": disp["decided_by"],
                         "due_keep": disp["due"].where(disp["action"] == "keep")})
    out = pd.concat([words, plans, notes, disp], axis=1)
    out.index.name = "obligor_id"
    return out.reset_index()


# --------------------------------------------------------------------------- the step


def watchlist_step(previous: pd.DataFrame | None, alerts: pd.DataFrame, decisions: pd.DataFrame | None,
                   params: WatchlistParams, as_of: Any) -> pd.DataFrame:
    """This as-of's watchlist rows (``WATCHLIST_COLUMNS``, sorted by obligor).

    ``previous``: the rows of the previous as-of (None or empty for the first month). ``alerts``: this as-of's
    alerts, one row per performing obligor (``obligor_id``, ``level`` green/amber/red, ``score``, ``reasons``;
    ``obs_date`` if given must be the as-of). ``decisions``: those recorded on the previous as-of's list
    (``obligor_id``, ``action``, ``decided_by`` or ``by``, ``note``, ``plan``, ``due``, ``decided_at``), in any
    order (applied in ``decided_at`` order; ``check_decision`` vetted them when they were recorded). Pure and
    deterministic: no clock is read, the same inputs give the same rows.
    """
    as_of = _month_end(as_of)
    cur = _check_alerts(alerts, as_of)
    prev = _previous_state(previous, as_of)
    prev_cols = ["obligor_id", "on_list", "level", "entered", "months_on_list", "amber_streak", "owner",
                 "assessment", "plan", "plan_by", "plan_due", "kept"]
    m = prev[prev_cols].rename(columns={c: f"{c}_prev" for c in prev_cols if c != "obligor_id"}).merge(
        cur, on="obligor_id", how="outer", indicator="_source", sort=True)
    m = m.merge(_decision_summary(decisions, as_of), on="obligor_id", how="left")

    rank = {level: i for i, level in enumerate(LEVELS)}
    lvl = m["level"].map(rank).astype("float64").to_numpy()
    prev_lvl = m["level_prev"].map(rank).astype("float64").to_numpy()
    in_snapshot = (m["_source"] != "left_only").to_numpy()
    was_listed = m["on_list_prev"].eq(True).to_numpy()
    prev_streak = pd.to_numeric(m["amber_streak_prev"]).fillna(0).to_numpy()
    streak = np.where(in_snapshot & (lvl >= 1), prev_streak + 1, 0).astype("int64")

    enter = ~was_listed & in_snapshot & ((lvl == 2) | ((lvl == 1) & (streak >= params.amber_months_to_enter)))
    pending = ~was_listed & in_snapshot & (lvl == 1) & ~enter
    stays = was_listed & in_snapshot
    left = was_listed & ~in_snapshot
    disposition = m["disposition"].to_numpy(dtype=object)
    exit_decided = stays & (disposition == "exit")
    exit_ok = exit_decided & (lvl == 0)
    # Signals that came back between the exit decision and this run: the decision no longer fits the case.
    exit_lapsed = exit_decided & (lvl > 0)
    kept = stays & (lvl == 0) & ~exit_ok & ((disposition == "keep") | m["kept_prev"].eq(True).to_numpy())

    status = np.select(
        [left, exit_ok, enter, pending, stays & kept, stays & (lvl == 0), stays & (lvl > prev_lvl),
         stays & (lvl < prev_lvl), stays],
        ["left portfolio", "exited", "new", "pending entry", "kept by decision", "eligible for exit", "escalated",
         "de-escalated", "unchanged"],
        default="",
    )
    keep_row = status != ""
    on_list = np.isin(status, ON_LIST_STATUSES)

    listed_before = was_listed  # the case fields below carry over only for cases that were on the list
    planned = listed_before & m["plan_owner"].notna().to_numpy()
    owner = np.where(enter, params.default_owner,
                     np.where(planned, m["plan_owner"], np.where(listed_before, m["owner_prev"], None)))
    plan_by = np.where(planned, m["plan_owner"], np.where(listed_before, m["plan_by_prev"], None))
    plan = np.where(planned, m["plan_text"], np.where(listed_before, m["plan_prev"], None))
    new_note = listed_before & m["assessment_new"].notna().to_numpy()
    assessment = np.where(new_note, m["assessment_new"], np.where(listed_before, m["assessment_prev"], None))

    default_due = as_of + pd.Timedelta(days=params.plan_due_days)
    decided_on = pd.to_datetime(m["plan_decided_on"]).fillna(as_of)
    plan_due_from_plan = pd.to_datetime(m["plan_due_new"]).fillna(decided_on + pd.Timedelta(days=params.plan_due_days))
    plan_due = pd.Series(pd.NaT, index=m.index, dtype="datetime64[ns]")
    plan_due = plan_due.mask(listed_before, pd.to_datetime(m["plan_due_prev"]))
    keep_due = pd.to_datetime(m["due_keep"])
    plan_due = plan_due.mask(listed_before & keep_due.notna().to_numpy(), keep_due)
    plan_due = plan_due.mask(planned, plan_due_from_plan)
    plan_due = plan_due.mask(enter, default_due)

    entered = pd.Series(pd.NaT, index=m.index, dtype="datetime64[ns]")
    entered = entered.mask(listed_before, pd.to_datetime(m["entered_prev"])).mask(enter, as_of)
    prev_months = pd.to_numeric(m["months_on_list_prev"]).fillna(0).to_numpy()
    months = np.select([enter, stays, listed_before], [1, prev_months + 1, prev_months], default=0).astype("int64")

    by = m["disposition_by"].fillna("").to_numpy(dtype=object).astype(str)
    level_txt = m["level"].fillna("").to_numpy(dtype=object).astype(str)
    remark = np.select(
        [left, exit_ok, exit_lapsed, enter & (lvl == 2), enter, pending],
        [f"not in the snapshot at {as_of.date()} (defaulted, repaid or left the bank)",
         np.char.add("exit decided by ", by),
         np.char.add(np.char.add(np.char.add("exit decided by ", by), " lapsed: level is "), level_txt),
         "entered at red",
         f"amber for {params.amber_months_to_enter} consecutive month ends",
         np.char.add(np.char.add("amber for ", streak.astype(str)),
                     f" of {params.amber_months_to_enter} month ends needed to enter")],
        default="",
    ).astype(object)
    workout = on_list & (months > params.max_months_on_list)
    workout_note = f"on the list more than {params.max_months_on_list} months: workout decision due"
    remark = np.where(workout, np.where(remark == "", workout_note, remark + "; " + workout_note), remark)
    remark = np.where(remark == "", None, remark)

    out = pd.DataFrame({
        "as_of": as_of,
        "obligor_id": m["obligor_id"],
        "status": status,
        "on_list": on_list,
        "level": m["level"],
        "previous_level": m["level_prev"],
        "score": m["score"],
        "reasons": m["reasons"],
        "entered": entered,
        "months_on_list": months,
        "amber_streak": streak,
        "owner": owner,
        "assessment": assessment,
        "plan": plan,
        "plan_by": plan_by,
        "plan_due": plan_due,
        "plan_overdue": on_list & (plan_due < as_of).fillna(False).to_numpy(),
        "workout_overdue": workout,
        "kept": kept,
        "decisions": np.where(listed_before, m["decisions_text"], None),
        "remark": remark,
    })
    return normalise_watchlist(out.loc[keep_row])


# --------------------------------------------------------------------------- decisions


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str)
                                                                               and not value.strip())


def _same_person(a: Any, b: Any) -> bool:
    return not _blank(a) and not _blank(b) and str(a).strip().casefold() == str(b).strip().casefold()


def case_with_decisions(row: Mapping[str, Any], decisions: pd.DataFrame | None) -> dict[str, Any]:
    """A stored watchlist row with the plans already recorded on it since (not yet applied by a run): the
    owner and plan recorder a new decision is checked against."""
    case = dict(row)
    d = normalise_decisions(decisions)
    plans = d.loc[(d["obligor_id"] == case.get("obligor_id")) & (d["action"] == "plan")]
    if len(plans):
        case["owner"] = plans["decided_by"].iloc[-1]
        case["plan_by"] = plans["decided_by"].iloc[-1]
    return case


def check_decision(row: Mapping[str, Any] | None, action: str, by: str,
                   params: WatchlistParams | None = None) -> None:
    """Refuse (ValueError, saying why) a decision the watchlist does not allow on ``row`` (the case's latest
    watchlist row, with ``case_with_decisions`` applied): an unknown action, no decider, a case not on the
    list, an exit before the signals cleared, or an exit by the case owner or by whoever recorded its plan
    (the four-eyes rule: leaving the watchlist needs a second person)."""
    params = params or WatchlistParams()
    if action not in ACTIONS:
        raise ValueError(f"unknown action '{action}': choose one of {', '.join(ACTIONS)}")
    if _blank(by):
        raise ValueError("say who decides (--by NAME): decisions are recorded with the decider's name")
    if row is None:
        raise ValueError("no watchlist case to decide on")
    obligor, status = row.get("obligor_id"), row.get("status")
    as_of = row.get("as_of")
    when = f" at {pd.Timestamp(as_of).date()}" if as_of is not None and not pd.isna(as_of) else ""
    if not bool(row.get("on_list")):
        raise ValueError(f"{obligor} is not on the watchlist{when} (status '{status}'): nothing to decide")
    if action != "exit":
        return
    if status not in EXIT_STATUSES:
        raise ValueError(f"{obligor} cannot leave the watchlist{when}: its status is '{status}' (level "
                         f"{row.get('level')}); an exit can be decided only once its signals have cleared "
                         f"(status '{EXIT_STATUSES[0]}')")
    owner = row.get("owner")
    owner = None if _same_person(owner, params.default_owner) else owner
    plan_by = row.get("plan_by")
    if _blank(owner) and _blank(plan_by):
        raise ValueError(f"{obligor} has no owner and no recorded plan: the exit needs a second person besides "
                         "the one who worked the case; record a plan first (--action plan), then another person "
                         "decides the exit")
    if _same_person(by, owner):
        raise ValueError(f"four eyes: {str(by).strip()} owns the case of {obligor}; the exit must be decided by a second person")
    if _same_person(by, plan_by):
        raise ValueError(f"four eyes: {str(by).strip()} recorded the plan of {obligor}; the exit must be decided by a second "
                         "person")


def decision_outcome(action: str, *, by: str = "", due: Any = None) -> str:
    """What the next run does with a recorded decision, in words (the CLI prints it)."""
    if action == "exit":
        return ("at the next as-of the case is written once with status 'exited' and then leaves the watchlist "
                "(unless its signals return before then: the exit then lapses)")
    if action == "keep":
        return ("the case stays on the watchlist; while its signals stay clear it reads 'kept by decision', "
                "and the note becomes its assessment")
    due_text = pd.Timestamp(due).date() if due is not None and not pd.isna(due) else "the default due date"
    return (f"from the next as-of {by} owns the case, the note is its assessment and the plan is due "
            f"{due_text}")


def watchlist_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The watchlist as a reviewer reads it: one row per case, formatted."""
    from .. import format as fmt

    columns = {
        "obligor_id": ("Obligor", fmt.text), "status": ("Status", fmt.text), "level": ("Level", fmt.text),
        "previous_level": ("Last month", fmt.text), "entered": ("Entered", fmt.date),
        "months_on_list": ("Months", fmt.integer), "owner": ("Owner", fmt.text),
        "assessment": ("Assessment", fmt.text), "plan": ("Plan", fmt.text), "plan_due": ("Plan due", fmt.date),
        "plan_overdue": ("Plan overdue", fmt.yes_no), "reasons": ("Reasons", fmt.text),
        "remark": ("Remark", fmt.text),
    }
    return fmt.display_frame(frame.reset_index(drop=True), columns)
