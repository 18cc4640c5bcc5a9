"""Text columns as small integer codes, without turning categorical rows into strings.

Feature code groups and looks up by industry, question and obligor. Done on text, millions of
rows cost more time and memory than the numbers they key; a categorical column (as the compact
readers and the pandas engine give) is looked up once per category instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["text_codes", "text_labels"]


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
