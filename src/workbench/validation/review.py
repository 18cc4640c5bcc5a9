"""The independent review of a PD model version: reproducibility, champion against challenger.

A validator does not rerun the training; the review notebook (``40_review_model``) loads the
logged model and the logged panel and uses these functions to

- recompute the headline metrics and compare them with what the training run logged
  (``reproducibility_check``): any difference beyond the tolerance is a finding;
- put the reviewed version beside the current champion on the same out-of-time rows
  (``ModelComparison``): discrimination, accuracy, per-grade Jeffreys traffic lights, PSI,
  the grade migration between the two and their SHAP importance (``importance_comparison``);
- condense the result into the metrics the sign-off gate requires (``review_metrics``);
- show every table of the report formatted for readers (``format_comparison``,
  ``format_reproducibility``, ``format_backtest``, ``format_importance``, ``params_table``,
  ``split_summary``) and say in one line what a missing figure means (``champion_note``,
  ``reproducibility_note``, ``importance_note``, ``ModelComparison.migration_view``).

The verdict (gate checks, findings, header) is ``workbench.validation.verdict``. Pure functions
of DataFrames: MLflow stays in ``workbench.tracking`` and the notebook.
"""

from __future__ import annotations

from typing import Any, Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas
from matplotlib.figure import Figure
from scipy.stats import spearmanr

from .. import format as fmt
from ..format import params_table
from ..reference import SPLITS, metrics
from .backtest import grade_backtest
from .display import Note, format_columns, format_rows_by_name, format_values
from .metrics import discrimination_table
from .oot_summary import oot_backtest_summary

__all__ = [
    "REVIEW_MODEL_TAG",
    "REVIEW_VERSION_TAG",
    "REVIEW_PARAM_PREFIX",
    "review_tags",
    "review_params",
    "recomputed_metrics",
    "params_table",
    "split_summary",
    "champion_note",
    "reproducibility_note",
    "format_reproducibility",
    "format_comparison",
    "format_backtest",
    "format_importance",
    "importance_note",
    "format_review_metrics",
    "reproducibility_check",
    "ModelComparison",
    "importance_comparison",
    "review_metrics",
    "oot_sample",
]

#: Tags that mark a run as the validation of one model version (the sign-off gate searches them).
REVIEW_MODEL_TAG = "workbench.review.model_name"
REVIEW_VERSION_TAG = "workbench.review.model_version"


#: Params of a validation run naming what it reviewed (new keys: the job's own ``model_version``
#: param may be empty, and MLflow params cannot be changed once logged).
REVIEW_PARAM_PREFIX = "review."


def review_tags(version: Mapping[str, str]) -> dict[str, str]:
    """Tags of a validation run for a model version as returned by ``tracking.resolve_model_version``."""
    return {REVIEW_MODEL_TAG: str(version["name"]), REVIEW_VERSION_TAG: str(version["version"]),
            "workbench.review.training_run_id": str(version["run_id"])}


def review_params(version: Mapping[str, str]) -> dict[str, str]:
    """Params of a validation run: ``review.model_name``, ``review.model_version`` (the resolved
    number) and ``review.training_run_id`` of the version reviewed."""
    return {f"{REVIEW_PARAM_PREFIX}model_name": str(version["name"]),
            f"{REVIEW_PARAM_PREFIX}model_version": str(version["version"]),
            f"{REVIEW_PARAM_PREFIX}training_run_id": str(version["run_id"])}


def recomputed_metrics(scored: Any, target: str) -> dict[str, float]:
    """Every metric the training run logs, recomputed from a scored panel: the per-split figures
    (``scored.metric_dict()``) and the OOT back-test summary (``scored.validation_metrics(target)``);
    ``scored`` is the ``TrainingResult`` of ``workbench.models.score_panel``."""
    return {**scored.metric_dict(), **scored.validation_metrics(target)}


