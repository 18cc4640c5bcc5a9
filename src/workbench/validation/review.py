"""The independent review of a PD model version: reproducibility, champion against challenger.

A validator does not rerun the training; the review notebook (``40_review_model``) loads the
logged model and the logged panel and uses these functions to

- recompute the headline metrics and compare them with what the training run logged
  (``reproducibility_check``): any difference beyond the tolerance is a finding;
- put the reviewed version beside the current champion on the same out-of-time rows
  (``ModelComparison``): discrimination, accuracy, per-grade Jeffreys traffic lights, PSI,
  the grade migration between the two and their SHAP importance (``importance_comparison``);
- condense the result into the metrics the sign-off gate requires (``review_metrics``).

Pure functions of DataFrames: MLflow stays in ``workbench.tracking`` and the notebook.
"""

from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas
from matplotlib.figure import Figure
from scipy.stats import spearmanr

from ..reference import metrics
from .backtest import grade_backtest
from .metrics import discrimination_table
from .oot_summary import oot_backtest_summary

__all__ = [
    "REVIEW_MODEL_TAG",
    "REVIEW_VERSION_TAG",
    "review_tags",
    "reproducibility_check",
    "ModelComparison",
    "importance_comparison",
    "review_metrics",
    "oot_sample",
]

#: Tags that mark a run as the validation of one model version (the sign-off gate searches them).
REVIEW_MODEL_TAG = "workbench.review.model_name"
REVIEW_VERSION_TAG = "workbench.review.model_version"


def review_tags(version: Mapping[str, str]) -> dict[str, str]:
    """Tags of a validation run for a model version as returned by ``tracking.resolve_model_version``."""
    return {REVIEW_MODEL_TAG: str(version["name"]), REVIEW_VERSION_TAG: str(version["version"]),
            "workbench.review.training_run_id": str(version["run_id"])}


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

    def plot_migration(self) -> Figure:
        """Heat map of the grade migration matrix (row shares), champion rows against reviewed columns."""
        m = self.migration()
        fig, ax = plt.subplots(figsize=(7, 5.5))
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
    model ``oot/auc``, ``oot/gini``, ``oot/ks``, ``oot/brier`` and the OOT back-test summary
    (``oot/red_grades``, ``oot/psi_pd_vs_train``, ...), ``reproducibility/passed`` (1 or 0)
    and ``reproducibility/max_abs_diff``; with a champion also ``champion/oot/...`` and the
    migration shares. The sign-off gate requires some of them (``signoff.REQUIRED_VALIDATION_METRICS``)."""
    table = comparison.table()
    first = comparison.labels[0]
    backtest = [name.removeprefix("oot/") for name in metrics.OOT_BACKTEST_METRICS]
    out = {metrics.split_metric("oot", name): table.at[name, first] for name in (*_REVIEWED_FIGURES, *backtest)}
    out[metrics.REPRODUCIBILITY_PASSED] = 1.0 if reproducibility.attrs.get("passed") else 0.0
    out[metrics.REPRODUCIBILITY_MAX_ABS_DIFF] = reproducibility.attrs.get("max_abs_diff", float("nan"))
    if len(comparison.labels) > 1:
        second = comparison.labels[1]
        for name in (*_REVIEWED_FIGURES, "red_grades"):
            out[metrics.champion_metric(metrics.split_metric("oot", name))] = table.at[name, second]
        out.update({metrics.migration_metric(k): v for k, v in comparison.migration_summary().items()})
    return {k: float(v) for k, v in out.items()}
