"""Text columns as small integer codes, and dates as day or month numbers, without turning
categorical rows into strings or timestamps.

Feature code groups and looks up by industry, question and obligor, and matches dates by day or
month. Done on text or timestamps, millions of rows cost more time and memory than the numbers
they key; a categorical column (as the compact readers and the pandas engine give) is converted
once per category instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["NAT_NUMBER", "date_numbers", "text_codes", "text_labels"]

#: What a missing date gives in ``date_numbers``.
NAT_NUMBER = np.iinfo(np.int64).min


def text_codes(values: pd.Series, labels: pd.Index) -> np.ndarray:
    """Position in ``labels`` of each value as text, -1 where it is missing or not a label."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        per_category = labels.get_indexer(values.cat.categories.astype(str))
        return np.append(per_category, -1)[values.cat.codes.to_numpy()]  # code -1 (missing) picks the -1
    return labels.get_indexer(values.astype(str))


def text_labels(*columns: pd.Series) -> pd.Index:
    """The distinct texts of ``columns`` (every category of a categorical one), missing values left out."""
    parts = [c.cat.categories.astype(str) if isinstance(c.dtype, pd.CategoricalDtype) else c.astype(str).unique()
             for c in columns]
    return pd.Index(pd.concat([pd.Series(p, dtype=object) for p in parts], ignore_index=True).unique()).dropna()


def date_numbers(dates: pd.Series | np.ndarray, unit: str) -> np.ndarray:
    """The day (``unit="D"``) or month (``"M"``) each date falls in, counted from 1970, as int64;
    ``NAT_NUMBER`` where missing."""
    if isinstance(dates, pd.Series) and isinstance(dates.dtype, pd.CategoricalDtype):
        per_category = date_numbers(np.asarray(dates.cat.categories), unit)
        return np.append(per_category, NAT_NUMBER)[dates.cat.codes.to_numpy()]  # code -1 (missing) picks NaT
    values = dates.to_numpy() if isinstance(dates, pd.Series) else dates
    return np.asarray(values, dtype=f"datetime64[{unit}]").view(np.int64)
