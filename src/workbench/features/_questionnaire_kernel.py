"""The survey sums of ``questionnaire``, compiled with numba: one pass over the answers instead of
an oriented copy, a mask and two ``np.bincount`` per theme.

Each sum adds its answers in table order in float64, as ``np.bincount`` with weights does, so the
theme scores equal numpy's value for value (``tests/features/test_questionnaire.py``).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["survey_sums"]


@numba.njit(cache=True, nogil=True)
def _survey_sums(survey, question, answer, sign, theme, total, count, overall, answered):
    for i in range(len(survey)):
        q, s = question[i], survey[i]
        a = answer[i] if sign[q] > 0 else 6 - answer[i]  # oriented: 5 is always the favourable end
        overall[s] += a
        answered[s] += 1
        t = theme[q]
        if t >= 0:
            total[s, t] += a
            count[s, t] += 1


def survey_sums(survey: np.ndarray, question: np.ndarray, answer: np.ndarray, sign: np.ndarray, theme: np.ndarray,
                n_surveys: int, n_themes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(theme totals and counts, surveys x themes; overall totals and counts, per survey) of the
    oriented answers: answer i belongs to survey ``survey[i]`` and question ``question[i]``, whose
    ``sign`` (+1, or -1: reversed as 6 - answer) and ``theme`` (-1: none) are per question code."""
    total = np.zeros((n_surveys, n_themes))
    count = np.zeros((n_surveys, n_themes), dtype=np.int64)
    overall = np.zeros(n_surveys)
    answered = np.zeros(n_surveys, dtype=np.int64)
    _survey_sums(survey.astype(np.int64, copy=False), question.astype(np.int64, copy=False),
                 answer.astype(np.float64, copy=False), sign.astype(np.int64, copy=False),
                 theme.astype(np.int64, copy=False), total, count, overall, answered)
    return total, count, overall, answered
