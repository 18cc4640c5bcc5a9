"""Quotes: graded on the master scale, and the dearer the offer the less often it is accepted."""

from __future__ import annotations

import numpy as np

from workbench.reference import MASTER_SCALE
from workbench.synthetic.quotes import quote_grade


def test_quote_acceptance_falls_with_the_offered_spread_at_equal_grade(portfolio):
    quotes = portfolio["quotes"]
    cell = quotes.groupby(["grade", "tenor_years", "collateral_type"])["offered_spread_bps"]
    rel = quotes["offered_spread_bps"] / cell.transform("median")
    cheap = quotes[rel < 0.9]["accepted"].mean()
    dear = quotes[rel > 1.1]["accepted"].mean()
    assert cheap > dear + 0.1


def test_quote_grades_are_master_scale_grades():
    bands = MASTER_SCALE.bands().iloc[:-1]  # the performing grades
    grade_pd = bands["grade_pd"].to_numpy()
    assert list(quote_grade(grade_pd)) == list(range(1, MASTER_SCALE.n_grades + 1))
    # A band's lower edge belongs to it; below the floor is the best grade, above the cap the worst.
    np.testing.assert_array_equal(quote_grade(bands["pd_low"].to_numpy()[1:]), np.arange(2, MASTER_SCALE.n_grades + 1))
    assert list(quote_grade(np.array([1e-6, 0.9]))) == [1, MASTER_SCALE.n_grades]
    assert quote_grade(grade_pd).dtype == np.int64


def test_quotes_carry_every_performing_grade_and_no_other(portfolio):
    assert set(portfolio["quotes"]["grade"]) == set(range(1, MASTER_SCALE.n_grades + 1))
