"""Tables for people in the explanation part of the training report (display only).

Display-ready copies of the global SHAP importance, the side-by-side importance of two models
with their rank agreement, and the stability of the importance across the bag's boosters:
strings, units in the headers, 4 significant digits (``workbench.format``). The
reason codes have their own table, ``reason_table``, beside ``reason_codes``.
"""

from __future__ import annotations

import re

import pandas as pd

from .. import format as fmt
from ..features.dictionary import feature_role
from ..format import display_frame, text
from .shap_values import ImportanceStability, feature_label

__all__ = ["display_importance", "display_importance_comparison", "importance_agreement", "display_bag_stability"]


def display_importance(table: pd.DataFrame, top: int = 20) -> pd.DataFrame:
    """``ShapResult.table()``: the ``top`` features by mean |SHAP| (log-odds) with their wording,
    their role (``macro`` and ``meta`` features are context, never an obligor's reasons) and
    their share of the total."""
    part = table.head(top).assign(role=lambda t: t["feature"].map(feature_role))
    out = display_frame(part.set_index("rank"), {
        "feature": ("feature", text), "label": ("wording", text), "role": ("role", text),
        "mean_abs_shap": ("mean |SHAP| (log-odds)", fmt.number), "share": ("share of the total", fmt.percent),
    })
    return out.rename_axis("rank")


_COLUMN = re.compile(r"^(mean_abs_shap|rank)\[(.+)\]$")


def display_importance_comparison(comparison: pd.DataFrame) -> pd.DataFrame:
    """``importance_comparison``: per feature, each model's mean |SHAP| and rank; a feature a
    model does not use shows "not used" (the scorecard keeps only some features)."""
    columns: dict[str, tuple[str, object]] = {"feature": ("feature", text)}
    for column in comparison.columns:
        match = _COLUMN.match(str(column))
        if match:
            what, model = match.groups()
            columns[column] = ((f"{model}: mean |SHAP|", _or_unused(fmt.number)) if what == "mean_abs_shap"
                               else (f"{model}: rank", _or_unused(fmt.integer)))
    part = comparison.assign(label=comparison["feature"].map(feature_label))
    columns = {"feature": columns.pop("feature"), "label": ("wording", text), **columns}
    out = display_frame(part, columns)
    return out.rename(index=lambda i: i + 1).rename_axis("#")


def _or_unused(formatter):
    return lambda v: "not used" if pd.isna(v) else formatter(v)


def importance_agreement(comparison: pd.DataFrame) -> pd.DataFrame:
    """The rank correlation (Spearman) of the first model's importance with each other model's,
    over the features both use (``importance_comparison``'s ``attrs["spearman"]``)."""
    rho = comparison.attrs.get("spearman", {})
    first = next((_COLUMN.match(str(c)).group(2) for c in comparison.columns if _COLUMN.match(str(c))), "first model")
    return pd.DataFrame({f"rank correlation with {first}": [fmt.number(v) for v in rho.values()]},
                        index=pd.Index(list(rho), name="model"))


def display_bag_stability(stability: ImportanceStability) -> pd.DataFrame:
    """The rank correlation of the importance between each pair of the bag's boosters (same
    data, different seeds), then the lowest and the mean."""
    pairs = stability.pairs
    rows = {f"{a} vs {b}": fmt.number(r) for a, b, r in zip(pairs["a"], pairs["b"], pairs["spearman"])}
    rows.update({"lowest": fmt.number(stability.min), "mean": fmt.number(stability.mean)})
    return pd.DataFrame({"rank correlation (Spearman)": pd.Series(rows, dtype=object)}).rename_axis("boosters")
