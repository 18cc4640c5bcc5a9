"""The point-in-time modelling panel: one row per obligor x observation date.

An observation date is the month end at which a statement becomes usable: its
period end plus the reporting lag, or its reported date if that is later. Each
row uses only what the bank had on that date:

* the newest statement usable then (reported, and at least the reporting lag after
  its period end), and revenue growth against the newest earlier one usable then;
* behaviour of the months up to and including the observation month;
* macro and industry indices of the observation month.

The target ``default_12m`` is a default in the ``horizon_months`` after the
observation date. Rows of obligors already in default, rows before the
relationship starts, and rows whose outcome window runs past the data are
dropped. ``split`` is by observation date (train / valid / oot).
"""

from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..config import BuildFeaturesParams
from .ratios import compute_ratios

__all__ = ["ID_COLUMNS", "INPUT_TABLES", "build_panel", "feature_columns", "summarise_panel", "panel_metrics",
           "plot_default_rate_by_obs_date"]

ID_COLUMNS = ("obligor_id", "obs_date", "period_end", "industry", "segment", "split", "default_12m")
# What the panel reads; never `truth`, which only tests and benchmarks may look at.
INPUT_TABLES = ("obligors", "financials", "behaviour", "defaults", "macro")


def _statement_features(fin: pd.DataFrame, lag: pd.Timedelta) -> pd.DataFrame:
    """Ratios of every statement plus when it became usable."""
    fin = fin.sort_values(["obligor_id", "period_end"], kind="stable").reset_index(drop=True)
    feats = compute_ratios(fin)
    feats["audited"] = fin["audited"].astype(np.int8)
    feats.insert(0, "obligor_id", fin["obligor_id"])
    feats.insert(1, "period_end", fin["period_end"])
    # Usable once reported *and* the policy lag has passed: whichever is later.
    feats.insert(2, "available_date", np.maximum(fin["reported_date"], fin["period_end"] + lag))
    feats["revenue"] = fin["revenue"].astype(float)
    return feats


def _statements_as_of(stm: pd.DataFrame) -> pd.DataFrame:
    """Per obligor and observation date: the newest statement usable then, and revenue growth
    against the newest *earlier* statement usable then (a late-arriving old statement never
    replaces a newer one, and a statement not yet usable never enters the growth)."""
    obs = stm[["obligor_id", "available_date"]].copy()
    obs["obs_date"] = obs["available_date"] + pd.offsets.MonthEnd(0)
    obs = obs[["obligor_id", "obs_date"]].drop_duplicates()
    pairs = obs.merge(stm[["obligor_id", "period_end", "available_date", "revenue"]], on="obligor_id")
    pairs = pairs[pairs["available_date"] <= pairs["obs_date"]]
    pairs = pairs.sort_values(["obligor_id", "obs_date", "period_end"], kind="stable")
    g = pairs.groupby(["obligor_id", "obs_date"], sort=False)
    latest = g.tail(1).set_index(["obligor_id", "obs_date"])
    earlier = g.nth(-2).set_index(["obligor_id", "obs_date"]).reindex(latest.index)
    yearly = (latest["period_end"] - earlier["period_end"]).dt.days.between(300, 430)
    growth = latest["revenue"] / earlier["revenue"].where(earlier["revenue"] > 0) - 1
    current = latest[["period_end"]].assign(revenue_growth=growth.where(yearly)).reset_index()
    return current.merge(stm.drop(columns=["available_date", "revenue"]), on=["obligor_id", "period_end"])


def _behaviour_features(beh: pd.DataFrame) -> pd.DataFrame:
    beh = beh.sort_values(["obligor_id", "month_end"], kind="stable").reset_index(drop=True)
    g = beh.groupby("obligor_id", sort=False)
    out = beh[["obligor_id", "month_end"]].copy()
    dpd = beh["days_past_due"].astype(float)
    out["dpd_max_3m"] = g["days_past_due"].rolling(3, min_periods=1).max().to_numpy()
    out["dpd_max_12m"] = g["days_past_due"].rolling(12, min_periods=1).max().to_numpy()
    out["months_dpd30_12m"] = (dpd.ge(30).astype(float).groupby(beh["obligor_id"], sort=False)
                               .rolling(12, min_periods=1).sum().to_numpy())
    out["utilisation"] = beh["utilisation"].to_numpy()
    out["utilisation_mean_3m"] = g["utilisation"].rolling(3, min_periods=1).mean().to_numpy()
    out["covenant_breaches_12m"] = (beh["covenant_breach"].astype(float).groupby(beh["obligor_id"], sort=False)
                                    .rolling(12, min_periods=1).sum().to_numpy())
    return out


