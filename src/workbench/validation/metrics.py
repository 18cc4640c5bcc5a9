"""Discrimination and accuracy metrics of a PD model: AUC, Gini, KS, CAP, Brier score, log loss.

What each figure measures and where its formula comes from:

* **AUC** is the probability that a randomly drawn defaulter has a higher score than a
  randomly drawn non-defaulter, ties counting one half. It is computed from ranks as the
  Mann-Whitney U statistic divided by ``n_defaulters * n_non_defaulters`` (Hanley & McNeil
  1982, "The meaning and use of the area under a ROC curve", Radiology 143).
* **Gini** (accuracy ratio) = 2 AUC - 1 (Engelmann, Hayden & Tasche 2003, "Testing rating
  accuracy", Risk 16(1); also BCBS Working Paper 14, 2005, "Studies on the validation of
  internal rating systems", section III).
* **CAP curve** (cumulative accuracy profile): obligors sorted from riskiest (highest score)
  to safest; x = share of the population, y = share of defaulters captured. The accuracy
  ratio is the area between the CAP and the diagonal divided by the same area for the
  perfect model, which is ``(1 - default_rate) / 2`` (BCBS WP 14, section III.2). With ties
  the CAP runs linearly through each block of equal scores, which makes AR = 2 AUC - 1 exactly.
* **KS** = max over thresholds of TPR - FPR, the Kolmogorov-Smirnov distance between the
  score distributions of defaulters and non-defaulters (BCBS WP 14, section III.4).
* **Brier score** = mean (PD - y)^2 (Brier 1950, Monthly Weather Review 78(1)).
* **Log loss** = -mean(y ln PD + (1 - y) ln(1 - PD)), with PD clipped to
  ``[eps, 1 - eps]`` so that a PD of exactly 0 or 1 gives a large finite value, not inf.

Scores are "higher = riskier" (a PD is a valid score). Ranking metrics need both classes and
raise ``ValueError`` otherwise; the Brier score and log loss are defined for one class.
"""

from __future__ import annotations

import numpy as np
import pandas
from scipy.stats import rankdata

from ..reference import SPLITS

__all__ = [
    "auc",
    "gini",
    "ks",
    "brier",
    "log_loss",
    "cap_curve",
    "accuracy_ratio",
    "discrimination_table",
]

LOG_LOSS_EPS = 1e-15


def _as_1d(values, name: str) -> np.ndarray:
    """A 1-D numpy array of ``values``; pandas NA becomes NaN."""
    if isinstance(values, (pandas.Series, pandas.Index)):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _check_y(y, n: int | None = None, other: str = "score") -> np.ndarray:
    arr = _as_1d(y, "y")
    if n is not None and len(arr) != n:
        raise ValueError(f"y and {other} have different lengths: {len(arr)} != {n}")
    if len(arr) == 0:
        raise ValueError("y is empty")
    if np.isnan(arr).any() or not np.isin(arr, (0.0, 1.0)).all():
        raise ValueError("y must contain only 0 (performing) and 1 (default)")
    return arr.astype(int)


def _check_score(score, name: str = "score") -> np.ndarray:
    arr = _as_1d(score, name)
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    return arr


def _check_pd(pd) -> np.ndarray:
    arr = _check_score(pd, "pd")
    if ((arr < 0) | (arr > 1)).any():
        raise ValueError("pd must lie in [0, 1]")
    return arr


def _ranking_inputs(y, score) -> tuple[np.ndarray, np.ndarray]:
    s = _check_score(score)
    yy = _check_y(y, len(s))
    n_bad = int(yy.sum())
    if n_bad == 0 or n_bad == len(yy):
        raise ValueError(
            f"y has a single class ({'all defaults' if n_bad else 'no defaults'}); "
            "discrimination metrics need both defaulters and non-defaulters"
        )
    return yy, s


def auc(y, score) -> float:
    """Area under the ROC curve, from ranks (Mann-Whitney U); ties count one half."""
    yy, s = _ranking_inputs(y, score)
    n_bad = yy.sum()
    n_good = len(yy) - n_bad
    ranks = rankdata(s)  # average ranks for ties
    u = ranks[yy == 1].sum() - n_bad * (n_bad + 1) / 2
    return float(u / (n_bad * n_good))


def gini(y, score) -> float:
    """Gini coefficient = 2 AUC - 1 (equal to the accuracy ratio of the CAP curve)."""
    return 2.0 * auc(y, score) - 1.0


