"""Tables for people: display-ready copies of the frames the notebooks show.

Every function here returns a new DataFrame of *strings*, for display only: the columns a
reader needs (in reading order), headers that carry their unit (``"default rate"``,
``"EUR m"``, ``"bps"``), counts as whole numbers, shares and rates as percentages, dates as
dates (never to the nanosecond) and everything else to 4 significant digits (the rules of
``workbench.format``, which formats every number). The frames that are logged as artifacts
stay numeric; these are what a notebook shows beside them.

``display_frame`` is the one builder (a frame and ``{column: (header, formatter)}``); the
formatters beside it (``date``, ``eur_m``, ``bps``, ``multiple``, ``signed``, ``yes_no``,
``text``) complete ``workbench.format`` for tables. ``params_table`` shows a job's validated
params as parameter / value rows instead of a model's repr. The feature report's tables
(``display_*``) follow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from .. import format as fmt

__all__ = [
    "Formatter", "NBSP", "display_frame", "date", "eur_m", "bps", "multiple", "signed", "yes_no", "text", "pd_percent",
    "params_table",
    "display_validation_summary", "display_panel_summary", "display_default_rates", "display_dictionary",
    "display_correlation_pairs", "display_missing", "display_profile",
]

Formatter = Callable[[Any], str]


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays, lists: not a missing scalar
        return False


def date(value: Any) -> str:
    """A timestamp as the day it is: ``2019-11-30`` (``n/a`` when missing)."""
    if _missing(value):
        return "n/a"
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def eur_m(value: Any) -> str:
    """An amount in EUR million, one decimal: ``1219.56`` -> ``"1,219.6"`` (the header says EUR m)."""
    if _missing(value) or not np.isfinite(float(value)):
        return "n/a"
    return f"{float(value):,.1f}"


def bps(value: Any) -> str:
    """Basis points, whole: ``259.32`` -> ``"259"`` (the header says bps)."""
    if _missing(value) or not np.isfinite(float(value)):
        return "n/a"
    return f"{float(value):,.0f}"


def multiple(value: Any) -> str:
    """A cover ratio: ``1.3`` -> ``"1.30x"``."""
    if _missing(value) or not np.isfinite(float(value)):
        return "n/a"
    return f"{float(value):.2f}x"


def signed(value: Any) -> str:
    """A contribution with its sign, 4 significant digits: ``0.41234`` -> ``"+0.4123"``."""
    if _missing(value):
        return "n/a"
    shown = fmt.number(value)
    return shown if shown.startswith("-") or shown in ("0", "n/a") else f"+{shown}"


def yes_no(value: Any) -> str:
    if _missing(value):
        return "n/a"
    return "yes" if bool(value) else "no"


def text(value: Any) -> str:
    """Text as it is; missing as an empty cell."""
    return "" if _missing(value) else str(value)


def pd_percent(value: Any) -> str:
    """A PD as a percentage with three decimals (grade 1's 0.042 % must not read 0.04 %)."""
    return fmt.percent(value, 3)


#: A no-break space: "45.00 %" must not wrap into "45.00" and "%" in a narrow column.
NBSP = "\u00a0"


def _keep_together(shown: str) -> str:
    return shown.replace(" %", NBSP + "%")


def display_frame(frame: pd.DataFrame, columns: Mapping[str, tuple[str, Formatter]], *,
                  index: tuple[str, Formatter] | None = None) -> pd.DataFrame:
    """A display-ready copy of ``frame``: the ``columns`` it has, in the given order, each
    renamed to its header and every value through its formatter (a missing text value is an
    empty cell, a missing number ``n/a``; a number and its ``%`` are joined by a no-break space,
    so a narrow column never wraps between them). ``index``: the index's new name and formatter
    (default: kept as it is)."""
    out = pd.DataFrame({header: [_keep_together(formatter(v)) for v in frame[column].tolist()]
                        for column, (header, formatter) in columns.items() if column in frame.columns},
                       index=frame.index)
    if index is not None:
        name, formatter = index
        out.index = pd.Index([formatter(v) for v in frame.index.tolist()], name=name)
    return out


# --------------------------------------------------------------------------- params


def _param_value(value: Any) -> str:
    if value is None:
        return "(none)"
    if value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.10g}"  # as configured: 0.2, 1,500, 0.0003
    if isinstance(value, int):
        return f"{value:,d}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_param_value(v) for v in value) if value else "(none)"
    return str(value)


def _flatten(obj: Any, prefix: str) -> dict[str, Any]:
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for key, value in obj.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: obj}


def params_table(params: BaseModel, exclude: Iterable[str] = ()) -> pd.DataFrame:
    """A job's validated params as a table: one row per parameter (dotted key, as MLflow logs
    it), with its value as a reader writes it (``yes``/``no``, ``(none)``, lists comma-separated).

    ``exclude``: keys (``admission``) or dotted keys (``financing.channels``) left out, with
    everything under them, because the notebook shows them as their own tables; the last row
    then says so. An excluded key the params do not have raises a KeyError naming it.
    """
    excluded = list(dict.fromkeys(exclude))
    flat = _flatten(params.model_dump(mode="json"), "")

    def under(key: str, prefix: str) -> bool:
        return key == prefix or key.startswith(prefix + ".")

    unknown = [e for e in excluded if not any(under(k, e) for k in flat)]
    if unknown:
        raise KeyError(f"{type(params).__name__} has no parameter(s) {', '.join(unknown)}")
    rows = {key: _param_value(value) for key, value in flat.items() if not any(under(key, e) for e in excluded)}
    if excluded:
        rows[", ".join(excluded)] = "shown in their own tables below"
    return pd.DataFrame({"value": pd.Series(rows, dtype=object)}).rename_axis("parameter")


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
