"""``questionnaires``: yearly answers to the reference questionnaire, leaning with each question's sign."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.reference import ANSWER_RANGE, QUESTIONS

from .frames import frame, ns, str_take
from .latent import Latent
from .streams import S_QUEST, rng

__all__ = ["questionnaires_table"]


def questionnaires_table(L: Latent) -> pd.DataFrame:
    s, n = L.s, L.s.n_obligors
    # Soft information: how the relationship manager reads the client's structural quality (its
    # long-run level mu, which statements blur with firm-specific accounting), plus the reader's noise.
    mgmt = 0.5 * (L.mu - L.mu.mean()) + rng(s.seed, S_QUEST, 0).normal(0, 0.3, n)
    q_ids = list(QUESTIONS)
    n_q = len(q_ids)
    signs = np.array([QUESTIONS[q].sign for q in q_ids])
    answers = np.empty((n, s.years, n_q), dtype=np.int8)
    dates = np.empty((n, s.years), dtype=L.months.values.dtype)
    answered = np.empty((n, s.years), dtype=bool)
    for y in range(s.years):
        r = rng(s.seed, S_QUEST, y + 1)
        t = 12 * y + 5 + r.integers(0, 3, n)  # surveys in June-August
        t = np.minimum(t, L.T - 1)
        answered[:, y] = (r.random(n) < 0.85) & (t >= L.start_month) & (t <= L.last_month)
        z = L.z[np.arange(n), np.maximum(t - 1, 0)]  # answers reflect the state known before the survey month
        raw = 3 + signs[None, :] * (0.55 * (z - 0.3) + 0.6 * mgmt)[:, None] + r.normal(0, 0.9, (n, n_q))
        answers[:, y] = np.clip(np.rint(raw), *ANSWER_RANGE)
        day = r.integers(0, 28, n).astype("timedelta64[D]")
        dates[:, y] = L.first_days(t) + day
    # Rows by obligor (in id order), survey date (the years are in date order) and question.
    r_, y_ = np.nonzero(answered[L.ob_order])
    ob = L.ob_order[r_]
    k = len(ob)
    return frame({
        "obligor_id": L.ids(np.repeat(ob, n_q)),
        "survey_date": ns(np.repeat(dates[ob, y_], n_q)),
        "question_id": str_take(q_ids, np.tile(np.arange(n_q), k)),
        "answer": answers[ob, y_].astype(np.int64).ravel(),
    })
