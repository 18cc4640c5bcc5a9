"""Rating overrides: a relationship manager proposes a grade other than the model's, credit approves or rejects.

Pure rules, no database (``workbench.accounts.store`` keeps the rows, ``workbench accounts override|approve|
reject|overrides`` records and shows them):

* ``check_proposal`` -- a proposal names who proposes, a reason and a master-scale grade (1 best .. 10) other
  than the model's; an obligor with a proposal still open gets no second one until that is decided;
* ``check_override_decision`` -- only an open proposal is decided, by a second person (not the proposer:
  four eyes, as CRR Art. 172(3) asks of overrides), and a rejection says why;
* ``approved_grades(overrides, as_of)`` -- the override in force at ``as_of``: the latest approved one per
  obligor that applies from a month end on or before ``as_of``, was proposed *and* decided by the end of
  ``as_of`` (a report for an earlier as-of ignores later entries, so rerunning it gives the same grades)
  and has not lapsed (``OverrideParams.valid_months``);
* ``apply_overrides(scored, overrides, as_of)`` -- the scored snapshot with the grade in force: ``grade`` the
  approved one where there is one, ``model_grade`` the model's, ``override`` "up" (a better grade, i.e. a
  lower number) / "down" / "", ``override_reason``;
* ``override_rate`` -- per tier, the share of clients whose grade is overridden, by direction (the
  monitoring report shows it: a high or one-sided rate questions the model or the desk).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from ..params import StrictModel
from ..reference.master_scale import MASTER_SCALE

__all__ = [
    "OVERRIDE_STATUSES",
    "OVERRIDE_ACTIONS",
    "OVERRIDE_COLUMNS",
    "OverrideParams",
    "check_grade",
    "check_proposal",
    "check_override_decision",
    "normalise_overrides",
    "approved_grades",
    "apply_overrides",
    "override_rate",
    "overrides_table",
    "override_rate_table",
]

#: An override's life: proposed, then approved or rejected (once; a new view is a new proposal).
OVERRIDE_STATUSES: tuple[str, ...] = ("proposed", "approved", "rejected")
#: Decision action -> the status it sets.
OVERRIDE_ACTIONS: dict[str, str] = {"approve": "approved", "reject": "rejected"}
#: The overrides frame (and the ``rating_overrides`` table), in this order.
OVERRIDE_COLUMNS: tuple[str, ...] = (
    "id", "obligor_id", "as_of", "model_grade", "proposed_grade", "reason", "proposed_by", "proposed_at",
    "status", "decided_by", "decided_at", "decision_note",
)
_DATE_COLUMNS = ("as_of", "proposed_at", "decided_at")
_TEXT_COLUMNS = ("obligor_id", "reason", "proposed_by", "status", "decided_by", "decision_note")
#: What apply_overrides adds to a scored snapshot.
APPLIED_COLUMNS: tuple[str, ...] = ("model_grade", "model_pd", "override", "override_reason", "override_id")


class OverrideParams(StrictModel):
    """How long an approved override holds and what it does to the PD."""

    valid_months: int = Field(
        12, ge=1, le=36,
        description="Month ends an approved override stays in force, counted from the month end it applies "
        "from; then the model's grade applies again unless a new override is approved. Twelve months: a "
        "rating is reviewed at least annually (CRR Art. 169(3)), and the override is part of that rating.")
    pd_from_grade: bool = Field(
        True,
        description="An overridden obligor's `pd` becomes its approved grade's master-scale PD (the model's "
        "stays in `model_pd`): the rating is the grade, and a grade 3 with the PD of grade 7 would price and "
        "provision as grade 7. Off: `pd` stays the model's.")


# --------------------------------------------------------------------------- rules


def _blank(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def _same_person(a: Any, b: Any) -> bool:
    return not _blank(a) and not _blank(b) and str(a).strip().casefold() == str(b).strip().casefold()


def check_grade(value: Any, what: str = "grade") -> int:
    """``value`` as a master-scale grade number 1 .. n (1 best); ValueError naming the scale otherwise."""
    n = MASTER_SCALE.n_grades
    try:
        grade = int(value)
        whole = float(value) == grade
    except (TypeError, ValueError):
        raise ValueError(f"{what} {value!r} is not a grade: use a whole number 1 (best) .. {n}") from None
    if not whole or not 1 <= grade <= n:
        raise ValueError(f"{what} {value!r} is not on the master scale: use a whole number 1 (best) .. {n}")
    return grade


def check_proposal(obligor_id: str, proposed_grade: Any, model_grade: Any, reason: str | None, by: str | None,
                   open_proposals: pd.DataFrame | None = None) -> tuple[int, int | None]:
    """Refuse (ValueError, saying why) a proposal without a proposer or a reason, with a grade off the master
    scale or equal to the model's, or for an obligor whose earlier proposal is still open (in
    ``open_proposals``: that obligor's override rows). ``model_grade`` may be None (not known to the
    proposer: consumers compare with the model's grade of the month). Returns the two grades as ints."""
    if _blank(by):
        raise ValueError("say who proposes (--by NAME): an override is recorded with its proposer")
    if _blank(reason):
        raise ValueError("say why (--reason TEXT): an override without a documented reason is not allowed")
    grade = check_grade(proposed_grade, "proposed grade")
    model = None if _blank(model_grade) else check_grade(model_grade, "model grade")
    if model is not None and grade == model:
        raise ValueError(f"proposed grade {grade} is the model's grade: an override must differ from the model")
    if open_proposals is not None and len(open_proposals):
        pending = open_proposals[(open_proposals["obligor_id"] == obligor_id)
                                 & (open_proposals["status"] == "proposed")]
        if len(pending):
            first = pending.iloc[0]
            raise ValueError(f"{obligor_id} already has an open override proposal #{int(first['id'])} (grade "
                             f"{int(first['proposed_grade'])}, by {first['proposed_by']}): approve or reject it "
                             "first")
    return grade, model


