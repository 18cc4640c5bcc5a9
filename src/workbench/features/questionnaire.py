"""Questionnaire features: theme scores of the latest survey answered by the observation date.

Answers (1..5) are oriented so that 5 is always the favourable end (a question where a
high answer means more risk, e.g. customer concentration, is reversed), then averaged per
theme and overall. Questions and themes come from the reference catalogue
(``workbench.reference.QUESTIONS``); an unknown question id counts with its answer as given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..reference import QUESTION_THEMES, QUESTIONS

__all__ = ["QUESTIONNAIRE_FEATURES", "questionnaire_features"]

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
    survey_date = quest["survey_date"]
    date_dtype = survey_date.dtype.categories.dtype if isinstance(survey_date.dtype, pd.CategoricalDtype) \
        else survey_date.dtype  # compact tables may hold the dates as categories
    day = np.asarray(survey_date.to_numpy(), dtype="datetime64[D]").astype(np.int64)
    survey, survey_keys = pd.factorize(ob_code.astype(np.int64) * 1_000_000 + (day - day.min()))
    question = quest["question_id"]
    if isinstance(question.dtype, pd.CategoricalDtype):  # compact tables: one look-up per category, not per answer
        q_code, q_ids = question.cat.codes.to_numpy(), list(question.cat.categories.astype(str))
    else:
        q_code, q_ids = pd.factorize(question.astype(str))
    sign = np.array([QUESTIONS[q].sign if q in QUESTIONS else 1 for q in q_ids])
    answer = quest["answer"].to_numpy(dtype=np.float64)
    oriented = np.where(sign[q_code] > 0, answer, 6 - answer)
    n = len(survey_keys)
    scores = pd.DataFrame({
        "obligor_id": np.asarray(ob_ids)[survey_keys // 1_000_000],
        "survey_date": (survey_keys % 1_000_000 + day.min()).astype("datetime64[D]").astype(date_dtype),
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
