"""One client's dossier from the book of an as-of: each section of the right client, as of the date."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from workbench.accounts import (
    DossierParams,
    client_dossier,
    client_profitability,
    covenant_tests,
    month_report,
    needs_profile,
    plot_grade_history,
    service_calendar,
)
from workbench.accounts.dossier import DossierBook
from workbench.accounts.watchlist import WATCHLIST_COLUMNS, normalise_watchlist


@pytest.fixture(scope="module")
def dossier_book(portfolio, book, monitoring_params) -> DossierBook:
    as_of = book.months[-1]
    params = DossierParams()
    month = month_report(book, portfolio, as_of, monitoring_params,
                         normalise_watchlist(pd.DataFrame(columns=list(WATCHLIST_COLUMNS))))
    scored = book.scored_at(as_of)
    profitability = client_profitability(month.per_facility, month.exposures, scored, portfolio["financials"],
                                         params.pricing.economics.hurdle_rate)
    needs = needs_profile(portfolio.get("questionnaires"), scored, portfolio["facilities"], params.needs, as_of=as_of)
    covenants = covenant_tests(portfolio["covenants"], portfolio["financials"], as_of)
    interactions = portfolio["interactions"].assign(note="", recorded_at=portfolio["interactions"]["date"])
    calendar = service_calendar(month.tiers, interactions, portfolio["facilities"], covenants, as_of=as_of,
                                obligors=portfolio["obligors"], data_start=book.months[0])
    return DossierBook(as_of, portfolio, book, month, scored, profitability, needs, calendar, interactions,
                       covenant_tests=covenants)


def _client_with(dossier_book, column: str) -> str:
    frame = {"covenants": dossier_book.covenant_tests, "facilities": dossier_book.profitability}[column]
    tiered = set(dossier_book.month.tiers["obligor_id"])
    return sorted(set(frame["obligor_id"]) & tiered)[0]


def test_a_client_not_tiered_at_the_as_of_is_refused_naming_known_ones(dossier_book):
    with pytest.raises(KeyError, match="not a performing client"):
        client_dossier(dossier_book, "NOPE")


def test_each_section_is_about_the_client(dossier_book):
    obligor = _client_with(dossier_book, "covenants")
    dossier = client_dossier(dossier_book, obligor)
    name = dossier_book.tables["obligors"].set_index("obligor_id").loc[obligor, "name"]
    assert f"{name} ({obligor})" in dossier.identity().iloc[:, 0].tolist()
    assert dossier.grade_history()["obs_date"].max() == dossier_book.as_of
    assert len(dossier.covenants()) == (dossier_book.covenant_tests["obligor_id"] == obligor).sum()
    assert isinstance(plot_grade_history(dossier), Figure)
    metrics = dossier.metrics()
    assert metrics["dossier/grade"] == dossier_book.scored.set_index("obligor_id").loc[obligor, "grade"]


def test_the_financial_summary_uses_only_statements_reported_by_the_as_of(dossier_book):
    obligor = _client_with(dossier_book, "facilities")
    summary = client_dossier(dossier_book, obligor).financial_summary()
    fin = dossier_book.tables["financials"]
    reported = fin[(fin["obligor_id"] == obligor) & (fin["reported_date"] <= dossier_book.as_of)]
    assert list(summary.columns)[-1] == f"{reported['period_end'].max():%Y-%m-%d}"


def test_a_client_without_facilities_says_so(dossier_book):
    tiered = set(dossier_book.month.tiers["obligor_id"])
    without = sorted(tiered - set(dossier_book.profitability["obligor_id"]))
    if not without:
        pytest.skip("every tiered client has a live facility in this portfolio")
    dossier = client_dossier(dossier_book, without[0])
    assert "no live facility" in dossier.facilities().iloc[0, 0]
    assert "no live facility" in dossier.profitability().iloc[0, 0]