def check_override_decision(row: Mapping[str, Any] | None, action: str, by: str | None,
                            note: str | None = None) -> str:
    """Refuse (ValueError, saying why) deciding ``row`` (one override as stored) with ``action`` approve or
    reject: an unknown action, no decider, no such override, one already decided, a decision by the
    proposer (four eyes), a rejection without a note. Returns the status the decision sets."""
    if action not in OVERRIDE_ACTIONS:
        raise ValueError(f"unknown action '{action}': choose one of {', '.join(OVERRIDE_ACTIONS)}")
    if _blank(by):
        raise ValueError("say who decides (--by NAME): override decisions are recorded with the decider's name")
    if row is None:
        raise ValueError("no such override")
    ident = f"override #{row.get('id')} of {row.get('obligor_id')}"
    if row.get("status") != "proposed":
        raise ValueError(f"{ident} is already {row.get('status')} (by {row.get('decided_by')}): a decided "
                         "override is not decided again; propose a new one")
    if _same_person(by, row.get("proposed_by")):
        raise ValueError(f"four eyes: {str(by).strip()} proposed {ident}; it must be {OVERRIDE_ACTIONS[action]} "
                         "by a second person")
    if action == "reject" and _blank(note):
        raise ValueError("say why (--note TEXT): a rejection is recorded with its reason")
    return OVERRIDE_ACTIONS[action]


# --------------------------------------------------------------------------- frames


def _as_text(values: Any) -> pd.Series:
    s = pd.Series(values, dtype=object)
    s = s.where(s.notna(), None)
    return pd.Series(s.tolist(), index=s.index, dtype="str")