def split_summary(panel: pandas.DataFrame, target: str) -> pandas.DataFrame:
    """Rows, obligors (when the panel has ``obligor_id``), defaults and default rate per split of
    the panel, in split order (train, valid, oot), formatted for readers."""
    grouped = panel.groupby("split", observed=True)
    table = pandas.DataFrame({"rows": grouped.size(), "defaults": grouped[target].sum(),
                              "default_rate": grouped[target].mean()})
    if "obligor_id" in panel.columns:
        table.insert(1, "obligors", grouped["obligor_id"].nunique())
    order = [s for s in SPLITS if s in table.index] + [s for s in table.index if s not in SPLITS]
    table = table.loc[order]
    table.index.name = "split"
    return format_columns(table)


def champion_note(champion_version: str | None) -> Note:
    """What the review compares with: the champion's version, or that there is none yet."""
    if champion_version is None:
        return Note("No champion yet: this version would be the first, so it is shown alone.")
    return Note(f"Champion: version {champion_version}, scored on the same out-of-time rows as the reviewed "
                "version.")


def reproducibility_note(table: pandas.DataFrame) -> Note:
    """One line on the reproducibility check: every metric matched, or which ones did not."""
    tolerance = f"{float(table.attrs.get('tolerance', float('nan'))):g}"
    if table.attrs.get("passed"):
        return Note(f"**Reproduced**: all {len(table)} metrics the training run logged match their recomputation "
                    f"within {tolerance} (largest difference {fmt.number(table.attrs.get('max_abs_diff'))}).")
    bad = table[table["status"] != "match"]
    listed = ", ".join(f"`{name}` ({status})" for name, status in zip(bad.index, bad["status"]))
    return Note(f"**Not reproduced**: {len(bad)} of {len(table)} metrics differ from the training run by more than "
                f"{tolerance} or were not logged: {listed}.")


def format_reproducibility(table: pandas.DataFrame) -> pandas.DataFrame:
    """``reproducibility_check``'s table for readers: logged and recomputed values formatted by
    the metric's name, the difference to 4 significant digits, the status."""
    out = format_rows_by_name(table, ["logged", "recomputed"])
    out["abs_diff"] = [fmt.number(v) for v in table["abs_diff"]]
    return out


def format_comparison(table: pandas.DataFrame) -> pandas.DataFrame:
    """``ModelComparison.table()`` for readers: each row formatted by its figure (rows and
    defaults as integers, default rate, mean PD and the Hosmer-Lemeshow p as percentages, the
    rest to 4 significant digits)."""
    return format_rows_by_name(table)


def format_backtest(table: pandas.DataFrame) -> pandas.DataFrame:
    """A per-grade back-test (``grade_backtest``) for readers: counts as integers, rates, PDs and
    p-values as percentages, the traffic lights as they are."""
    return format_columns(table, {"n": fmt.integer, "defaults": fmt.integer})


def format_importance(table: pandas.DataFrame) -> pandas.DataFrame:
    """``importance_comparison``'s table for readers: mean |SHAP| to 4 significant digits, ranks
    as integers (``n/a`` for a feature a model does not use)."""
    formats = {c: (fmt.integer if c.startswith("rank[") else fmt.number) for c in table.columns if c != "feature"}
    return format_columns(table.set_index("feature") if "feature" in table.columns else table, formats)


def importance_note(table: pandas.DataFrame) -> Note:
    """The rank correlation of the reviewed version's importance with each other model's, or that
    there is no champion to compare with."""
    rho = table.attrs.get("spearman") or {}
    if not rho:
        return Note("No champion yet: the importance of the reviewed version is shown alone.")
    parts = ", ".join(f"{label} {fmt.number(value)}" for label, value in rho.items())
    return Note(f"Rank correlation (Spearman) of the reviewed version's importance with: {parts} "
                "(1 = the same order of drivers).")


def format_review_metrics(values: Mapping[str, float]) -> pandas.DataFrame:
    """The review run's metrics (``review_metrics``) as a table of metric and value for readers."""
    return format_values(values)


