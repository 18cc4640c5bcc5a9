"""The point-in-time modelling panel: one row per obligor x observation date.

``build_panel(tables, params)`` checks the tables and runs one of two engines over the
shared code of ``assembly`` (where the rules of a row are documented): pandas in obligor
blocks (``engine_pandas``, the default) or Dask partitions (``engine_dask``). Both give
the same panel. Also here: the per-split summary and its metrics, and a figure.
"""

from __future__ import annotations

from typing import Literal, Mapping

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ..reference import SPLITS, metrics
from .assembly import check_tables
from .engine_pandas import build_panel_pandas
from .params import PanelParams

__all__ = ["build_panel", "summarise_panel", "panel_metrics", "plot_default_rate_by_obs_date"]

#: What ``panel_metrics`` logs per split.
PANEL_FIGURES = ("rows", "obligors", "defaults", "default_rate")


def build_panel(tables: Mapping[str, pd.DataFrame], params: PanelParams,
                *, engine: Literal["pandas", "dask"] | None = None) -> pd.DataFrame:
    """Point-in-time panel with features, ``default_12m`` and ``split`` (``assembly`` says how).

    ``engine="dask"`` runs the same code on ``dask.dataframe`` partitions (by obligor,
    then by fiscal year) on the active dask scheduler, e.g. a ``distributed.Client``;
    the result equals the pandas one.
    """
    check_tables(tables)
    engine = engine or params.engine
    if engine == "dask":
        from .engine_dask import build_panel_dask

        return build_panel_dask(tables, params)
    if engine != "pandas":
        raise ValueError(f"engine must be 'pandas' or 'dask', got {engine!r}")
    return build_panel_pandas(tables, params)


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
    return summary.reindex([s for s in SPLITS if s in summary.index])


def panel_metrics(summary: pd.DataFrame) -> dict[str, float]:
    """``{"train/rows": ..., "oot/default_rate": ...}`` from ``summarise_panel``, as logged to MLflow."""
    out: dict[str, float] = {}
    for split, row in summary.iterrows():
        for name in PANEL_FIGURES:
            out[metrics.split_metric(str(split), name)] = float(row[name])
    return out


def plot_default_rate_by_obs_date(panel: pd.DataFrame) -> Figure:
    """Observed 12-month default rate and row count per observation year, coloured by split."""
    by_year = (panel.assign(year=panel["obs_date"].dt.year)
               .groupby(["year", "split"], sort=True)["default_12m"].agg(["mean", "size"]).reset_index())
    colours = {"train": "tab:blue", "valid": "tab:orange", "oot": "tab:green"}
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for split, part in by_year.groupby("split", sort=False):
        ax.bar(part["year"].astype(str), 100 * part["mean"], color=colours.get(split, "grey"), label=split)
    ax.set_ylabel("default rate within 12 months (%)")
    ax.set_xlabel("observation year")
    ax.set_title("Observed default rate by observation year")
    ax.legend()
    fig.tight_layout()
    plt.close(fig)
    return fig
