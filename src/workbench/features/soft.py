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

__all__ = ["QUESTION_THEMES", "QUESTIONNAIRE_FEATURES", "questionnaire_features", "macro_features"]

QUESTION_THEMES = {
    "management": ("Q01", "Q02", "Q06", "Q09"),
    "market_position": ("Q03", "Q04", "Q05"),
    "financial_policy": ("Q07", "Q08", "Q10"),
}
QUESTIONNAIRE_FEATURES = tuple(f"q_{t}" for t in QUESTION_THEMES) + ("questionnaire_score", "survey_age_days",
                                                                     "has_questionnaire")


def questionnaire_features(quest: pd.DataFrame | None, keys: pd.DataFrame) -> pd.DataFrame:
    """Theme scores of the latest survey on or before each ``keys`` row's ``obs_date``."""
    out = pd.DataFrame(index=keys.index, columns=list(QUESTIONNAIRE_FEATURES), dtype=np.float32)
    out["has_questionnaire"] = np.float32(0)
    if quest is None or quest.empty:
        return out
    # One survey = one obligor and date; averages by theme with bincount, not a pivot of millions of answers.
    ob_code, ob_ids = pd.factorize(quest["obligor_id"])
    day = quest["survey_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    survey, survey_keys = pd.factorize(ob_code.astype(np.int64) * 1_000_000 + (day - day.min()))
    q_code, q_ids = pd.factorize(quest["question_id"].astype(str))
    sign = np.array([QUESTIONS.get(q, ("", 1))[1] for q in q_ids])
    answer = quest["answer"].to_numpy(dtype=np.float64)
    oriented = np.where(sign[q_code] > 0, answer, 6 - answer)
    n = len(survey_keys)
    scores = pd.DataFrame({
        "obligor_id": np.asarray(ob_ids)[survey_keys // 1_000_000],
        "survey_date": (survey_keys % 1_000_000 + day.min()).astype("datetime64[D]").astype(
            quest["survey_date"].dtype),
    })
    theme_of = {q: t for t, qs in QUESTION_THEMES.items() for q in qs}
    for theme in QUESTION_THEMES:
        in_theme = np.array([theme_of.get(q) == theme for q in q_ids], dtype=bool)[q_code]
        total = np.bincount(survey[in_theme], weights=oriented[in_theme], minlength=n)
        count = np.bincount(survey[in_theme], minlength=n)
        scores[f"q_{theme}"] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    scores["questionnaire_score"] = np.bincount(survey, weights=oriented, minlength=n) / np.bincount(survey, minlength=n)
    left = keys[["obligor_id", "obs_date"]].assign(_row=np.arange(len(keys))).sort_values("obs_date", kind="stable")
    left["obligor_id"] = left["obligor_id"].astype(scores["obligor_id"].dtype)
    left["obs_date"] = left["obs_date"].astype(scores["survey_date"].dtype)  # merge_asof wants one time unit
    merged = pd.merge_asof(left, scores.sort_values("survey_date", kind="stable"), left_on="obs_date",
                           right_on="survey_date", by="obligor_id", direction="backward")
    merged = merged.sort_values("_row")
    for col in [f"q_{t}" for t in QUESTION_THEMES] + ["questionnaire_score"]:
        out[col] = merged[col].to_numpy(dtype=np.float32)
    out["survey_age_days"] = ((merged["obs_date"] - merged["survey_date"]).dt.days).to_numpy(dtype=np.float32)
    out["has_questionnaire"] = merged["survey_date"].notna().to_numpy().astype(np.float32)
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
    industries = [c.removeprefix("idx_") for c in idx_cols]
    yoy = pd.DataFrame((macro[idx_cols] / macro[idx_cols].shift(12) - 1).to_numpy(float), index=month,
                       columns=industries)
    # Momentum: the last quarter's change, annualised; reacts sooner than the year-on-year change.
    q3 = pd.DataFrame(((macro[idx_cols] / macro[idx_cols].shift(3)) ** 4 - 1).to_numpy(float), index=month,
                      columns=industries)
    as_of = pd.DatetimeIndex(keys["obs_date"]).to_period("M") - lag_months
    out = base.reindex(as_of)
    out.index = keys.index
    industry = keys["industry"].astype(str).to_numpy()
    col_pos = pd.Index(industries).get_indexer(industry)
    have = col_pos >= 0
    for name, table in (("industry_index_yoy", yoy), ("industry_index_3m", q3)):
        values = table.reindex(as_of).to_numpy()
        picked = np.full(len(keys), np.nan)
        picked[have] = values[np.arange(len(keys))[have], col_pos[have]]
        out[name] = picked
    return out