def reproducibility_check(logged: Mapping[str, float], recomputed: Mapping[str, float],
                          tolerance: float = 1e-6) -> pandas.DataFrame:
    """Each recomputed metric beside the value the training run logged.

    ``status`` is ``match`` (within ``tolerance``), ``MISMATCH`` or ``not logged`` (the
    training run should have logged it and did not: also a finding). ``attrs["passed"]`` is
    True only when every metric matches; ``attrs["max_abs_diff"]`` is the largest difference.
    """
    rows = []
    for name in sorted(recomputed):
        new = float(recomputed[name])
        old = logged.get(name)
        if old is None:
            rows.append({"metric": name, "logged": np.nan, "recomputed": new, "abs_diff": np.nan,
                         "status": "not logged"})
            continue
        old = float(old)
        both_nan = np.isnan(old) and np.isnan(new)
        diff = 0.0 if both_nan else abs(old - new)
        ok = both_nan or diff <= tolerance
        rows.append({"metric": name, "logged": old, "recomputed": new, "abs_diff": diff,
                     "status": "match" if ok else "MISMATCH"})
    table = pandas.DataFrame(rows, columns=["metric", "logged", "recomputed", "abs_diff", "status"])
    table = table.set_index("metric")
    table.attrs["passed"] = bool(len(table)) and bool((table["status"] == "match").all())
    diffs = table["abs_diff"].dropna()
    table.attrs["max_abs_diff"] = float(diffs.max()) if len(diffs) else float("nan")
    table.attrs["tolerance"] = tolerance
    return table


#: Discrimination rows of ``ModelComparison.table`` (columns of ``discrimination_table``).
_DISCRIMINATION_ROWS = ("rows", "defaults", "default_rate", "mean_pd", "auc", "gini", "ks", "brier", "log_loss")
#: What ``review_metrics`` logs for the reviewed model (and, with a champion, for the champion).
_REVIEWED_FIGURES = ("auc", "gini", "ks", "brier")
#: The size of the out-of-time sample, logged for the reviewed model (the findings read it).
_SAMPLE_FIGURES = ("rows", "defaults", "default_rate", "mean_pd")


