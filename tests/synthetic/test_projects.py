"""Project finance: about a tenth of the book, one project per project company, positive cash flows."""

from __future__ import annotations


def test_about_a_tenth_of_obligors_are_project_finance_with_cfads(portfolio):
    share = (portfolio["obligors"]["segment"] == "project_finance").mean()
    assert 0.06 < share < 0.14
    pf_ids = set(portfolio["obligors"].loc[portfolio["obligors"]["segment"] == "project_finance", "obligor_id"])
    assert set(portfolio["projects"]["obligor_id"]) == pf_ids
    assert portfolio["project_cashflows"].groupby("project_id")["cfads"].sum().gt(0).all()
