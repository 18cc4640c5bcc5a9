"""Calibration of raw model scores into PDs, fitted on held-out rows.

* ``platt``: logistic regression of the outcome on the logit of the raw probability
  (Platt 1999). Monotone, so the ranking (AUC) is untouched.
* ``isotonic``: isotonic regression of the outcome on the raw probability (Zadrozny &
  Elkan 2002). Non-parametric; it can tie scores within a step, lowering AUC a little.
* Anchoring: an optional shift of all log-odds so the mean PD equals a long-run
  central tendency (the through-the-cycle default rate a regulator expects), solved
  with ``scipy.optimize.brentq``; ranking is preserved.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, logit
from sklearn.exceptions import NotFittedError
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

__all__ = ["Calibrator", "anchor_shift"]

_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    return logit(np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS))


def anchor_shift(pd_values: np.ndarray, target_mean: float) -> float:
    """Log-odds shift ``c`` with mean(expit(logit(pd) + c)) == target_mean."""
    if not 0 < target_mean < 1:
        raise ValueError(f"central tendency must be in (0, 1), got {target_mean}")
    z = _logit(pd_values)
    return float(brentq(lambda c: expit(z + c).mean() - target_mean, -20, 20, xtol=1e-10))


class Calibrator:
    """Maps raw probabilities to calibrated PDs; ``method`` in {platt, isotonic, none}."""

    def __init__(self, method: str = "platt", central_tendency: float | None = None):
        self.method = method
        self.central_tendency = central_tendency

    def fit(self, raw: np.ndarray, y: np.ndarray, population: np.ndarray | None = None) -> "Calibrator":
        """Fit on held-out ``raw`` scores and outcomes ``y``; anchor over ``population`` raw scores
        (default: the held-out ones) when a central tendency is set."""
        raw, y = np.asarray(raw, dtype=float), np.asarray(y, dtype=int)
        if self.method not in ("platt", "isotonic", "none"):
            raise ValueError(f"calibration method must be platt, isotonic or none, got {self.method!r}")
        if len(raw) != len(y):
            raise ValueError(f"{len(raw)} scores but {len(y)} outcomes")
        if self.method != "none" and len(np.unique(y)) < 2:
            raise ValueError("calibration needs defaults and non-defaults among the held-out rows")
        if self.method == "platt":
            self.model_ = LogisticRegression(C=1e6, max_iter=1000).fit(_logit(raw)[:, None], y)
        elif self.method == "isotonic":
            self.model_ = IsotonicRegression(y_min=_EPS, y_max=1 - _EPS, out_of_bounds="clip").fit(raw, y)
        else:
            self.model_ = None
        self.shift_ = 0.0
        if self.central_tendency is not None:
            base = self._map(np.asarray(population if population is not None else raw, dtype=float))
            self.shift_ = anchor_shift(base, self.central_tendency)
        return self

    def _map(self, raw: np.ndarray) -> np.ndarray:
        if self.method == "platt":
            return self.model_.predict_proba(_logit(raw)[:, None])[:, 1]
        if self.method == "isotonic":
            return np.clip(self.model_.predict(raw), _EPS, 1 - _EPS)
        return np.clip(raw, _EPS, 1 - _EPS)

    def transform(self, raw: np.ndarray) -> np.ndarray:
        if not hasattr(self, "shift_"):
            raise NotFittedError("Calibrator is not fitted yet")
        p = self._map(np.asarray(raw, dtype=float))
        return expit(_logit(p) + self.shift_) if self.shift_ else p
