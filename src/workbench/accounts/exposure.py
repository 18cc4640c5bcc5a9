"""Exposure per obligor at an as-of date: limits, drawn and undrawn amounts, EAD, the large-exposure
exposure value, booked revenue and the exposure a year earlier.

Two exposure measures, for two purposes:

- **EAD** (``ead``): the drawn amount, or the limit for an undrawn line. The rule is pricing's
  (``workbench.pricing.grid.facility_ead``, used by ``portfolio_raroc``) and imported here, so the
  tiering, the portfolio views and the RAROC figures count the same exposure.
- **Large-exposure exposure value** (``exposure_value``): CRR art. 389 counts every asset *and
  off-balance-sheet item* (undrawn commitments, guarantees) in the exposure to a client. The
  regulation converts off-balance-sheet items with credit conversion factors (the standardised
  approach's, CRR art. 111, as for the leverage exposure of art. 429); the desk takes the whole
  committed limit instead, ``max(limit, drawn)`` per facility (a 100 % conversion factor and no
  credit-risk mitigation), which is conservative and needs no product-level factors.

Which facilities are live is pricing's rule too (``live_facilities``: originated on or before the
as-of date, maturing after it). The facilities table holds each facility's terms and its drawn
amount at the data's snapshot, not a drawn history: an earlier as-of date sees the facilities live
then, with those drawn amounts. So the exposure a year earlier (``ead_before``) reflects the
facilities added and repaid over the year, not changes in utilisation.

Booked revenue per year (EUR m): drawn x spread + undrawn x commitment fee. The facilities table
has no fee column, so the commitment fee is a desk assumption in params (``commitment_fee_bps``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from ..params import StrictModel
from ..pricing.grid import facility_ead, live_facilities

__all__ = ["ExposureParams", "live_facilities", "facility_ead", "obligor_exposure", "FACILITY_COLUMNS"]

#: Columns ``obligor_exposure`` reads from the facilities table.
FACILITY_COLUMNS = ("facility_id", "obligor_id", "limit", "drawn", "origination_date", "maturity_date", "spread_bps")


class ExposureParams(StrictModel):
    """How exposure and booked revenue are measured."""

    commitment_fee_bps: float = Field(
        30.0, ge=0, le=500,
        description="Fee per year on the undrawn part of a committed line, bps. A desk assumption (the facilities "
                    "table has no fee column): 25-35 bps is the usual range for investment-grade corporate "
                    "revolvers, about a third of the drawn margin")
    growth_lookback_months: int = Field(
        12, ge=1, le=60, description="Exposure growth is measured against this many months before the as-of date")


def _check_facilities(facilities: pd.DataFrame) -> None:
    missing = [c for c in FACILITY_COLUMNS if c not in facilities.columns]
    if missing:
        raise KeyError(f"facilities lack column(s) {', '.join(missing)} (needed: {', '.join(FACILITY_COLUMNS)})")


def obligor_exposure(facilities: pd.DataFrame, as_of, params: ExposureParams | None = None) -> pd.DataFrame:
    """One row per obligor with a live facility at ``as_of`` (sorted by obligor_id).

    Columns: obligor_id, obs_date (``as_of``), facilities (number live), limit, drawn, undrawn
    (limit - drawn, never negative), ead (sum of ``facility_ead``), exposure_value (large-exposure
    measure: sum of max(limit, drawn)), revenue (EUR m a year: drawn x spread_bps / 1e4 + undrawn x
    commitment_fee_bps / 1e4), ead_before (EAD of the obligor's facilities live
    ``growth_lookback_months`` earlier, 0 when none), exposure_growth (ead / ead_before - 1,
    NaN without exposure then) and first_origination (earliest origination of its live facilities).
    Amounts in EUR m.
    """
    params = params or ExposureParams()
    _check_facilities(facilities)
    as_of = pd.Timestamp(as_of)
    live = live_facilities(facilities, as_of)
    limit = live["limit"].to_numpy(dtype=float)
    drawn = live["drawn"].to_numpy(dtype=float)
    undrawn = np.maximum(limit - drawn, 0.0)
    per = pd.DataFrame({
        "obligor_id": live["obligor_id"].to_numpy(),
        "limit": limit,
        "drawn": drawn,
        "undrawn": undrawn,
        "ead": facility_ead(drawn, limit),
        "exposure_value": np.maximum(limit, drawn),
        "revenue": drawn * live["spread_bps"].to_numpy(dtype=float) / 1e4 + undrawn * params.commitment_fee_bps / 1e4,
        "origination_date": live["origination_date"].to_numpy(),
    })
    g = per.groupby("obligor_id", sort=True)
    out = g[["limit", "drawn", "undrawn", "ead", "exposure_value", "revenue"]].sum()
    out.insert(0, "facilities", g.size())
    before_date = as_of - pd.DateOffset(months=params.growth_lookback_months)
    before = live_facilities(facilities, before_date)
    ead_before = (pd.Series(facility_ead(before["drawn"], before["limit"]), index=before["obligor_id"].to_numpy())
                  .groupby(level=0).sum())
    out["ead_before"] = ead_before.reindex(out.index).fillna(0.0)
    out["exposure_growth"] = out["ead"] / out["ead_before"].where(out["ead_before"] > 0) - 1
    out["first_origination"] = g["origination_date"].min()
    out = out.reset_index()
    out.insert(1, "obs_date", as_of)
    out["facilities"] = out["facilities"].astype(int)
    return out
