"""``generate_portfolio``: which tables to draw, in what order, and their final types."""

from __future__ import annotations

from typing import Callable

import pandas as pd

from workbench.data.schemas import TABLES

from .behaviour import behaviour_table, draw_behaviour
from .covenants import covenant_breaches, covenants_table
from .defaults import defaults_table
from .facilities import facilities_table, facility_draws
from .interactions import interactions_table
from .latent import Latent, truth_table
from .macro import macro_table
from .obligors import obligors_table
from .projects import projects_tables
from .questionnaires import questionnaires_table
from .quotes import quotes_table
from .settings import GeneratorSettings
from .statements import financials_table

__all__ = ["generate_portfolio"]

# Tables in the order they are returned, and what each needs drawn first.
_ORDER = ("obligors", "macro", "financials", "behaviour", "facilities", "covenants", "defaults", "projects",
          "project_cashflows", "questionnaires", "quotes", "interactions", "truth")
_NEEDS_BEHAVIOUR = {"behaviour", "facilities", "defaults", "interactions"}
_NEEDS_FACILITIES = {"facilities", "defaults"}
_NEEDS_TRUE_PD = {"facilities", "defaults", "quotes", "truth"}
# The covenant breaches (behaviour, interactions) are the covenants tested on the statements; the
# covenants hang on the facilities' product mix and start at the projects' financial close.
_NEEDS_BREACHES = {"behaviour", "interactions"}
_NEEDS_COVENANTS = _NEEDS_BREACHES | {"covenants"}
_NEEDS_FINANCIALS = _NEEDS_COVENANTS | {"financials"}
_NEEDS_PROJECTS = _NEEDS_COVENANTS | {"projects", "project_cashflows"}
_NEEDS_DRAWS = _NEEDS_COVENANTS | _NEEDS_FACILITIES


def generate_portfolio(settings: GeneratorSettings | None = None,
                       progress: Callable[[str], None] | None = None) -> dict[str, pd.DataFrame]:
    """Draw the tables of the data contract (all, or ``settings.tables``); deterministic for given settings."""
    s = settings or GeneratorSettings()
    want = set(TABLES if s.tables is None else s.tables)
    say = progress or (lambda _msg: None)
    say("latent credit-quality process")
    L = Latent(s)
    pd_true = L.true_pd_12m() if want & _NEEDS_TRUE_PD else None
    tables: dict[str, pd.DataFrame] = {}
    say("obligors, macro, statements")
    if "obligors" in want:
        tables["obligors"] = obligors_table(L)
    if "macro" in want:
        tables["macro"] = macro_table(L)
    financials = financials_table(L) if want & _NEEDS_FINANCIALS else None
    if "financials" in want:
        tables["financials"] = financials
    projects = projects_tables(L) if want & _NEEDS_PROJECTS else None
    draws = facility_draws(L) if want & _NEEDS_DRAWS else None
    covenants = None
    if want & _NEEDS_COVENANTS:
        say("covenants")
        covenants = covenants_table(L, draws, financials, projects[0])
        if "covenants" in want:
            tables["covenants"] = covenants
    B = None
    if want & _NEEDS_BEHAVIOUR:
        say("monthly behaviour")
        B = draw_behaviour(L)
        if want & _NEEDS_BREACHES:
            B.breach = covenant_breaches(L, covenants, financials)
        if "behaviour" in want:
            tables["behaviour"] = behaviour_table(L, B)
    del financials, covenants
    if want & _NEEDS_FACILITIES:
        say("facilities and defaults")
        facilities, fac_ob = facilities_table(L, B, pd_true, draws)
        if "facilities" in want:
            tables["facilities"] = facilities
        if "defaults" in want:
            tables["defaults"] = defaults_table(L, facilities, fac_ob, B.type_code)
        del facilities, fac_ob
    del draws
    say("projects, questionnaires, quotes, interactions")
    if "projects" in want:
        tables["projects"] = projects[0]
    if "project_cashflows" in want:
        tables["project_cashflows"] = projects[1]
    del projects
    if "questionnaires" in want:
        tables["questionnaires"] = questionnaires_table(L)
    if "quotes" in want:
        tables["quotes"] = quotes_table(L, pd_true)
    if "interactions" in want:
        tables["interactions"] = interactions_table(L, B)
    del B
    if "truth" in want:
        tables["truth"] = truth_table(L, pd_true)
    del pd_true
    keep = L.start_month < L.T
    if not keep.all():  # only clients known in ``obligors`` appear in the other tables
        known = pd.Series(L.ob_ids[keep])
        for name, df in tables.items():
            if "obligor_id" in df.columns and name != "obligors":
                tables[name] = df[df["obligor_id"].isin(known)].reset_index(drop=True)
    tables = {name: tables[name] for name in _ORDER if name in want}
    return _normalise_types(tables)


def _normalise_types(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """One dtype per kind: str ids, datetime64[ns] dates, float64 money, int64 counts."""
    for name, df in tables.items():
        for col in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[col]):
                if df[col].dtype != "datetime64[ns]":
                    df[col] = df[col].astype("datetime64[ns]")
            elif df[col].dtype == object:
                df[col] = df[col].astype("str")
        tables[name] = df
    return tables
