"""Which columns of a table are categories, and which are too varied to be one.

Shared by the flat-table loader (which refuses a bad table before anything runs) and the PD
model's encoder (which refuses it when called directly): one rule, one message.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["HighCardinalityError", "categorical_columns", "check_cardinality"]


class HighCardinalityError(ValueError):
    """Categorical columns with too many distinct values to be a category (ids, free text)."""


def categorical_columns(X: pd.DataFrame) -> list[str]:
    """Columns that hold categories rather than numbers: string, object and ``category`` dtypes
    (booleans count as numbers)."""
    return [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]


def check_cardinality(X: pd.DataFrame, max_categories: int, source: str = "X") -> None:
    """Refuse categorical columns with more than ``max_categories`` distinct values, naming them."""
    wide = {c: int(X[c].nunique(dropna=True)) for c in categorical_columns(X)}
    wide = {c: n for c, n in wide.items() if n > max_categories}
    if wide:
        listed = ", ".join(f"{c} ({n:,} distinct values)" for c, n in wide.items())
        raise HighCardinalityError(
            f"{source}: categorical column(s) with more than {max_categories} distinct values cannot be model "
            f"features: {listed}. An identifier belongs in the id column, free text or dates need encoding "
            "first; drop them (drop_columns / --drop) or raise max_categories.")
