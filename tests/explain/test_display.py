"""Tables for people in the explanation part of the training report."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.explain import (
    ImportanceStability,
    display_bag_stability,
    display_importance,
    display_importance_comparison,
    importance_agreement,
)
from workbench.format import NBSP
from workbench.validation import importance_comparison


def plain(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its no-break spaces ("45.00\u00a0%") as plain ones, to compare with text."""
    return table.map(lambda s: s.replace(NBSP, " ") if isinstance(s, str) else s)



def _importance(features, values) -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    t = pd.DataFrame({"feature": features, "label": features, "mean_abs_shap": values, "share": values / values.sum()})
    t["rank"] = t["mean_abs_shap"].rank(ascending=False, method="min").astype(int)
    return t


def test_importance_table_gives_share_role_and_wording():
    table = plain(display_importance(_importance(["dpd_mean_6m", "policy_rate"], [0.237783, 0.01])))
    assert table.index.name == "rank" and list(table.index) == [1, 2]
    assert table.loc[1, "mean |SHAP| (log-odds)"] == "0.2378" and table.loc[1, "share of the total"] == "95.96 %"
    assert table.loc[2, "role"] == "macro" and table.loc[1, "role"] == "obligor"


def test_side_by_side_importance_says_not_used_and_the_rank_agreement():
    drivers = importance_comparison({"xgboost": _importance(["a", "b", "c", "d"], [4, 3, 2, 1]),
                                     "scorecard": _importance(["a", "b", "d"], [3, 2, 1])})
    table = display_importance_comparison(drivers)
    assert list(table.columns) == ["feature", "wording", "xgboost: mean |SHAP|", "xgboost: rank",
                                   "scorecard: mean |SHAP|", "scorecard: rank"]
    c = table[table["feature"] == "c"].iloc[0]
    assert c["scorecard: rank"] == "not used" and c["xgboost: rank"] == "3"
    agreement = importance_agreement(drivers)
    assert agreement.loc["scorecard", "rank correlation with xgboost"] == "1.000"


def test_bag_stability_lists_each_pair_then_lowest_and_mean():
    imp = pd.DataFrame({"bag_0": [3.0, 2.0, 1.0], "bag_1": [3.0, 1.0, 2.0]})
    pairs = pd.DataFrame({"a": ["bag_0"], "b": ["bag_1"], "spearman": [0.5]})
    stability = ImportanceStability(importance=imp, correlations=pd.DataFrame(), pairs=pairs, min=0.5, mean=0.5)
    table = display_bag_stability(stability)
    assert list(table.index) == ["bag_0 vs bag_1", "lowest", "mean"]
    assert table["rank correlation (Spearman)"].tolist() == ["0.5000"] * 3