def normalise_overrides(frame: pd.DataFrame | None) -> pd.DataFrame:
    """``frame`` with exactly ``OVERRIDE_COLUMNS`` in canonical dtypes (dates ``datetime64[ns]``, grades
    ``Int64``, text ``str``), in the order the overrides were proposed."""
    if frame is None:
        frame = pd.DataFrame(columns=list(OVERRIDE_COLUMNS))
    missing = [c for c in OVERRIDE_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"overrides frame lacks columns {missing} (has {list(frame.columns)})")
    src = frame.reset_index(drop=True)
    out = pd.DataFrame(index=pd.RangeIndex(len(src)))
    for col in OVERRIDE_COLUMNS:
        if col in _DATE_COLUMNS:
            out[col] = pd.to_datetime(src[col]).astype("datetime64[ns]")
        elif col in _TEXT_COLUMNS:
            out[col] = _as_text(src[col])
        else:
            out[col] = pd.to_numeric(src[col]).astype("Int64")
    unknown = sorted(set(out["status"].dropna()) - set(OVERRIDE_STATUSES))
    if unknown:
        raise ValueError(f"overrides frame: unknown status {unknown} (known: {', '.join(OVERRIDE_STATUSES)})")
    return out.sort_values(["proposed_at", "id"], kind="stable").reset_index(drop=True)


