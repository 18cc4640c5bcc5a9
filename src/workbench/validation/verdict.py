"""The verdict of a validation review: the sign-off gate's checks, the findings, the header.

A review report opens with what a validator signs against:

- ``review_header``: which model version was reviewed and where it came from (aliases, the
  training run and its date, git commit, data fingerprint, params hash, who trained it, when it
  was reviewed);
- ``gate_checks``: each check the sign-off gate (``workbench.signoff``) applies to the review's
  metrics, with its value, threshold and PASS/FAIL. **This is the gate's definition**: the
  required metrics (``GATE_REQUIRED_METRICS``) must be present and finite, reproducibility must
  have passed and no out-of-time grade may be red. ``gate_problems`` turns the failed checks into
  the sign-off's problem texts, so ``signoff`` can call these two functions instead of keeping a
  second copy of the rules;
- ``review_findings``: what does not block sign-off but a validator must comment on (yellow
  grades, the portfolio's back-test light, portfolio calibration, PSI in the monitor band or above, tuning cut short by its time
  limit, no champion to compare with, a reproducibility mismatch, a drop in AUC against the
  champion, the level of the PDs, few OOT defaults, large grade migration, provenance gaps);
- ``review_verdict``: checks and findings together, shown as the verdict box, with the one-line
  verdict ("meets the gate" / "does not meet the gate: ...") and the texts the review run and the
  model version are described with in MLflow.

Pure functions of dicts and DataFrames: no MLflow here (the notebook reads the runs through
``workbench.tracking`` and hands over what it read). Metric names come from
``workbench.reference.metrics``; run tag names are the ones ``workbench.tracking`` writes
(``PROVENANCE_TAGS``, ``TUNING_TAG_PREFIX``; a test holds them equal).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple

import pandas

from .. import format as fmt
from ..reference import metrics
from .display import figure_text, inline_html, percent_text
from .stability import SHIFT_ABOVE, STABLE_BELOW, psi_status

__all__ = [
    "PASS", "FAIL", "GATE_REQUIRED_METRICS", "GATE_REPRODUCIBILITY_METRIC", "GATE_RED_GRADES_METRIC",
    "GATE_COLUMNS", "FINDING_COLUMNS", "PROVENANCE_TAGS", "GIT_COMMIT_TAG", "DATA_FINGERPRINT_TAG",
    "PARAMS_HASH_TAG", "USER_TAG", "TUNING_TAG_PREFIX", "TUNING_STOPPED_BY_TIME_LIMIT", "VERDICT_TAG",
    "FINDINGS_TAG", "GateProblem", "FindingThresholds", "ReviewHeader", "ReviewVerdict",
    "gate_checks", "gate_problems", "review_findings", "review_verdict", "review_header", "version_aliases",
    "format_gate_checks", "version_description", "review_run_description", "verdict_tags",
]

PASS, FAIL = "PASS", "FAIL"

# --------------------------------------------------------------------------- the gate

#: Metrics the validation run must hold, each a finite number (the sign-off gate requires them).
GATE_REQUIRED_METRICS: tuple[str, ...] = (
    metrics.OOT_AUC, metrics.OOT_GINI, metrics.OOT_KS, metrics.OOT_BRIER,
    metrics.OOT_RED_GRADES, metrics.REPRODUCIBILITY_PASSED,
)
#: Must be 1: every recomputed metric matched the training run's.
GATE_REPRODUCIBILITY_METRIC = metrics.REPRODUCIBILITY_PASSED
#: Must be 0: no master-scale grade red in the out-of-time Jeffreys back-test.
GATE_RED_GRADES_METRIC = metrics.OOT_RED_GRADES

GATE_COLUMNS: tuple[str, ...] = ("check", "metric", "value", "threshold", "result", "overridable", "present")


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def gate_checks(logged: Mapping[str, Any]) -> pandas.DataFrame:
    """Each check of the sign-off gate on the metrics of a validation run, one row per check
    (index: ``recorded:<metric>``, ``reproducibility``, ``red_grades``).

    Columns ``check`` (what is checked, in words), ``metric``, ``value`` (float; NaN when not
    logged), ``threshold``, ``result`` (``PASS``/``FAIL``), ``overridable`` (a failure an
    approver may override with a recorded reason) and ``present`` (the metric was logged). A metric that is missing or not finite fails
    its ``recorded`` check (never overridable); reproducibility passes only at exactly 1, the red
    grades only at 0 (or less), each only when finite.
    """
    rows: dict[str, dict[str, Any]] = {}
    for name in GATE_REQUIRED_METRICS:
        value = _float(logged[name]) if name in logged else float("nan")
        rows[f"recorded:{name}"] = {
            "check": f"{name} recorded", "metric": name, "value": value, "threshold": "a finite number",
            "result": PASS if math.isfinite(value) else FAIL, "overridable": False, "present": name in logged}
    repro = _float(logged.get(GATE_REPRODUCIBILITY_METRIC))
    rows["reproducibility"] = {
        "check": "reproducibility passed (every recomputed metric matches the training run)",
        "metric": GATE_REPRODUCIBILITY_METRIC, "value": repro, "threshold": "= 1",
        "result": PASS if math.isfinite(repro) and repro == 1.0 else FAIL, "overridable": True,
        "present": GATE_REPRODUCIBILITY_METRIC in logged}
    red = _float(logged.get(GATE_RED_GRADES_METRIC))
    rows["red_grades"] = {
        "check": "no red grade in the out-of-time Jeffreys back-test",
        "metric": GATE_RED_GRADES_METRIC, "value": red, "threshold": "= 0",
        "result": PASS if math.isfinite(red) and not red > 0 else FAIL, "overridable": True,
        "present": GATE_RED_GRADES_METRIC in logged}
    table = pandas.DataFrame.from_dict(rows, orient="index", columns=list(GATE_COLUMNS))
    table.index.name = "key"
    table["overridable"] = table["overridable"].astype(bool)
    table["present"] = table["present"].astype(bool)
    return table


class GateProblem(NamedTuple):
    """A reason the gate refuses approval; ``overridable`` with a recorded reason or not."""

    text: str
    overridable: bool = False


def gate_problems(checks: pandas.DataFrame, source: str = "the validation run") -> list[GateProblem]:
    """The failed checks of ``gate_checks`` as the sign-off gate words them (``source`` names the
    run, e.g. ``"validation run 3f2a..."``): one problem for the missing metrics, one for the
    non-finite ones, then reproducibility and red grades (each only when its metric is finite)."""
    recorded = checks[checks.index.str.startswith("recorded:")]
    failed = recorded[recorded["result"] == FAIL]
    missing = [m for m, present in zip(failed["metric"], failed["present"]) if not present]
    not_finite = [(m, v) for m, v, present in zip(failed["metric"], failed["value"], failed["present"]) if present]
    problems: list[GateProblem] = []
    if missing:
        problems.append(GateProblem(f"{source} is missing required metrics: {', '.join(missing)}"))
    if not_finite:
        problems.append(GateProblem(f"{source} recorded non-finite values for: "
                                    f"{', '.join(f'{m}={v}' for m, v in not_finite)}"))
    repro = checks.loc["reproducibility"]
    if repro["result"] == FAIL and math.isfinite(repro["value"]):
        problems.append(GateProblem(
            f"reproducibility check failed ({GATE_REPRODUCIBILITY_METRIC}={repro['value']:g}): "
            f"the review did not reproduce the training run's headline metrics", overridable=True))
    red = checks.loc["red_grades"]
    if red["result"] == FAIL and math.isfinite(red["value"]):
        n = red["value"]
        problems.append(GateProblem(
            f"{n:g} master-scale grade{'s' if n != 1 else ''} red in the out-of-time Jeffreys "
            f"back-test ({GATE_RED_GRADES_METRIC}={n:g})", overridable=True))
    return problems


def _gate_value_text(metric: str, value: float, present: bool) -> str:
    if not present:
        return "not recorded"
    if not math.isfinite(value):
        return str(value)
    return figure_text(metric, value)


def format_gate_checks(checks: pandas.DataFrame) -> pandas.DataFrame:
    """The gate's checks for the report: check, value as a reader should see it (counts and flags
    as integers, 4 significant digits otherwise), threshold, result."""
    out = pandas.DataFrame({
        "check": checks["check"],
        "value": [_gate_value_text(m, v, p) for m, v, p in zip(checks["metric"], checks["value"], checks["present"])],
        "threshold": checks["threshold"],
        "result": [r if r == PASS or not o else f"{r} (overridable with a recorded reason)"
                   for r, o in zip(checks["result"], checks["overridable"])],
    }, index=checks.index)
    return out


# --------------------------------------------------------------------------- findings

#: Tags every run carries (``workbench.tracking.provenance.standard_tags``).
GIT_COMMIT_TAG = "workbench.git_commit"
DATA_FINGERPRINT_TAG = "workbench.data_fingerprint"
PARAMS_HASH_TAG = "workbench.params_hash"
USER_TAG = "workbench.user"  # who ran the run; on the training run, who trained the version
PROVENANCE_TAGS: tuple[str, ...] = (GIT_COMMIT_TAG, DATA_FINGERPRINT_TAG, PARAMS_HASH_TAG, USER_TAG)
#: The training run's tags about the hyperparameter search (``workbench.tracking.log_tuning``).
TUNING_TAG_PREFIX = "workbench.tuning."
#: ``workbench.tuning.stopped_by`` when the wall-clock safety stop ended the search
#: (``workbench.models.tuning.STOPPED_BY_TIMEOUT``).
TUNING_STOPPED_BY_TIME_LIMIT = "time limit"
#: What the review run is tagged with: its verdict and the codes of its findings.
VERDICT_TAG = "workbench.review.verdict"
FINDINGS_TAG = "workbench.review.findings"

FINDING_COLUMNS: tuple[str, ...] = ("finding", "value", "reference", "comment")
_NOT_RECORDED = ("", "none", "missing", "unknown")


@dataclass(frozen=True)
class FindingThresholds:
    """Where a figure becomes a finding (the PSI bands are ``validation.stability``'s)."""

    hosmer_lemeshow_p: float = 0.05      # portfolio calibration rejected below this p-value
    mean_pd_ratio_low: float = 0.80      # mean PD / observed default rate outside [low, high]
    mean_pd_ratio_high: float = 1.25
    min_oot_defaults: int = 30           # fewer OOT defaults: the back-tests have little power
    auc_drop: float = 0.0                # OOT AUC below the champion's by more than this
    within_one_notch: float = 0.90       # share of OOT rows within one notch of the champion's grade


def _tag(tags: Mapping[str, str], key: str) -> str:
    return str(tags.get(key, "") or "").strip()


def _yellow_grades(backtest: pandas.DataFrame | None) -> list[str]:
    if backtest is None or "jeffreys_light" not in backtest.columns:
        return []
    grades = backtest.drop(index="all", errors="ignore")
    return [str(g) for g in grades.index[grades["jeffreys_light"] == "yellow"]]


def review_findings(logged: Mapping[str, Any], training_tags: Mapping[str, str] | None = None, *,
                    champion_version: str | None = None, reproducibility: pandas.DataFrame | None = None,
                    backtest: pandas.DataFrame | None = None,
                    thresholds: FindingThresholds = FindingThresholds()) -> pandas.DataFrame:
    """What does not block sign-off but a validator must comment on, one row per finding.

    ``logged`` are the review's metrics (``review_metrics``), ``training_tags`` the training
    run's tags (tuning, provenance), ``champion_version`` the champion compared with (None: there
    is none, the version would be the first), ``reproducibility`` the table of
    ``reproducibility_check`` and ``backtest`` the per-grade back-test of the reviewed version
    (to name the yellow grades). Index: a short code per finding (``yellow_grades``,
    ``portfolio_backtest``, ``calibration``, ``pd_level``, ``psi_monitor``, ``psi_shift``,
    ``tuning_time_limit``, ``no_champion``, ``reproducibility``, ``auc_drop``, ``migration``,
    ``few_defaults``, ``uncommitted_code``, ...); columns ``finding``, ``value``, ``reference`` (the
    threshold) and ``comment`` (what the validator should address). Empty when there is nothing.
    """
    tags = dict(training_tags or {})
    t = thresholds
    rows: dict[str, tuple[str, str, str, str]] = {}
    get = lambda name: _float(logged.get(name))  # noqa: E731

    yellow = get(metrics.OOT_YELLOW_GRADES)
    if math.isfinite(yellow) and yellow > 0:
        names = _yellow_grades(backtest)
        rows["yellow_grades"] = (
            "Yellow grades in the out-of-time back-test",
            fmt.integer(yellow) + (f" (grade{'s' if len(names) != 1 else ''} {', '.join(names)})" if names else ""),
            "0 yellow grades",
            "Observed default rate above the grade PD at 95 % but not 99.9 % confidence (Jeffreys test): "
            "comment on whether these grades' PDs are adequate and how they are monitored.")

    portfolio = _portfolio_row(backtest)
    if portfolio is not None and portfolio.get("jeffreys_light") in ("yellow", "red"):
        rows["portfolio_backtest"] = (
            "Portfolio default rate above its PD in the out-of-time back-test (Jeffreys, all grades together)",
            f"{portfolio['jeffreys_light']} (default rate {percent_text(portfolio.get('default_rate'))} vs PD "
            f"{percent_text(portfolio.get('pd'))})", "green",
            "The model under-predicts defaults across the whole portfolio, which the per-grade lights can miss: "
            "comment on the calibration level.")

    hl_p = get(metrics.OOT_HOSMER_LEMESHOW_P)
    if math.isfinite(hl_p) and hl_p < t.hosmer_lemeshow_p:
        rows["calibration"] = (
            "Portfolio calibration rejected (Hosmer-Lemeshow)", f"p = {percent_text(hl_p)}",
            f"p at least {percent_text(t.hosmer_lemeshow_p)}",
            "The PDs do not match the observed defaults across the out-of-time portfolio: comment on the "
            "calibration and whether a recalibration or a margin of conservatism is needed.")

    ratio = get(metrics.OOT_MEAN_PD_OVER_DEFAULT_RATE)
    if math.isfinite(ratio) and not t.mean_pd_ratio_low <= ratio <= t.mean_pd_ratio_high:
        mean_pd, rate = get(split_name("mean_pd")), get(metrics.OOT_DEFAULT_RATE)
        detail = (f" (mean PD {percent_text(mean_pd)}, default rate {percent_text(rate)})"
                  if math.isfinite(mean_pd) and math.isfinite(rate) else "")
        under = ratio < t.mean_pd_ratio_low
        rows["pd_level"] = (
            "Mean PD " + ("below" if under else "above") + " the observed default rate, out of time",
            fmt.number(ratio) + detail, f"{t.mean_pd_ratio_low:g} to {t.mean_pd_ratio_high:g}",
            ("The model under-predicts defaults (not conservative): comment on the central tendency and any "
             "margin of conservatism." if under else
             "The model over-predicts defaults: comment on pricing and capital effects of the PD level."))

    psi_value = get(metrics.OOT_PSI_PD_VS_TRAIN)
    if math.isfinite(psi_value) and psi_value >= 0:
        status = psi_status(psi_value)
        if status == "monitor":
            rows["psi_monitor"] = (
                "PD distribution shifted between training and out of time (PSI in the monitor band)",
                fmt.number(psi_value), f"below {STABLE_BELOW:g} stable, {STABLE_BELOW:g} to {SHIFT_ABOVE:g} monitor",
                "Comment on what moved the portfolio (mix, macro, drift in the features) and on monitoring.")
        elif status == "shift":
            rows["psi_shift"] = (
                "PD distribution shifted significantly between training and out of time (PSI above the monitor band)",
                fmt.number(psi_value), f"at most {SHIFT_ABOVE:g}",
                "A significant population shift: comment on whether the model still applies to today's portfolio.")
    elif metrics.OOT_PSI_PD_VS_TRAIN in logged:
        rows["psi_missing"] = ("PSI of the PD between training and out of time not available", "n/a",
                               "a number", "Without training rows the population stability cannot be judged.")

    if _tag(tags, TUNING_TAG_PREFIX + "stopped_by") == TUNING_STOPPED_BY_TIME_LIMIT:
        asked, budget = _tag(tags, TUNING_TAG_PREFIX + "trials_asked"), _tag(tags, TUNING_TAG_PREFIX + "trials_budget")
        rows["tuning_time_limit"] = (
            "Tuning cut short by its time limit",
            f"{asked or '?'} of {budget or '?'} trials", "the full trial budget",
            "The search depended on how busy the machine was, so the same code, data and seed may give another "
            "model: retrain without the time limit (tuning.timeout_s: null) or record why this model stands.")
    failed_trials = _float(_tag(tags, TUNING_TAG_PREFIX + "trials_failed") or "nan")
    if math.isfinite(failed_trials) and failed_trials > 0:
        rows["tuning_failed_trials"] = (
            "Tuning trials failed", fmt.integer(failed_trials), "0",
            "Failed trials shrink the search: comment on their cause (the training run's nested trial runs).")

    if champion_version is None:
        rows["no_champion"] = (
            "No champion to compare with", "none yet", "a champion version",
            "This version would be the first champion: there is no benchmark on the same rows, so comment on "
            "the training run's challengers (scorecard, Altman Z'') instead.")

    mismatched = _reproducibility_misses(reproducibility)
    repro_flag = get(metrics.REPRODUCIBILITY_PASSED)
    if mismatched or (math.isfinite(repro_flag) and repro_flag != 1.0):
        tolerance = reproducibility.attrs.get("tolerance") if reproducibility is not None else None
        shown = ", ".join(mismatched[:6]) + (f" and {len(mismatched) - 6} more" if len(mismatched) > 6 else "")
        total = len(reproducibility) if reproducibility is not None else 0
        rows["reproducibility"] = (
            "Logged metrics not reproduced",
            (f"{len(mismatched)} of {total}: {shown}" if mismatched else "reproducibility/passed = 0"),
            f"every difference at most {tolerance:g}" if tolerance else "every metric matches",
            "The logged model and panel do not give the numbers the training run logged (another model, panel or "
            "code version): find out why before relying on any figure of this review; blocks the gate unless "
            "overridden with a reason.")

    auc, champion_auc = get(metrics.OOT_AUC), get(metrics.champion_metric(metrics.OOT_AUC))
    if math.isfinite(auc) and math.isfinite(champion_auc) and champion_auc - auc > t.auc_drop:
        rows["auc_drop"] = (
            "Out-of-time AUC below the champion's",
            f"{fmt.number(auc)} vs {fmt.number(champion_auc)} (-{fmt.number(champion_auc - auc)})",
            "at least the champion's AUC",
            "The reviewed version discriminates less well than the model it would replace: comment on why it "
            "should be approved (stability, calibration, coverage) or keep the champion.")

    within = get(metrics.migration_metric("within_one_notch"))
    if math.isfinite(within) and within < t.within_one_notch:
        rows["migration"] = (
            "Many obligors move more than one grade against the champion",
            f"{percent_text(1 - within)} of OOT rows", f"at most {percent_text(1 - t.within_one_notch)}",
            "Large grade migration changes limits, pricing and capital for these obligors: comment on the "
            "drivers and the effect on the book.")

    defaults = get(split_name("defaults"))
    if math.isfinite(defaults) and defaults < t.min_oot_defaults:
        rows["few_defaults"] = (
            "Few defaults out of time", fmt.integer(defaults), f"at least {t.min_oot_defaults}",
            "The out-of-time back-tests have little power with so few defaults: a green light is weak evidence.")

    commit = _tag(tags, GIT_COMMIT_TAG)
    if commit.lower() in _NOT_RECORDED:
        rows["code_not_recorded"] = ("Training code version not recorded", commit or "missing", "a git commit",
                                     "The training run names no commit: the code that trained the model cannot "
                                     "be retrieved.")
    elif commit.endswith("-dirty"):
        rows["uncommitted_code"] = (
            "Trained from uncommitted code", commit, "a clean git commit",
            "The working copy had changes that are not in the commit, so the commit alone does not reproduce the "
            "training code: comment, or retrain from a clean checkout.")
    if _tag(tags, DATA_FINGERPRINT_TAG).lower() in _NOT_RECORDED:
        rows["data_not_fingerprinted"] = (
            "Training data not fingerprinted", _tag(tags, DATA_FINGERPRINT_TAG) or "missing", "a fingerprint",
            "The training run does not identify its input data: the panel cannot be tied to a data snapshot.")
    if _tag(tags, USER_TAG).lower() in _NOT_RECORDED:
        rows["trainer_unknown"] = (
            "Who trained the version is not recorded", _tag(tags, USER_TAG) or "missing", "a user",
            "The sign-off cannot check that the approver did not train the version.")

    table = pandas.DataFrame.from_dict(rows, orient="index", columns=list(FINDING_COLUMNS))
    table.index.name = "code"
    return table


def split_name(figure: str) -> str:
    """``oot/<figure>``."""
    return metrics.split_metric("oot", figure)


def _portfolio_row(backtest: pandas.DataFrame | None) -> Mapping[str, Any] | None:
    if backtest is None or "all" not in backtest.index or "jeffreys_light" not in backtest.columns:
        return None
    return backtest.loc["all"].to_dict()


def _reproducibility_misses(table: pandas.DataFrame | None) -> list[str]:
    if table is None or "status" not in table.columns:
        return []
    bad = table[table["status"] != "match"]
    return [f"{name} ({status})" for name, status in zip(bad.index, bad["status"])]


# --------------------------------------------------------------------------- header


def version_aliases(version: Mapping[str, Any], aliases: Mapping[str, Any] | Sequence[str] | None = None) -> list[str]:
    """The aliases that point at ``version``: ``aliases`` as the registry gives them for the model
    (``{alias: version}``, ``tracking.model_aliases``) or as a list for this version, together with
    the ``aliases`` the version dict carries; sorted, without duplicates."""
    found = set(str(a) for a in (version.get("aliases") or []))
    if isinstance(aliases, Mapping):
        found |= {str(a) for a, v in aliases.items() if str(v) == str(version.get("version"))}
    elif aliases is not None:
        found |= {str(a) for a in aliases}
    return sorted(found)


def _when(value: Any) -> str:
    """A timestamp (ms since the epoch, ``datetime``, ISO text) as ``2026-12-01 22:30 UTC``."""
    if value is None or value == "":
        return "not recorded"
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    elif isinstance(value, (int, float)):
        moment = datetime.fromtimestamp(float(value) / 1000.0, tz=timezone.utc)
    else:
        moment = datetime.fromisoformat(str(value))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _tuning_text(tags: Mapping[str, str]) -> str:
    if _tag(tags, TUNING_TAG_PREFIX + "enabled") == "false":
        return "not tuned (configured hyperparameters)"
    stopped = _tag(tags, TUNING_TAG_PREFIX + "stopped_by")
    if not stopped:
        return "not recorded"
    asked, budget = _tag(tags, TUNING_TAG_PREFIX + "trials_asked"), _tag(tags, TUNING_TAG_PREFIX + "trials_budget")
    best = _tag(tags, TUNING_TAG_PREFIX + "best_trial")
    held = _tag(tags, TUNING_TAG_PREFIX + "study_trials")
    if asked == "0" and held:  # `workbench tune` filled the study; this fit only took its best trial
        study = _tag(tags, TUNING_TAG_PREFIX + "study")
        return (f"fitted from the stored study {study or '?'} ({held} trials, none run by this fit)"
                + (f"; best trial {best}" if best else ""))
    return (f"{asked or '?'} of {budget or '?'} trials, stopped by its {stopped}"
            + (f"; best trial {best}" if best else ""))


@dataclass(frozen=True)
class ReviewHeader:
    """Which model version this review is about and where it came from (``review_header``)."""

    model_name: str
    version: str
    aliases: tuple[str, ...]
    fields: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, str]:
        return dict(self.fields)

    @property
    def title(self) -> str:
        aliases = " ".join(f"@{a}" for a in self.aliases)
        return f"{self.model_name} version {self.version}" + (f" ({aliases})" if aliases else "")

    def __repr__(self) -> str:
        width = max(len(k) for k, _ in self.fields) if self.fields else 0
        return "\n".join([self.title, *(f"{k.ljust(width)}  {v}" for k, v in self.fields)])

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left;padding:2px 12px 2px 0'>{inline_html(k)}</th>"
                       f"<td style='text-align:left;font-family:monospace'>{inline_html(v)}</td></tr>"
                       for k, v in self.fields)
        return (f"<div class='review-header' style='border:1px solid #999;padding:8px 14px;margin:6px 0'>"
                f"<h2 style='margin:2px 0 6px 0'>Model version under review: {inline_html(self.title)}</h2>"
                f"<table style='border-collapse:collapse'>{rows}</table></div>")


