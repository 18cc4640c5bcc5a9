"""The book the portfolio-risk measures run on: one row per live facility at an as-of date with what
IFRS 9, the stress test and the loss simulation need (exposure, rate, LGD, PD now and at origination,
arrears, default, watchlist, tier), and its aggregation per obligor for the Monte Carlo.

Where each column comes from (all point in time at the as-of):

- **Live facilities**: pricing's rule (``pricing.grid.live_facilities``: originated on or before the
  as-of, maturing after it), for performing and defaulted obligors alike. Their drawn amounts are the
  facilities table's at its snapshot (the data's last month end); a book dated before it reconstructs
  them from the facilities' terms and the month's utilisation (``exposure.drawn_at``;
  ``drawn_reconstructed`` says so), except for defaulted clients, whose exposure is frozen at default.
- **Defaulted** (stage 3): the obligor's default (``defaults`` table) is on or before the as-of and
  not older than ``write_off_years``; facilities of older defaults count as written off (IFRS 9
  5.4.4: no reasonable expectation of recovering more) and leave the book. PD 1, grade 0.
- **PD and grade**: the champion's score of the as-of's snapshot (``scored``: obligor_id, obs_date,
  pd, grade, e.g. the monitoring book's rows). A performing obligor with a live facility but no
  snapshot row (it is not scored that month, e.g. no statement yet) takes its latest earlier score,
  else the master scale's worst performing grade - conservative, and counted in ``unscored``.
- **PD at origination**: the obligor's score at the first month end on or after the facility's
  origination; for facilities originated before the obligor's first scored month, that first score
  (the early warnings' convention, ``accounts.ews``). NaN when the obligor was never scored.
- **Effective interest rate**: the cost of funds for the facility's original tenor
  (``pricing.economics.cost_of_funds`` on the funding curve) plus its booked spread; fees are not
  in the data, so this is the contractual rate IFRS 9 B5.4.5 approximates the EIR with.
- **LGD**: foundation IRB (``pricing.lgd.foundation_lgd``) on the exposure at default with credit
  conversion factors (``portfolio.exposure``; none on a defaulted obligor's undrawn lines, which are
  frozen), collateral and seniority.
- **Days past due** from the behaviour table's row at the as-of (0 when the obligor has none);
  **watchlist** from the caller ("watchlist red": the red early warnings of the month); **forborne**
  from a ``forborne`` column of the facilities table when the data has one (the synthetic portfolio
  does not: False).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from ..params import StrictModel
from ..pricing.economics import cost_of_funds
from ..pricing.grid import live_facilities
from ..pricing.lgd import foundation_lgd
from ..pricing.params import PricingParams
from ..reference.master_scale import MASTER_SCALE
from .checks import need_columns
from .exposure import CCFParams, drawn_at, exposure_at_default

__all__ = ["BookParams", "facility_book", "obligor_portfolio", "grade_history", "WORKOUT_TIER", "BOOK_COLUMNS"]

#: The tier label of defaulted clients: they leave the tiering for the workout unit.
WORKOUT_TIER = "workout"

BOOK_COLUMNS = ("facility_id", "obligor_id", "name", "industry", "tier", "group", "product", "repayment_type",
                "limit", "drawn", "origination_date", "maturity_date", "spread_bps", "eir", "lgd", "ead", "pd",
                "grade", "pd_origination", "days_past_due", "defaulted", "default_date", "forborne", "watchlist",
                "sales", "scored", "drawn_reconstructed")


class BookParams(StrictModel):
    """Which defaulted facilities are still in the book."""

    write_off_years: float = Field(
        5.0, gt=0, le=30,
        description="Facilities of obligors that defaulted longer ago than this are treated as written off (IFRS 9 "
                    "5.4.4) and leave the book. The synthetic portfolio keeps facilities live after default; five "
                    "years is the usual length of a corporate workout (EBA GL/2017/16 para 155 on the maximum "
                    "recovery period for the long-run LGD)")


def _score_lookup(scored: pd.DataFrame, obligors: np.ndarray, dates: np.ndarray, *, on_or_after: bool
                  ) -> pd.DataFrame:
    """For each (obligor, date) the scored row on or after (``on_or_after``) or on or before the date,
    nearest first (pd.merge_asof by obligor); pd / grade NaN when there is none."""
    left = pd.DataFrame({"obligor_id": np.asarray(obligors, dtype=object).astype(str),
                         "date": pd.to_datetime(dates).astype("datetime64[ns]"), "_row": np.arange(len(obligors))})
    right = scored[["obligor_id", "obs_date", "pd", "grade"]].rename(columns={"obs_date": "date"})
    right = right.astype({"grade": "float64", "date": "datetime64[ns]", "obligor_id": str})
    right = right.sort_values("date", kind="stable")
    merged = pd.merge_asof(left.sort_values("date", kind="stable"), right, on="date", by="obligor_id",
                           direction="forward" if on_or_after else "backward")
    return merged.sort_values("_row")[["pd", "grade"]].reset_index(drop=True)


def facility_book(tables: dict[str, pd.DataFrame], scored: pd.DataFrame, as_of, *,
                  tiers: pd.DataFrame | None = None, watchlist=(), ccf: CCFParams | None = None,
                  pricing: PricingParams | None = None, params: BookParams | None = None) -> pd.DataFrame:
    """One row per facility in the book at ``as_of`` (``BOOK_COLUMNS``; the module docstring says where
    each comes from), sorted by facility_id.

    ``tables``: facilities, obligors, defaults, behaviour. ``scored``: obligor_id, obs_date, pd, grade for
    every month end through ``as_of`` (earlier months give the PD at origination). ``tiers``: obligor_id,
    tier (performing clients without one, and all defaulted ones, get ``"C"`` / ``WORKOUT_TIER``).
    ``watchlist``: the obligor ids on the watchlist at ``as_of``.
    """
    ccf = ccf or CCFParams()
    pricing = pricing or PricingParams()
    params = params or BookParams()
    as_of = pd.Timestamp(as_of)
    for name, cols in (("facilities", ("facility_id", "obligor_id", "product", "repayment_type", "limit", "drawn",
                                       "origination_date", "maturity_date", "spread_bps", "collateral_type",
                                       "collateral_value", "seniority")),
                       ("obligors", ("obligor_id", "industry", "group_id")),
                       ("defaults", ("obligor_id", "default_date")),
                       ("behaviour", ("obligor_id", "month_end", "days_past_due"))):
        need_columns(tables[name], cols, name)
    need_columns(scored, ("obligor_id", "obs_date", "pd", "grade"), "scored")
    scored = scored[scored["obs_date"] <= as_of]

    live = live_facilities(tables["facilities"], as_of)
    defaults = tables["defaults"]
    default_date = live["obligor_id"].map(defaults.set_index("obligor_id")["default_date"])
    written_off = default_date < as_of - pd.DateOffset(days=round(365.25 * params.write_off_years))
    live = live[~written_off.to_numpy()].sort_values("facility_id").reset_index(drop=True)
    default_date = live["obligor_id"].map(defaults.set_index("obligor_id")["default_date"])
    defaulted = (default_date <= as_of).to_numpy()

    obligors = tables["obligors"].set_index("obligor_id")
    book = live[["facility_id", "obligor_id", "product", "repayment_type", "limit", "drawn", "origination_date",
                 "maturity_date", "spread_bps"]].copy()
    for column, source in (("name", "name"), ("industry", "industry"), ("sales", "sales")):
        book[column] = book["obligor_id"].map(obligors[source]) if source in obligors.columns else np.nan
    group = book["obligor_id"].map(obligors["group_id"])
    book["group"] = group.where(group.notna() & (group.astype(str) != ""), book["obligor_id"]).astype(str)

    ids = book["obligor_id"].to_numpy()
    now = _score_lookup(scored, ids, np.full(len(book), as_of), on_or_after=False)
    month = scored.loc[scored["obs_date"] == as_of + pd.offsets.MonthEnd(0), "obligor_id"].astype(str)
    book["scored"] = book["obligor_id"].astype(str).isin(set(month)).to_numpy() & ~defaulted
    worst = float(MASTER_SCALE.bands()["grade_pd"].iloc[MASTER_SCALE.n_grades - 1])
    book["pd"] = np.where(defaulted, 1.0, now["pd"].fillna(worst).to_numpy())
    book["grade"] = np.where(defaulted, 0, now["grade"].fillna(MASTER_SCALE.n_grades).to_numpy()).astype(np.int64)
    month_of_origination = (book["origination_date"] + pd.offsets.MonthEnd(0)).to_numpy()
    at_origination = _score_lookup(scored, ids, month_of_origination, on_or_after=True)
    book["pd_origination"] = at_origination["pd"].to_numpy()

    cof = cost_of_funds(((book["maturity_date"] - book["origination_date"]).dt.days / 365.25).to_numpy(),
                        pricing.economics.funding_curve_bps)
    book["eir"] = (cof + book["spread_bps"].to_numpy(dtype=float)) / 1e4
    behaviour = tables["behaviour"]
    month = behaviour[behaviour["month_end"] == as_of + pd.offsets.MonthEnd(0)].set_index("obligor_id")
    snapshot = behaviour["month_end"].max()
    book["drawn_reconstructed"] = bool(pd.notna(snapshot) and as_of + pd.offsets.MonthEnd(0) < snapshot)
    if book["drawn_reconstructed"].any():
        # The facilities table holds the drawn amounts of its snapshot (the data's last month end); an earlier
        # book takes them from the facilities' terms and the month's utilisation (``exposure.drawn_at``).
        used = book["obligor_id"].map(month["utilisation"]) if "utilisation" in month.columns else None
        rebuilt = drawn_at(book, as_of, None if used is None else used.to_numpy(dtype=float), ccf)
        # A defaulted client's exposure is frozen at default (no drawing, no repayment by schedule): the
        # table's amount, recorded at the client's last month, stands for it at every date of the workout.
        book["drawn"] = np.where(defaulted, book["drawn"].to_numpy(dtype=float), rebuilt)
        book["drawn_reconstructed"] = ~defaulted
    book["defaulted"] = defaulted  # before the EAD: a defaulted obligor's undrawn lines are frozen (CCFParams)
    book["ead"] = exposure_at_default(book, ccf)
    exposure = np.maximum(book["ead"].to_numpy(dtype=float), 1e-9)  # LGD's coverage ratio needs a positive EAD
    book["lgd"] = foundation_lgd(exposure, live["collateral_type"].to_numpy(dtype=object),
                                 live["collateral_value"].to_numpy(dtype=float),
                                 live["seniority"].to_numpy(dtype=object), params=pricing.lgd)

    book["days_past_due"] = book["obligor_id"].map(month["days_past_due"]).fillna(0).astype(np.int64)
    book["default_date"] = default_date.where(defaulted).to_numpy()
    forborne = live["forborne"] if "forborne" in live.columns else pd.Series(False, index=live.index)
    book["forborne"] = forborne.fillna(False).astype(bool).to_numpy()
    book["watchlist"] = book["obligor_id"].isin(set(map(str, watchlist))).to_numpy()
    tier = book["obligor_id"].map(tiers.set_index("obligor_id")["tier"]).astype(object) \
        if tiers is not None and len(tiers) else pd.Series(None, index=book.index, dtype=object)
    book["tier"] = np.where(defaulted, WORKOUT_TIER, tier.fillna("C").astype(str))
    return book[list(BOOK_COLUMNS)]


def obligor_portfolio(book: pd.DataFrame, stage3_dpd: int) -> pd.DataFrame:
    """The performing book per obligor for the loss simulation: obligor_id, name, industry, tier, group, ead
    (sum), lgd (EAD-weighted), pd, sales. Credit-impaired obligors are left out - defaulted, or ``stage3_dpd``
    or more days past due (``StagingParams.stage3_dpd``): their loss is already expected (stage 3) and
    provisioned, not simulated."""
    impaired = book["defaulted"].to_numpy() | (book["days_past_due"].to_numpy() >= stage3_dpd)
    performing = book[~impaired & (book["ead"] > 0).to_numpy()].copy()
    performing["_loss"] = performing["ead"] * performing["lgd"]
    g = performing.groupby("obligor_id", sort=True)
    out = g.agg(name=("name", "first"), industry=("industry", "first"), tier=("tier", "first"),
                group=("group", "first"), ead=("ead", "sum"), _loss=("_loss", "sum"), pd=("pd", "first"),
                sales=("sales", "first"))
    out["lgd"] = out["_loss"] / out["ead"]
    return out.drop(columns="_loss").reset_index()[["obligor_id", "name", "industry", "tier", "group", "ead",
                                                     "lgd", "pd", "sales"]]


def grade_history(scored: pd.DataFrame) -> pd.DataFrame:
    """obligor_id, obs_date, grade of every scored obligor-month (what the migration matrix counts)."""
    need_columns(scored, ("obligor_id", "obs_date", "grade"), "scored")
    return scored[["obligor_id", "obs_date", "grade"]].reset_index(drop=True)
