"""What the dossier notebook and `workbench report dossier` call around the library: the book of an
as-of built once and kept for every dossier rendered in the same kernel, one client's dossier with its
watchlist history from the accounts database, and which clients a batch renders.

The book is cached in this process by everything it depends on (as-of, the data's files, model run,
params, accounts database): a batch renders its first dossier in the time the book takes and every
other one in about a second; a change of any input builds a new book.
"""

from __future__ import annotations

import pandas as pd

from ..accounts.calendar import service_calendar
from ..accounts.dossier import Dossier, DossierBook, client_dossier
from ..accounts.monthly import monitoring_book
from ..accounts.needs import needs_profile
from ..accounts.overrides import apply_overrides
from ..accounts.profitability import client_profitability
from ..accounts.report import month_report
from ..accounts.store import AccountsStore, accounts_url
from ..data import read_tables
from ..models import load_pd_model
from ..params import params_hash
from ..paths import resolve_path
from ..tracking import resolve_output
from .params import AccountDossierParams

__all__ = ["dossier_book", "dossier_for", "select_clients", "largest_client"]

_BOOKS: dict[tuple, DossierBook] = {}
_MODELS: dict[str, object] = {}
_STORES: dict[str, AccountsStore] = {}


def _files_key(directory) -> tuple:
    """The portfolio's files by name, size and modification time: changes when the data does, without
    reading it (hashing the bytes for every dossier of a batch would cost more than the dossier)."""
    return tuple(sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in directory.glob("*.parquet")))


def _store(url: str) -> AccountsStore:
    """The accounts database, opened (checked and migrated) once per process and URL."""
    if url not in _STORES:
        _STORES[url] = AccountsStore.open(url)
    return _STORES[url]


def _model(training_run_id: str):
    if training_run_id not in _MODELS:
        _MODELS[training_run_id] = load_pd_model(resolve_output(training_run_id, "model"))
    return _MODELS[training_run_id]


def dossier_book(cfg: AccountDossierParams, training_run_id: str) -> DossierBook:
    """The inputs every dossier of ``cfg.as_of`` shares (cached; see the module docstring)."""
    data = resolve_path(cfg.data_dir)
    url = accounts_url(cfg.accounts_db or None)
    key = (cfg.as_of, _files_key(data), training_run_id, params_hash(cfg.dossier), url)
    if key in _BOOKS:
        return _BOOKS[key]
    store = _store(url)
    as_of = pd.Timestamp(cfg.as_of)
    tables = read_tables(data)
    model = _model(training_run_id)
    if "interactions" in tables:
        store.import_interactions(tables["interactions"], prune=True)  # the data is the record of its own rows
    book = monitoring_book(tables, model, cfg.monitoring, through=as_of)
    stored = [d for d in store.stored_as_of() if pd.Timestamp(d) == as_of]
    watchlist = store.read_watchlist(as_of) if stored else None
    overrides = store.read_overrides()
    month = month_report(book, tables, as_of, cfg.monitoring, _watchlist_or_empty(watchlist, as_of),
                         overrides=overrides)
    scored = apply_overrides(book.scored_at(as_of), overrides, as_of, cfg.overrides)
    profitability = client_profitability(month.per_facility, month.exposures, scored, tables["financials"],
                                         cfg.pricing.economics.hurdle_rate)
    needs = needs_profile(tables.get("questionnaires"), scored, tables["facilities"], cfg.needs, as_of=as_of)
    covenants = None
    if "covenants" in tables:
        from ..accounts.covenants import covenant_tests

        covenants = covenant_tests(tables["covenants"], tables["financials"], as_of)
    interactions = store.read_interactions(as_of)
    calendar = service_calendar(month.tiers, interactions, tables["facilities"], covenants, as_of=as_of,
                                obligors=tables["obligors"], data_start=book.months[0], params=cfg.calendar)
    built = DossierBook(as_of, tables, book, month, scored, profitability, needs, calendar, interactions,
                        covenant_tests=covenants, model=model, store_url=store.url, proposal=cfg.proposal)
    _BOOKS.clear()  # one as-of at a time: a batch never needs two books in memory
    _BOOKS[key] = built
    return built


def _watchlist_or_empty(watchlist: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    from ..accounts.watchlist import WATCHLIST_COLUMNS, normalise_watchlist

    if watchlist is not None:
        return watchlist
    return normalise_watchlist(pd.DataFrame(columns=list(WATCHLIST_COLUMNS)))


def largest_client(book: DossierBook, tier: str = "A") -> str:
    """The client of ``tier`` with the largest exposure at the as-of (the dossier's default client)."""
    tiers = book.month.tiers
    chosen = tiers[tiers["tier"] == tier].sort_values(["exposure", "obligor_id"], ascending=[False, True])
    if chosen.empty:
        raise LookupError(f"no tier-{tier} client at {book.as_of:%Y-%m-%d}: name one with obligor_id")
    return str(chosen["obligor_id"].iloc[0])


def dossier_for(book: DossierBook, cfg: AccountDossierParams) -> Dossier:
    """The dossier of ``cfg.obligor_id`` (else the largest tier-A client), with its watchlist history."""
    obligor_id = cfg.obligor_id or largest_client(book)
    history = _store(book.store_url).watchlist_history(obligor_id)
    return client_dossier(book, obligor_id, watchlist_history=history)


def select_clients(tiers: pd.DataFrame, exposures: pd.DataFrame, *, tier: str = "", top: int | None = None,
                   obligors: list[str] | None = None) -> list[str]:
    """The clients a dossier batch renders: those named, else the tier's clients (its ``top`` largest
    by exposure), in that order; a ValueError naming what is unknown."""
    known = set(tiers["obligor_id"])
    if obligors:
        unknown = [o for o in obligors if o not in known]
        if unknown:
            raise ValueError(f"obligor(s) {', '.join(unknown)} are not tiered clients at the as-of "
                             f"(e.g. {', '.join(sorted(known)[:3])})")
        return list(dict.fromkeys(obligors))
    if tier not in set(tiers["tier"]):
        raise ValueError(f"no client of tier {tier!r} at the as-of (tiers: {', '.join(sorted(set(tiers['tier'])))})")
    chosen = tiers[tiers["tier"] == tier][["obligor_id"]].merge(
        exposures[["obligor_id", "ead"]], on="obligor_id", how="left").fillna({"ead": 0.0})
    chosen = chosen.sort_values(["ead", "obligor_id"], ascending=[False, True])
    ids = chosen["obligor_id"].tolist()
    return ids[:top] if top else ids
