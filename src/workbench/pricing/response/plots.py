"""The price-response figure: acceptance against spread, one line per grade, with observed rates."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ...reference import NO_COLLATERAL
from .model import PriceResponseModel

__all__ = ["plot_acceptance_curves"]


def plot_acceptance_curves(model: PriceResponseModel, grades: Sequence[int] = (2, 5, 8), tenor: float = 5,
                           collateral: str = NO_COLLATERAL, tier: str = "B", relationship_years: float = 5,
                           spreads: Sequence[float] | np.ndarray | None = None,
                           quotes: pd.DataFrame | None = None, n_bins: int = 8, min_bin_quotes: int = 10) -> Figure:
    """Acceptance probability against spread, one line per grade, for one tenor/collateral/tier/relationship.

    With ``quotes`` (``quote_features`` output), the observed acceptance rate per spread bin (quantile
    bins, at least ``min_bin_quotes`` quotes each) of that grade and collateral is marked; those quotes
    span all tenors, tiers and relationship lengths, so the markers are a sanity check, not a fit.
    The figure is closed for pyplot (never shown), ready to display or save.
    """
    fig, ax = plt.subplots(figsize=(7.5, 4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, g in enumerate(grades):
        color = colors[i % len(colors)]
        curve = model.acceptance_curve(g, tenor, collateral, tier, relationship_years, spreads)
        ax.plot(curve["spread_bps"], curve["acceptance_probability"], color=color, label=f"grade {g}")
        if quotes is None:
            continue
        sub = quotes[(quotes["grade"].astype(int) == int(g)) & (quotes["collateral_type"].astype(str) == collateral)]
        if len(sub) < min_bin_quotes:
            continue
        bins = pd.qcut(sub["spread_bps"], q=min(n_bins, max(1, len(sub) // min_bin_quotes)), duplicates="drop")
        obs = sub.groupby(bins, observed=True).agg(spread=("spread_bps", "mean"), rate=("accepted", "mean"),
                                                   n=("accepted", "size"))
        obs = obs[obs["n"] >= min_bin_quotes]
        ax.scatter(obs["spread"], obs["rate"], color=color, marker="o", s=22, alpha=0.8,
                   label=f"observed, grade {g} ({collateral}, all tenors/tiers)")
    ax.set_xlabel("offered spread (bps)")
    ax.set_ylabel("acceptance probability")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"Price response: tenor {tenor:g}y, collateral {collateral}, tier {tier}, "
                 f"relationship {relationship_years:g}y")
    ax.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    plt.close(fig)
    return fig
