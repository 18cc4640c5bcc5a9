"""When each client was last reviewed and whether the review is overdue for its tier.

The last review is the latest ``annual_review`` interaction on or before the as-of date; the
tier's service strategy says how often a review is due (``review_frequency_months``). A client
never reviewed in the data counts from the later of its relationship start and the data's start
(``data_start``): whether it was reviewed before the data begins is unknown, not overdue for decades. The full review calendar
(covenant tests, watchlist reviews, information requests) builds on this.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["REVIEW_TOPIC", "reviews_due", "overdue_by_tier"]

REVIEW_TOPIC = "annual_review"


def reviews_due(tiers: pd.DataFrame, interactions: pd.DataFrame | None, obligors: pd.DataFrame,
                as_of, data_start=None) -> pd.DataFrame:
    """Per tiered obligor: last review, next due date, months overdue (0 when not due).

    ``tiers`` has obligor_id, tier and ``review_frequency_months`` (its tier's service strategy).
    """
    as_of = pd.Timestamp(as_of)
    for column in ("obligor_id", "tier", "review_frequency_months"):
        if column not in tiers.columns:
            raise KeyError(f"tiers lack column {column!r}")
    out = tiers[["obligor_id", "tier", "review_frequency_months"]].copy()
    last = pd.Series(dtype="datetime64[ns]")
    if interactions is not None and not interactions.empty:
        done = interactions[(interactions["topic"] == REVIEW_TOPIC) & (interactions["date"] <= as_of)]
        last = done.groupby("obligor_id")["date"].max()
    start = obligors.set_index("obligor_id")["relationship_start"]
    if data_start is not None:
        start = start.clip(lower=pd.Timestamp(data_start))
    out["last_review"] = pd.to_datetime(last.reindex(out["obligor_id"].to_numpy()).to_numpy())
    out["reviewed_in_data"] = out["last_review"].notna()
    out["last_review"] = out["last_review"].fillna(out["obligor_id"].map(start))
    months = out["review_frequency_months"].astype(int).to_numpy()
    # Month arithmetic per row, vectorised: numpy months then back to the day of month end.
    base = out["last_review"].to_numpy(dtype="datetime64[M]")
    due = (base + months.astype("timedelta64[M]")).astype("datetime64[ns]")
    out["next_due"] = pd.DatetimeIndex(due) + pd.offsets.MonthEnd(0)
    nd = pd.DatetimeIndex(out["next_due"])
    gap = (as_of.year * 12 + as_of.month) - (nd.year * 12 + nd.month).to_numpy()
    out["months_overdue"] = np.maximum(gap, 0)
    out["overdue"] = out["months_overdue"] > 0
    return out


def overdue_by_tier(due: pd.DataFrame) -> pd.DataFrame:
    """Per tier: clients, reviews overdue, share overdue, and the longest delay in months."""
    g = due.groupby("tier", sort=True)
    return pd.DataFrame({"clients": g.size(), "overdue": g["overdue"].sum(),
                         "share_overdue": g["overdue"].mean(), "max_months_overdue": g["months_overdue"].max()})
