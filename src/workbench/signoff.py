"""The sign-off gate: only a validated, signed-off model version becomes ``champion``.

A validator approves or rejects a registered model version (``workbench review approve|reject``).
Approval moves the registry alias ``champion`` only when the version has a validation run (made
by the review notebook ``40_review_model``) that

* is FINISHED and recorded every metric of ``REQUIRED_VALIDATION_METRICS``,
* passed the reproducibility check (``reproducibility/passed`` = 1), and
* found no red out-of-time grade (``oot/red_grades`` = 0).

A failed reproducibility check or red grades can be overridden with an explicit reason, which is
recorded; a missing validation run or missing metrics never can.

Every decision is written as model-version tags and nothing is ever deleted:

* numbered entries ``signoff.<NNN>.decision|by|at|comment|validation_run_id|override_reason``
  (``NNN`` = 001, 002, ...; ``override_reason`` only when one was given), and
* a summary of the latest decision, ``signoff.decision|by|at|comment|validation_run_id``.

When ``champion`` moves, the version that held it is tagged ``champion.superseded_at`` and
``champion.superseded_by``, and the new one ``champion.since``.

The contract with the validation run: tags ``workbench.review.model_name`` and
``workbench.review.model_version`` name the version reviewed; the review notebook also tags
the model version ``validation_run_id`` (``link_validation_run``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from .reference import metrics

# MLflow stays behind workbench.tracking (its only importer); the registry is read through its functions.
from .tracking import (
    alias_version,
    get_model_version,
    get_run,
    model_aliases,
    search_latest_run,
    set_alias,
    set_run_tag,
    set_version_tags,
    version_key,
    version_numbers,
)

__all__ = [
    "DEFAULT_MODEL_NAME",
    "CHAMPION_ALIAS",
    "REQUIRED_VALIDATION_METRICS",
    "REVIEW_MODEL_NAME_TAG",
    "REVIEW_MODEL_VERSION_TAG",
    "VALIDATION_RUN_TAG",
    "Decision",
    "SignoffRefused",
    "find_validation_run",
    "link_validation_run",
    "check_version",
    "approve",
    "reject",
    "decision_history",
    "status",
]

DEFAULT_MODEL_NAME = "key-account-pd"
CHAMPION_ALIAS = "champion"
REVIEW_NOTEBOOK = "40_review_model"

REVIEW_MODEL_NAME_TAG = "workbench.review.model_name"
REVIEW_MODEL_VERSION_TAG = "workbench.review.model_version"
VALIDATION_RUN_TAG = "validation_run_id"  # on the model version

REPRODUCIBILITY_METRIC = metrics.REPRODUCIBILITY_PASSED
RED_GRADES_METRIC = metrics.OOT_RED_GRADES
REQUIRED_VALIDATION_METRICS: tuple[str, ...] = (
    metrics.OOT_AUC,
    metrics.OOT_GINI,
    metrics.OOT_KS,
    metrics.OOT_BRIER,
    RED_GRADES_METRIC,
    REPRODUCIBILITY_METRIC,
)

SIGNOFF_PREFIX = "signoff."
SUMMARY_FIELDS = ("decision", "by", "at", "comment", "validation_run_id")
ENTRY_FIELDS = SUMMARY_FIELDS + ("override_reason",)
CHAMPION_SINCE_TAG = "champion.since"
SUPERSEDED_AT_TAG = "champion.superseded_at"
SUPERSEDED_BY_TAG = "champion.superseded_by"
NO_RUN = "none"  # tag value when a decision has no validation run (tags cannot be deleted-by-omission)

_ENTRY_KEY_RE = re.compile(r"^signoff\.(\d+)\.([a-z_]+)$")


class SignoffRefused(Exception):
    """Approval (or a decision) was refused; ``problems`` lists every reason."""

    def __init__(self, problems: list[str], *, name: str = "", version: str = "", action: str = "approve") -> None:
        self.problems = list(problems)
        self.name = name
        self.version = version
        self.action = action
        what = f"{name} version {version}" if name else "this model version"
        lines = [f"cannot {action} {what}:"] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


@dataclass
class Decision:
    """One recorded sign-off decision (what ``approve``/``reject`` wrote to the registry)."""

    name: str
    version: str
    decision: str  # "approved" | "rejected"
    by: str
    at: str  # UTC, ISO 8601
    comment: str
    validation_run_id: str | None
    override_reason: str | None = None
    previous_champion: str | None = None  # version holding `champion` before this decision
    problems: list[str] = field(default_factory=list)  # gate problems at decision time (overridden, for approvals)
    number: int = 0  # NNN of the signoff.<NNN>.* entry
    champion: str | None = None  # version holding `champion` after this decision
    notes: list[str] = field(default_factory=list)

    @property
    def champion_moved(self) -> bool:
        return self.champion is not None and self.champion != self.previous_champion

    def summary(self) -> str:
        """One line for the command line."""
        head = f"{self.name} version {self.version} {self.decision} by {self.by} at {self.at} (signoff.{self.number:03d})"
        if self.decision == "approved":
            if self.champion_moved:
                was = self.previous_champion if self.previous_champion is not None else "none"
                head += f"; champion -> version {self.champion} (was {was})"
            else:
                head += f"; champion -> version {self.champion} (unchanged: it already was champion)"
            if self.override_reason and self.problems:
                head += f"; overridden: {'; '.join(self.problems)}"
        return head


@dataclass(frozen=True)
class _Problem:
    text: str
    overridable: bool = False


# --------------------------------------------------------------------------- helpers


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _version_str(version: Any) -> str:
    return str(version).strip()


def _get_version(name: str, version: str):
    """The registered version, or a problem text saying what is unknown."""
    try:
        return get_model_version(name, version), None
    except LookupError as exc:
        return None, str(exc)


def _current_champion(name: str) -> str | None:
    return alias_version(name, CHAMPION_ALIAS)


def _entry_numbers(tags: dict[str, str]) -> list[int]:
    numbers = set()
    for key in tags:
        m = _ENTRY_KEY_RE.match(key)
        if m:
            numbers.add(int(m.group(1)))
    return sorted(numbers)


def _require_text(value: str | None, option: str) -> list[str]:
    if value is None or not str(value).strip():
        return [f"{option} is empty: every decision records who made it and why"]
    return []


# --------------------------------------------------------------------------- validation run


def find_validation_run(name: str, version: str | int) -> str | None:
    """The validation run of ``name`` version ``version``: the run the version's tag
    ``validation_run_id`` names, else the latest FINISHED run (any experiment) tagged with
    ``workbench.review.model_name``/``model_version`` for it; ``None`` if there is none."""
    version = _version_str(version)
    mv, _ = _get_version(name, version)
    if mv is not None:
        linked = mv.tags.get(VALIDATION_RUN_TAG, "").strip()
        if linked:
            return linked
    return _search_validation_run(name, version)


def _search_validation_run(name: str, version: str) -> str | None:
    filter_string = "attributes.status = 'FINISHED'"
    if "'" not in version:
        filter_string += f" and tags.`{REVIEW_MODEL_VERSION_TAG}` = '{version}'"
    if "'" not in name:
        filter_string += f" and tags.`{REVIEW_MODEL_NAME_TAG}` = '{name}'"

    def reviews_this_version(run) -> bool:  # the exact tag values, which the filter cannot always say
        tags = run.data.tags
        return tags.get(REVIEW_MODEL_NAME_TAG) == name and tags.get(REVIEW_MODEL_VERSION_TAG) == version

    return search_latest_run(filter_string, reviews_this_version)


def link_validation_run(name: str, version: str | int, run_id: str) -> None:
    """Record ``run_id`` as the validation run of ``name`` version ``version`` (model-version tag
    ``validation_run_id``). The run gets the two review tags if it lacks them; a run that already
    reviews another model version is refused with ValueError."""
    version = _version_str(version)
    mv, problem = _get_version(name, version)
    if mv is None:
        raise LookupError(problem)
    tags = get_run(run_id).data.tags
    for key, wanted in ((REVIEW_MODEL_NAME_TAG, name), (REVIEW_MODEL_VERSION_TAG, version)):
        have = tags.get(key)
        if have is None:
            set_run_tag(run_id, key, wanted)
        elif have != wanted:
            raise ValueError(f"run {run_id} has tag {key}={have!r}: it reviews another model version, "
                             f"not {name} version {version}")
    set_version_tags(name, version, {VALIDATION_RUN_TAG: run_id})


def _validation_problems(name: str, version: str, run_id: str | None) -> list[_Problem]:
    if run_id is None:
        return [_Problem(
            f"no validation run for {name} version {version}: run the review notebook {REVIEW_NOTEBOOK} "
            f"(`workbench review run {name} {version}`) so that it records "
            f"{', '.join(REQUIRED_VALIDATION_METRICS)}"
        )]
    try:
        run = get_run(run_id)
    except LookupError as exc:
        return [_Problem(f"validation run {run_id} (model-version tag {VALIDATION_RUN_TAG}) does not exist "
                         f"({exc}): rerun the review notebook {REVIEW_NOTEBOOK}")]
    problems: list[_Problem] = []
    if run.info.lifecycle_stage == "deleted":
        problems.append(_Problem(f"validation run {run_id} is deleted: restore it or rerun {REVIEW_NOTEBOOK}"))
    tags = run.data.tags
    for key, wanted in ((REVIEW_MODEL_NAME_TAG, name), (REVIEW_MODEL_VERSION_TAG, version)):
        if tags.get(key) != wanted:
            problems.append(_Problem(f"validation run {run_id} has tag {key}={tags.get(key)!r}, "
                                     f"not {wanted!r}: it does not review this model version"))
    if run.info.status != "FINISHED":
        problems.append(_Problem(f"validation run {run_id} is {run.info.status}, not FINISHED: "
                                 f"rerun the review notebook {REVIEW_NOTEBOOK}"))
    logged = run.data.metrics
    missing = [m for m in REQUIRED_VALIDATION_METRICS if m not in logged]
    if missing:
        problems.append(_Problem(f"validation run {run_id} is missing required metrics: {', '.join(missing)}"))
    not_finite = [m for m in REQUIRED_VALIDATION_METRICS
                  if m in logged and not math.isfinite(float(logged[m]))]
    if not_finite:
        problems.append(_Problem(f"validation run {run_id} recorded non-finite values for: "
                                 f"{', '.join(f'{m}={logged[m]}' for m in not_finite)}"))
    if REPRODUCIBILITY_METRIC in logged and REPRODUCIBILITY_METRIC not in not_finite:
        if float(logged[REPRODUCIBILITY_METRIC]) != 1.0:
            problems.append(_Problem(
                f"reproducibility check failed ({REPRODUCIBILITY_METRIC}={logged[REPRODUCIBILITY_METRIC]:g}): "
                f"the review did not reproduce the training run's headline metrics", overridable=True))
    if RED_GRADES_METRIC in logged and RED_GRADES_METRIC not in not_finite:
        red = float(logged[RED_GRADES_METRIC])
        if red > 0:
            problems.append(_Problem(
                f"{red:g} master-scale grade{'s' if red != 1 else ''} red in the out-of-time Jeffreys "
                f"back-test ({RED_GRADES_METRIC}={red:g})", overridable=True))
    return problems


def _check(name: str, version: str) -> tuple[list[_Problem], Any, str | None]:
    mv, problem = _get_version(name, version)
    if mv is None:
        return [_Problem(problem)], None, None
    run_id = find_validation_run(name, version)
    return _validation_problems(name, version, run_id), mv, run_id


def check_version(name: str, version: str | int) -> list[str]:
    """The problems that block approving ``name`` version ``version`` (empty: it may be approved)."""
    problems, _, _ = _check(name, _version_str(version))
    return [p.text for p in problems]


# --------------------------------------------------------------------------- decisions


def _record(name: str, version: str, fields: dict[str, str | None]) -> int:
    """Write the next numbered entry and the latest-decision summary; returns the entry number."""
    numbers = _entry_numbers(get_model_version(name, version).tags)
    number = (numbers[-1] + 1) if numbers else 1
    set_version_tags(name, version, {f"{SIGNOFF_PREFIX}{number:03d}.{key}": fields[key] for key in ENTRY_FIELDS
                                     if fields.get(key) is not None})
    set_version_tags(name, version, {f"{SIGNOFF_PREFIX}{key}": fields[key] or "" for key in SUMMARY_FIELDS})
    return number


def approve(name: str, version: str | int, by: str, comment: str, override_reason: str | None = None) -> Decision:
    """Approve ``name`` version ``version`` and make it ``champion``.

    Raises ``SignoffRefused`` listing every problem unless the gate passes, or the only problems
    are a failed reproducibility check / red grades and ``override_reason`` says why to go ahead.
    """
    version = _version_str(version)
    problems, mv, run_id = _check(name, version)
    refusals = _require_text(by, "--by") + _require_text(comment, "--comment")
    if override_reason is not None and not override_reason.strip():
        refusals.append("--override-reason is empty: say why the gate is overridden")
        override_reason = None
    if mv is None:
        raise SignoffRefused(refusals + [p.text for p in problems], name=name, version=version)
    blocking = [p for p in problems if not p.overridable]
    overridable = [p for p in problems if p.overridable]
    if blocking or refusals:
        lines = refusals + [p.text for p in blocking]
        lines += [p.text + (" (would be overridden by --override-reason)" if override_reason else
                            " (an explicit --override-reason can approve despite this)") for p in overridable]
        if override_reason and blocking:
            lines.append("--override-reason cannot override a missing validation run or missing metrics")
        raise SignoffRefused(lines, name=name, version=version)
    if overridable and not override_reason:
        raise SignoffRefused([p.text for p in overridable]
                             + ["to approve anyway, give --override-reason saying why (it is recorded)"],
                             name=name, version=version)

    at = _now()
    decision = Decision(name=name, version=version, decision="approved", by=by.strip(), at=at,
                        comment=comment.strip(), validation_run_id=run_id,
                        override_reason=override_reason.strip() if override_reason else None,
                        problems=[p.text for p in overridable])
    previous = _current_champion(name)
    decision.previous_champion = previous
    decision.number = _record(name, version, {
        "decision": decision.decision, "by": decision.by, "at": at, "comment": decision.comment,
        "validation_run_id": run_id or NO_RUN, "override_reason": decision.override_reason,
    })
    if previous == version:
        decision.notes.append(f"version {version} already is {CHAMPION_ALIAS}; the approval is recorded, "
                              f"the alias is unchanged")
    else:
        if previous is not None:
            set_version_tags(name, previous, {SUPERSEDED_AT_TAG: at, SUPERSEDED_BY_TAG: version})
        else:
            decision.notes.append(f"no version of {name} was {CHAMPION_ALIAS}: version {version} becomes "
                                  f"{CHAMPION_ALIAS} without a comparison")
        set_alias(name, CHAMPION_ALIAS, version)
        set_version_tags(name, version, {CHAMPION_SINCE_TAG: at})
    decision.champion = version
    return decision


def reject(name: str, version: str | int, by: str, comment: str) -> Decision:
    """Record a rejection of ``name`` version ``version``; aliases never move.

    Rejecting the current champion leaves ``champion`` where it is (demoting a champion means
    approving another version); the returned decision's ``notes`` say so.
    """
    version = _version_str(version)
    refusals = _require_text(by, "--by") + _require_text(comment, "--comment")
    mv, problem = _get_version(name, version)
    if mv is None:
        refusals.append(problem)
    if refusals:
        raise SignoffRefused(refusals, name=name, version=version, action="reject")
    run_id = find_validation_run(name, version)
    problems = [p.text for p in _validation_problems(name, version, run_id)]
    at = _now()
    champion = _current_champion(name)
    decision = Decision(name=name, version=version, decision="rejected", by=by.strip(), at=at,
                        comment=comment.strip(), validation_run_id=run_id, previous_champion=champion,
                        problems=problems, champion=champion)
    decision.number = _record(name, version, {
        "decision": decision.decision, "by": decision.by, "at": at, "comment": decision.comment,
        "validation_run_id": run_id or NO_RUN,
    })
    if champion == version:
        decision.notes.append(
            f"version {version} is still {CHAMPION_ALIAS}: a rejection never moves aliases. Demoting a "
            f"champion is a separate decision: approve the version that should replace it "
            f"(`workbench review approve {name} VERSION ...`)")
    return decision


# --------------------------------------------------------------------------- reading


def decision_history(name: str, version: str | int) -> pd.DataFrame:
    """Every recorded decision of a version, oldest first (one row per ``signoff.<NNN>``)."""
    version = _version_str(version)
    mv, problem = _get_version(name, version)
    if mv is None:
        raise LookupError(problem)
    tags = mv.tags
    rows = []
    for number in _entry_numbers(tags):
        row: dict[str, Any] = {"number": number}
        for key in ENTRY_FIELDS:
            row[key] = tags.get(f"{SIGNOFF_PREFIX}{number:03d}.{key}")
        rows.append(row)
    return pd.DataFrame(rows, columns=["number", *ENTRY_FIELDS])


STATUS_COLUMNS = ["version", "aliases", "decision", "by", "at", "validation_run_id", "decisions",
                  "champion_since", "superseded_at", "superseded_by"]


def status(name: str = DEFAULT_MODEL_NAME) -> pd.DataFrame:
    """One row per version of ``name`` (newest first): aliases, latest decision, by, at, validation
    run (the linked or found one), number of decisions, champion since / superseded."""
    aliases_of: dict[str, list[str]] = {}
    for alias, v in model_aliases(name).items():
        aliases_of.setdefault(v, []).append(alias)
    rows = []
    for v in version_numbers(name):
        tags = get_model_version(name, v).tags
        run_id = tags.get(f"{SIGNOFF_PREFIX}validation_run_id")
        if not run_id or run_id == NO_RUN:
            run_id = find_validation_run(name, v)
        rows.append({
            "version": v,
            "aliases": ",".join(sorted(aliases_of.get(v, []))),
            "decision": tags.get(f"{SIGNOFF_PREFIX}decision", ""),
            "by": tags.get(f"{SIGNOFF_PREFIX}by", ""),
            "at": tags.get(f"{SIGNOFF_PREFIX}at", ""),
            "validation_run_id": run_id or "",
            "decisions": len(_entry_numbers(tags)),
            "champion_since": tags.get(CHAMPION_SINCE_TAG, ""),
            "superseded_at": tags.get(SUPERSEDED_AT_TAG, ""),
            "superseded_by": tags.get(SUPERSEDED_BY_TAG, ""),
        })
    rows.sort(key=lambda r: version_key(r["version"]), reverse=True)
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)
