"""WOE logistic scorecard: the transparent challenger to the gradient-boosted PD model.

``ScorecardModel`` is the classic credit scorecard, built so that a model validator
can check every number by hand:

1. **Binning** (optbinning ``BinningProcess``). Each numeric feature is cut into at
   most ``max_n_bins`` intervals, each holding at least ``min_bin_size`` of the rows,
   with a default rate that is monotonic across the intervals (``monotonic_trend``).
   Missing values (and ``inf``, which is treated as missing) get a bin of their own,
   with their own observed default rate, rather than being imputed.
2. **Weight of evidence.** Each bin is replaced by its WOE,
   ``ln(share of non-defaulters in the bin / share of defaulters in the bin)``:
   positive WOE = safer than average, negative = riskier. Pure or empty bins get WOE 0.
3. **Selection.** Features whose information value ``IV = sum (%non-default - %default) * WOE``
   is below ``selection_iv_min`` are dropped, and at most ``max_features`` are kept,
   highest IV first (``iv_table()`` lists every feature with its IV and the decision).
4. **Logistic regression** of the default flag on the selected WOE columns
   (scikit-learn ``LogisticRegression(C=C)``). As WOE is "high = safe", the
   coefficients of useful features are negative; a positive coefficient usually means
   the feature is collinear with another one and deserves a look.
5. **Points** (optbinning ``Scorecard``, ``scaling_method="pdo_odds"``): the log-odds of
   default are turned into points, shared out per bin, so that a client's score is
   the plain sum of the points of the bins it falls into (see ``ScorecardModel.score``
   for the scaling convention).

What a validator reads:

* ``iv_table()``: every candidate feature, its IV, its number of bins and whether it
  was selected. Rules of thumb: IV < 0.02 useless, 0.02-0.1 weak, 0.1-0.3 medium,
  > 0.3 strong, > 0.5 suspiciously strong (look for leakage). IVs are measured on
  the training rows with optimised bins, so pure noise reaches IV 0.01-0.04 on a few
  thousand rows: a feature just above the threshold is not evidence of signal.
* ``table()``: one row per (feature, bin) with the bin's interval, row count, observed
  default rate, WOE, the feature's coefficient and the bin's points. Check that the
  default rate moves monotonically across the bins, that the missing bin is plausible,
  and that points rise with WOE (lower risk, more points).
* ``predict_pd`` against the observed default rate (calibration) and the AUC against
  the xgboost ``PDModel``: the scorecard is the benchmark the gradient-boosted model
  has to beat by enough to justify its opacity.

``ScorecardModel`` follows scikit-learn's conventions like ``PDModel``: ``__init__``
only stores its arguments, ``fit`` validates, fitted attributes end in ``_`` and an
unfitted model raises ``sklearn.exceptions.NotFittedError``.
"""

from __future__ import annotations

import numbers
import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
from optbinning import BinningProcess, Scorecard
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

__all__ = ["ScorecardModel"]

# Columns of ``table()`` taken from optbinning's detailed scorecard table, renamed.
_TABLE_COLUMNS = {
    "Variable": "feature", "Bin id": "bin_id", "Bin": "bin", "Count": "count",
    "Event rate": "default_rate", "WoE": "woe", "IV": "iv", "Coefficient": "coefficient", "Points": "points",
}


