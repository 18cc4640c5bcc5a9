"""What each client is worth to the bank: revenue, expected loss, capital and RAROC over its live
facilities at the booked spreads, against the hurdle, and the bank's share of the client's debt.

The per-facility figures come from ``pricing.portfolio_raroc`` (the one owner of RAROC); this
module only adds them up per client. RAROC per client is capital-weighted, as for any portfolio.
"""

from __future__ import annotations

import pandas as pd

from .. import format as fmt

__all__ = ["client_profitability", "profitability_table"]


def client_profitability(per_facility: pd.DataFrame, exposures: pd.DataFrame, snapshot: pd.DataFrame,
                         financials: pd.DataFrame, hurdle: float) -> pd.DataFrame:
    """Per client: facilities, EAD, revenue (EUR m a year, from ``exposures``), expected loss (PD x LGD x
    EAD), capital, RAROC at booked spreads and its margin over ``hurdle``, and the bank's share of the
    client's debt: drawn with the bank over ``total_debt`` of the statement the snapshot used (its
    ``period_end``; NaN without a statement on file).

    ``per_facility``: ``portfolio_raroc`` output; ``exposures``: ``exposure.obligor_exposure``;
    ``snapshot``: one month's snapshot; ``financials``: the statements table.
    """
    f = per_facility.assign(el=per_facility["pd"] * per_facility["lgd"] * per_facility["ead"],
                            weighted=per_facility["raroc_today"] * per_facility["capital"])
    g = f.groupby("obligor_id")
    out = pd.DataFrame({"facilities": g.size(), "ead": g["ead"].sum(), "el": g["el"].sum(),
                        "capital": g["capital"].sum()})
    out["raroc"] = g["weighted"].sum() / out["capital"].where(out["capital"] > 0)
    out["raroc_vs_hurdle"] = out["raroc"] - hurdle
    e = exposures.set_index("obligor_id")
    out["revenue"] = e["revenue"].reindex(out.index)
    out["drawn"] = e["drawn"].reindex(out.index)
    used = snapshot[["obligor_id", "period_end"]].dropna().merge(
        financials[["obligor_id", "period_end", "total_debt"]], on=["obligor_id", "period_end"], how="left")
    debt = used.set_index("obligor_id")["total_debt"].reindex(out.index)
    out["share_of_debt"] = (out["drawn"] / debt.where(debt > 0)).clip(upper=1.0)
    return out.reset_index()


def profitability_table(profitability: pd.DataFrame, obligor_id: str) -> pd.DataFrame:
    """One client's figures as a reader wants them (one row per figure)."""
    row = profitability[profitability["obligor_id"] == obligor_id]
    if row.empty:
        return pd.DataFrame({"value": ["no live facility at the as-of"]}, index=pd.Index(["facilities"], name="figure"))
    r = row.iloc[0]
    items = [("live facilities", fmt.integer(r["facilities"])), ("EAD (EUR m)", fmt.eur_m(r["ead"])),
             ("revenue (EUR m a year)", fmt.eur_m(r["revenue"])), ("expected loss (EUR m a year)", fmt.eur_m(r["el"])),
             ("IRB capital (EUR m)", fmt.eur_m(r["capital"])), ("RAROC at booked spreads", fmt.percent(r["raroc"])),
             ("RAROC less the hurdle", fmt.percent(r["raroc_vs_hurdle"])),
             ("bank's share of the client's debt", fmt.percent(r["share_of_debt"]))]
    return pd.DataFrame({"value": [v for _, v in items]}, index=pd.Index([k for k, _ in items], name="figure"))