class ModelComparison:
    """Several scored models on the same panel rows, judged out of time.

    ``scored`` maps a label ("challenger v2", "champion v1") to a frame with ``split``, the
    target, ``pd`` and ``grade`` per row (``TrainingResult.predictions``), all on the same
    rows in the same order; ``grade_pd`` maps each label to its master-scale PD per grade.
    The first label is the model under review.
    """

    def __init__(self, scored: Mapping[str, pandas.DataFrame], target: str,
                 grade_pd: Mapping[str, Mapping] | None = None):
        if not scored:
            raise ValueError("ModelComparison needs at least one scored model")
        frames = list(scored.values())
        for label, frame in scored.items():
            missing = [c for c in ("split", target, "pd", "grade") if c not in frame.columns]
            if missing:
                raise KeyError(f"scores of {label!r} lack column(s) {', '.join(missing)}")
            if len(frame) != len(frames[0]):
                raise ValueError(f"scores of {label!r} have {len(frame)} rows, the first model {len(frames[0])}: "
                                 "models must be compared on the same rows")
        self.scored = dict(scored)
        self.target = target
        self.grade_pd = dict(grade_pd or {})
        self.labels = list(self.scored)
        y0 = frames[0][target].to_numpy()
        for label, frame in self.scored.items():
            if not np.array_equal(frame[target].to_numpy(), y0):
                raise ValueError(f"scores of {label!r} have a different target column: not the same rows")

    def _oot(self, label: str) -> pandas.DataFrame:
        frame = self.scored[label]
        oot = frame[frame["split"] == "oot"]
        if oot.empty:
            raise ValueError("no out-of-time rows (split == 'oot') to compare on")
        return oot

    def backtest(self, label: str) -> pandas.DataFrame:
        """Per-grade binomial and Jeffreys back-test of ``label`` on the OOT rows."""
        oot = self._oot(label)
        return grade_backtest(oot["grade"], oot["pd"], oot[self.target], grade_pd=self.grade_pd.get(label))

    def table(self) -> pandas.DataFrame:
        """Headline OOT metrics, one column per model: rows, defaults, default rate, mean PD, AUC,
        Gini, KS, Brier, log loss, then the back-test summary (``oot_backtest_summary``: Hosmer-
        Lemeshow p, grades red / yellow in the Jeffreys test, PSI of the PD between train and OOT,
        mean PD over default rate), each row named as its metric without the ``oot/`` scope."""
        columns = {}
        for label in self.labels:
            oot = self._oot(label)
            disc = discrimination_table(oot[self.target], oot["pd"].to_numpy(), oot["split"]).loc["oot"]
            summary = oot_backtest_summary(self.scored[label], self.target, self.grade_pd.get(label))
            columns[label] = {
                **{name: disc[name] for name in _DISCRIMINATION_ROWS},
                **{name.removeprefix("oot/"): value for name, value in summary.items()},
            }
        out = pandas.DataFrame(columns)
        out.index.name = "metric"
        return out

    def traffic_lights(self) -> pandas.DataFrame:
        """Jeffreys traffic light of every grade (rows) for every model (columns)."""
        lights = {label: self.backtest(label).drop(index="all", errors="ignore")["jeffreys_light"]
                  for label in self.labels}
        table = pandas.DataFrame(lights)
        order = _grade_labels(pandas.Series(table.index))
        table = table.reindex(order).fillna("(empty)")
        table.index.name = "grade"
        return table

    def migration(self, from_label: str | None = None, to_label: str | None = None) -> pandas.DataFrame:
        """Counts of OOT rows by grade under ``from_label`` (rows; default the second model, the
        champion) and under ``to_label`` (columns; default the model under review). Empty when
        there is only one model."""
        if len(self.labels) < 2:
            return pandas.DataFrame()
        to_label = to_label or self.labels[0]
        from_label = from_label or self.labels[1]
        a, b = self._oot(from_label)["grade"], self._oot(to_label)["grade"]
        order = _grade_labels(pandas.concat([a, b]))
        matrix = pandas.crosstab(pandas.Categorical(a, order), pandas.Categorical(b, order), dropna=False)
        matrix.index.name, matrix.columns.name = from_label, to_label
        return matrix

    def migration_summary(self) -> dict[str, float]:
        """Share of OOT rows keeping their grade, moving at most one notch, upgraded, downgraded
        (under the reviewed model against the champion). Empty with one model."""
        m = self.migration()
        if m.empty:
            return {}
        n = m.to_numpy()
        i, j = np.indices(n.shape)
        total = max(n.sum(), 1)
        return {"same_grade": float(n[i == j].sum() / total),
                "within_one_notch": float(n[np.abs(i - j) <= 1].sum() / total),
                "better_grade": float(n[j < i].sum() / total),
                "worse_grade": float(n[j > i].sum() / total)}

    def migration_view(self) -> Figure | Note:
        """The grade migration heat map (``plot_migration``) when there is a champion, else one
        line saying there is none: the report never shows an empty figure."""
        if len(self.labels) < 2:
            return Note("No champion yet: this version would be the first, so there is no grade migration to show.")
        return self.plot_migration()

    def plot_migration(self) -> Figure:
        """Heat map of the grade migration matrix (row shares), champion rows against reviewed columns."""
        m = self.migration()
        fig, ax = plt.subplots(figsize=(7, 5.5))
        plt.close(fig)  # returned, not shown: the caller displays it once
        if m.empty:
            ax.text(0.5, 0.5, "No champion to compare with:\nthe reviewed version would be the first champion",
                    ha="center", va="center")
            ax.set_axis_off()
            return fig
        shares = m.div(m.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)
        im = ax.imshow(shares.to_numpy(), cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(m.columns)), [str(c) for c in m.columns])
        ax.set_yticks(range(len(m.index)), [str(r) for r in m.index])
        ax.set_xlabel(f"grade under {m.columns.name}")
        ax.set_ylabel(f"grade under {m.index.name}")
        for (r, c), count in np.ndenumerate(m.to_numpy()):
            if count:
                ax.text(c, r, str(count), ha="center", va="center", fontsize=7,
                        color="white" if shares.iat[r, c] > 0.6 else "black")
        fig.colorbar(im, ax=ax, label="share of the row")
        ax.set_title("Grade migration, out of time (counts; colour = row share)")
        fig.tight_layout()
        return fig


