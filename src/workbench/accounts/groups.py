"""Groups of connected clients, the large-exposure check against eligible capital, and concentration.

**Connected clients.** Obligors sharing a ``group_id`` in the obligors table form a group of
connected clients (CRR art. 4(1)(39): control or economic dependence); an obligor without a
``group_id`` is its own single-name "group" (key: its obligor_id). ``group_exposures`` sums the
members' exposure and shows the worst grade and alerts of any member: a group is as weak as its
weakest member, since trouble at one spreads through the group's funding.

**Large exposures** (CRR Part Four). The exposure value of a client or group (art. 389/390: assets
and off-balance-sheet items, summed over connected clients) is the committed limit,
``exposure_value`` of ``accounts.exposure.obligor_exposure`` (max(limit, drawn) per facility, no
conversion factor, no credit-risk mitigation: conservative). Against the institution's eligible
capital (Tier 1 since CRR2, art. 4(1)(71)):

- above 10 %: a large exposure, reported (art. 392);
- above ``warning_share`` (20 % by default): near the limit, a desk warning before it binds;
- above 25 %: a breach (art. 395(1): the exposure "shall not exceed" 25 %, so exactly 25 % is
  still allowed and counts as near the limit, with zero headroom).

**Concentration.** ``concentration`` gives the top exposures and the Herfindahl-Hirschman index of
exposure shares, HHI = sum of w_i^2 (1 / n for n equal exposures, 1 for a single one). The portfolio
package owns it (``workbench.portfolio.concentration``, with the group and industry HHIs and the
granularity adjustment); it is re-exported here for the monitoring report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from .. import format as fmt
from ..params import StrictModel
from ..portfolio.concentration import Concentration, concentration
from ..reference.codes import ALERT_LEVELS

__all__ = ["LargeExposureParams", "ALERT_LEVELS", "STATUSES", "group_key", "group_exposures", "large_exposures",
           "large_exposures_table", "Concentration", "concentration"]

#: Alert levels from best to worst.

#: Large-exposure statuses from best to worst.
STATUSES = ("within", "above reporting threshold", "near limit", "breach")


class LargeExposureParams(StrictModel):
    """The institution's eligible capital and the large-exposure thresholds as shares of it."""

    eligible_capital_eur_m: float = Field(
        15_000.0, gt=0,
        description="Eligible capital (Tier 1, CRR art. 4(1)(71)) in EUR m. Default sized for the synthetic "
                    "portfolio (5,000 obligors: about EUR 460bn committed at the last month end): 3.3 % of the "
                    "committed book, in the range a bank's Tier 1 leverage ratio puts it (3 % minimum, CRR "
                    "art. 92(1)(d)), so the largest names come near the 25 % limit and one breaches it")
    limit_share: float = Field(0.25, gt=0, le=1, description="Large-exposure limit per client or group of "
                               "connected clients, share of eligible capital (CRR art. 395(1))")
    warning_share: float = Field(0.20, gt=0, le=1, description="Desk warning: near the limit from this share on "
                                 "(internal early warning, leaves room for a new deal before the limit binds)")
    reporting_share: float = Field(0.10, gt=0, le=1, description="Large exposure to be reported from this share "
                                   "on (CRR art. 392)")

    @model_validator(mode="after")
    def _ordered(self) -> "LargeExposureParams":
        if not self.reporting_share <= self.warning_share <= self.limit_share:
            raise ValueError(f"need reporting_share ({self.reporting_share}) <= warning_share ({self.warning_share}) "
                             f"<= limit_share ({self.limit_share})")
        return self


