"""How a table's columns become the numbers the trees split on: categories and special values.

A bank's extract mixes numeric columns with text categories (purpose, region, housing) and
bureau-style *special values*: numeric codes that mean "no record" or "not applicable"
(-7, -8, -9) rather than an amount. ``FeatureEncoder`` learns, on the training rows only:

* **categorical columns** (string, object or ``category`` dtype): the categories seen, coded
  0..k-1 for xgboost's native categorical splits (partitions of the categories, no ordering
  invented and no target used, so nothing leaks from the held-out rows). A category unseen in
  training becomes missing at prediction, with an ``UnseenCategoryWarning`` naming column and
  values. A column with more than ``max_categories`` distinct values (an identifier, free text,
  a date as text) is refused with ``HighCardinalityError`` naming it.
* **special values**: the configured codes of a numeric column become missing for the column
  itself plus an indicator column ``<column>__special`` holding which code it was (1, 2, ...;
  0 = not special), so the trees can treat "no record" apart from a low value and from a
  plain gap. Indicators are made only for codes present in the training rows.
* **booleans** are numbers (0/1); infinities are missing.

Special values are given globally (a list: every numeric column) or per column (a mapping;
the key ``"*"`` applies to every numeric column without its own entry). The encoded frame is
float32; ``feature_types_`` tells xgboost which encoded columns are categorical and ``parent_``
maps each encoded column back to the column it came from (SHAP folds indicators back into it).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError

from ..data.categories import HighCardinalityError, categorical_columns, check_cardinality

__all__ = ["FeatureEncoder", "HighCardinalityError", "UnseenCategoryWarning", "SpecialValues", "categorical_columns",
           "check_cardinality", "special_codes_for", "parse_special_values", "SPECIAL_SUFFIX", "CATEGORICAL", "NUMERIC"]

#: xgboost's feature types: categorical and quantitative.
CATEGORICAL, NUMERIC = "c", "q"
#: Name suffix of a special-value indicator column.
SPECIAL_SUFFIX = "__special"

SpecialValues = Sequence[float] | Mapping[str, Sequence[float]]


class UnseenCategoryWarning(UserWarning):
    """Values of a categorical column that training never saw; they are scored as missing."""


def parse_special_values(text: str) -> list[float]:
    """``"-7,-8,-9"`` -> ``[-7.0, -8.0, -9.0]`` (the CLI's form); empty text -> []."""
    out = []
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        try:
            out.append(float(part))
        except ValueError:
            raise ValueError(f"special value {part!r} is not a number (expected e.g. -7,-8,-9)") from None
    return out


def special_codes_for(special_values: SpecialValues | None, column: str) -> list[float]:
    """The special codes configured for ``column``: its own list, else the ``"*"`` list, else a global list."""
    if not special_values:
        return []
    if isinstance(special_values, Mapping):
        codes = special_values.get(column, special_values.get("*", []))
    else:
        codes = special_values
    return [float(v) for v in codes]


def _as_text(values: pd.Series) -> pd.Series:
    """Category values as plain Python strings (NaN stays NaN), whatever the dtype they arrive in:
    pandas 3 strings, object, ``category`` of strings or numbers all compare alike."""
    obj = values.astype(object)
    return obj.where(obj.isna(), obj.map(str))


class FeatureEncoder:
    """Categories and special values of a table, learnt on training rows; see the module docstring.

    Fitted attributes: ``feature_names_in_``, ``categorical_`` (columns), ``categories_``
    (column -> categories in code order), ``special_`` (column -> codes with an indicator),
    ``encoded_names_``, ``feature_types_`` (``"c"``/``"q"`` per encoded column) and ``parent_``
    (encoded column -> input column).
    """

    def __init__(self, special_values: SpecialValues | None = None, max_categories: int = 50):
        self.special_values = special_values
        self.max_categories = max_categories

    def fit(self, X: pd.DataFrame) -> "FeatureEncoder":
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
        if isinstance(self.max_categories, bool) or not isinstance(self.max_categories, int) or self.max_categories < 2:
            raise ValueError(f"max_categories must be an integer >= 2, got {self.max_categories!r}")
        check_cardinality(X, self.max_categories)
        self.feature_names_in_ = [str(c) for c in X.columns]
        self.categorical_ = categorical_columns(X)
        self.categories_ = {c: sorted(_as_text(X[c]).dropna().unique().tolist()) for c in self.categorical_}
        self.special_ = {}
        for c in self.feature_names_in_:
            if c in self.categorical_:
                continue
            codes = special_codes_for(self.special_values, c)
            if codes:
                arr = pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
                seen = [v for v in codes if np.any(arr == v)]
                if seen:
                    self.special_[c] = seen
        names, types, parent = [], [], {}
        for c in self.feature_names_in_:
            names.append(c)
            types.append(CATEGORICAL if c in self.categories_ else NUMERIC)
            parent[c] = c
            if c in self.special_:
                names.append(c + SPECIAL_SUFFIX)
                types.append(NUMERIC)
                parent[c + SPECIAL_SUFFIX] = c
        clash = [n for n in names if names.count(n) > 1]
        if clash:
            raise ValueError(f"X has a column named like a special-value indicator: {', '.join(sorted(set(clash)))}")
        self.encoded_names_, self.feature_types_, self.parent_ = names, types, parent
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "encoded_names_"):
            raise NotFittedError("FeatureEncoder is not fitted yet; call fit(X) first")

    @property
    def is_trivial(self) -> bool:
        """True when the encoding changes nothing but dtype (all numeric, no special values)."""
        self._check_fitted()
        return not self.categorical_ and not self.special_

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """The encoded float32 frame (``encoded_names_``), same index as X."""
        self._check_fitted()
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks columns the model was fitted on: {', '.join(missing)}")
        out: dict[str, np.ndarray] = {}
        for c in self.feature_names_in_:
            if c in self.categories_:
                out[c] = self._codes(c, X[c])
                continue
            values = X[c]
            if not pd.api.types.is_numeric_dtype(values):
                raise TypeError(f"column {c} was numeric in training but holds non-numeric values now "
                                f"(dtype {values.dtype})")
            arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
            # inf (a ratio over zero in someone's extract) would be read as a huge number: treat it as missing.
            arr = np.where(np.isinf(arr), np.nan, arr)
            codes = special_codes_for(self.special_values, c)
            if codes:
                is_special = np.isin(arr, codes)
                if c in self.special_:
                    indicator = np.zeros(len(arr))
                    for k, code in enumerate(self.special_[c], start=1):
                        indicator[arr == code] = k
                    indicator[np.isnan(arr)] = 0.0
                    out[c + SPECIAL_SUFFIX] = indicator
                arr = np.where(is_special, np.nan, arr)
            out[c] = arr
        frame = pd.DataFrame({name: out[name] for name in self.encoded_names_}, index=X.index)
        return frame.astype(np.float32)

    def _codes(self, column: str, values: pd.Series) -> np.ndarray:
        categories = self.categories_[column]
        text = _as_text(values)
        codes = text.map({v: float(k) for k, v in enumerate(categories)}).to_numpy(dtype=np.float64, na_value=np.nan)
        unseen = text.notna().to_numpy() & np.isnan(codes)
        if unseen.any():
            shown = pd.unique(text[unseen])
            listed = ", ".join(repr(v) for v in shown[:5]) + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")
            warnings.warn(f"column {column}: {int(unseen.sum())} row(s) hold categories the model never saw in "
                          f"training ({listed}); they are scored as missing", UnseenCategoryWarning, stacklevel=4)
        return codes

    def value_text(self, X: pd.DataFrame) -> pd.DataFrame:
        """The values of categorical and special-coded columns in words (object frame, NaN elsewhere):
        the category, or ``"special value -7"``; what reason codes cite instead of a number."""
        self._check_fitted()
        cols = [*self.categorical_, *[c for c in self.feature_names_in_ if special_codes_for(self.special_values, c)
                                       and c not in self.categories_]]
        out = pd.DataFrame(index=X.index, columns=cols, dtype=object)
        for c in self.categorical_:
            text = _as_text(X[c])
            known = text.isin(self.categories_[c])
            out[c] = text.where(known | text.isna(), "unseen category " + text.astype(str))
        for c in cols:
            if c in self.categories_:
                continue
            arr = X[c].to_numpy(dtype=np.float64, na_value=np.nan)
            codes = special_codes_for(self.special_values, c)
            special = np.isin(arr, codes)
            shown = np.array([f"special value {v:g}" for v in arr[special]], dtype=object)
            column = np.full(len(arr), np.nan, dtype=object)
            column[special] = shown
            out[c] = column
        return out

    def category_names(self, column: str, codes: np.ndarray) -> np.ndarray:
        """Category names of encoded ``codes`` of ``column`` (NaN -> None)."""
        categories = self.categories_[column]
        return np.array([None if c != c else categories[int(c)] for c in np.asarray(codes, dtype=float)], dtype=object)