def review_header(version: Mapping[str, Any], aliases: Mapping[str, Any] | Sequence[str] | None,
                  training_tags: Mapping[str, str], *, trained_at: Any = None, reviewed_at: Any = None,
                  review_run_id: str = "") -> ReviewHeader:
    """The header block of a review: model name, version and its aliases, the training run and its
    date, git commit, data fingerprint, params hash, who trained it, the tuning, this review run
    and its date (``reviewed_at``, default now).

    ``version`` is ``{name, version, run_id, aliases, ...}`` (``tracking.resolve_model_version``);
    ``aliases`` the registry's aliases (``{alias: version}`` of the model, or a list for this
    version; see ``version_aliases``); ``training_tags`` the training run's tags; ``trained_at``
    its start (ms since the epoch, as MLflow gives it, or a datetime).
    """
    names = tuple(version_aliases(version, aliases))
    reviewed = reviewed_at if reviewed_at is not None else datetime.now(timezone.utc)
    not_recorded = "not recorded"
    fields = (
        ("Model", str(version["name"])),
        ("Version", str(version["version"])),
        ("Aliases", " ".join(f"@{a}" for a in names) or "none"),
        ("Training run", str(version.get("run_id") or not_recorded)),
        ("Trained", _when(trained_at)),
        ("Trained by", _tag(training_tags, USER_TAG) or not_recorded),
        ("Git commit", _tag(training_tags, GIT_COMMIT_TAG) or not_recorded),
        ("Data fingerprint", _tag(training_tags, DATA_FINGERPRINT_TAG) or not_recorded),
        ("Params hash", _tag(training_tags, PARAMS_HASH_TAG) or not_recorded),
        ("Tuning", _tuning_text(training_tags)),
        ("Review run", review_run_id or not_recorded),
        ("Reviewed", _when(reviewed)),
    )
    return ReviewHeader(model_name=str(version["name"]), version=str(version["version"]), aliases=names,
                        fields=fields)


