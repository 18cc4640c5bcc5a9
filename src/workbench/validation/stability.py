"""Population stability: PSI of a score, CSI of the features, and the stable/monitor/shift reading.

The population stability index compares the share of a reference ("expected", e.g. the
development sample) and a current ("actual") population in each score bin:

    PSI = sum_i (a_i - e_i) ln(a_i / e_i)

(Siddiqi 2006, "Credit Risk Scorecards", Wiley, ch. 8; Yurdakul 2018, "Statistical properties
of population stability index", Western Michigan University dissertation). Each term is >= 0,
so PSI >= 0 and is 0 only for identical shares. Shares are clipped at a small ``eps`` so that an
empty bin gives a large finite contribution instead of inf. The customary reading (Siddiqi
2006): below 0.10 stable, 0.10 to 0.25 monitor, above 0.25 a significant shift. The
characteristic stability index (CSI) is the same formula applied to one input feature.

Binning: the inner edges are the 1/bins, ..., (bins-1)/bins quantiles of the expected scores;
the outer edges are open (-inf and +inf), so actual scores outside the expected range still
fall in the first or last bin. Bins are right-closed, (lo, hi]. Tied quantiles are merged
(fewer bins, never an empty duplicate). Missing scores form their own bin when either
population has any. Non-numeric features (CSI) are binned by category.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas

__all__ = ["psi_from_proportions", "psi_bins", "psi", "psi_status", "csi"]

STABLE_BELOW = 0.10
SHIFT_ABOVE = 0.25
NAN_BIN = "missing"


def psi_from_proportions(expected, actual, eps: float = 1e-6) -> float:
    """PSI = sum (a_i - e_i) ln(a_i / e_i) over bins; shares clipped below at ``eps``.

    ``expected`` and ``actual`` are bin shares (each summing to 1, within 0.01 to allow for
    rounding in reported tables); counts are rejected rather than silently normalised.
    """
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    if e.ndim != 1 or e.shape != a.shape:
        raise ValueError(f"expected and actual must be 1-D and of equal length, got {e.shape} and {a.shape}")
    if len(e) == 0:
        raise ValueError("no bins")
    for name, arr in (("expected", e), ("actual", a)):
        if np.isnan(arr).any() or (arr < 0).any():
            raise ValueError(f"{name} shares must be non-negative numbers")
        if abs(arr.sum() - 1) > 0.01:
            raise ValueError(f"{name} shares sum to {arr.sum():.4g}, not 1 (pass shares, not counts)")
    if not eps > 0:
        raise ValueError("eps must be positive")
    e, a = np.clip(e, eps, None), np.clip(a, eps, None)
    return float(np.sum((a - e) * np.log(a / e)))


def _to_float(values, name: str) -> np.ndarray:
    s = pandas.Series(values)
    try:
        return s.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric") from exc


def _numeric_bins(expected: np.ndarray, actual: np.ndarray, bins: int) -> tuple[list, np.ndarray, np.ndarray]:
    ref = expected[~np.isnan(expected)]
    if len(ref):
        inner = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    else:
        inner = np.array([])
    edges = np.r_[-np.inf, inner, np.inf]
    labels = [f"({lo:.4g}, {hi:.4g}]" for lo, hi in zip(edges[:-1], edges[1:])]

    def codes(x: np.ndarray) -> np.ndarray:
        c = np.searchsorted(inner, x, side="left")  # right-closed bins
        return np.where(np.isnan(x), len(labels), c)

    return labels, codes(expected), codes(actual)


def _categorical_bins(expected: pandas.Series, actual: pandas.Series) -> tuple[list, np.ndarray, np.ndarray]:
    cats = list(pandas.unique(pandas.concat([expected.dropna(), actual.dropna()]).astype(object)))
    lookup = {c: i for i, c in enumerate(cats)}

    def codes(x: pandas.Series) -> np.ndarray:
        return np.array([len(cats) if pandas.isna(v) else lookup[v] for v in x.astype(object)], dtype=int)

    return [str(c) for c in cats], codes(expected), codes(actual)


def psi_bins(expected_scores, actual_scores, bins: int = 10) -> pandas.DataFrame:
    """The bins behind :func:`psi`: ``expected_share``, ``actual_share`` and ``contribution``.

    Indexed by bin label (interval, or category, plus "missing" when there are NaNs). Shares
    are unclipped; ``contribution`` uses shares clipped at 1e-6 and sums to the PSI.
    """
    if int(bins) != bins or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    e_s, a_s = pandas.Series(expected_scores), pandas.Series(actual_scores)
    if len(e_s) == 0 or len(a_s) == 0:
        raise ValueError("expected_scores and actual_scores must be non-empty")
    numeric = pandas.api.types.is_numeric_dtype(e_s) and pandas.api.types.is_numeric_dtype(a_s)
    if numeric or (e_s.isna().all() and a_s.isna().all()):
        labels, e_codes, a_codes = _numeric_bins(_to_float(e_s, "expected_scores"),
                                                 _to_float(a_s, "actual_scores"), int(bins))
    else:
        labels, e_codes, a_codes = _categorical_bins(e_s, a_s)
    k = len(labels) + 1  # last slot: missing
    e_share = np.bincount(e_codes, minlength=k) / len(e_codes)
    a_share = np.bincount(a_codes, minlength=k) / len(a_codes)
    if e_share[-1] == 0 and a_share[-1] == 0:
        e_share, a_share = e_share[:-1], a_share[:-1]
    else:
        labels = labels + [NAN_BIN]
    e_c, a_c = np.clip(e_share, 1e-6, None), np.clip(a_share, 1e-6, None)
    return pandas.DataFrame(
        {"expected_share": e_share, "actual_share": a_share,
         "contribution": (a_c - e_c) * np.log(a_c / e_c)},
        index=pandas.Index(labels, name="bin"),
    )


def psi(expected_scores, actual_scores, bins: int = 10) -> float:
    """PSI of ``actual_scores`` against ``expected_scores``, bins from the expected quantiles."""
    table = psi_bins(expected_scores, actual_scores, bins)
    return psi_from_proportions(table["expected_share"], table["actual_share"])


def psi_status(value: float) -> str:
    """'stable' if PSI < 0.10, 'monitor' if 0.10 <= PSI <= 0.25, 'shift' if PSI > 0.25."""
    v = float(value)
    if not v >= 0:  # negative or NaN
        raise ValueError(f"PSI must be a non-negative number, got {value!r}")
    if v < STABLE_BELOW:
        return "stable"
    if v <= SHIFT_ABOVE:
        return "monitor"
    return "shift"


def csi(expected: pandas.DataFrame, actual: pandas.DataFrame, features: Sequence[str],
        bins: int = 10) -> pandas.DataFrame:
    """PSI of each feature (CSI), indexed by feature, sorted by ``psi`` descending, with ``status``."""
    features = list(features)
    if not features:
        raise ValueError("features is empty")
    for name, frame in (("expected", expected), ("actual", actual)):
        missing = [f for f in features if f not in frame.columns]
        if missing:
            raise KeyError(f"{name} has no column(s): {', '.join(map(str, missing))}")
    values = [psi(expected[f], actual[f], bins) for f in features]
    table = pandas.DataFrame({"psi": values}, index=pandas.Index(features, name="feature"))
    table["status"] = table["psi"].map(psi_status)
    return table.sort_values("psi", ascending=False, kind="mergesort")