def _day_end(as_of: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    ts = pd.Timestamp(as_of)
    if ts is pd.NaT:
        raise ValueError("as_of is missing")
    day = ts.normalize()
    return day, day + pd.Timedelta(days=1)


def approved_grades(overrides: pd.DataFrame | None, as_of: Any, params: OverrideParams | None = None) -> pd.DataFrame:
    """The override in force per obligor at ``as_of``: approved, applying from a month end on or before it and
    for less than ``valid_months`` month ends, proposed and decided on or before ``as_of`` (entries recorded
    later are ignored). The latest such override per obligor (by the month end it applies from, then when
    decided). Columns: obligor_id, grade (approved), model_grade (as proposed, may be missing), override_id,
    applies_from, reason, proposed_by, decided_by, decided_at."""
    params = params or OverrideParams()
    day, end = _day_end(as_of)
    o = normalise_overrides(overrides)
    month = (day + pd.offsets.MonthEnd(0)).to_period("M")
    applies = o["as_of"].dt.to_period("M")
    age = (month.year * 12 + month.month) - (applies.dt.year * 12 + applies.dt.month)
    keep = ((o["status"] == "approved") & (o["as_of"] <= day) & (o["proposed_at"] < end) & (o["decided_at"] < end)
            & (age < params.valid_months))
    live = o[keep.fillna(False).astype(bool)].sort_values(["obligor_id", "as_of", "decided_at", "id"], kind="stable")
    live = live.drop_duplicates("obligor_id", keep="last")
    out = pd.DataFrame({
        "obligor_id": live["obligor_id"], "grade": live["proposed_grade"].astype("int64"),
        "model_grade": live["model_grade"], "override_id": live["id"].astype("int64"),
        "applies_from": live["as_of"], "reason": live["reason"], "proposed_by": live["proposed_by"],
        "decided_by": live["decided_by"], "decided_at": live["decided_at"],
    })
    return out.reset_index(drop=True)


def apply_overrides(scored: pd.DataFrame, overrides: pd.DataFrame | None, as_of: Any,
                    params: OverrideParams | None = None) -> pd.DataFrame:
    """``scored`` (obligor_id, grade, optionally pd) with the grade in force at ``as_of``: ``grade`` is the
    approved override where one is in force, ``model_grade`` the model's, ``override`` "up" (better grade,
    lower number) / "down" / "" (none, or the approved grade equals this month's model grade),
    ``override_reason`` and ``override_id`` (missing without an override). With ``params.pd_from_grade``
    an overridden row's ``pd`` is its grade's master-scale PD and ``model_pd`` the model's."""
    params = params or OverrideParams()
    for column in ("obligor_id", "grade"):
        if column not in scored.columns:
            raise KeyError(f"scored frame lacks column {column!r}")
    clash = [c for c in APPLIED_COLUMNS if c in scored.columns]
    if clash:
        raise ValueError(f"scored frame already holds {clash}: overrides are applied once, to the model's grades")
    approved = approved_grades(overrides, as_of, params).set_index("obligor_id")
    out = scored.copy()
    model = pd.to_numeric(out["grade"]).astype("int64")
    ids = out["obligor_id"].to_numpy()
    new = approved["grade"].reindex(ids).to_numpy(dtype="float64")
    effective = ~np.isnan(new) & (new != model.to_numpy())
    final = np.where(effective, new, model.to_numpy()).astype("int64")
    out["model_grade"] = model.to_numpy()
    out["grade"] = final
    out["override"] = np.where(~effective, "", np.where(final < model.to_numpy(), "up", "down"))
    reason = approved["reason"].reindex(ids).to_numpy(dtype=object)
    out["override_reason"] = pd.Series(np.where(effective, reason, None), index=out.index, dtype="str")
    override_id = approved["override_id"].reindex(ids).to_numpy(dtype="float64")
    out["override_id"] = pd.array(np.where(effective, override_id, np.nan), dtype="Int64")
    if "pd" in out.columns:
        out["model_pd"] = out["pd"]
        if params.pd_from_grade:
            grade_pd = MASTER_SCALE.bands()["grade_pd"].to_numpy()[: MASTER_SCALE.n_grades]
            out["pd"] = np.where(effective, grade_pd[final - 1], out["pd"].to_numpy(dtype="float64"))
    return out


def override_rate(tiers_with_overrides: pd.DataFrame) -> pd.DataFrame:
    """Per tier (and ``all``): clients, overrides up and down, and their shares of the tier's clients.
    Input: one row per client with ``tier`` and ``override`` ("up" / "down" / "", as ``apply_overrides``
    sets it)."""
    for column in ("tier", "override"):
        if column not in tiers_with_overrides.columns:
            raise KeyError(f"override_rate needs column {column!r} (tiers joined with apply_overrides' output)")
    f = tiers_with_overrides
    direction = f["override"].fillna("").astype(str)
    bad = sorted(set(direction) - {"", "up", "down"})
    if bad:
        raise ValueError(f"override column holds {bad}: expected 'up', 'down' or ''")
    counts = pd.crosstab(f["tier"].astype(str), direction).reindex(columns=["up", "down"], fill_value=0)
    clients = f.groupby(f["tier"].astype(str)).size()
    out = pd.DataFrame({"clients": clients, "up": counts["up"].reindex(clients.index, fill_value=0),
                        "down": counts["down"].reindex(clients.index, fill_value=0)})
    out.loc["all"] = out.sum()
    out = out.astype("int64")
    out["overrides"] = out["up"] + out["down"]
    n = out["clients"].where(out["clients"] > 0)
    out["rate"] = out["overrides"] / n
    out["rate_up"] = out["up"] / n
    out["rate_down"] = out["down"] / n
    out.index.name = "tier"
    return out


# --------------------------------------------------------------------------- display


def overrides_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Override rows as a reviewer reads them."""
    from .. import format as fmt

    return fmt.display_frame(normalise_overrides(frame), {
        "id": ("#", fmt.integer), "obligor_id": ("Obligor", fmt.text), "as_of": ("Applies from", fmt.date),
        "model_grade": ("Model grade", fmt.integer), "proposed_grade": ("Proposed grade", fmt.integer),
        "reason": ("Reason", fmt.text), "proposed_by": ("Proposed by", fmt.text),
        "proposed_at": ("Proposed", fmt.date), "status": ("Status", fmt.text), "decided_by": ("Decided by", fmt.text),
        "decided_at": ("Decided", fmt.date), "decision_note": ("Note", fmt.text),
    })


def override_rate_table(rates: pd.DataFrame) -> pd.DataFrame:
    """``override_rate`` as the monitoring report shows it."""
    from .. import format as fmt

    return fmt.display_frame(rates, {
        "clients": ("clients", fmt.integer), "up": ("overridden up", fmt.integer),
        "down": ("overridden down", fmt.integer), "rate": ("override rate", fmt.percent),
        "rate_up": ("up", fmt.percent), "rate_down": ("down", fmt.percent),
    })
