"""Numbers for people: how reports, CLI tables and run descriptions show a figure.

MLflow keeps every figure at full precision; what a reader sees is formatted here, once:
integers as integers with thousands separators, shares and rates as percentages, everything
else to 4 significant digits. ``metric`` picks the form from a metric's name (``oot/auc``,
``oot/default_rate``, ``train/rows``, ...). For tables: ``display_frame`` (a frame and
``{column: (header, formatter)}``) with the formatters ``date``, ``eur_m``, ``bps``,
``multiple``, ``signed``, ``yes_no``, ``text``, ``pd_percent``; ``params_table`` shows a job's
validated params as parameter / value rows instead of a model's repr.

Imports no other part of the workbench; pandas only when a table is built.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from pydantic import BaseModel

__all__ = ["finite", "integer", "percent", "number", "metric", "metrics_line", "is_count_metric", "is_rate_metric",
           "Formatter", "NBSP", "display_frame", "date", "eur_m", "bps", "multiple", "signed", "yes_no", "text",
           "pd_percent", "params_table"]

# Figures that are counts, whatever their stored type (MLflow stores every metric as a float).
_COUNT_WORDS = ("rows", "obligors", "defaults", "cells", "facilities", "grades", "trials", "number", "n_runs")
# Yes/no figures logged as 1 / 0.
_FLAG_WORDS = ("passed", "feasible", "respected", "monotone", "binds", "tuned")
# Figures that are shares or rates of something, shown as percentages.
_RATE_WORDS = ("rate", "share", "raroc", "wacc", "coverage", "haircut", "same_grade", "within_one_notch",
               "better_grade", "worse_grade")


def finite(value: Any) -> float | None:
    """``value`` as a float when it is a finite number, else None."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def integer(value: Any) -> str:
    """``12345.0`` -> ``"12,345"``; NaN / None -> ``"n/a"``."""
    x = finite(value)
    return "n/a" if x is None else f"{round(x):,d}"


def percent(value: Any, digits: int = 2) -> str:
    """``0.0298`` -> ``"2.98 %"``."""
    x = finite(value)
    return "n/a" if x is None else f"{100 * x:.{digits}f} %"


def number(value: Any, significant: int = 4) -> str:
    """4 significant digits, thousands separators from 1,000 on, no exponent for ordinary sizes."""
    x = finite(value)
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


# --------------------------------------------------------------------------- tables


Formatter = Callable[[Any], str]


def _missing(value: Any) -> bool:
    import pandas as pd  # here: the CLI reads this module at start-up, pandas only when a table is shown

    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays, lists: not a missing scalar
        return False


def date(value: Any) -> str:
    """A timestamp as the day it is: ``2019-11-30`` (``n/a`` when missing)."""
    import pandas as pd

    if _missing(value):
        return "n/a"
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def eur_m(value: Any) -> str:
    """An amount in EUR million, one decimal: ``1219.56`` -> ``"1,219.6"`` (the header says EUR m)."""
    if _missing(value) or not math.isfinite(float(value)):
        return "n/a"
    return f"{float(value):,.1f}"


def bps(value: Any) -> str:
    """Basis points, whole: ``259.32`` -> ``"259"`` (the header says bps)."""
    if _missing(value) or not math.isfinite(float(value)):
        return "n/a"
    return f"{float(value):,.0f}"


def multiple(value: Any) -> str:
    """A cover ratio: ``1.3`` -> ``"1.30x"``."""
    if _missing(value) or not math.isfinite(float(value)):
        return "n/a"
    return f"{float(value):.2f}x"


def signed(value: Any) -> str:
    """A contribution with its sign, 4 significant digits: ``0.41234`` -> ``"+0.4123"``."""
    if _missing(value):
        return "n/a"
    shown = number(value)
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
    return percent(value, 3)


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
    import pandas as pd

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


def params_table(params: BaseModel, exclude: Iterable[str] = ()) -> pd.DataFrame:
    """A job's validated params as a table: one row per parameter (dotted key, as MLflow logs
    it), with its value as a reader writes it (``yes``/``no``, ``(none)``, lists comma-separated).

    ``exclude``: keys (``admission``) or dotted keys (``financing.channels``) left out, with
    everything under them, because the notebook shows them as their own tables; the last row
    then says so. An excluded key the params do not have raises a KeyError naming it.
    """
    import pandas as pd

    excluded = list(dict.fromkeys(exclude))
    from .params import flatten_params  # the keys as MLflow logs them

    flat = flatten_params(params)

    def under(key: str, prefix: str) -> bool:
        return key == prefix or key.startswith(prefix + ".")

    unknown = [e for e in excluded if not any(under(k, e) for k in flat)]
    if unknown:
        raise KeyError(f"{type(params).__name__} has no parameter(s) {', '.join(unknown)}")
    rows = {key: _param_value(value) for key, value in flat.items() if not any(under(key, e) for e in excluded)}
    if excluded:
        rows[", ".join(excluded)] = "shown in their own tables below"
    return pd.DataFrame({"value": pd.Series(rows, dtype=object)}).rename_axis("parameter")
