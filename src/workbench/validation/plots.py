"""Validation figures: ROC by split, CAP curves, calibration by PD decile, grade back-test, PSI bins.

Each function returns a closed matplotlib ``Figure`` (for logging or display by the caller).
The numbers drawn come from :mod:`.metrics`, :mod:`.backtest` and :mod:`.stability`, where
the formulas and their sources are documented: CAP/accuracy ratio (BCBS WP 14, 2005),
Jeffreys intervals and traffic lights (ECB 2019 validation reporting instructions), PSI
(Siddiqi 2006).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas
from matplotlib.figure import Figure
from scipy import stats

from .backtest import calibration_table
from .metrics import _check_y, accuracy_ratio, cap_curve
from .stability import psi_bins, psi_from_proportions, psi_status

__all__ = ["plot_roc_by_split", "plot_cap", "plot_calibration", "plot_grade_backtest", "plot_psi", "LIGHT_COLOURS"]

LIGHT_COLOURS = {"green": "tab:green", "yellow": "gold", "red": "tab:red"}


def plot_cap(y, scores: Mapping[str, object]) -> Figure:
    """CAP curves of several models on one axis, with the random and the perfect model.

    The legend gives each model's accuracy ratio (= Gini).
    """
    if not scores:
        raise ValueError("scores is empty")
    yy = _check_y(y)
    rate = float(yy.mean())
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, score in scores.items():
        cap = cap_curve(yy, score)
        ax.plot(cap["population_share"], cap["defaulter_share"],
                label=f"{name} (AR {accuracy_ratio(yy, score):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1, label="random model")
    ax.plot([0, rate, 1], [0, 1, 1], color="black", linestyle="--", linewidth=1, label="perfect model")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("Share of obligors (riskiest first)")
    ax.set_ylabel("Share of defaulters captured")
    ax.set_title("Cumulative accuracy profile")
    ax.legend(loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig


def _jeffreys_interval(n: np.ndarray, d: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    a, b = d + 0.5, n - d + 0.5
    return stats.beta.ppf((1 - level) / 2, a, b), stats.beta.ppf((1 + level) / 2, a, b)


def plot_calibration(y, pd, bins: int = 10) -> Figure:
    """Observed default rate against mean predicted PD per PD decile, log-log, with the diagonal.

    Bars are 95 % Jeffreys intervals of the observed rate. Groups without defaults cannot sit
    on a log axis: only their interval is drawn (hollow marker at the interval's upper end).
    """
    table = calibration_table(y, pd, bins)
    x = table["mean_pd"].to_numpy()
    if (x <= 0).any():
        raise ValueError("a PD group has mean PD 0, which a log axis cannot show")
    obs = table["default_rate"].to_numpy()
    lo, hi = _jeffreys_interval(table["n"].to_numpy(), table["defaults"].to_numpy())
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.vlines(x, lo, hi, color="tab:blue", alpha=0.5, linewidth=1.5, label="95% Jeffreys interval")
    has = obs > 0
    ax.plot(x[has], obs[has], "o", color="tab:blue", label="observed default rate")
    if (~has).any():
        ax.plot(x[~has], hi[~has], "v", markerfacecolor="none", color="tab:blue",
                label="no defaults (upper bound)")
    span = np.r_[x, obs[has], lo, hi]
    span = span[span > 0]
    lim = (span.min() / 1.5, min(1.0, span.max() * 1.5))
    ax.plot(lim, lim, color="grey", linestyle=":", linewidth=1, label="perfect calibration")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_xlabel("Mean predicted PD")
    ax.set_ylabel("Observed default rate")
    ax.set_title(f"Calibration by PD group ({len(table)} groups)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_grade_backtest(table: pandas.DataFrame) -> Figure:
    """Grade back-test from :func:`~workbench.validation.grade_backtest`.

    Bars (left axis): obligors per grade. Lines (right axis, log): observed default rate and the
    tested grade PD; the observed-rate points are coloured by the Jeffreys traffic light.
    Grades without defaults are marked at the bottom of the rate axis. The "all" row is skipped.
    """
    needed = {"n", "default_rate", "pd", "jeffreys_light"}
    if not needed <= set(table.columns):
        raise ValueError(f"table lacks column(s): {', '.join(sorted(needed - set(table.columns)))}")
    grades = table.drop(index="all", errors="ignore")
    if grades.empty:
        raise ValueError("table has no grade rows")
    labels = [str(g) for g in grades.index]
    pos = np.arange(len(grades))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.bar(pos, grades["n"], color="lightgrey", label="obligors")
    ax.set_xticks(pos, labels)
    ax.set_xlabel("Grade")
    ax.set_ylabel("Obligors")
    rate_ax = ax.twinx()
    pd_tested = grades["pd"].to_numpy(dtype=float)
    obs = grades["default_rate"].to_numpy(dtype=float)
    positive = np.r_[pd_tested, obs]
    positive = positive[positive > 0]
    floor = positive.min() / 3 if len(positive) else 1e-4
    rate_ax.plot(pos, np.maximum(pd_tested, floor), color="black", linestyle="--", marker="_",
                 label="grade PD")
    has = obs > 0
    rate_ax.plot(pos[has], obs[has], color="tab:blue", linewidth=1, label="observed default rate")
    colours = [LIGHT_COLOURS.get(light, "grey") for light in grades["jeffreys_light"]]
    rate_ax.scatter(pos, np.where(has, obs, floor), c=colours, edgecolors="black", zorder=3,
                    marker="o", s=40)
    rate_ax.set_yscale("log")
    rate_ax.set_ylim(bottom=floor / 1.5)
    rate_ax.set_ylabel("Default rate (log)")
    for light, colour in LIGHT_COLOURS.items():
        rate_ax.scatter([], [], c=colour, edgecolors="black", label=f"Jeffreys {light}")
    handles = ax.get_legend_handles_labels()
    rate_handles = rate_ax.get_legend_handles_labels()
    rate_ax.legend(handles[0] + rate_handles[0], handles[1] + rate_handles[1], loc="upper left",
                   fontsize="small")
    note = " (points at the bottom: no defaults)" if (~has).any() else ""
    ax.set_title(f"Back-test by grade, Jeffreys traffic lights{note}")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_psi(expected_scores, actual_scores, bins: int = 10) -> Figure:
    """Expected and actual share per score bin side by side; PSI and its reading in the title."""
    table = psi_bins(expected_scores, actual_scores, bins)
    value = psi_from_proportions(table["expected_share"], table["actual_share"])
    pos = np.arange(len(table))
    width = 0.4
    fig, ax = plt.subplots(figsize=(max(6.0, 0.6 * len(table) + 2), 4.5))
    ax.bar(pos - width / 2, table["expected_share"], width, label="expected")
    ax.bar(pos + width / 2, table["actual_share"], width, label="actual")
    ax.set_xticks(pos, list(table.index), rotation=45, ha="right", fontsize="small")
    ax.set_xlabel("Score bin (expected quantiles)")
    ax.set_ylabel("Share of population")
    ax.set_title(f"PSI = {value:.4f} ({psi_status(value)})")
    ax.legend()
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_roc_by_split(y, pd, split) -> Figure:
    """ROC curves of each split (train, valid, oot) on one axis, AUC in the legend."""
    from sklearn.metrics import roc_auc_score, roc_curve

    fig, ax = plt.subplots(figsize=(5.5, 5))
    y, p, split = np.asarray(y, int), np.asarray(pd, float), np.asarray(split)
    for name in ("train", "valid", "oot"):
        mask = split == name
        if mask.any() and len(np.unique(y[mask])) == 2:
            fpr, tpr, _ = roc_curve(y[mask], p[mask])
            ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(y[mask], p[mask]):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("False positive rate (non-defaulters flagged)")
    ax.set_ylabel("True positive rate (defaulters caught)")
    ax.set_title("ROC by split")
    ax.legend(loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig
