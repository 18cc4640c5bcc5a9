"""Numbers for people: how reports, CLI tables and run descriptions show a figure.

MLflow keeps every figure at full precision; what a reader sees is formatted here, once:
integers as integers with thousands separators, shares and rates as percentages, everything
else to 4 significant digits. ``metric`` picks the form from a metric's name (``oot/auc``,
``oot/default_rate``, ``train/rows``, ...). Imports no other part of the workbench.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["integer", "percent", "number", "metric", "metrics_line", "is_count_metric", "is_rate_metric"]

# Figures that are counts, whatever their stored type (MLflow stores every metric as a float).
_COUNT_WORDS = ("rows", "obligors", "defaults", "cells", "facilities", "grades", "trials", "number", "n_runs")
# Yes/no figures logged as 1 / 0.
_FLAG_WORDS = ("passed", "feasible", "respected", "monotone", "binds", "tuned")
# Figures that are shares or rates of something, shown as percentages.
_RATE_WORDS = ("rate", "share", "raroc", "wacc", "coverage", "haircut", "same_grade", "within_one_notch",
               "better_grade", "worse_grade")


def _finite(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def integer(value: Any) -> str:
    """``12345.0`` -> ``"12,345"``; NaN / None -> ``"n/a"``."""
    x = _finite(value)
    return "n/a" if x is None else f"{round(x):,d}"


def percent(value: Any, digits: int = 2) -> str:
    """``0.0298`` -> ``"2.98 %"``."""
    x = _finite(value)
    return "n/a" if x is None else f"{100 * x:.{digits}f} %"


def number(value: Any, significant: int = 4) -> str:
    """4 significant digits, thousands separators from 1,000 on, no exponent for ordinary sizes."""
    x = _finite(value)
    if x is None:
        return "n/a"
    if x == 0:
        return "0"
    if abs(x) >= 10 ** significant:
        return f"{x:,.0f}"
    if abs(x) < 1e-4:
        return f"{x:.{significant - 1}e}"
    decimals = max(significant - 1 - int(math.floor(math.log10(abs(x)))), 0)
    return f"{x:,.{decimals}f}"


def _figure(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def is_count_metric(name: str) -> bool:
    """Counts and yes/no flags (1 / 0): shown as whole numbers."""
    figure = _figure(name)
    words = (*_COUNT_WORDS, *_FLAG_WORDS)
    return figure in words or any(figure.endswith(f"_{w}") or figure.startswith(f"{w}_") for w in words)


def is_rate_metric(name: str) -> bool:
    figure = _figure(name)
    return any(w in figure for w in _RATE_WORDS) and not figure.startswith("mean_pd_over")


def metric(name: str, value: Any) -> str:
    """A logged metric as a reader should see it, by what its name says it is."""
    if is_count_metric(name):
        return integer(value)
    if is_rate_metric(name):
        return percent(value)
    return number(value)


def metrics_line(values: dict[str, Any], names: tuple[str, ...] | list[str] | None = None) -> str:
    """``"oot/auc 0.8868  oot/brier 0.02559"`` for the chosen names present in ``values``."""
    chosen = list(values) if names is None else [n for n in names if n in values]
    return "  ".join(f"{n} {metric(n, values[n])}" for n in chosen)