# --------------------------------------------------------------------------- verdict


def _failure_text(key: str, row: pandas.Series) -> str:
    if key.startswith("recorded:"):
        return f"{row['metric']} " + ("not a finite number" if row["present"] else "not recorded")
    if key == "reproducibility":
        return "reproducibility check failed" if math.isfinite(row["value"]) else "reproducibility not recorded"
    if key == "red_grades":
        if not math.isfinite(row["value"]):
            return "red grades not recorded"
        return f"{fmt.integer(row['value'])} grade{'s' if row['value'] != 1 else ''} red out of time"
    return str(row["check"])


@dataclass(frozen=True)
class ReviewVerdict:
    """The gate's checks and the findings of a review, shown as the report's verdict box."""

    checks: pandas.DataFrame
    findings: pandas.DataFrame

    @property
    def meets_gate(self) -> bool:
        return bool(len(self.checks)) and bool((self.checks["result"] == PASS).all())

    @property
    def failures(self) -> list[str]:
        """Each failed check in a few words (``"reproducibility check failed"``)."""
        return [_failure_text(str(k), row) for k, row in self.checks.iterrows() if row["result"] == FAIL]

    @property
    def overridable(self) -> bool:
        """True when every failed check may be overridden with a recorded reason."""
        failed = self.checks[self.checks["result"] == FAIL]
        return bool(len(failed)) and bool(failed["overridable"].all())

    @property
    def line(self) -> str:
        """``"meets the gate"`` or ``"does not meet the gate: <each failure>"``."""
        return "meets the gate" if self.meets_gate else "does not meet the gate: " + "; ".join(self.failures)

    @property
    def summary(self) -> str:
        """The verdict line with the count of checks passed and of findings, as one sentence."""
        passed = int((self.checks["result"] == PASS).sum())
        n = len(self.findings)
        findings = f"{n} finding{'s' if n != 1 else ''} to comment on" if n else "no findings"
        extra = ""
        if not self.meets_gate:
            extra = (" Every failure may be overridden only with a recorded reason." if self.overridable
                     else " At least one failure cannot be overridden: rerun the review once it is fixed.")
        return f"The version {self.line} ({passed} of {len(self.checks)} checks pass); {findings}.{extra}"

    def __repr__(self) -> str:
        lines = [f"VERDICT: {self.line}", "", "Gate checks:"]
        for _, row in format_gate_checks(self.checks).iterrows():
            lines.append(f"  {row['result']:<4}  {row['check']}: {row['value']} (threshold {row['threshold']})")
        lines += ["", "Findings (do not block; comment on each):" if len(self.findings) else "Findings: none"]
        for i, (_, row) in enumerate(self.findings.iterrows(), 1):
            lines.append(f"  {i}. {row['finding']}: {row['value']} (reference: {row['reference']}). {row['comment']}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.meets_gate else "#b42318"
        gate_rows = "".join(
            f"<tr><td style='text-align:left'>{inline_html(r['check'])}</td>"
            f"<td style='text-align:right'>{inline_html(r['value'])}</td>"
            f"<td style='text-align:left'>{inline_html(r['threshold'])}</td>"
            f"<td style='text-align:left;font-weight:bold;color:{'#1a7f37' if r['result'] == PASS else '#b42318'}'>"
            f"{inline_html(r['result'])}</td></tr>"
            for _, r in format_gate_checks(self.checks).iterrows())
        if len(self.findings):
            items = "".join(f"<li><strong>{inline_html(r['finding'])}</strong>: {inline_html(r['value'])} "
                            f"(reference: {inline_html(r['reference'])}). {inline_html(r['comment'])}</li>"
                            for _, r in self.findings.iterrows())
            findings = (f"<h3 style='margin:10px 0 4px 0'>Findings: {len(self.findings)} "
                        f"(do not block sign-off; the validator comments on each)</h3><ol>{items}</ol>")
        else:
            findings = "<h3 style='margin:10px 0 4px 0'>Findings: none</h3>"
        return (f"<div class='review-verdict' style='border:2px solid {colour};padding:8px 14px;margin:6px 0'>"
                f"<h2 style='margin:2px 0 6px 0;color:{colour}'>Verdict: {inline_html(self.line)}</h2>"
                f"<p>{inline_html(self.summary)}</p>"
                f"<h3 style='margin:10px 0 4px 0'>Gate checks (what <code>workbench review approve</code> "
                f"requires)</h3>"
                f"<table><thead><tr><th style='text-align:left'>check</th><th>value</th>"
                f"<th style='text-align:left'>threshold</th><th style='text-align:left'>result</th></tr></thead>"
                f"<tbody>{gate_rows}</tbody></table>{findings}</div>")


def review_verdict(checks: pandas.DataFrame, findings: pandas.DataFrame) -> ReviewVerdict:
    """The verdict box of the report from ``gate_checks`` and ``review_findings``."""
    return ReviewVerdict(checks=checks, findings=findings)


# --------------------------------------------------------------------------- texts for MLflow


def _findings_sentence(verdict: ReviewVerdict) -> str:
    if not len(verdict.findings):
        return "No findings."
    items = "; ".join(f"{r['finding']} ({r['value']})" for _, r in verdict.findings.iterrows())
    return f"Findings to comment on: {items}."


def _figures_sentence(logged: Mapping[str, Any] | None) -> str:
    if not logged:
        return ""
    shown = (metrics.OOT_AUC, metrics.OOT_GINI, metrics.OOT_KS, metrics.OOT_BRIER, metrics.OOT_RED_GRADES,
             metrics.OOT_YELLOW_GRADES, metrics.OOT_HOSMER_LEMESHOW_P, metrics.OOT_PSI_PD_VS_TRAIN)
    present = [n for n in shown if n in logged]
    return " Recomputed out of time: " + ", ".join(f"{n} {figure_text(n, logged[n])}" for n in present) + "."


def version_description(verdict: ReviewVerdict, header: ReviewHeader, review_run_id: str,
                        training_description: str = "", logged: Mapping[str, Any] | None = None) -> str:
    """The model version's description in the registry: the training run's paragraph (what the
    model is and its figures), then one paragraph with the review's verdict, findings and the
    review run it comes from (the link a validator follows)."""
    review = (f"**Validation review** (review run {review_run_id}, {header.as_dict().get('Reviewed', '')}): "
              f"this version {verdict.line}.{_figures_sentence(logged)} {_findings_sentence(verdict)} "
              f"The review report is the artifact 40_review_model.html of run {review_run_id} (experiment "
              f"validation); `workbench review approve {header.model_name} {header.version}` applies the gate.")
    return f"{training_description.strip()}\n\n{review}" if training_description.strip() else review


def review_run_description(verdict: ReviewVerdict, header: ReviewHeader) -> str:
    """The review run's description in MLflow: what was reviewed and the verdict, in one paragraph."""
    training = header.as_dict().get("Training run", "")
    return (f"**Validation review of {header.title}** (training run {training}): {verdict.summary} "
            f"{_findings_sentence(verdict)} The HTML report 40_review_model.html is the validation document; "
            f"`workbench review approve {header.model_name} {header.version}` applies the gate.")


def verdict_tags(verdict: ReviewVerdict) -> dict[str, str]:
    """Tags of the review run with its verdict and the codes of its findings (searchable in MLflow)."""
    return {VERDICT_TAG: verdict.line, FINDINGS_TAG: ", ".join(verdict.findings.index) or "none"}
