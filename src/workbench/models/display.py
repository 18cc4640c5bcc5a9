"""Tables for people in the training report: display-ready copies of what it shows.

Each function takes the frame (or dict) a training step returns, the one that is logged, and
returns a new frame of strings with the columns a reader needs, their units in the headers,
counts as whole numbers, rates and PDs as percentages, the rest to 4 significant digits
(``workbench.format``). Nothing here computes a
figure the logged tables do not have; ``split_counts`` only counts rows per split.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .. import format as fmt
from ..features.dictionary import FEATURES, feature_role
from ..format import display_frame, pd_percent, text, yes_no
from ..reference import SPLITS
from ..validation.display import percent_text

__all__ = [
    "split_counts", "display_tuning", "display_discrimination", "display_comparison", "display_iv",
    "display_backtest", "display_hosmer_lemeshow", "display_master_scale", "display_gain_importance",
    "display_csi", "display_registration",
]


def _label(feature: Any) -> str:
    spec = FEATURES.get(str(feature))
    return spec.label if spec is not None else ""


def split_counts(panel: pd.DataFrame, target: str) -> pd.DataFrame:
    """Rows, defaults and default rate of ``target`` per split (train, valid, oot first)."""
    if target not in panel.columns:
        raise KeyError(f"the panel has no target column {target!r}")
    g = panel.groupby("split", sort=False)[target]
    counts = pd.DataFrame({"rows": g.size(), "defaults": g.sum(), "default_rate": g.mean()})
    order = [s for s in SPLITS if s in counts.index] + sorted(set(counts.index) - set(SPLITS), key=str)
    return display_frame(counts.reindex(order), {
        "rows": ("rows", fmt.integer), "defaults": ("defaults", fmt.integer),
        "default_rate": ("default rate", fmt.percent),
    })


_TUNING_ROWS = {
    "trials_budget": ("trials in the budget", fmt.integer),
    "trials_asked": ("trials asked", fmt.integer),
    "trials_completed": ("trials completed", fmt.integer),
    "trials_pruned": ("trials pruned", fmt.integer),
    "trials_failed": ("trials failed", fmt.integer),
    "best_trial": ("best trial (number)", fmt.integer),
    "best_cv_auc": ("best cross-validated AUC", fmt.number),
    "stopped_by": ("tuning stopped by", text),
    "study": ("optuna study", text),
}


def display_tuning(summary: Mapping[str, Any]) -> pd.DataFrame:
    """``PDModel.tuning_summary()`` as figure / value rows: the trial counts, the best trial and
    its cross-validated AUC, what stopped the search and the study's name (any other key as it is)."""
    rows = {}
    for key, (label, formatter) in _TUNING_ROWS.items():
        if key in summary:
            rows[label] = formatter(summary[key])
    for key, value in summary.items():
        if key not in _TUNING_ROWS:
            rows[key.replace("_", " ")] = text(value) if not isinstance(value, float) else fmt.number(value)
    return pd.DataFrame({"value": pd.Series(rows, dtype=object)}).rename_axis("tuning")


_SCORES = {c: (c.upper() if c in ("auc", "ks") else c.replace("_", " "), fmt.number)
           for c in ("auc", "gini", "ks", "brier", "log_loss")}


def display_discrimination(table: pd.DataFrame) -> pd.DataFrame:
    """``discrimination_table``: rows and defaults as counts, the default rate and mean PD as
    percentages, AUC, Gini, KS, Brier and log loss to 4 significant digits."""
    return display_frame(table, {
        "rows": ("rows", fmt.integer), "defaults": ("defaults", fmt.integer),
        "default_rate": ("default rate", fmt.percent), "mean_pd": ("mean PD", fmt.percent), **_SCORES,
    })


def display_comparison(comparison: pd.DataFrame) -> pd.DataFrame:
    """``compare_models``: AUC, Gini, KS and Brier per model (n/a where a model has no PD, as
    Altman's Z'' has no Brier score)."""
    return display_frame(comparison, _SCORES)


