"""Questionnaires: the reference questions, answered in range, leaning with each question's sign."""

from __future__ import annotations

import numpy as np

from workbench.reference import ANSWER_RANGE, QUESTIONS


def test_answers_are_in_the_answer_range(portfolio):
    answers = portfolio["questionnaires"]["answer"]
    assert answers.between(*ANSWER_RANGE).all()
    assert set(answers) == set(range(ANSWER_RANGE[0], ANSWER_RANGE[1] + 1))


def test_answers_lean_with_the_reference_sign_of_each_question(portfolio):
    """A better client answers the +1 questions higher and the -1 questions lower."""
    quality = portfolio["truth"].groupby("obligor_id")["latent_score"].mean()
    q = portfolio["questionnaires"].assign(quality=lambda d: d["obligor_id"].map(quality))
    for qid, question in QUESTIONS.items():
        rows = q[q["question_id"] == qid]
        corr = np.corrcoef(rows["answer"], rows["quality"])[0, 1]
        assert np.sign(corr) == question.sign and abs(corr) > 0.2, (qid, corr)
