"""Questionnaire theme scores as of the observation date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.features.questionnaire import questionnaire_features


def test_latest_survey_before_the_date_is_used_and_answers_are_oriented():
    quest = pd.DataFrame({
        "obligor_id": ["A"] * 4,
        "survey_date": pd.to_datetime(["2020-06-10", "2020-06-10", "2021-06-10", "2021-06-10"]),
        "question_id": ["Q01", "Q04", "Q01", "Q04"],
        "answer": [5, 5, 1, 1],
    })
    keys = pd.DataFrame({"obligor_id": ["A", "A", "A"],
                         "obs_date": pd.to_datetime(["2020-05-31", "2020-12-31", "2021-12-31"])})
    out = questionnaire_features(quest, keys)
    assert out["has_questionnaire"].tolist() == [0, 1, 1]
    # Q01 (management, + oriented) 5 and Q04 (customer concentration, reversed) 5 -> 1.
    assert out.loc[1, "q_management"] == 5 and out.loc[1, "q_market_position"] == 1
    assert out.loc[1, "questionnaire_score"] == 3
    assert out.loc[2, "q_management"] == 1
    assert out.loc[1, "survey_age_days"] == (pd.Timestamp("2020-12-31") - pd.Timestamp("2020-06-10")).days
    assert np.isnan(out.loc[0, "questionnaire_score"])


def test_compiled_survey_sums_equal_numpy_bincount_value_for_value():
    from workbench.features._questionnaire_kernel import survey_sums

    rng = np.random.default_rng(11)
    n_answers, n_surveys, n_questions, n_themes = 50_000, 4_000, 12, 3
    survey = np.sort(rng.integers(0, n_surveys, n_answers))
    question = rng.integers(0, n_questions, n_answers).astype(np.int8)
    answer = rng.integers(1, 6, n_answers).astype(np.float64) + rng.random(n_answers)  # non-integers: order matters
    sign = rng.choice([-1, 1], n_questions)
    theme = rng.integers(-1, n_themes, n_questions)
    total, count, overall, answered = survey_sums(survey, question, answer, sign, theme, n_surveys, n_themes)
    oriented = np.where(sign[question] > 0, answer, 6 - answer)
    for t in range(n_themes):
        inside = theme[question] == t
        np.testing.assert_array_equal(total[:, t], np.bincount(survey[inside], oriented[inside], minlength=n_surveys))
        np.testing.assert_array_equal(count[:, t], np.bincount(survey[inside], minlength=n_surveys))
    np.testing.assert_array_equal(overall, np.bincount(survey, oriented, minlength=n_surveys))
    np.testing.assert_array_equal(answered, np.bincount(survey, minlength=n_surveys))
