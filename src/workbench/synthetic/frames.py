"""Building table columns fast: vectorised date arithmetic, ``str`` arrays, frames without copies."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["add_years", "str_take", "frame", "ns"]


def add_years(dates: np.ndarray, years: np.ndarray) -> np.ndarray:
    """``date + pd.DateOffset(years=k)`` elementwise, in datetime64[D]: the day is clipped to the month's length."""
    d = np.asarray(dates).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    day0 = (d - m.astype("datetime64[D]")).astype(np.int64)
    new_m = m + (12 * np.asarray(years, dtype=np.int64)).astype("timedelta64[M]")
    month_len = ((new_m + 1).astype("datetime64[D]") - new_m.astype("datetime64[D]")).astype(np.int64)
    return new_m.astype("datetime64[D]") + np.minimum(day0, month_len - 1).astype("timedelta64[D]")


def str_take(values, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A pandas ``str`` array of ``values[codes]`` (built from the few distinct values, not row by row)."""
    return pd.array(np.asarray(values), dtype="str").take(np.asarray(codes, dtype=np.int64))


def frame(columns: dict) -> pd.DataFrame:
    """A DataFrame over freshly made column arrays, without copying them into 2-D blocks."""
    return pd.DataFrame(columns, copy=False)


def ns(values: np.ndarray) -> np.ndarray:
    """As ``datetime64[ns]``."""
    return np.asarray(values).astype("datetime64[ns]")
