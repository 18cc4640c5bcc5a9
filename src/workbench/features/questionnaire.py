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
from ._questionnaire_kernel import survey_sums
from .codes import NAT_NUMBER, date_numbers

__all__ = ["QUESTIONNAIRE_FEATURES", "questionnaire_features"]

QUESTIONNAIRE_FEATURES = tuple(f"q_{t}" for t in QUESTION_THEMES) + ("questionnaire_score", "survey_age_days",
                                                                     "has_questionnaire")


def questionnaire_features(quest: pd.DataFrame | None, keys: pd.DataFrame) -> pd.DataFrame:
    """Theme scores of the latest survey on or before each ``keys`` row's ``obs_date``."""
    out = pd.DataFrame(index=keys.index, columns=list(QUESTIONNAIRE_FEATURES), dtype=np.float32)
    out["has_questionnaire"] = np.float32(0)
    if quest is None or quest.empty:
        return out
    # One survey = one obligor and day, found as a key (obligor code, day) of each answer; sums by
    # survey and theme in one compiled pass (survey_sums), not a pivot of millions of answers.
    ob_code, ob_ids = pd.factorize(quest["obligor_id"])
    day = date_numbers(quest["survey_date"], "D")
    obs_day = date_numbers(keys["obs_date"], "D")
    answered = (ob_code >= 0) & (day != NAT_NUMBER)
    if not answered.any():
        return out
    origin = min(day[answered].min(), obs_day[obs_day != NAT_NUMBER].min(initial=day[answered].min()))
    key = _survey_key(ob_code, day, origin)
    if not answered.all():
        key = key[answered]
    if np.all(key[1:] >= key[:-1]):  # answers grouped by survey in key order, as tables are written: no sort
        new = np.empty(len(key), dtype=bool)
        new[0], new[1:] = True, key[1:] != key[:-1]
        survey_keys, survey = key[new], np.cumsum(new) - 1
    else:
        survey_keys, survey = np.unique(key, return_inverse=True)
    question = quest["question_id"]
    if isinstance(question.dtype, pd.CategoricalDtype):  # compact tables: one look-up per category, not per answer
        q_code, q_ids = question.cat.codes.to_numpy(), list(question.cat.categories.astype(str))
    else:
        q_code, q_ids = pd.factorize(question.astype(str))
    answer = quest["answer"].to_numpy(dtype=np.float64)
    if not answered.all():
        q_code, answer = q_code[answered], answer[answered]
    sign = np.array([QUESTIONS[q].sign if q in QUESTIONS else 1 for q in q_ids], dtype=np.int64)
    theme_index = {q: k for k, qs in enumerate(QUESTION_THEMES.values()) for q in qs}
    theme = np.array([theme_index.get(q, -1) for q in q_ids], dtype=np.int64)
    total, count, overall, n_answers = survey_sums(survey, q_code, answer, sign, theme, len(survey_keys),
                                                   len(QUESTION_THEMES))
    overall = overall / n_answers

    # The latest survey of the row's obligor on or before its date: the last key at or below the row's.
    row_ob = pd.Index(np.asarray(ob_ids)).get_indexer(np.asarray(keys["obligor_id"]))
    dated = (row_ob >= 0) & (obs_day != NAT_NUMBER)
    pos = np.searchsorted(survey_keys, _survey_key(row_ob, obs_day, origin), side="right") - 1
    found = dated & (pos >= 0)
    found[found] = (survey_keys[pos[found]] >> 32) == row_ob[found]
    rows, pos = np.flatnonzero(found), pos[found]
    features = {f"q_{t}": np.where(count[:, k] > 0, total[:, k] / np.maximum(count[:, k], 1), np.nan)
                for k, t in enumerate(QUESTION_THEMES)}
    features["questionnaire_score"] = overall
    for col, values in features.items():
        column = np.full(len(keys), np.nan, dtype=np.float32)
        column[rows] = values[pos]
        out[col] = column
    age = np.full(len(keys), np.nan, dtype=np.float32)
    age[rows] = obs_day[rows] - (origin + (survey_keys[pos] & 0xFFFFFFFF))
    out["survey_age_days"] = age
    out["has_questionnaire"] = found.astype(np.float32)
    return out


def _survey_key(obligor: np.ndarray, day: np.ndarray, origin: int) -> np.ndarray:
    """(obligor code, day) as one sortable int64: the code above, the days since ``origin`` below."""
    return (obligor.astype(np.int64) << 32) | (day - origin)
