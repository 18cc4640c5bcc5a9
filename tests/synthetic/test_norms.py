"""Industry norms: one entry per reference industry, in reference order, and visible in the statements."""

from __future__ import annotations

import numpy as np

from workbench import reference
from workbench.synthetic import INDUSTRY_NORMS
from workbench.synthetic.norms import PROJECT_FINANCE, norm_array


def test_norms_list_the_reference_industries_in_reference_order():
    assert tuple(ind.code for ind in INDUSTRY_NORMS) == reference.INDUSTRY_CODES


def test_project_finance_positions_are_the_reference_project_finance_industries():
    flagged = {ind.code for ind, pf in zip(INDUSTRY_NORMS, PROJECT_FINANCE) if pf}
    assert flagged == {ind.code for ind in reference.INDUSTRIES if ind.project_finance}
    assert flagged  # the book holds project companies


def test_project_finance_obligors_are_in_project_finance_industries_and_only_they(portfolio):
    obligors = portfolio["obligors"]
    pf_industry = obligors["industry"].map(lambda code: reference.industry(code).project_finance)
    assert (pf_industry == (obligors["segment"] == "project_finance")).all()
    assert set(portfolio["projects"]["sector"]) <= {i.code for i in reference.INDUSTRIES if i.project_finance}


def test_norm_array_follows_the_table_order():
    np.testing.assert_array_equal(norm_array("leverage"), [ind.leverage for ind in INDUSTRY_NORMS])
    assert len(norm_array("cyclicality")) == len(reference.INDUSTRY_CODES)


def test_industries_have_their_own_levels(portfolio):
    fin = portfolio["financials"].merge(portfolio["obligors"][["obligor_id", "industry"]], on="obligor_id")
    margin = (fin["ebitda"] / fin["revenue"]).groupby(fin["industry"]).median()
    assert fin["industry"].nunique() >= 12 and len(INDUSTRY_NORMS) >= 12
    assert margin.max() > 3 * margin.min()
