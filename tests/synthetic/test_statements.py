"""Annual statements: only periods before default, reported after a lag, weaker for defaulters."""

from __future__ import annotations

import pandas as pd


def test_statements_never_cover_periods_after_default(portfolio):
    fin = portfolio["financials"].merge(portfolio["defaults"][["obligor_id", "default_date"]], on="obligor_id")
    assert (fin["period_end"] < fin["default_date"]).all()
    assert (portfolio["financials"]["reported_date"] > portfolio["financials"]["period_end"]).all()


def test_defaulters_statements_are_weaker_than_survivors(portfolio):
    fin = portfolio["financials"]
    last = fin.sort_values("period_end").groupby("obligor_id").tail(1)
    defaulted = last["obligor_id"].isin(portfolio["defaults"]["obligor_id"])
    leverage = last["total_debt"] / last["total_assets"]
    margin = last["ebitda"] / last["revenue"]
    assert leverage[defaulted].median() > leverage[~defaulted].median()
    assert margin[defaulted].median() < margin[~defaulted].median()


def test_statements_have_lags_unaudited_and_missing_items(portfolio):
    fin = portfolio["financials"]
    lag = (fin["reported_date"] - fin["period_end"]).dt.days
    onboarded = fin.merge(portfolio["obligors"], on="obligor_id")["relationship_start"] > fin["period_end"]
    assert lag[~onboarded].between(20, 250).all()
    # Statements of years before the relationship arrive with the onboarding file.
    assert (fin.loc[onboarded, "reported_date"] >= fin.loc[onboarded, "period_end"] + pd.Timedelta(days=20)).all()
    assert 0.02 < (~fin["audited"]).mean() < 0.25
    assert 0.005 < fin["inventory"].isna().mean() < 0.1
    assert fin["total_assets"].notna().all()