def _roc_points(yy: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative (defaulters, non-defaulters) above each distinct threshold, riskiest first."""
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], yy[order]
    # last index of each block of equal scores
    block_end = np.r_[np.nonzero(np.diff(s_sorted))[0], len(s_sorted) - 1]
    tp = np.cumsum(y_sorted)[block_end]
    fp = (block_end + 1) - tp
    return np.r_[0, tp], np.r_[0, fp]


def ks(y, score) -> float:
    """Kolmogorov-Smirnov statistic: max over thresholds of TPR - FPR."""
    yy, s = _ranking_inputs(y, score)
    tp, fp = _roc_points(yy, s)
    return float(np.max(tp / tp[-1] - fp / fp[-1]))


def brier(y, pd) -> float:
    """Brier score: mean squared difference between PD and the default flag."""
    p = _check_pd(pd)
    yy = _check_y(y, len(p), "pd")
    return float(np.mean((p - yy) ** 2))


def log_loss(y, pd, eps: float = LOG_LOSS_EPS) -> float:
    """Mean negative log-likelihood of the default flags; PD clipped to [eps, 1 - eps]."""
    p = np.clip(_check_pd(pd), eps, 1 - eps)
    yy = _check_y(y, len(p), "pd")
    return float(-np.mean(yy * np.log(p) + (1 - yy) * np.log1p(-p)))


def cap_curve(y, score) -> pandas.DataFrame:
    """Cumulative accuracy profile, obligors sorted by score descending (riskiest first).

    One row per distinct score plus the origin: ``population_share`` (share of obligors with
    a score at least this high) and ``defaulter_share`` (share of all defaulters among them),
    from (0, 0) to (1, 1). Equal scores form one step, joined linearly.
    """
    yy, s = _ranking_inputs(y, score)
    tp, fp = _roc_points(yy, s)
    return pandas.DataFrame({
        "population_share": (tp + fp) / len(yy),
        "defaulter_share": tp / tp[-1],
    })


def accuracy_ratio(y, score) -> float:
    """Accuracy ratio from the CAP curve: area between CAP and diagonal over the perfect model's.

    Equal to the Gini coefficient 2 AUC - 1 (Engelmann, Hayden & Tasche 2003).
    """
    cap = cap_curve(y, score)
    x, v = cap["population_share"].to_numpy(), cap["defaulter_share"].to_numpy()
    area = float(np.sum((x[1:] - x[:-1]) * (v[1:] + v[:-1]) / 2))
    default_rate = float(np.mean(_check_y(y)))
    return (area - 0.5) / ((1 - default_rate) / 2)


def _split_order(labels: np.ndarray) -> list:
    present = list(pandas.unique(labels))
    known = [s for s in SPLITS if s in present]
    return known + [s for s in present if s not in SPLITS]


def discrimination_table(y, pd, split) -> pandas.DataFrame:
    """Discrimination and accuracy per split, indexed by split (train, valid, oot first).

    Columns: rows, defaults, default_rate, mean_pd, auc, gini, ks, brier, log_loss. Splits
    other than train/valid/oot follow in order of appearance. In a split with a single class
    auc, gini and ks are NaN (they are undefined there); the other columns are filled.
    """
    p = _check_pd(pd)
    yy = _check_y(y, len(p), "pd")
    labels = np.asarray(split, dtype=object)
    if labels.ndim != 1 or len(labels) != len(p):
        raise ValueError(f"split and pd have different lengths: {len(labels)} != {len(p)}")
    if pandas.isna(labels).any():
        raise ValueError("split contains missing labels")
    rows = []
    for name in _split_order(labels):
        mask = labels == name
        y_s, p_s = yy[mask], p[mask]
        two_classes = 0 < y_s.sum() < len(y_s)
        a = auc(y_s, p_s) if two_classes else np.nan
        rows.append({
            "split": name,
            "rows": int(mask.sum()),
            "defaults": int(y_s.sum()),
            "default_rate": float(y_s.mean()),
            "mean_pd": float(p_s.mean()),
            "auc": a,
            "gini": 2 * a - 1,
            "ks": ks(y_s, p_s) if two_classes else np.nan,
            "brier": brier(y_s, p_s),
            "log_loss": log_loss(y_s, p_s),
        })
    return pandas.DataFrame(rows).set_index("split")