@contextmanager
def _quiet_optbinning():
    """Silence pandas' deprecation notices raised inside optbinning (``inplace=``, dtype upcasts).

    They concern optbinning's own code, not ours; a pandas release that removes the
    behaviour will fail the tests rather than pass silently.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=pd.errors.Pandas4Warning, module=r"optbinning\.")
        # "No variables were selected" is turned into a clear error by ``fit``.
        warnings.filterwarnings("ignore", message="No variables were selected", category=UserWarning)
        yield


class ScorecardModel(BaseEstimator):
    """WOE-binned logistic regression scaled to scorecard points.

    Parameters
    ----------
    max_n_bins, min_bin_size, monotonic_trend
        Optimal binning per feature: at most ``max_n_bins`` bins, each with at least
        ``min_bin_size`` (fraction) of the rows, default rate following
        ``monotonic_trend`` (any optbinning trend: ``"auto_asc_desc"`` picks ascending
        or descending, whichever fits better; ``"ascending"``, ``"descending"``,
        ``"peak"``, ``"valley"``, ``"auto"``, ...).
    selection_iv_min, max_features
        Keep the features with IV >= ``selection_iv_min``, at most ``max_features`` of
        them, highest IV first.
    C
        Inverse L2 regularisation strength of the logistic regression.
    pdo, base_points, base_odds
        Points scaling: ``base_points`` at good:bad odds of ``base_odds``:1, and every
        doubling of the odds of default costs ``pdo`` points.
    seed
        ``random_state`` of the logistic regression (the binning is deterministic).

    Fitted attributes: ``binning_process_`` (optbinning ``BinningProcess``),
    ``estimator_`` (``LogisticRegression`` on the selected WOE columns, in the order of
    ``selected_features_``), ``selected_features_``, ``iv_`` (IV of every feature, a
    Series sorted descending), ``n_bins_``, ``scorecard_`` (optbinning ``Scorecard``),
    ``feature_names_in_``, ``n_features_in_`` and ``default_rate_`` (training default rate).
    Being a scikit-learn ``BaseEstimator``, it supports ``get_params`` and ``clone``.
    """

    def __init__(self, max_n_bins=6, min_bin_size=0.05, monotonic_trend="auto_asc_desc",
                 selection_iv_min=0.02, max_features=25, C=1.0, pdo=20, base_points=600,
                 base_odds=50, seed=0):
        self.max_n_bins = max_n_bins
        self.min_bin_size = min_bin_size
        self.monotonic_trend = monotonic_trend
        self.selection_iv_min = selection_iv_min
        self.max_features = max_features
        self.C = C
        self.pdo = pdo
        self.base_points = base_points
        self.base_odds = base_odds
        self.seed = seed

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        def positive(name: str) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")

        for name in ("C", "pdo", "base_odds"):
            positive(name)
        if isinstance(self.base_points, bool) or not isinstance(self.base_points, numbers.Real):
            raise ValueError(f"base_points must be a number, got {self.base_points!r}")
        for name in ("max_n_bins", "max_features"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if not (isinstance(self.min_bin_size, numbers.Real) and 0 < self.min_bin_size <= 0.5):
            raise ValueError(f"min_bin_size must be a fraction in (0, 0.5], got {self.min_bin_size!r}")
        if not (isinstance(self.selection_iv_min, numbers.Real) and self.selection_iv_min >= 0):
            raise ValueError(f"selection_iv_min must be >= 0, got {self.selection_iv_min!r}")

    def _check_X(self, X: pd.DataFrame, *, fitting: bool) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
        if fitting:
            not_str = [repr(c) for c in X.columns if not isinstance(c, str)]
            if not_str:
                raise TypeError(f"X column names must be strings; not: {', '.join(not_str)}")
            dup = sorted(set(X.columns[X.columns.duplicated()]))
            if dup:
                raise ValueError(f"X has duplicated columns: {', '.join(dup)}")
            if X.shape[1] == 0:
                raise ValueError("X has no columns")
            columns = list(X.columns)
        else:
            missing = [c for c in self.feature_names_in_ if c not in X.columns]
            if missing:
                raise ValueError(f"X lacks columns the scorecard was fitted on: {', '.join(missing)}")
            columns = self.feature_names_in_
        non_numeric = [c for c in columns if not pd.api.types.is_numeric_dtype(X[c])]
        if non_numeric:
            raise TypeError(f"X has non-numeric columns: {', '.join(map(str, non_numeric))}")
        # inf (e.g. a ratio over zero) would land in the top bin as a huge number; treat it as missing.
        out = X[columns].astype("float64").replace([np.inf, -np.inf], np.nan)
        if fitting:
            empty = [c for c in columns if out[c].isna().all()]
            if empty:
                raise ValueError(f"X has columns without a single finite value: {', '.join(empty)}")
        return out

    @staticmethod
    def _check_y(y, n_rows: int) -> np.ndarray:
        y = pd.Series(np.asarray(y).ravel() if not isinstance(y, pd.Series) else y.to_numpy())
        if len(y) != n_rows:
            raise ValueError(f"X has {n_rows} rows but y has {len(y)}")
        if y.isna().any():
            raise ValueError(f"y has {int(y.isna().sum())} missing values")
        values = set(pd.unique(y).tolist())
        if not values <= {0, 1}:
            raise ValueError(f"y must be binary 0/1 (1 = default), got values {sorted(map(str, values))[:5]}")
        if len(values) < 2:
            raise ValueError("y has a single class; a PD model needs defaults and non-defaults")
        return y.to_numpy().astype(int)

    def _check_fitted(self) -> None:
        if not hasattr(self, "scorecard_"):
            raise NotFittedError("ScorecardModel is not fitted yet; call fit(X, y) first")

    # --------------------------------------------------------------------- fit
    @property
    def factor(self) -> float:
        """Points per unit of log-odds: ``pdo / ln 2``."""
        return self.pdo / np.log(2)

    @property
    def offset(self) -> float:
        """Points at log-odds of default 0 (PD 50 %): ``base_points - factor * ln(base_odds)``."""
        return self.base_points - self.factor * np.log(self.base_odds)

    def fit(self, X: pd.DataFrame, y) -> "ScorecardModel":
        """Bin every column, select by IV, fit the logistic regression on the WOE and scale to points."""
        self._check_params()
        Xc = self._check_X(X, fitting=True)
        y = self._check_y(y, len(Xc))
        names = list(Xc.columns)
        binning = BinningProcess(
            variable_names=names,
            max_n_bins=self.max_n_bins,
            min_bin_size=self.min_bin_size,
            # prebins (optbinning's default 5 %) no larger than min_bin_size, so a smaller min_bin_size takes effect.
            min_prebin_size=min(0.05, self.min_bin_size),
            selection_criteria={"iv": {"min": self.selection_iv_min, "strategy": "highest",
                                       "top": int(self.max_features)}},
            binning_fit_params={name: {"monotonic_trend": self.monotonic_trend} for name in names},
        )
        scorecard = Scorecard(
            binning_process=binning,
            estimator=LogisticRegression(C=self.C, max_iter=1000, random_state=self.seed),
            scaling_method="pdo_odds",
            scaling_method_params={"pdo": self.pdo, "odds": self.base_odds, "scorecard_points": self.base_points},
        )
        with _quiet_optbinning():
            try:
                # "empirical": the missing bin keeps its observed WOE (optbinning's default would set it to 0).
                scorecard.fit(Xc, y, metric_missing="empirical", metric_special="empirical")
            except ValueError:
                bp = scorecard.binning_process_
                if bp is not None and getattr(bp, "_is_fitted", False) and not bp.get_support().any():
                    ivs = bp.summary().set_index("name")["iv"].astype(float).sort_values(ascending=False)
                    best = ", ".join(f"{k} ({v:.4f})" for k, v in ivs.head(5).items())
                    raise ValueError(
                        f"no feature reaches selection_iv_min={self.selection_iv_min}; "
                        f"highest information values: {best}") from None
                raise

        self.feature_names_in_ = names
        self.n_features_in_ = len(names)
        self.scorecard_ = scorecard
        self.binning_process_ = scorecard.binning_process_
        self.estimator_ = scorecard.estimator_
        self.selected_features_ = list(self.binning_process_.get_support(names=True))
        with _quiet_optbinning():
            summary = self.binning_process_.summary().set_index("name")
        self.iv_ = summary["iv"].astype(float).reindex(names).sort_values(ascending=False, kind="stable")
        self.iv_.index.name = "feature"
        self.iv_.name = "iv"
        self.n_bins_ = summary["n_bins"].astype(int).reindex(names)
        self.default_rate_ = float(y.mean())
        return self

    # ----------------------------------------------------------------- predict
    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of default, one per row, in (0, 1)."""
        self._check_fitted()
        return self.scorecard_.predict_proba(self._check_X(X, fitting=False))[:, 1]

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """Scorecard points per row: the sum of the points of the row's bins (higher = lower risk).

        Convention (the one of optbinning's ``"pdo_odds"`` scaling), with
        ``odds = PD / (1 - PD)`` the odds *of default*::

            factor = pdo / ln 2
            offset = base_points - factor * ln(base_odds)
            points = offset - factor * ln(odds)
                   = base_points - pdo * log2(base_odds * odds)

        so a row at good:bad odds of ``base_odds``:1 (PD = 1 / (1 + base_odds), 1/51 with the
        defaults) scores exactly ``base_points``, and doubling the odds of default lowers
        the points by exactly ``pdo`` (halving them adds ``pdo``). ``score`` is therefore
        a strictly decreasing function of ``predict_pd``. Points are not rounded.
        """
        self._check_fitted()
        return np.asarray(self.scorecard_.score(self._check_X(X, fitting=False)), dtype=float)

    # ------------------------------------------------------------------ tables
    def table(self) -> pd.DataFrame:
        """The scorecard: one row per (selected feature, bin).

        Columns: ``feature``, ``bin_id``, ``bin`` (interval, ``Special`` or ``Missing``),
        ``count`` and ``default_rate`` in the training data, ``woe``, ``iv`` (the bin's IV
        contribution), ``coefficient`` (of the feature in the logistic regression) and
        ``points``. A row's score is the sum over the selected features of the points of
        the bin it falls into. The ``Special`` row is always empty (no special codes are
        used) and is dropped.
        """
        self._check_fitted()
        with _quiet_optbinning():
            raw = self.scorecard_.table(style="detailed")
        table = raw[list(_TABLE_COLUMNS)].rename(columns=_TABLE_COLUMNS)
        table = table[table["bin"].astype(str) != "Special"].reset_index(drop=True)
        table["bin"] = table["bin"].astype(str)
        table["bin_id"] = table["bin_id"].astype(int)
        table["count"] = table["count"].astype(int)
        for col in ("default_rate", "woe", "iv", "coefficient", "points"):
            table[col] = table[col].astype(float)
        return table

    def iv_table(self) -> pd.DataFrame:
        """Every candidate feature: ``feature``, ``iv``, ``n_bins`` and ``selected``, by IV descending."""
        self._check_fitted()
        selected = set(self.selected_features_)
        return pd.DataFrame({
            "feature": self.iv_.index.astype(str),
            "iv": self.iv_.to_numpy(),
            "n_bins": self.n_bins_.reindex(self.iv_.index).to_numpy(),
            "selected": [f in selected for f in self.iv_.index],
        })
