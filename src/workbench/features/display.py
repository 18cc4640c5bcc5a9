"""Tables for people: display-ready copies of the frames the notebooks show.

Every function here returns a new DataFrame of *strings*, for display only: the columns a
reader needs (in reading order), headers that carry their unit (``"default rate"``,
``"EUR m"``, ``"bps"``), counts as whole numbers, shares and rates as percentages, dates as
dates (never to the nanosecond) and everything else to 4 significant digits (the rules of
``workbench.format``, which formats every number). The frames that are logged as artifacts
stay numeric; these are what a notebook shows beside them.

The builder and the formatters (``display_frame``, ``date``, ``eur_m``, ...) and ``params_table``
live in ``workbench.format``; here are the feature report's tables (``display_*``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import format as fmt
from ..format import (  # noqa: F401 - the formatters the feature tables use
    NBSP,
    Formatter,
    _missing,
    bps,
    date,
    display_frame,
    eur_m,
    multiple,
    params_table,
    pd_percent,
    signed,
    text,
    yes_no,
)

__all__ = [
    "display_validation_summary", "display_panel_summary", "display_default_rates", "display_dictionary",
    "display_correlation_pairs", "display_missing", "display_profile",
]

# --------------------------------------------------------------------------- the feature report


def display_validation_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """``validation_summary``: rows, columns and obligors as counts, the date range as dates,
    the missing cells as a percentage."""
    return display_frame(summary, {
        "rows": ("rows", fmt.integer), "columns": ("columns", fmt.integer), "obligors": ("obligors", fmt.integer),
        "date_column": ("date column", text), "first_date": ("first date", date), "last_date": ("last date", date),
        "missing_share": ("missing cells", fmt.percent),
    })


def display_panel_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """``summarise_panel``: rows, obligors and defaults per split, the default rate as a
    percentage, the first and last observation date."""
    return display_frame(summary, {
        "rows": ("rows", fmt.integer), "obligors": ("obligors", fmt.integer), "defaults": ("defaults", fmt.integer),
        "default_rate": ("default rate", fmt.percent), "first_obs": ("first observation", date),
        "last_obs": ("last observation", date),
    })


def display_default_rates(rates: pd.DataFrame) -> pd.DataFrame:
    """``default_rate_by_year``: one row per observation year and split."""
    out = display_frame(rates, {
        "year": ("year", str), "split": ("split", text), "rows": ("rows", fmt.integer),
        "defaults": ("defaults", fmt.integer), "default_rate": ("default rate", fmt.percent),
    })
    return out.set_index(["year", "split"])


def _direction(value: Any) -> str:
    return {1: "+1 (riskier when higher)", -1: "-1 (safer when higher)"}.get(int(value), "none")


def display_dictionary(dictionary: pd.DataFrame) -> pd.DataFrame:
    """``feature_dictionary``: every column with its group, role (``obligor`` features can be
    reasons; ``macro`` and ``meta`` ones are shown as context), description, formula, unit,
    expected direction with PD and reason-code wording, in full."""
    return display_frame(dictionary, {
        "group": ("group", text), "role": ("role", text), "description": ("description", text),
        "formula": ("formula", text), "unit": ("unit", text), "direction": ("direction with PD", _direction),
        "label": ("reason-code wording", text),
    }, index=("feature", str))


def display_correlation_pairs(pairs: pd.DataFrame, top: int = 20) -> pd.DataFrame:
    """``high_correlation_pairs``: the ``top`` most correlated pairs with the correlation and
    the rows both features have."""
    out = display_frame(pairs.head(top), {
        "feature_a": ("feature", text), "feature_b": ("correlated with", text), "corr": ("correlation", fmt.number),
        "n_obs": ("rows with both", fmt.integer),
    })
    return out.reset_index(drop=True).rename(index=lambda i: i + 1).rename_axis("#")


def display_missing(missing: pd.DataFrame, top: int = 25) -> pd.DataFrame:
    """``missing_report``: the ``top`` features with most missing values, the share missing
    overall and per split as percentages."""
    part = missing.head(top)
    out = display_frame(part, {c: (f"missing, {c}" if c != "overall" else "missing overall", fmt.percent)
                               for c in part.columns})
    out.columns.name = None
    return out


def _profile_number(value: Any) -> str:
    """A statistic of a numeric column; empty for the other columns (which have none)."""
    return "" if _missing(value) else fmt.number(value)


def _top_value(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return date(value)
    return text(value)


def display_profile(profile: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """``data_profile``: per column its type, count and missing share, distinct values, the
    statistics of numeric columns to 4 significant digits and the most frequent value of the
    others (dates as dates). ``top``: the first ``top`` columns only."""
    part = profile if top is None else profile.head(top)
    return display_frame(part, {
        "dtype": ("type", text), "count": ("values", fmt.integer), "missing_share": ("missing", fmt.percent),
        "n_unique": ("distinct", fmt.integer),
        **{c: (c, _profile_number) for c in ("mean", "std", "min", "p01", "p50", "p99", "max")},
        "n_inf": ("infinite", lambda v: "" if _missing(v) else fmt.integer(v)), "top": ("most frequent", _top_value),
    })