def _need(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{name} lack(s) column(s) {', '.join(missing)}")


def group_key(obligors: pd.DataFrame, obligor_ids: pd.Series) -> pd.DataFrame:
    """Per obligor id: ``group`` (its group_id, or its own id without one) and ``kind`` ("group" /
    "single name"). Ids not in ``obligors`` raise a KeyError naming them."""
    _need(obligors, ("obligor_id", "group_id"), "obligors")
    gid = obligors.set_index("obligor_id")["group_id"]
    unknown = sorted(set(obligor_ids) - set(gid.index))
    if unknown:
        raise KeyError(f"obligor(s) {unknown[:5]} are not in the obligors table")
    g = obligor_ids.map(gid)
    grouped = g.notna() & (g.astype(str).str.len() > 0)
    return pd.DataFrame({"obligor_id": obligor_ids.to_numpy(),
                         "group": np.where(grouped, g.astype(str), obligor_ids.astype(str)),
                         "kind": np.where(grouped, "group", "single name")})


def _aggregate(obligors: pd.DataFrame, exposures: pd.DataFrame) -> pd.DataFrame:
    _need(exposures, ("obligor_id", "exposure_value", "ead"), "exposures")
    dup = exposures.loc[exposures["obligor_id"].duplicated(), "obligor_id"]
    if len(dup):
        raise ValueError(f"exposures have more than one row for obligor(s) {sorted(set(dup))[:5]}")
    keys = group_key(obligors, exposures["obligor_id"])
    return exposures.merge(keys, on="obligor_id", how="left")


def group_exposures(obligors: pd.DataFrame, exposures: pd.DataFrame, grades: pd.DataFrame,
                    alerts: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per group of connected clients (and per single name), largest exposure first.

    ``exposures``: ``obligor_exposure`` (obligor_id, exposure_value, ead; limit and drawn summed
    too when present). ``grades``: obligor_id, grade (int, 1 best). ``alerts`` (optional): obligor_id,
    level (green / amber / red).

    Columns: group, kind, members (obligors with exposure), member_ids, exposure_value, ead, limit,
    drawn, worst_grade (NaN when no member is graded), members_amber_red, worst_alert ("none" without
    alerts for any member).
    """
    df = _aggregate(obligors, exposures)
    _need(grades, ("obligor_id", "grade"), "grades")
    df["grade"] = df["obligor_id"].map(grades.drop_duplicates("obligor_id").set_index("obligor_id")["grade"])
    df["grade"] = pd.to_numeric(df["grade"], errors="coerce")
    if alerts is not None and len(alerts):
        _need(alerts, ("obligor_id", "level"), "alerts")
        bad = sorted(set(alerts["level"]) - set(ALERT_LEVELS))
        if bad:
            raise ValueError(f"alerts have unknown level(s) {bad} (known: {', '.join(ALERT_LEVELS)})")
        rank = alerts.assign(r=alerts["level"].map({lvl: i for i, lvl in enumerate(ALERT_LEVELS)}))
        df["alert_rank"] = df["obligor_id"].map(rank.groupby("obligor_id")["r"].max())
    else:
        df["alert_rank"] = np.nan
    df["amber_red"] = (df["alert_rank"] >= 1).astype(int)
    g = df.sort_values("obligor_id").groupby("group", sort=False)
    out = pd.DataFrame({
        "kind": g["kind"].first(),
        "members": g.size(),
        "member_ids": g["obligor_id"].agg(", ".join),
        "exposure_value": g["exposure_value"].sum(),
        "ead": g["ead"].sum(),
    })
    for col in ("limit", "drawn"):
        if col in df.columns:
            out[col] = g[col].sum()
    out["worst_grade"] = g["grade"].max()
    out["members_amber_red"] = g["amber_red"].sum().astype(int)
    worst = g["alert_rank"].max()
    out["worst_alert"] = worst.map(lambda r: "none" if pd.isna(r) else ALERT_LEVELS[int(r)])
    out.index.name = "group"
    return out.sort_values(["exposure_value", "members"], ascending=False).reset_index()


def large_exposures(obligors: pd.DataFrame, exposures: pd.DataFrame,
                    params: LargeExposureParams | None = None) -> pd.DataFrame:
    """The large-exposure check of every group of connected clients and every single name.

    Columns: group, kind, members, exposure_value (EUR m), share_of_capital, limit_eur_m (limit share x
    eligible capital), headroom_eur_m (limit - exposure; negative in breach), status (``STATUSES``:
    within / above reporting threshold / near limit / breach), sorted by share, largest first. The
    thresholds compare amounts (exposure against share x capital): exactly at the limit is "near
    limit", not a breach (CRR art. 395(1): shall not *exceed*).
    """
    params = params or LargeExposureParams()
    df = _aggregate(obligors, exposures)
    g = df.groupby("group")
    out = pd.DataFrame({"kind": g["kind"].first(), "members": g.size(), "exposure_value": g["exposure_value"].sum()})
    capital = params.eligible_capital_eur_m
    out["share_of_capital"] = out["exposure_value"] / capital
    out["limit_eur_m"] = params.limit_share * capital
    out["headroom_eur_m"] = out["limit_eur_m"] - out["exposure_value"]
    x = out["exposure_value"].to_numpy()
    # A relative tolerance so that an exposure of exactly 25 % is not a breach through rounding.
    tol = 1e-9 * capital
    out["status"] = np.select(
        [x > params.limit_share * capital + tol, x >= params.warning_share * capital - tol,
         x >= params.reporting_share * capital - tol],
        ["breach", "near limit", "above reporting threshold"], "within")
    out.index.name = "group"
    return out.sort_values(["share_of_capital", "members"], ascending=False).reset_index()


def large_exposures_table(large: pd.DataFrame, statuses: tuple[str, ...] = STATUSES[1:]) -> pd.DataFrame:
    """Display of ``large_exposures``: only rows with one of ``statuses`` (default: the reportable ones)."""
    part = large[large["status"].isin(statuses)].set_index("group")
    return fmt.display_frame(part, {
        "kind": ("kind", fmt.text), "members": ("members", fmt.integer),
        "exposure_value": ("exposure value (EUR m)", fmt.eur_m), "share_of_capital": ("share of capital", fmt.percent),
        "limit_eur_m": ("limit (EUR m)", fmt.eur_m), "headroom_eur_m": ("headroom (EUR m)", fmt.eur_m),
        "status": ("status", fmt.text)})
