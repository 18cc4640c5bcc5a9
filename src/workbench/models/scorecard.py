"""WOE logistic scorecard: the transparent challenger to the gradient-boosted PD model.

``ScorecardModel`` is the classic credit scorecard, built so that a model validator
can check every number by hand:

1. **Binning** (optbinning ``BinningProcess``). Each numeric feature is cut into at
   most ``max_n_bins`` intervals, each holding at least ``min_bin_size`` of the rows,
   with a default rate that is monotonic across the intervals (``monotonic_trend``).
   Missing values (and ``inf``, which is treated as missing) get a bin of their own,
   with their own observed default rate, rather than being imputed.
   **Categorical** features (string, object or ``category`` dtype) are binned by
   grouping their categories: optbinning sorts the categories by default rate and
   merges neighbours in that order into at most ``max_n_bins`` groups of at least
   ``min_bin_size`` of the rows, so the default rate rises across the groups (no
   ordering of the categories is invented; ``monotonic_trend`` does not apply).
   A column with more than ``max_categories`` distinct values (an identifier, free
   text) is refused.
   **Special codes** (``special_codes``: bureau-style -7, -8, -9 meaning "no record"
   rather than an amount) of a numeric feature are kept out of the intervals: each
   code seen in the training rows gets a bin of its own (``Special -7``, ...), with
   its own observed default rate, as the missing bin does.
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
  Grouping categories by their default rate is an optimisation too: a categorical
  column with many small categories gains IV from noise more easily than a numeric one.
* ``table()``: one row per (feature, bin) with the bin's interval (or categories, or
  special code), row count, observed default rate, WOE, the feature's coefficient and
  the bin's points. Check that the default rate moves monotonically across the
  intervals, that the missing and special bins are plausible (a special bin holding
  a handful of rows has a noisy WOE) and that points rise with WOE (lower risk, more
  points).
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
from collections.abc import Mapping
from contextlib import contextmanager

import numpy as np
import pandas as pd
from optbinning import BinningProcess, Scorecard
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from .encoding import UnseenCategoryWarning, categorical_columns, check_cardinality, special_codes_for

__all__ = ["ScorecardModel"]

# Columns of ``table()`` taken from optbinning's detailed scorecard table, renamed.
_TABLE_COLUMNS = {
    "Variable": "feature", "Bin id": "bin_id", "Bin": "bin", "Count": "count",
    "Event rate": "default_rate", "WoE": "woe", "IV": "iv", "Coefficient": "coefficient", "Points": "points",
}
# optbinning's label of the special bin of a feature binned without special codes (always empty).
_EMPTY_SPECIAL = "Special"


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


def _as_text(values: pd.Series) -> pd.Series:
    """Categories as an object column of plain Python strings (NaN stays NaN), whatever dtype they
    arrive in (pandas 3 ``str``, object, ``category``), so that all three bin and score alike."""
    obj = values.astype(object)
    return obj.where(obj.isna(), obj.map(str)).astype(object)


def _code_text(code: float) -> str:
    """A special code as written in bin labels and ``value_text``: ``-7``, ``99999999``, ``0.5``."""
    return str(int(code)) if float(code).is_integer() else repr(float(code))


def _bin_text(label) -> str:
    """A bin label as text: intervals and ``Missing`` as optbinning writes them, the categories of
    a categorical bin (an array) as a list, e.g. ``['a', 'b']``."""
    if isinstance(label, str):
        return label
    return str([str(v) for v in label])


class ScorecardModel(BaseEstimator):
    """WOE-binned logistic regression scaled to scorecard points.

    Parameters
    ----------
    max_n_bins, min_bin_size, monotonic_trend
        Optimal binning per feature: at most ``max_n_bins`` bins, each with at least
        ``min_bin_size`` (fraction) of the rows, default rate following
        ``monotonic_trend`` (any optbinning trend: ``"auto_asc_desc"`` picks ascending
        or descending, whichever fits better; ``"ascending"``, ``"descending"``,
        ``"peak"``, ``"valley"``, ``"auto"``, ...). The trend applies to numeric
        features only: categorical features are binned the way optbinning bins
        categories, groups of categories with the default rate ascending in the order
        of the categories' own default rates (optbinning turns any trend into
        ``"ascending"`` for them).
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
    special_codes
        Codes of numeric features that are not amounts ("no record", "not applicable"):
        a list (every numeric feature) or a mapping feature -> list, the key ``"*"``
        applying to every numeric feature without an entry of its own (None: no codes;
        categorical features have none). Each code found in a feature's training rows
        gets its own bin, labelled ``Special <code>``, with its observed default rate
        and WOE, instead of being binned with the ordinary values. A configured code
        absent from the training rows has no bin: at prediction it is scored as missing
        (the Missing bin), as the PD model's encoder does.
    max_categories
        A categorical feature with more distinct values than this (an identifier, free
        text, a date as text) is refused with ``HighCardinalityError`` naming it.

    Input: a DataFrame whose numeric columns (bool included) are used as float64, inf
    as missing, and whose string, object or ``category`` columns are categorical (their
    values compared as text, NaN = missing). At prediction a column must be of the same
    kind as in training, else a ``TypeError`` names it; a categorical column arriving
    numeric is accepted only when it holds nothing but missing values.

    Unseen categories: a category of a selected feature that no training row held is
    scored as **missing** (the Missing bin's WOE and points, the same in ``predict_pd``,
    ``score`` and ``table()``), with an ``UnseenCategoryWarning`` naming the column and
    values. Left to itself, optbinning 1.0.0 does not crash on it but is inconsistent:
    ``predict_pd`` gives it WOE 0 (the average client) while ``score`` looks its points
    up at bin index -1, i.e. the Missing bin's points.

    Fitted attributes: ``binning_process_`` (optbinning ``BinningProcess``),
    ``estimator_`` (``LogisticRegression`` on the selected WOE columns, in the order of
    ``selected_features_``), ``selected_features_``, ``iv_`` (IV of every feature, a
    Series sorted descending), ``n_bins_``, ``scorecard_`` (optbinning ``Scorecard``),
    ``categorical_features_`` (the features binned as categories), ``categories_``
    (categorical feature -> the categories seen in training), ``special_codes_``
    (numeric feature -> the special codes found in training, each with its own bin),
    ``binless_codes_`` (numeric feature -> the configured codes absent from training, scored as missing),
    ``feature_names_in_``, ``n_features_in_`` and ``default_rate_`` (training default rate).
    Being a scikit-learn ``BaseEstimator``, it supports ``get_params`` and ``clone``.
    """

    def __init__(self, max_n_bins=6, min_bin_size=0.05, monotonic_trend="auto_asc_desc",
                 selection_iv_min=0.02, max_features=25, C=1.0, pdo=20, base_points=600,
                 base_odds=50, seed=0, special_codes=None, max_categories=50):
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
        self.special_codes = special_codes
        self.max_categories = max_categories

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
        value = self.max_categories
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 2:
            raise ValueError(f"max_categories must be an integer >= 2, got {value!r}")
        self._check_special_codes()

    def _check_special_codes(self) -> None:
        codes = self.special_codes
        if codes is None:
            return
        if isinstance(codes, Mapping):
            lists = [(f"special_codes[{key!r}]", values) for key, values in codes.items()]
        elif isinstance(codes, (list, tuple, np.ndarray, pd.Series)):
            lists = [("special_codes", codes)]
        else:
            raise ValueError("special_codes must be None, a list of codes or a mapping column -> list of codes, "
                             f"got {type(codes).__name__}")
        for where, values in lists:
            if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, np.ndarray, pd.Series)):
                raise ValueError(f"{where} must be a list of numbers, got {values!r}")
            for v in values:
                if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v):
                    raise ValueError(f"{where} must hold finite numbers (missing values have their own bin "
                                     f"anyway), got {v!r}")

    def _check_X(self, X: pd.DataFrame, *, fitting: bool) -> pd.DataFrame:
        """X as optbinning is given it: the model's columns, numeric ones float64 with inf as
        missing, categorical ones object with plain strings; at prediction, unseen categories and
        special codes without a bin of their own are set to missing."""
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
            categorical = set(categorical_columns(X))
        else:
            missing = [c for c in self.feature_names_in_ if c not in X.columns]
            if missing:
                raise ValueError(f"X lacks columns the scorecard was fitted on: {', '.join(missing)}")
            columns = self.feature_names_in_
            categorical = set(self.categorical_features_)
            now_text = [c for c in columns if c not in categorical and not pd.api.types.is_numeric_dtype(X[c])]
            if now_text:
                raise TypeError(f"X has non-numeric columns: {', '.join(now_text)}; the scorecard was fitted on "
                                "them as numbers")
            # An all-missing column may arrive as float (e.g. read from CSV): it is missing, not a number.
            now_numbers = [f"{c} (dtype {X[c].dtype})" for c in columns if c in categorical
                           and pd.api.types.is_numeric_dtype(X[c]) and X[c].notna().any()]
            if now_numbers:
                raise TypeError(f"X has numeric columns the scorecard was fitted on as categories: "
                                f"{', '.join(now_numbers)}; pass them as text as in training")
        out = {}
        for c in columns:
            if c in categorical:
                out[c] = _as_text(X[c])
            else:
                arr = X[c].to_numpy(dtype=np.float64, na_value=np.nan)
                # inf (e.g. a ratio over zero) would land in the top bin as a huge number; treat it as missing.
                out[c] = np.where(np.isinf(arr), np.nan, arr)
        out = pd.DataFrame(out, index=X.index)
        if fitting:
            empty = [c for c in columns if c not in categorical and out[c].isna().all()]
            if empty:
                raise ValueError(f"X has columns without a single finite value: {', '.join(empty)}")
            # optbinning cannot cut intervals without an ordinary value (it fails deep in its pre-binning).
            empty = [c for c in columns if c not in categorical
                     and (out[c].isna() | out[c].isin(special_codes_for(self.special_codes, c))).all()]
            if empty:
                raise ValueError(f"X has columns without a single finite value other than special codes: "
                                 f"{', '.join(empty)}")
            empty = [c for c in columns if c in categorical and out[c].isna().all()]
            if empty:
                raise ValueError(f"X has categorical columns without a single non-missing value: {', '.join(empty)}")
            check_cardinality(X[[c for c in columns if c in categorical]], self.max_categories, "X")
        else:
            self._unknown_to_missing(out)
        return out

    def _unknown_to_missing(self, out: pd.DataFrame) -> None:
        """Unseen categories of the selected features and special codes without a bin -> missing (in place)."""
        for c in self.selected_features_:
            if c in self.categories_:
                values = out[c]
                unseen = values.notna() & ~values.isin(self.categories_[c])
                if unseen.any():
                    shown = pd.unique(values[unseen])
                    listed = ", ".join(repr(v) for v in shown[:5])
                    if len(shown) > 5:
                        listed += f" and {len(shown) - 5} more"
                    warnings.warn(f"column {c}: {int(unseen.sum())} row(s) hold categories the scorecard never saw "
                                  f"in training ({listed}); they are scored as missing", UnseenCategoryWarning,
                                  stacklevel=4)
                    out[c] = values.where(~unseen, np.nan)
        for c, codes in self.binless_codes_.items():
            out[c] = out[c].where(~out[c].isin(codes), np.nan)

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
        categorical = [c for c in names if Xc[c].dtype == object]
        # Only the codes present get a bin: optbinning would give an absent one an empty bin with WOE 0
        # (the average client), while at prediction ``_check_X`` scores it as missing instead.
        special, binless = {}, {}
        for c in names:
            if c not in categorical:
                codes = list(dict.fromkeys(special_codes_for(self.special_codes, c)))
                present = [v for v in codes if (Xc[c].to_numpy() == v).any()]
                if present:
                    special[c] = present
                if len(present) < len(codes):
                    binless[c] = [v for v in codes if v not in present]
        fit_params = {}
        for c in names:
            if c in categorical:
                # optbinning's own rule for categories (ascending over the categories sorted by default rate).
                fit_params[c] = {}
            else:
                fit_params[c] = {"monotonic_trend": self.monotonic_trend}
                if c in special:
                    # A mapping label -> codes: one bin per code, as "no record" and "not applicable" differ.
                    fit_params[c]["special_codes"] = {f"Special {_code_text(v)}": [v] for v in special[c]}
        binning = BinningProcess(
            variable_names=names,
            categorical_variables=categorical,
            max_n_bins=self.max_n_bins,
            min_bin_size=self.min_bin_size,
            # prebins (optbinning's default 5 %) no larger than min_bin_size, so a smaller min_bin_size takes effect.
            min_prebin_size=min(0.05, self.min_bin_size),
            selection_criteria={"iv": {"min": self.selection_iv_min, "strategy": "highest",
                                       "top": int(self.max_features)}},
            binning_fit_params=fit_params,
        )
        scorecard = Scorecard(
            binning_process=binning,
            estimator=LogisticRegression(C=self.C, max_iter=1000, random_state=self.seed),
            scaling_method="pdo_odds",
            scaling_method_params={"pdo": self.pdo, "odds": self.base_odds, "scorecard_points": self.base_points},
        )
        with _quiet_optbinning():
            try:
                # "empirical": the missing and special bins keep their observed WOE (optbinning's default: 0).
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
        self.categorical_features_ = categorical
        # The categories optbinning put in a bin (every category of the training rows).
        self.categories_ = {
            c: sorted({str(v) for group in self.binning_process_.get_binned_variable(c).splits for v in group})
            for c in categorical}
        self.special_codes_ = special
        self.binless_codes_ = binless
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

    # ----------------------------------------------------------- explanation
    def numeric_view(self, X: pd.DataFrame) -> pd.DataFrame:
        """The model's features as numbers, for explanations (``ShapResult.data``), like the PD
        model's encoding: numeric features as scored (float64, inf as missing) but special codes as
        missing, categorical features as the position of their category in ``categories_``
        (missing or unseen: NaN). ``value_text`` says what the missing entries stood for."""
        self._check_fitted()
        Xc = self._check_X(X, fitting=False)
        out = {}
        for c in self.feature_names_in_:
            if c in self.categories_:
                codes = {v: float(k) for k, v in enumerate(self.categories_[c])}
                out[c] = Xc[c].map(codes).to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                codes = [*self.special_codes_.get(c, []), *self.binless_codes_.get(c, [])]
                out[c] = Xc[c].where(~Xc[c].isin(codes), np.nan).to_numpy(dtype=np.float64)
        return pd.DataFrame(out, index=Xc.index)

    def value_text(self, X: pd.DataFrame) -> pd.DataFrame:
        """The values of categorical and special-coded features in words (object frame, NaN
        elsewhere), as ``FeatureEncoder.value_text``: the category, ``unseen category <value>`` or
        ``special value -7``; what reason codes cite instead of a number."""
        self._check_fitted()
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks columns the scorecard was fitted on: {', '.join(missing)}")
        special = {c: [*self.special_codes_.get(c, []), *self.binless_codes_.get(c, [])]
                   for c in self.feature_names_in_ if c in self.special_codes_ or c in self.binless_codes_}
        out = pd.DataFrame(index=X.index, columns=[*self.categories_, *special], dtype=object)
        for c, categories in self.categories_.items():
            text = _as_text(X[c])
            known = text.isin(categories) | text.isna()
            out[c] = text.where(known, "unseen category " + text.astype(str))
        for c, codes in special.items():
            arr = pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            words = np.full(len(arr), np.nan, dtype=object)
            is_special = np.isin(arr, codes)
            words[is_special] = [f"special value {_code_text(v)}" for v in arr[is_special]]
            out[c] = words
        return out

    # ------------------------------------------------------------------ tables
    def table(self) -> pd.DataFrame:
        """The scorecard: one row per (selected feature, bin).

        Columns: ``feature``, ``bin_id``, ``bin``, ``count`` and ``default_rate`` in the
        training data, ``woe``, ``iv`` (the bin's IV contribution), ``coefficient`` (of the
        feature in the logistic regression) and ``points``. A row's score is the sum over
        the selected features of the points of the bin it falls into. ``bin`` is the
        interval of a numeric bin (``(-inf, 0.05)``, ``[0.05, inf)``), the categories of a
        categorical bin as a list (``['a', 'b']``), ``Special <code>`` for each special
        code found in the feature's training rows, or ``Missing`` (always the last bin of
        a feature). optbinning's ``Special`` bin of a feature without special codes is
        always empty and is dropped.
        """
        self._check_fitted()
        with _quiet_optbinning():
            raw = self.scorecard_.table(style="detailed")
        table = raw[list(_TABLE_COLUMNS)].rename(columns=_TABLE_COLUMNS)
        table["bin"] = [_bin_text(b) for b in table["bin"]]
        table = table[table["bin"] != _EMPTY_SPECIAL].reset_index(drop=True)
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