def _grade_labels(grades: pandas.Series) -> list:
    """Grade labels in master-scale order: numeric grades ascending, then the rest (``D``)."""
    values = pandas.unique(grades.astype(str))
    numeric = sorted((v for v in values if v.isdigit()), key=int)
    return numeric + sorted(v for v in values if not v.isdigit())


def oot_sample(panel: pandas.DataFrame, rows: int, seed: int) -> pandas.DataFrame:
    """At most ``rows`` out-of-time rows of ``panel``, drawn reproducibly with ``seed``."""
    oot = panel[panel["split"] == "oot"]
    return oot.sample(min(rows, len(oot)), random_state=seed)


def importance_comparison(tables: Mapping[str, pandas.DataFrame], top: int = 20) -> pandas.DataFrame:
    """Global SHAP importance of several models side by side.

    Each table has ``feature`` and ``mean_abs_shap``. The result has, per feature, each
    model's mean |SHAP| and rank, sorted by the first model; ``attrs["spearman"]`` holds the
    rank correlation of the first model's importance with each other model's over their
    common features.
    """
    if not tables:
        raise ValueError("no importance tables given")
    merged = None
    for label, table in tables.items():
        part = table[["feature", "mean_abs_shap"]].rename(columns={"mean_abs_shap": f"mean_abs_shap[{label}]"})
        part[f"rank[{label}]"] = part[f"mean_abs_shap[{label}]"].rank(ascending=False, method="min")
        merged = part if merged is None else merged.merge(part, on="feature", how="outer")
    labels = list(tables)
    first = f"mean_abs_shap[{labels[0]}]"
    merged = merged.sort_values(first, ascending=False, na_position="last").reset_index(drop=True)
    rho = {}
    for label in labels[1:]:
        both = merged[[first, f"mean_abs_shap[{label}]"]].dropna()
        rho[label] = float(spearmanr(both.iloc[:, 0], both.iloc[:, 1]).statistic) if len(both) > 2 else float("nan")
    out = merged.head(top)
    out.attrs["spearman"] = rho
    return out


def review_metrics(comparison: ModelComparison, reproducibility: pandas.DataFrame) -> dict[str, float]:
    """The metrics of the review run, named as training names them: for the reviewed (first)
    model ``oot/auc``, ``oot/gini``, ``oot/ks``, ``oot/brier``, the OOT sample (``oot/rows``,
    ``oot/defaults``, ``oot/default_rate``, ``oot/mean_pd``) and the OOT back-test summary
    (``oot/red_grades``, ``oot/psi_pd_vs_train``, ...), ``reproducibility/passed`` (1 or 0)
    and ``reproducibility/max_abs_diff``; with a champion also ``champion/oot/...`` and the
    migration shares. The sign-off gate requires some of them (``signoff.REQUIRED_VALIDATION_METRICS``)."""
    table = comparison.table()
    first = comparison.labels[0]
    backtest = [name.removeprefix("oot/") for name in metrics.OOT_BACKTEST_METRICS]
    out = {metrics.split_metric("oot", name): table.at[name, first]
           for name in (*_REVIEWED_FIGURES, *_SAMPLE_FIGURES, *backtest)}
    out[metrics.REPRODUCIBILITY_PASSED] = 1.0 if reproducibility.attrs.get("passed") else 0.0
    out[metrics.REPRODUCIBILITY_MAX_ABS_DIFF] = reproducibility.attrs.get("max_abs_diff", float("nan"))
    if len(comparison.labels) > 1:
        second = comparison.labels[1]
        for name in (*_REVIEWED_FIGURES, "red_grades"):
            out[metrics.champion_metric(metrics.split_metric("oot", name))] = table.at[name, second]
        out.update({metrics.migration_metric(k): v for k, v in comparison.migration_summary().items()})
    return {k: float(v) for k, v in out.items()}
