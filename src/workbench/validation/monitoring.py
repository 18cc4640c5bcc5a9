"""Model monitoring of the champion PD model, month by month, and its revalidation triggers.

The monthly report shows, for every month end the portfolio was scored at:

* **Stability** of the score and of the model's top features against the training data: PSI of the PD
  and CSI of each top feature (:mod:`.stability`; Siddiqi 2006, "Credit Risk Scorecards", ch. 8: below
  0.10 stable, 0.10 to 0.25 monitor, above 0.25 a significant shift). Bins are the training
  distribution's quantiles, exactly as :func:`.stability.psi` builds them; the binning is done once
  for all months (one ``searchsorted`` and one ``bincount`` over every row), so 120 month ends of
  5,000 obligors take well under a second.
* **Performance on matured outcomes**: a month end's 12-month outcome is known only once 12 months
  have passed (``default_within`` is NaN until then). On the months with at least
  ``min_matured_rows`` matured rows: AUC (:func:`.metrics.auc`, when there are at least
  ``min_matured_defaults`` defaults), Brier score, observed default rate against the mean PD, and the
  Jeffreys test per grade (ECB 2019 validation reporting instructions, section 2.5; traffic light red
  at 99.9 % confidence, :mod:`.backtest`), each grade tested against the mean PD of its obligors.
  Consecutive month ends share most obligors and overlapping 12-month windows, so a grade red in
  several neighbouring months is one finding seen repeatedly, not independent evidence.

Revalidation triggers (issue 14, item 7): PSI of the score above ``psi_trigger``, CSI of any top
feature above ``csi_trigger``, a grade red in the Jeffreys test, AUC below ``auc_floor``.
``MonitoringResult.triggers`` lists every trigger in every month (the record);
``revalidation_needed`` reads only the *current* ones: the PSI/CSI triggers of the latest month end
and the AUC/red-grade triggers of the latest matured month (the most recent evidence of each kind;
an older trigger that has since cleared stays in the record but does not by itself ask for a
revalidation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas
from matplotlib.figure import Figure
from pydantic import Field
from scipy import stats

from .. import format as fmt
from ..params import StrictModel
from ..reference.metrics import (
    MONITORING_AUC_MATURED,
    MONITORING_MAX_CSI,
    MONITORING_PSI_SCORE,
    MONITORING_RED_GRADES,
    MONITORING_REVALIDATION_TRIGGERS,
)
from .backtest import RED_P, YELLOW_P
from .metrics import auc, brier
from .stability import SHIFT_ABOVE, STABLE_BELOW, psi, psi_status

__all__ = [
    "ModelMonitoringParams",
    "MonitoringResult",
    "model_stability",
    "plot_stability",
    "MONITORING_PSI_SCORE",
    "MONITORING_MAX_CSI",
    "MONITORING_AUC_MATURED",
    "MONITORING_RED_GRADES",
    "MONITORING_REVALIDATION_TRIGGERS",
    "MONITORING_METRICS",
    "TRIGGER_PSI",
    "TRIGGER_CSI",
    "TRIGGER_RED_GRADE",
    "TRIGGER_AUC",
]

# Metric names logged to MLflow (defined in ``workbench.reference.metrics``).

MONITORING_METRICS: tuple[str, ...] = (MONITORING_PSI_SCORE, MONITORING_MAX_CSI, MONITORING_AUC_MATURED,
                                       MONITORING_RED_GRADES, MONITORING_REVALIDATION_TRIGGERS)

TRIGGER_PSI = "psi_score"
TRIGGER_CSI = "csi"
TRIGGER_RED_GRADE = "red_grade"
TRIGGER_AUC = "auc_floor"
_STABILITY_TRIGGERS = (TRIGGER_PSI, TRIGGER_CSI)  # read on the latest month end
_OUTCOME_TRIGGERS = (TRIGGER_RED_GRADE, TRIGGER_AUC)  # read on the latest matured month

_OUTCOME = "default_within"
_KEYS = ["obligor_id", "obs_date"]
_EPS = 1e-6  # as stability.psi_from_proportions


class ModelMonitoringParams(StrictModel):
    """Thresholds of the monthly model monitoring and its revalidation triggers."""

    psi_trigger: float = Field(
        SHIFT_ABOVE, gt=0,
        description="Revalidation trigger: PSI of the PD score against the training scores above this. 0.25 is "
                    "the customary 'significant shift' reading (Siddiqi 2006, ch. 8; DOMAIN.md).")
    csi_trigger: float = Field(
        SHIFT_ABOVE, gt=0,
        description="Revalidation trigger: CSI (the PSI of one input) of any monitored top feature above this; "
                    "the same 0.25 'significant shift' reading applied to the model's inputs (Siddiqi 2006).")
    auc_floor: float = Field(
        0.70, ge=0.5, le=1,
        description="Revalidation trigger: AUC on a matured month below this. 0.70 is the lower end of "
                    "'acceptable discrimination' (Hosmer & Lemeshow 2000, Applied Logistic Regression, 5.2.4); "
                    "the champion's out-of-time AUC is well above it, so falling below is a real loss of ranking.")
    top_features: int = Field(
        5, ge=0,
        description="How many of the champion's features (passed in importance order) get a CSI each month.")
    psi_bins: int = Field(
        10, ge=2,
        description="Bins of the PSI and CSI: deciles of the training distribution, the usual choice (Siddiqi "
                    "2006); fewer when training quantiles tie.")
    min_matured_rows: int = Field(
        200, ge=1,
        description="A month end gets AUC, Brier and the grade back-test only with at least this many rows whose "
                    "12-month outcome has matured; thinner months (the data's edges) would give noise, not "
                    "evidence.")
    min_matured_defaults: int = Field(
        10, ge=1,
        description="AUC of a matured month (and its floor trigger) only with at least this many defaults: an "
                    "AUC over a handful of defaulters swings by 0.1 by chance and would raise false triggers.")
    red_grade_trigger: bool = Field(
        True,
        description="Revalidation trigger: a grade red (99.9 % confidence that its PD is too low) in the "
                    "Jeffreys test of a matured month (ECB 2019 validation instructions, section 2.5).")


# --------------------------------------------------------------------------- binning


def _float_values(values, name: str) -> np.ndarray:
    try:
        return pandas.Series(values).to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric") from exc


def _psi_by_month(reference, values, month_code: np.ndarray, n_months: int, bins: int) -> np.ndarray:
    """PSI of ``values`` in each month against ``reference``: the binning of :func:`.stability.psi`
    (inner edges the training quantiles, right-closed bins, NaN its own bin), done for all months at once."""
    ref = _float_values(reference, "reference")
    x = _float_values(values, "values")
    known = ref[~np.isnan(ref)]
    inner = np.unique(np.quantile(known, np.linspace(0, 1, bins + 1)[1:-1])) if len(known) else np.array([])
    k = len(inner) + 2  # numeric bins, then the missing bin (contributes 0 where both shares are 0)

    def codes(v: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(v), k - 1, np.searchsorted(inner, v, side="left"))

    expected = np.bincount(codes(ref), minlength=k) / len(ref)
    counts = np.bincount(month_code * k + codes(x), minlength=n_months * k).reshape(n_months, k)
    actual = counts / counts.sum(axis=1, keepdims=True)
    e, a = np.clip(expected, _EPS, None), np.clip(actual, _EPS, None)
    return np.sum((a - e) * np.log(a / e), axis=1)


def _is_numeric(*series: pandas.Series) -> bool:
    return all(pandas.api.types.is_numeric_dtype(s) or s.isna().all() for s in series)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class MonitoringResult:
    """Monthly monitoring of a PD model: figures per month end, grade back-tests, triggers.

    ``by_month`` (index ``obs_date``, raw numbers): ``n``, ``mean_pd``, ``psi_score``, ``psi_status``,
    ``csi_<feature>`` per monitored feature, ``max_csi``, ``max_csi_feature``, ``matured_rows``,
    ``defaults``, ``default_rate``, ``mean_pd_matured``, ``evaluated`` (enough matured rows),
    ``auc``, ``brier``, ``red_grades``, ``yellow_grades`` (NaN where not evaluated).
    ``grades``: the Jeffreys back-test per evaluated month and grade (``obs_date``, ``grade``, ``n``,
    ``defaults``, ``default_rate``, ``pd``, ``jeffreys_p``, ``jeffreys_light``).
    ``triggers``: ``month``, ``trigger``, ``subject``, ``value``, ``threshold``, ``message``, ``current``
    (whether it counts for ``revalidation_needed``, see the module docstring).
    """

    by_month: pandas.DataFrame
    grades: pandas.DataFrame
    triggers: pandas.DataFrame
    features: tuple[str, ...]
    params: ModelMonitoringParams = field(default_factory=ModelMonitoringParams)

    @property
    def latest_month(self) -> pandas.Timestamp:
        return self.by_month.index.max()

    @property
    def latest_matured_month(self) -> pandas.Timestamp | None:
        """The most recent month end with enough matured outcomes, None if there is none."""
        evaluated = self.by_month.index[self.by_month["evaluated"].to_numpy(dtype=bool)]
        return evaluated.max() if len(evaluated) else None

    @property
    def current_triggers(self) -> pandas.DataFrame:
        return self.triggers[self.triggers["current"].to_numpy(dtype=bool)]

    @property
    def revalidation_needed(self) -> bool:
        """Any PSI/CSI trigger in the latest month end or AUC/red-grade trigger in the latest matured month."""
        return bool(len(self.current_triggers))

    def metrics(self) -> dict[str, float]:
        """The latest figures for MLflow: stability of the latest month end, performance of the latest
        matured month (NaN when no month has matured), the number of current triggers."""
        latest = self.by_month.loc[self.latest_month]
        matured = self.latest_matured_month
        outcome = self.by_month.loc[matured] if matured is not None else None
        return {
            MONITORING_PSI_SCORE: float(latest["psi_score"]),
            MONITORING_MAX_CSI: float(latest["max_csi"]),
            MONITORING_AUC_MATURED: float(outcome["auc"]) if outcome is not None else float("nan"),
            MONITORING_RED_GRADES: float(outcome["red_grades"]) if outcome is not None else float("nan"),
            MONITORING_REVALIDATION_TRIGGERS: float(len(self.current_triggers)),
        }

    def table(self) -> pandas.DataFrame:
        """One row per month end as a reviewer reads it, latest first, with the triggers of the month."""
        frame = self.by_month.copy()
        names = self.triggers.groupby("month")["trigger"].agg(lambda t: ", ".join(dict.fromkeys(t)))
        frame["triggers"] = names.reindex(frame.index).fillna("")
        frame["max_csi_shown"] = [
            "n/a" if fmt.finite(v) is None else f"{fmt.number(v)} ({f})"
            for v, f in zip(frame["max_csi"], frame["max_csi_feature"])
        ]
        frame = frame.sort_index(ascending=False)
        return fmt.display_frame(frame, {
            "n": ("Rows", fmt.integer),
            "mean_pd": ("Mean PD", fmt.pd_percent),
            "psi_score": ("PSI of PD", fmt.number),
            "psi_status": ("PSI reading", fmt.text),
            "max_csi_shown": ("Largest CSI (feature)", fmt.text),
            "matured_rows": ("Matured rows", fmt.integer),
            "default_rate": ("Default rate (12m)", fmt.percent),
            "mean_pd_matured": ("Mean PD (matured)", fmt.pd_percent),
            "auc": ("AUC", fmt.number),
            "brier": ("Brier", fmt.number),
            "red_grades": ("Red grades", fmt.integer),
            "triggers": ("Triggers", fmt.text),
        }, index=("Month end", fmt.date))


# --------------------------------------------------------------------------- computation


def _check_inputs(scored: pandas.DataFrame, outcomes: pandas.DataFrame | None, features: list[str],
                  training_features: pandas.DataFrame | None) -> None:
    missing = [c for c in [*_KEYS, "pd", "grade", *features] if c not in scored.columns]
    if missing:
        raise KeyError(f"scored snapshots lack column(s): {', '.join(missing)}")
    if scored.empty:
        raise ValueError("scored snapshots are empty: nothing to monitor")
    if scored["obs_date"].isna().any():
        raise ValueError(f"scored snapshots have {int(scored['obs_date'].isna().sum())} row(s) without obs_date")
    p = _float_values(scored["pd"], "scored.pd")
    bad = ~((p >= 0) & (p <= 1))
    if bad.any():
        rows = scored.loc[bad, _KEYS].head(3).to_dict("records")
        raise ValueError(f"scored.pd must lie in [0, 1] without NaN; {int(bad.sum())} row(s) do not, e.g. {rows}")
    if scored["grade"].isna().any():
        raise ValueError(f"scored.grade is missing in {int(scored['grade'].isna().sum())} row(s)")
    if scored.duplicated(_KEYS).any():
        rows = scored.loc[scored.duplicated(_KEYS, keep=False), _KEYS].head(3).to_dict("records")
        raise ValueError(f"scored snapshots have duplicate (obligor_id, obs_date) rows, e.g. {rows}")
    if features:
        if training_features is None:
            raise ValueError("training_features is needed for the CSI of the top features")
        missing = [f for f in features if f not in training_features.columns]
        if missing:
            raise KeyError(f"training_features lack column(s): {', '.join(missing)}")
        if training_features.empty:
            raise ValueError("training_features is empty")
    if outcomes is not None:
        missing = [c for c in [*_KEYS, _OUTCOME] if c not in outcomes.columns]
        if missing:
            raise KeyError(f"outcomes lack column(s): {', '.join(missing)}")
        if outcomes.duplicated(_KEYS).any():
            rows = outcomes.loc[outcomes.duplicated(_KEYS, keep=False), _KEYS].head(3).to_dict("records")
            raise ValueError(f"outcomes have duplicate (obligor_id, obs_date) rows, e.g. {rows}")
        y = _float_values(outcomes[_OUTCOME], f"outcomes.{_OUTCOME}")
        bad = ~(np.isnan(y) | (y == 0) | (y == 1))
        if bad.any():
            rows = outcomes.loc[bad, _KEYS].head(3).to_dict("records")
            raise ValueError(f"outcomes.{_OUTCOME} must be 1, 0 or NaN (not matured); {int(bad.sum())} row(s) "
                             f"are not, e.g. {rows}")


def _outcome_of(scored: pandas.DataFrame, outcomes: pandas.DataFrame | None) -> np.ndarray:
    if outcomes is None:
        return np.full(len(scored), np.nan)
    # a scored row without an outcome row counts as not matured
    merged = scored[_KEYS].merge(outcomes[[*_KEYS, _OUTCOME]], on=_KEYS, how="left", validate="one_to_one")
    return _float_values(merged[_OUTCOME], f"outcomes.{_OUTCOME}")


def _grade_backtests(frame: pandas.DataFrame) -> pandas.DataFrame:
    """Jeffreys test per (month, grade) over the matured rows of evaluated months; as
    :func:`.backtest.jeffreys_test` and :func:`.backtest.traffic_light`, vectorised."""
    columns = ["obs_date", "grade", "n", "defaults", "default_rate", "pd", "jeffreys_p", "jeffreys_light"]
    if frame.empty:
        return pandas.DataFrame(columns=columns)
    table = frame.groupby(["obs_date", "grade"], sort=True).agg(
        n=("y", "size"), defaults=("y", "sum"), pd=("pd", "mean")).reset_index()
    n, d = table["n"].to_numpy(dtype=float), table["defaults"].to_numpy(dtype=float)
    table["n"] = table["n"].astype(int)
    table["defaults"] = table["defaults"].astype(int)
    table["default_rate"] = d / n
    p = stats.beta.cdf(table["pd"].to_numpy(dtype=float), d + 0.5, n - d + 0.5)
    table["jeffreys_p"] = p
    table["jeffreys_light"] = np.where(p <= RED_P, "red", np.where(p <= YELLOW_P, "yellow", "green"))
    return table[columns]


def _day(ts) -> str:
    return fmt.date(ts)


def _triggers(by_month: pandas.DataFrame, grades: pandas.DataFrame, features: list[str],
              params: ModelMonitoringParams) -> pandas.DataFrame:
    rows: list[dict] = []
    psi_over = by_month[by_month["psi_score"] > params.psi_trigger]
    for month, value in psi_over["psi_score"].items():
        rows.append({
            "month": month, "trigger": TRIGGER_PSI, "subject": "pd", "value": float(value),
            "threshold": params.psi_trigger,
            "message": f"{_day(month)}: PSI of the PD {fmt.number(value)} against the training scores is above "
                       f"{params.psi_trigger:g}; the scored population has shifted, revalidate the model.",
        })
    for feature in features:
        over = by_month[by_month[f"csi_{feature}"] > params.csi_trigger]
        for month, value in over[f"csi_{feature}"].items():
            rows.append({
                "month": month, "trigger": TRIGGER_CSI, "subject": feature, "value": float(value),
                "threshold": params.csi_trigger,
                "message": f"{_day(month)}: CSI of {feature} {fmt.number(value)} against the training data is above "
                           f"{params.csi_trigger:g}; the model's input has shifted, revalidate the model.",
            })
    if params.red_grade_trigger and not grades.empty:
        red = grades[grades["jeffreys_light"] == "red"]
        for month, group in red.groupby("obs_date", sort=True):
            detail = "; ".join(f"grade {g}: {fmt.percent(r)} observed vs PD {fmt.pd_percent(q)} ({n:,d} rows)"
                               for g, r, q, n in zip(group["grade"], group["default_rate"], group["pd"], group["n"]))
            count = len(group)
            rows.append({
                "month": month, "trigger": TRIGGER_RED_GRADE,
                "subject": ", ".join(str(g) for g in group["grade"]), "value": float(count), "threshold": 0.0,
                "message": f"{_day(month)}: {count} grade{'s' if count != 1 else ''} red in the Jeffreys test "
                           f"(PD too low at 99.9 % confidence on the 12-month outcomes): {detail}.",
            })
    low = by_month[by_month["auc"] < params.auc_floor]
    for month, row in low.iterrows():
        rows.append({
            "month": month, "trigger": TRIGGER_AUC, "subject": "auc", "value": float(row["auc"]),
            "threshold": params.auc_floor,
            "message": f"{_day(month)}: AUC {fmt.number(row['auc'])} on the {fmt.integer(row['matured_rows'])} "
                       f"matured rows ({fmt.integer(row['defaults'])} defaults) is below the floor "
                       f"{params.auc_floor:g}; the model no longer ranks well enough.",
        })
    columns = ["month", "trigger", "subject", "value", "threshold", "message", "current"]
    if not rows:
        return pandas.DataFrame({c: pandas.Series(dtype=t) for c, t in zip(
            columns, ["datetime64[ns]", object, object, float, float, object, bool])})
    table = pandas.DataFrame(rows)
    latest = by_month.index.max()
    evaluated = by_month.index[by_month["evaluated"].to_numpy(dtype=bool)]
    latest_matured = evaluated.max() if len(evaluated) else pandas.NaT
    table["current"] = (table["trigger"].isin(_STABILITY_TRIGGERS) & (table["month"] == latest)) | (
        table["trigger"].isin(_OUTCOME_TRIGGERS) & (table["month"] == latest_matured))
    order = {t: i for i, t in enumerate((TRIGGER_PSI, TRIGGER_CSI, TRIGGER_RED_GRADE, TRIGGER_AUC))}
    table["_order"] = table["trigger"].map(order)
    return table.sort_values(["month", "_order"], kind="mergesort").drop(columns="_order").reset_index(drop=True)


def model_stability(scored: pandas.DataFrame, outcomes: pandas.DataFrame | None, training_scores,
                    training_features: pandas.DataFrame | None, top_features: Sequence[str],
                    params: ModelMonitoringParams | None = None) -> MonitoringResult:
    """Stability and performance of the champion per month end, with the revalidation triggers.

    ``scored``: scored snapshots at one or more month ends (``obligor_id``, ``obs_date``, the features,
    ``pd``, ``grade``). ``outcomes``: ``obligor_id``, ``obs_date``, ``default_within`` (1 / 0, NaN while
    not matured); scored rows without an outcome row count as not matured; None: no outcome known yet.
    ``training_scores``: the PDs of the model's training rows (the reference of the PSI).
    ``training_features``: the training rows' features (the reference of the CSI). ``top_features``:
    the model's features in importance order; the first ``params.top_features`` are monitored.
    """
    params = params or ModelMonitoringParams()
    features = list(dict.fromkeys(top_features))[:params.top_features]
    _check_inputs(scored, outcomes, features, training_features)
    ref_scores = _float_values(training_scores, "training_scores")
    if ref_scores.ndim != 1 or len(ref_scores) == 0:
        raise ValueError("training_scores must be a non-empty one-dimensional array of PDs")

    obs = pandas.to_datetime(scored["obs_date"])
    month_code, months = pandas.factorize(obs, sort=True)
    months = pandas.DatetimeIndex(months, name="obs_date")
    n_months = len(months)
    p = scored["pd"].to_numpy(dtype=float)
    y = _outcome_of(scored, outcomes)

    n = np.bincount(month_code, minlength=n_months)
    by_month = pandas.DataFrame({"n": n, "mean_pd": np.bincount(month_code, weights=p, minlength=n_months) / n},
                                index=months)
    by_month["psi_score"] = _psi_by_month(ref_scores, p, month_code, n_months, params.psi_bins)
    by_month["psi_status"] = by_month["psi_score"].map(psi_status)

    for feature in features:
        if _is_numeric(training_features[feature], scored[feature]):
            values = _psi_by_month(training_features[feature], scored[feature], month_code, n_months,
                                   params.psi_bins)
        else:  # categories: stability.psi bins by category, one month at a time
            current = scored[feature].reset_index(drop=True)
            values = np.array([psi(training_features[feature], current[month_code == i], params.psi_bins)
                               for i in range(n_months)])
        by_month[f"csi_{feature}"] = values
    if features:
        csi_frame = by_month[[f"csi_{f}" for f in features]].to_numpy()
        by_month["max_csi"] = csi_frame.max(axis=1)
        by_month["max_csi_feature"] = np.array(features, dtype=object)[csi_frame.argmax(axis=1)]
    else:
        by_month["max_csi"] = np.nan
        by_month["max_csi_feature"] = None

    matured = ~np.isnan(y)
    y0 = np.where(matured, y, 0.0)
    by_month["matured_rows"] = np.bincount(month_code, weights=matured.astype(float), minlength=n_months)
    by_month["defaults"] = np.bincount(month_code, weights=y0, minlength=n_months)
    by_month["evaluated"] = by_month["matured_rows"] >= params.min_matured_rows
    with np.errstate(invalid="ignore", divide="ignore"):
        rows_m = by_month["matured_rows"].where(by_month["evaluated"])
        by_month["default_rate"] = by_month["defaults"] / rows_m
        by_month["mean_pd_matured"] = np.bincount(month_code, weights=np.where(matured, p, 0.0),
                                                  minlength=n_months) / rows_m
    by_month["auc"] = np.nan
    by_month["brier"] = np.nan

    evaluated_codes = np.flatnonzero(by_month["evaluated"].to_numpy())
    for i in evaluated_codes:  # one month at a time: AUC ranks within the month
        mask = (month_code == i) & matured
        yy, pp = y[mask], p[mask]
        by_month.iloc[i, by_month.columns.get_loc("brier")] = brier(yy, pp)
        defaults = int(yy.sum())
        if defaults >= params.min_matured_defaults and defaults < len(yy):
            by_month.iloc[i, by_month.columns.get_loc("auc")] = auc(yy, pp)

    in_evaluated = matured & np.isin(month_code, evaluated_codes)
    tested = pandas.DataFrame({"obs_date": months[month_code[in_evaluated]],
                               "grade": scored["grade"].to_numpy()[in_evaluated],
                               "y": y[in_evaluated], "pd": p[in_evaluated]})
    grades = _grade_backtests(tested)
    lights = grades.groupby(["obs_date", "jeffreys_light"]).size().unstack(fill_value=0) if len(grades) else None
    for light in ("red", "yellow"):
        counts = lights[light] if lights is not None and light in lights.columns else pandas.Series(dtype=float)
        by_month[f"{light}_grades"] = counts.reindex(months).fillna(0).astype(float).where(by_month["evaluated"])

    triggers = _triggers(by_month, grades, features, params)
    return MonitoringResult(by_month=by_month, grades=grades, triggers=triggers, features=tuple(features),
                            params=params)


# --------------------------------------------------------------------------- figure


def plot_stability(result: MonitoringResult) -> Figure:
    """PSI of the PD and the largest CSI by month end with the 0.10 / trigger lines (top); AUC of the
    matured months with the floor (bottom); months with a red grade marked on the AUC panel."""
    frame = result.by_month
    params = result.params
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True)
    top.plot(frame.index, frame["psi_score"], marker=".", label="PSI of the PD")
    if result.features:
        top.plot(frame.index, frame["max_csi"], marker=".", label="largest CSI of the top features")
    top.axhline(STABLE_BELOW, color="gold", linestyle="--", linewidth=1, label=f"monitor ({STABLE_BELOW:g})")
    top.axhline(params.psi_trigger, color="tab:red", linestyle="--", linewidth=1,
                label=f"revalidation trigger ({params.psi_trigger:g})")
    if params.csi_trigger != params.psi_trigger and result.features:
        top.axhline(params.csi_trigger, color="tab:red", linestyle=":", linewidth=1,
                    label=f"CSI trigger ({params.csi_trigger:g})")
    top.set_ylabel("PSI / CSI vs training")
    top.set_title("Stability of the champion against its training data")
    top.legend(loc="upper left", fontsize="small")

    matured = frame[frame["auc"].notna()]
    if len(matured):
        bottom.plot(matured.index, matured["auc"], marker=".", color="tab:blue", label="AUC (matured outcomes)")
        red = frame[frame["red_grades"] > 0]
        if len(red):
            at = frame.loc[red.index, "auc"].fillna(params.auc_floor)
            bottom.scatter(red.index, at, color="tab:red", zorder=3, label="month with a red grade")
        bottom.axhline(params.auc_floor, color="tab:red", linestyle="--", linewidth=1,
                       label=f"floor ({params.auc_floor:g})")
        bottom.legend(loc="lower left", fontsize="small")
    else:
        bottom.text(0.5, 0.5, "No month end with matured 12-month outcomes yet", ha="center", va="center",
                    transform=bottom.transAxes)
    bottom.set_ylabel("AUC")
    bottom.set_xlabel("Month end")
    bottom.set_title("Discrimination on matured outcomes")
    fig.autofmt_xdate()
    fig.tight_layout()
    plt.close(fig)
    return fig