def display_iv(iv: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """The scorecard's information values: the ``top`` features with their reason-code wording,
    IV, number of bins and whether the scorecard kept them."""
    part = iv.head(top).reset_index(drop=True)
    out = display_frame(part.assign(label=part["feature"].map(_label)), {
        "feature": ("feature", text), "label": ("wording", text), "iv": ("information value", fmt.number),
        "n_bins": ("bins", fmt.integer), "selected": ("in the scorecard", yes_no),
    })
    return out.rename(index=lambda i: i + 1).rename_axis("#")


def display_backtest(backtest: pd.DataFrame) -> pd.DataFrame:
    """``grade_backtest``: obligors and defaults per grade as counts, the observed default rate
    and the grade PD as percentages, the binomial and Jeffreys p-values (as percentages, as the
    review report shows them) and their traffic lights."""
    return display_frame(backtest, {
        "n": ("obligors", fmt.integer), "defaults": ("defaults", fmt.integer),
        "default_rate": ("default rate", fmt.percent), "pd": ("PD", pd_percent),
        "binomial_p": ("binomial p-value", percent_text), "binomial_light": ("binomial light", text),
        "jeffreys_p": ("Jeffreys p-value", percent_text), "jeffreys_light": ("Jeffreys light", text),
    })


def display_hosmer_lemeshow(result: tuple[float, float], level: float = 0.05) -> pd.DataFrame:
    """The ``(statistic, p-value)`` of ``hosmer_lemeshow`` with what it says at ``level``."""
    statistic, p_value = result
    reading = (f"calibration rejected at {fmt.percent(level, 0)}" if p_value < level
               else f"no evidence against the calibration at {fmt.percent(level, 0)}")
    return pd.DataFrame({"value": [fmt.number(statistic), percent_text(p_value), reading]},
                        index=pd.Index(["statistic", "p-value", "reading"], name="Hosmer-Lemeshow"))


def display_master_scale(table: pd.DataFrame) -> pd.DataFrame:
    """``MasterScale.table``: each grade's PD band and grade PD, obligors and defaults, their
    mean PD, share of the rows and observed default rate (PDs to three decimals of a percent)."""
    return display_frame(table.set_index("grade") if "grade" in table.columns else table, {
        "pd_low": ("PD from", pd_percent), "pd_high": ("PD to", pd_percent), "grade_pd": ("grade PD", pd_percent),
        "n": ("obligors", fmt.integer), "defaults": ("defaults", fmt.integer), "mean_pd": ("mean PD", pd_percent),
        "share": ("share of obligors", fmt.percent), "default_rate": ("default rate", fmt.percent),
    })


def _monotone(value: Any) -> str:
    return {1: "increasing", -1: "decreasing"}.get(int(value), "none")


def display_gain_importance(importance: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """``PDModel.feature_importance``: the ``top`` features by total gain with their wording,
    role (``macro`` and ``meta`` features are context, not reasons), share of the gain and the
    monotone constraint the model was fitted with."""
    part = importance.head(top).reset_index(drop=True)
    part = part.assign(label=part["feature"].map(_label), role=part["feature"].map(feature_role))
    out = display_frame(part, {
        "feature": ("feature", text), "label": ("wording", text), "role": ("role", text),
        "total_gain": ("total gain", fmt.number), "share": ("share of gain", fmt.percent),
        "monotone": ("monotone constraint", _monotone),
    })
    return out.rename(index=lambda i: i + 1).rename_axis("#")


def display_csi(stability: pd.DataFrame) -> pd.DataFrame:
    """``csi``: the PSI of each feature between training and out of time and its status
    (below 0.10 stable, 0.10-0.25 monitor, above 0.25 shift)."""
    part = stability.assign(label=[_label(f) for f in stability.index])
    return display_frame(part, {"label": ("wording", text), "psi": ("PSI", fmt.number), "status": ("status", text)})


def display_registration(registered: Mapping[str, Any]) -> pd.DataFrame:
    """What ``log_pd_model`` returned: the logged model's URI, and the registered version and
    its alias URI when it was registered."""
    names = {"model_uri": "logged model", "version": "registered version", "registered_uri": "alias"}
    rows = {names.get(k, k): text(v) for k, v in registered.items()}
    return pd.DataFrame({"value": pd.Series(rows, dtype=object)}).rename_axis("model")
