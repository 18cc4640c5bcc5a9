"""Tables for people in the pricing report: display-ready copies of what it shows.

Spreads in whole basis points, amounts in EUR m with one decimal, PDs, LGDs, risk weights,
acceptance probabilities and RAROC as percentages, counts as whole numbers, dates as dates; the
unit is in every header. Built with ``workbench.features.display`` (numbers through
``workbench.format``). The numeric frames stay what is logged (the full grid is the run's
``price_grid`` Parquet / CSV output); these are what the notebook shows. ``PricingGrid`` and
``PriceResponseModel`` have their own ``display_table`` methods built from the same pieces.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .. import format as fmt
from ..format import bps, date, display_frame, eur_m, pd_percent, yes_no
from ..reference import metrics

__all__ = ["display_grade_pd", "floor_by_grade_and_tenor", "quotes_summary", "display_raroc_summary",
           "display_pricing_metrics", "tenor"]


def tenor(value) -> str:
    """A tenor in years: ``5.0`` -> ``"5y"``, ``2.5`` -> ``"2.5y"``."""
    return "n/a" if pd.isna(value) else f"{float(value):g}y"


def display_grade_pd(grade_pd: pd.DataFrame) -> pd.DataFrame:
    """``grade_pd_table``: each performing grade and the PD it is priced at."""
    return display_frame(grade_pd.set_index("grade"), {"pd": ("PD priced", pd_percent)})


def floor_by_grade_and_tenor(floor: pd.DataFrame, collateral_type: str = "none") -> pd.DataFrame:
    """The hurdle floor spread over funding (bps) of one collateral type: grades down, tenor
    buckets across."""
    part = floor[floor["collateral_type"] == collateral_type]
    if part.empty:
        raise ValueError(f"no floor cells for collateral {collateral_type!r} "
                         f"(known: {', '.join(sorted(set(floor['collateral_type'])))})")
    mat = part.pivot(index="grade", columns="tenor_years", values="floor_spread_bps").sort_index()
    out = pd.DataFrame({f"{tenor(t)} (bps)": mat[t].map(bps) for t in mat.columns}, index=mat.index)
    out.columns.name = "tenor"
    return out


def _share(series: pd.Series) -> str:
    """The most frequent value and its share; empty for an identifier (no value repeats)."""
    counts = series.value_counts(dropna=True)
    if counts.empty or counts.iloc[0] == 1:
        return ""
    return f"{counts.index[0]} ({fmt.percent(counts.iloc[0] / counts.sum(), 0)})"


def _years(value) -> str:
    return "n/a" if pd.isna(value) else f"{float(value):,.1f}"


def quotes_summary(quotes: pd.DataFrame) -> pd.DataFrame:
    """One row per column of the quotes the response model is fitted on: values present, then
    for numbers the minimum, median and maximum (spreads in bps, tenors and relationship length
    in years), for dates the first, median and last day, for codes the number of distinct
    values and the most frequent with its share (``accepted``: the share accepted)."""
    labels = {"spread_bps": ("spread (bps)", bps), "tenor_years": ("tenor (years)", _years),
              "relationship_years": ("relationship (years)", _years), "grade": ("grade", fmt.integer)}
    rows = []
    for column in quotes.columns:
        s = quotes[column]
        label, show = labels.get(column, (column, fmt.number))
        row = {"column": label, "values": fmt.integer(s.notna().sum()),
               "distinct": "", "min": "", "median": "", "max": "", "most frequent": ""}
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            row.update({"min": date(s.min()), "median": date(s.quantile(0.5)), "max": date(s.max())})
        elif pd.api.types.is_bool_dtype(s.dtype):
            row.update({"distinct": fmt.integer(s.nunique()), "most frequent": f"true ({fmt.percent(s.mean(), 0)})"})
        elif pd.api.types.is_numeric_dtype(s.dtype):
            row.update({"min": show(s.min()), "median": show(s.median()), "max": show(s.max())})
        else:
            row.update({"distinct": fmt.integer(s.nunique()), "most frequent": _share(s)})
        rows.append(row)
    return pd.DataFrame(rows).set_index("column")


def display_raroc_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """``raroc_summary``: facilities, EAD and capital (EUR m), the capital-weighted RAROC today
    and under the grid, the mean spread change (bps) and the share of facilities below the
    hurdle today."""
    return display_frame(summary, {
        "facilities": ("facilities", fmt.integer), "ead": ("EAD (EUR m)", eur_m),
        "capital": ("capital (EUR m)", eur_m), "raroc_today": ("RAROC today", fmt.percent),
        "raroc_grid": ("RAROC under the grid", fmt.percent),
        "mean_spread_change_bps": ("mean spread change (bps)", lambda v: f"{float(v):+,.0f}"),
        "share_below_hurdle_today": ("below the hurdle today", fmt.percent),
    })


_METRIC_ROWS = {
    metrics.GRID_MONOTONE_IN_GRADE: ("grid monotone in grade", yes_no),
    metrics.GRID_FLOOR_RESPECTED: ("every cell at or above its floor", yes_no),
    metrics.GRID_CELLS: ("grid cells", fmt.integer),
    metrics.GRID_MEAN_FLOOR_SPREAD_BPS: ("mean floor spread (bps)", bps),
    metrics.GRID_MEAN_RECOMMENDED_SPREAD_BPS: ("mean recommended spread (bps)", bps),
    metrics.GRID_SHARE_FLOOR_BINDS: ("cells priced at the floor", fmt.percent),
    metrics.PORTFOLIO_FACILITIES: ("live facilities priced", fmt.integer),
    metrics.PORTFOLIO_RAROC_TODAY: ("portfolio RAROC today (capital-weighted)", fmt.percent),
    metrics.PORTFOLIO_RAROC_GRID: ("portfolio RAROC under the grid", fmt.percent),
}


def display_pricing_metrics(values: Mapping[str, float]) -> pd.DataFrame:
    """``pricing_metrics`` as a reader reads it: each figure in words with its unit, the metric
    name it is logged under beside it."""
    rows = [(label, formatter(values[name]), name) for name, (label, formatter) in _METRIC_ROWS.items()
            if name in values]
    rows += [(name, fmt.metric(name, v), name) for name, v in values.items() if name not in _METRIC_ROWS]
    return pd.DataFrame(rows, columns=["figure", "value", "logged as"]).set_index("figure")
