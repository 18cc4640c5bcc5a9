"""The quotes table as the price-response model's rows: one row per quote with its cell and outcome.

``quote_features(quotes, obligors, tier_by_size_band)`` joins each quote to its obligor: the
offered spread, grade, tenor, collateral, client tier (from the obligor's size band), the
relationship length at the quote date, and whether the client accepted. The column names the
model reads (``CELL_COLUMNS``, ``FEATURE_COLUMNS``, ``TARGET``) and the frame checks shared by
the model and the spread optimiser live here too.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["CELL_COLUMNS", "FEATURE_COLUMNS", "TARGET", "quote_features", "require_columns", "check_frame",
           "first_values"]

#: What describes a pricing cell (everything the acceptance depends on except the spread).
CELL_COLUMNS: tuple[str, ...] = ("grade", "tenor_years", "collateral_type", "tier", "relationship_years")
#: The model's inputs: the spread plus the cell.
FEATURE_COLUMNS: tuple[str, ...] = ("spread_bps",) + CELL_COLUMNS
TARGET = "accepted"

_QUOTE_COLUMNS = ("quote_id", "obligor_id", "quote_date", "grade", "tenor_years", "collateral_type",
                  "offered_spread_bps", "accepted")
_OBLIGOR_COLUMNS = ("obligor_id", "size_band", "relationship_start")
_SHOW = 5  # offending ids quoted in an error message


def require_columns(frame: pd.DataFrame, table: str, columns: Sequence[str]) -> None:
    """Raise ``ValueError`` naming ``table`` and every column of ``columns`` that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{table} table is missing column(s) {', '.join(repr(c) for c in missing)} "
                         f"(has: {', '.join(map(str, frame.columns))})")


def first_values(values: pd.Series | np.ndarray, n: int = _SHOW) -> str:
    """The first ``n`` distinct values, comma-separated, and how many more there are: for error messages."""
    values = list(pd.unique(np.asarray(values, dtype=object)))
    more = f" and {len(values) - n} more" if len(values) > n else ""
    return ", ".join(map(str, values[:n])) + more


def quote_features(quotes: pd.DataFrame, obligors: pd.DataFrame, tier_by_size_band: Mapping[str, str]) -> pd.DataFrame:
    """One row per quote with the price-response model's inputs and outcome.

    Columns: quote_id, obligor_id, quote_date, spread_bps (the offered spread), grade, tenor_years,
    collateral_type, tier (``tier_by_size_band`` applied to the obligor's size band, e.g.
    ``PricingParams.tier_by_size_band``), relationship_years (years from ``relationship_start`` to
    the quote date, floored at 0: a quote made before the relationship formally started is a first
    contact, not a negative tenure) and accepted.

    Raises ``ValueError`` naming the table and column for missing columns, listing the first
    quote ids whose obligor is unknown, whose size band has no tier, or whose inputs are missing.
    """
    require_columns(quotes, "quotes", _QUOTE_COLUMNS)
    require_columns(obligors, "obligors", _OBLIGOR_COLUMNS)
    dup = obligors["obligor_id"].duplicated(keep=False)
    if dup.any():
        # A duplicated obligor would silently duplicate its quotes in the merge.
        raise ValueError(f"obligors table has duplicated obligor_id: {first_values(obligors.loc[dup, 'obligor_id'])}")
    merged = quotes[list(_QUOTE_COLUMNS)].merge(obligors[list(_OBLIGOR_COLUMNS)], on="obligor_id", how="left",
                                               indicator=True, validate="many_to_one")
    unknown = merged["_merge"].to_numpy() == "left_only"
    if unknown.any():
        raise ValueError(f"{int(unknown.sum())} quote(s) refer to obligors missing from the obligors table: "
                         f"quote_id {first_values(merged.loc[unknown, 'quote_id'])} "
                         f"(obligor_id {first_values(merged.loc[unknown, 'obligor_id'])})")
    tier_of = dict(tier_by_size_band)
    tier = merged["size_band"].map(tier_of)
    no_tier = tier.isna().to_numpy()
    if no_tier.any():
        raise ValueError(f"size band(s) {first_values(merged.loc[no_tier, 'size_band'])} have no tier in "
                         f"tier_by_size_band (known: {', '.join(tier_of)}); first quote_id "
                         f"{first_values(merged.loc[no_tier, 'quote_id'])}")
    quote_date = pd.to_datetime(merged["quote_date"])
    start = pd.to_datetime(merged["relationship_start"])
    rel_years = ((quote_date - start).dt.days / 365.25).clip(lower=0.0)
    out = pd.DataFrame({
        "quote_id": merged["quote_id"].to_numpy(),
        "obligor_id": merged["obligor_id"].to_numpy(),
        "quote_date": quote_date.to_numpy(),
        "spread_bps": pd.to_numeric(merged["offered_spread_bps"]).astype(float).to_numpy(),
        "grade": merged["grade"].to_numpy(),
        "tenor_years": pd.to_numeric(merged["tenor_years"]).astype(float).to_numpy(),
        "collateral_type": merged["collateral_type"].astype(str).to_numpy(),
        "tier": tier.astype(str).to_numpy(),
        "relationship_years": rel_years.astype(float).to_numpy(),
        "accepted": merged["accepted"].to_numpy(),
    })
    for col in ("spread_bps", "grade", "tenor_years", "relationship_years", "accepted"):
        bad = out[col].isna().to_numpy()
        if bad.any():
            source = {"spread_bps": "quotes.offered_spread_bps",
                      "relationship_years": "quote_date / obligors.relationship_start"}.get(col, f"quotes.{col}")
            raise ValueError(f"{int(bad.sum())} quote(s) have no {col} (from {source}): "
                             f"quote_id {first_values(out.loc[bad, 'quote_id'])}")
    out["grade"] = out["grade"].astype(int)
    out["accepted"] = out["accepted"].astype(bool)
    return out


def check_frame(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """``frame`` is a DataFrame with ``columns``, none missing (numeric ones finite)."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    require_columns(frame, what, columns)
    for col in columns:
        if col == "collateral_type" or col == "tier":
            bad = frame[col].isna().to_numpy()
        else:
            values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
            bad = ~np.isfinite(values)
        if bad.any():
            raise ValueError(f"{what} column {col!r} has {int(bad.sum())} missing or non-numeric value(s) "
                             f"(first rows: {first_values(frame.index[bad])})")
