"""Account behaviour features from the monthly table, up to the observation month only.

The monthly table is laid out as a dense obligor x month matrix (NaN where the
obligor was not a performing client), so every window feature reads the slice
``[t - w + 1 .. t]`` of its obligor's row: no rolling over tens of millions of rows,
and nothing after ``t`` can enter. The window statistics of all observation rows are
one compiled pass (``_behaviour_kernel``), with numpy's arithmetic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._behaviour_kernel import SPIKE, WINDOW, WINDOW_FEATURES, month_matrices, window_features
from .codes import NAT_NUMBER, date_numbers

__all__ = ["SPIKE", "behaviour_features"]


def behaviour_features(beh: pd.DataFrame, obligor_id: pd.Series, obs_date: pd.Series) -> pd.DataFrame:
    """Behaviour features for each (obligor_id, obs_date) pair; rows in the same order.

    ``active`` is 1 when the obligor has a behaviour record in the observation month
    (a performing client then); the panel keeps only those rows.
    """
    month_number = date_numbers(beh["month_end"], "M")
    dated = month_number != NAT_NUMBER
    # The matrices span the table's months, first to last (min(initial=0) would count the 0 too).
    origin = month_number[dated].min() if dated.any() else 0
    n_months = int(month_number[dated].max() - origin) + 1 if dated.any() else 1
    codes, ids = pd.factorize(beh["obligor_id"])
    ids = pd.Index(ids)
    months = month_number - origin
    # A record without an obligor id or a month belongs to no cell of the matrices.
    placed = (codes >= 0) & dated
    every = bool(placed.all())
    pad = WINDOW - 1  # leading NaN columns so every window slice stays in bounds

    # Every input as float32 first (assignment casts): compact and full-width tables give the same features.
    # The optional turnover: without it its features are NaN (the panel keeps its columns).
    has_turnover = "credit_turnover" in beh.columns
    series = np.empty((4 + has_turnover, len(beh)), dtype=np.float32)
    series[0], series[1] = np.asarray(beh["days_past_due"]), np.asarray(beh["utilisation"])
    series[2], series[3] = np.asarray(beh["overdue_amount"]), np.asarray(beh["covenant_breach"].astype(np.float32))
    if has_turnover:
        raw = np.asarray(beh["credit_turnover"])
        with np.errstate(invalid="ignore"):  # a missing turnover compares as not positive: no log taken
            positive = raw > 0
        series[4] = np.log(np.where(positive, raw.astype(np.float32), np.float32(np.nan)))
    if not every:
        codes, months, series = codes[placed], months[placed], series[:, placed]
    matrices = month_matrices(codes, months + pad, series, (len(ids), n_months + pad))
    del series
    dpd, util, overdue, breach = matrices[:4]
    turnover = matrices[4] if has_turnover else None

    obs_code = ids.get_indexer(pd.Index(obligor_id))
    known = obs_code >= 0
    obs_month = date_numbers(obs_date, "M")
    t = obs_month - origin
    inside = known & (obs_month != NAT_NUMBER) & (t >= 0) & (t < n_months)
    rows = np.where(inside, obs_code, 0)
    cols = np.where(inside, t, 0) + pad  # the observation month's column: its window ends there

    values = window_features(dpd, util, overdue, breach, turnover, rows, cols, inside)
    frame = pd.DataFrame({"active": (~np.isnan(values[0])).astype(np.int8),
                          **{name: values[k] for k, name in enumerate(WINDOW_FEATURES)}}, copy=False)
    frame.index = obligor_id.index if isinstance(obligor_id, pd.Series) else frame.index
    return frame
