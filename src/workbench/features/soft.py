"""Questionnaire scores and macro features as of the observation date.

Questionnaire: the latest survey answered on or before the observation date.
Answers (1..5) are oriented so that 5 is always the favourable end (a question
where a high answer means more risk, e.g. customer concentration, is reversed),
then averaged per theme and overall.

Macro: values of the month ``macro_lag_months`` before the observation month,
because GDP and activity indices are published with a delay; the industry index
is the client's own industry's, its change over 12 months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.generator import QUESTIONS

__all__ = ["QUESTION_THEMES", "QUESTIONNAIRE_FEATURES", "MACRO_FEATURES", "questionnaire_features", "macro_features"]

QUESTION_THEMES = {
    "management": ("Q01", "Q02", "Q06", "Q09"),
    "market_position": ("Q03", "Q04", "Q05"),
    "financial_policy": ("Q07", "Q08", "Q10"),
}
QUESTIONNAIRE_FEATURES = tuple(f"q_{t}" for t in QUESTION_THEMES) + ("questionnaire_score", "survey_age_days",
                                                                     "has_questionnaire")
MACRO_FEATURES = ("gdp_growth", "gdp_growth_change_12m", "policy_rate", "policy_rate_change_12m",
                  "industry_index_yoy")


def questionnaire_features(quest: pd.DataFrame | None, keys: pd.DataFrame) -> pd.DataFrame:
    """Theme scores of the latest survey on or before each ``keys`` row's ``obs_date``."""
    out = pd.DataFrame(index=keys.index, columns=list(QUESTIONNAIRE_FEATURES), dtype=float)
    out["has_questionnaire"] = 0.0
    if quest is None or quest.empty:
        return out
    sign = pd.Series({q: s for q, (_text, s) in QUESTIONS.items()})
    oriented = quest["answer"].astype(float).where(quest["question_id"].map(sign).fillna(1) > 0,
                                                   6 - quest["answer"].astype(float))
    wide = (quest.assign(oriented=oriented)
            .pivot_table(index=["obligor_id", "survey_date"], columns="question_id", values="oriented",
                         aggfunc="mean", observed=True)
            .reset_index())
    scores = wide[["obligor_id", "survey_date"]].copy()
    for theme, qs in QUESTION_THEMES.items():
        present = [q for q in qs if q in wide.columns]
        scores[f"q_{theme}"] = wide[present].mean(axis=1) if present else np.nan
    all_q = [c for c in wide.columns if c not in ("obligor_id", "survey_date")]
    scores["questionnaire_score"] = wide[all_q].mean(axis=1)
    left = keys[["obligor_id", "obs_date"]].assign(_row=np.arange(len(keys))).sort_values("obs_date", kind="stable")
    merged = pd.merge_asof(left, scores.sort_values("survey_date", kind="stable"), left_on="obs_date",
                           right_on="survey_date", by="obligor_id", direction="backward")
    merged = merged.sort_values("_row")
    for col in (f"q_{t}" for t in QUESTION_THEMES):
        out[col] = merged[col].to_numpy(dtype=float)
    out["questionnaire_score"] = merged["questionnaire_score"].to_numpy(dtype=float)
    out["survey_age_days"] = ((merged["obs_date"] - merged["survey_date"]).dt.days).to_numpy(dtype=float)
    out["has_questionnaire"] = merged["survey_date"].notna().to_numpy().astype(float)
    return out


def macro_features(macro: pd.DataFrame, keys: pd.DataFrame, lag_months: int) -> pd.DataFrame:
    """Macro features for each ``keys`` row (``obs_date``, ``industry``), published-lag aware."""
    macro = macro.sort_values("month_end").reset_index(drop=True)
    month = pd.DatetimeIndex(macro["month_end"]).to_period("M")
    base = pd.DataFrame({
        "gdp_growth": macro["gdp_growth"].to_numpy(float),
        "gdp_growth_change_12m": (macro["gdp_growth"] - macro["gdp_growth"].shift(12)).to_numpy(float),
        "policy_rate": macro["policy_rate"].to_numpy(float),
        "policy_rate_change_12m": (macro["policy_rate"] - macro["policy_rate"].shift(12)).to_numpy(float),
    }, index=month)
    idx_cols = [c for c in macro.columns if c.startswith("idx_")]
    yoy = pd.DataFrame((macro[idx_cols] / macro[idx_cols].shift(12) - 1).to_numpy(float), index=month,
                       columns=[c.removeprefix("idx_") for c in idx_cols])
    as_of = pd.DatetimeIndex(keys["obs_date"]).to_period("M") - lag_months
    out = base.reindex(as_of)
    out.index = keys.index
    industry = keys["industry"].astype(str).to_numpy()
    stacked = yoy.reindex(as_of)
    col_pos = pd.Index(stacked.columns).get_indexer(industry)
    values = stacked.to_numpy()
    picked = np.full(len(keys), np.nan)
    have = col_pos >= 0
    picked[have] = values[np.arange(len(keys))[have], col_pos[have]]
    out["industry_index_yoy"] = picked
    return out