def _macro_features(macro: pd.DataFrame) -> pd.DataFrame:
    macro = macro.sort_values("month_end").reset_index(drop=True)
    idx_cols = [c for c in macro.columns if c.startswith("idx_")]
    yoy = macro[idx_cols] / macro[idx_cols].shift(12) - 1
    long = yoy.assign(month_end=macro["month_end"]).melt(id_vars="month_end", var_name="industry",
                                                           value_name="industry_index_yoy")
    long["industry"] = long["industry"].str.removeprefix("idx_")
    return long.merge(macro[["month_end", "gdp_growth", "policy_rate"]], on="month_end")


def build_panel(tables: Mapping[str, pd.DataFrame], params: BuildFeaturesParams) -> pd.DataFrame:
    """Point-in-time panel with features, ``default_12m`` and ``split`` (see module docstring)."""
    missing = [t for t in INPUT_TABLES if t not in tables]
    if missing:
        raise KeyError(f"build_panel needs tables {', '.join(missing)}")
    lag = pd.Timedelta(days=params.reporting_lag_days)
    fin, beh = tables["financials"], tables["behaviour"]
    obl, dft = tables["obligors"], tables["defaults"]

    panel = _statements_as_of(_statement_features(fin, lag))
    panel["statement_age_days"] = (panel["obs_date"] - panel["period_end"]).dt.days.astype(float)

    # Only months in which the obligor is a performing client have a behaviour row.
    panel = panel.merge(_behaviour_features(beh), left_on=["obligor_id", "obs_date"],
                        right_on=["obligor_id", "month_end"], how="inner").drop(columns="month_end")
    panel = panel.merge(obl[["obligor_id", "industry", "segment", "relationship_start"]], on="obligor_id", how="left")
    panel = panel.merge(_macro_features(tables["macro"]), left_on=["obs_date", "industry"],
                        right_on=["month_end", "industry"], how="left").drop(columns="month_end")
    panel["relationship_years"] = (panel["obs_date"] - panel["relationship_start"]).dt.days / 365.25
    panel["project_finance"] = (panel["segment"] == "project_finance").astype(np.int8)
    panel = panel.drop(columns="relationship_start")

    default_date = panel["obligor_id"].map(dft.set_index("obligor_id")["default_date"])
    horizon_end = panel["obs_date"] + pd.offsets.MonthEnd(params.horizon_months)
    data_end = beh["month_end"].max()
    keep = (default_date.isna() | (default_date > panel["obs_date"])) & (horizon_end <= data_end)
    panel = panel[keep].copy()
    default_date = default_date[keep]
    panel["default_12m"] = (default_date.notna() & (default_date <= horizon_end[keep])).astype(np.int8)
    panel["split"] = np.select(
        [panel["obs_date"] <= pd.Timestamp(params.split.train_end),
         panel["obs_date"] <= pd.Timestamp(params.split.valid_end)],
        ["train", "valid"], "oot")

    front = list(ID_COLUMNS)
    panel = panel[front + [c for c in panel.columns if c not in front]]
    return panel.sort_values(["obs_date", "obligor_id"], kind="stable").reset_index(drop=True)


def feature_columns(panel: pd.DataFrame) -> list[str]:
    """Numeric model inputs: everything but identifiers, target and split."""
    return [c for c in panel.columns if c not in ID_COLUMNS and pd.api.types.is_numeric_dtype(panel[c])]


def summarise_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """Rows, obligors, defaults and default rate per split, in time order."""
    g = panel.groupby("split", sort=False)
    summary = pd.DataFrame({
        "rows": g.size(),
        "obligors": g["obligor_id"].nunique(),
        "defaults": g["default_12m"].sum(),
        "default_rate": g["default_12m"].mean(),
        "first_obs": g["obs_date"].min(),
        "last_obs": g["obs_date"].max(),
    })
    return summary.reindex([s for s in ("train", "valid", "oot") if s in summary.index])


def panel_metrics(summary: pd.DataFrame) -> dict[str, float]:
    """``{"train/rows": ..., "oot/default_rate": ...}`` from ``summarise_panel``, as logged to MLflow."""
    out: dict[str, float] = {}
    for split, row in summary.iterrows():
        for name in ("rows", "obligors", "defaults", "default_rate"):
            out[f"{split}/{name}"] = float(row[name])
    return out


def plot_default_rate_by_obs_date(panel: pd.DataFrame) -> Figure:
    """Observed 12-month default rate and row count per observation year, coloured by split."""
    by_year = (panel.assign(year=panel["obs_date"].dt.year)
               .groupby(["year", "split"], sort=True)["default_12m"].agg(["mean", "size"]).reset_index())
    colours = {"train": "tab:blue", "valid": "tab:orange", "oot": "tab:green"}
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for split, part in by_year.groupby("split", sort=False):
        ax.bar(part["year"].astype(str), 100 * part["mean"],
               color=colours.get(split, "grey"), label=split)
    ax.set_ylabel("default rate within 12 months (%)")
    ax.set_xlabel("observation year")
    ax.set_title("Observed default rate by observation year")
    ax.legend()
    fig.tight_layout()
    plt.close(fig)
    return fig
