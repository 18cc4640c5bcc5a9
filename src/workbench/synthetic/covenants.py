"""``covenants``: the financial covenants of the term, revolving and project loans, and the monthly
breaches they produce when tested on the statements.

Which facilities carry covenants: most term loans (1-3 covenants among maximum leverage, minimum
interest cover and minimum equity ratio), every project loan (minimum DSCR, often a maximum leverage too)
and some revolvers (one). Thresholds are set with headroom against the obligor's statement at the
covenant's start (the latest usable then, else its first statement): a maximum leverage a cushion above
the leverage then, minimum covers a margin below the covers then and at most their customary levels
(interest cover 1.5-3.0x, DSCR 1.1-1.3x, equity ratio 0.15-0.30). A type the starting statement cannot
support (a negative or missing cover) is not agreed.

Timing. A covenant sits in the client's credit agreement and is tested from that agreement's date:
the relationship start for a corporate, the project's financial close for a project company. The
facilities table is the book at the extract date, whose origination dates spread over whatever horizon
is generated (and end with the obligor's last month); testing from them would make the breaches of a
month depend on the length of the horizon and on a later default. Tested from the agreement date, a
month's breaches depend only on the statements usable then, so later years leave earlier behaviour
unchanged (``tests/synthetic/test_portfolio.py``). The facility named is the loan the covenant sits in
today (refinancings keep the package), so its origination may be later than ``start_date``.

Breaches: ``covenant_breaches`` tests every covenant at every test date of the horizon with
``workbench.data.covenants`` (the same tests ``workbench.accounts.covenant_tests`` runs) and marks the
obligor-months with at least one breached test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.data.covenants import (
    DEFAULT_DSCR_AMORTISATION_YEARS,
    DEFAULT_REPORTING_LAG_DAYS,
    covenant_ratio,
    evaluate_tests,
    month_index,
    test_schedule,
    usable_statements,
)
from workbench.reference import COVENANT_TYPES

from .codes import PROJECT_LOAN, REVOLVER, TERM_LOAN
from .facilities import facility_ids
from .frames import frame, ns
from .latent import Latent
from .obligors import relationship_start
from .streams import S_COV, rng

__all__ = ["covenants_table", "covenant_breaches"]

MAX_LEVERAGE, MIN_INTEREST_COVER, MIN_DSCR, MIN_EQUITY_RATIO = range(len(COVENANT_TYPES))
# Covenant-bearing products, each an obligor holds at most one of: the slot of its draws.
_SLOTS = (TERM_LOAN, REVOLVER, PROJECT_LOAN)
_P_CARRY = (0.85, 0.30, 1.0)
# A term loan's number of covenants (1, 2, 3): cumulative probabilities.
_COUNT_CDF_TL = (0.35, 0.80)
# Which types a term loan / revolver agrees first: smaller key first (leverage the most common).
_ORDER_SCALE = {MAX_LEVERAGE: 0.6, MIN_INTEREST_COVER: 0.8, MIN_EQUITY_RATIO: 1.0}
# Test frequency (3, 6, 12 months): cumulative probabilities, corporate loans and project loans.
_FREQ_CDF_CORP, _FREQ_CDF_PF = (0.45, 0.75), (0.0, 0.75)
_FREQUENCIES = np.array([3, 6, 12])
# Per type: the customary threshold range (low, high; none for a leverage maximum, which is set from the
# start) and the headroom range (low, high) at the start: absolute for the ratios in [0, 1], relative
# (cover at start / (1 + headroom)) for the covers.
_CUSTOMARY = {MAX_LEVERAGE: (1.0, 1.0), MIN_INTEREST_COVER: (1.5, 3.0), MIN_DSCR: (1.1, 1.3),
              MIN_EQUITY_RATIO: (0.15, 0.30)}
_HEADROOM = {MAX_LEVERAGE: (0.08, 0.18), MIN_INTEREST_COVER: (1.0, 2.0), MIN_DSCR: (0.35, 0.60),
             MIN_EQUITY_RATIO: (0.08, 0.15)}
# Uniform draws per obligor and slot: carry, count, frequency, then per type an order key, a position in
# the customary range and a headroom.
_U_CARRY, _U_COUNT, _U_FREQ, _U_TYPE = 0, 1, 2, 3
_N_U = 3 + 3 * len(COVENANT_TYPES)


def _starting_ratios(ob_ids: pd.Series, start: np.ndarray, financials: pd.DataFrame) -> np.ndarray:
    """(covenant-bearing loans, types) ratios of the statement each loan's covenants are set against:
    the latest usable at ``start``, else the obligor's first usable statement."""
    usable = usable_statements(financials, DEFAULT_REPORTING_LAG_DAYS).astype({"obligor_id": "str"})
    left = pd.DataFrame({"_row": np.arange(len(start)), "obligor_id": pd.array(np.asarray(ob_ids, dtype=object), dtype="str"),
                         "start": ns(start)}).sort_values("start", kind="stable")
    kw = dict(left_on="start", right_on="available_date", by="obligor_id")
    back = pd.merge_asof(left, usable, direction="backward", **kw).set_index("_row").sort_index()
    ahead = pd.merge_asof(left, usable, direction="forward", **kw).set_index("_row").sort_index()
    basis = back.where(back["period_end"].notna(), ahead)
    return np.column_stack([covenant_ratio(np.full(len(start), t, dtype=object), basis,
                                           DEFAULT_DSCR_AMORTISATION_YEARS) for t in COVENANT_TYPES])


def _thresholds(code: np.ndarray, basis: np.ndarray, u_level: np.ndarray, u_room: np.ndarray) -> np.ndarray:
    lo, hi = (np.array([_CUSTOMARY[k][j] for k in range(len(COVENANT_TYPES))])[code] for j in (0, 1))
    room_lo, room_hi = (np.array([_HEADROOM[k][j] for k in range(len(COVENANT_TYPES))])[code] for j in (0, 1))
    customary = lo + (hi - lo) * u_level
    room = room_lo + (room_hi - room_lo) * u_room
    with np.errstate(invalid="ignore", divide="ignore"):
        threshold = np.select(
            [code == MAX_LEVERAGE, code == MIN_EQUITY_RATIO],
            [np.minimum(basis + room, 0.98), np.minimum(customary, basis - room)],
            np.minimum(customary, basis / (1 + room)))
    # A thin equity ratio at the start still gets a (low) positive floor.
    return np.round(np.maximum(threshold, 0.01), 4)


def covenants_table(L: Latent, draws: dict[str, np.ndarray], financials: pd.DataFrame,
                    projects: pd.DataFrame) -> pd.DataFrame:
    """The ``covenants`` table (sorted by obligor, facility and type) from the facility draws, the
    statements and the projects' financial close."""
    n = L.s.n_obligors
    u = rng(L.s.seed, S_COV, 0).random((n, len(_SLOTS), _N_U))  # fixed consumption: independent of the horizon
    fac_ids = facility_ids(len(draws["ob"]))
    slot_of = {p: k for k, p in enumerate(_SLOTS)}
    bearing = np.flatnonzero(np.isin(draws["prod"], _SLOTS))
    ob = draws["ob"][bearing]
    slot = np.array([slot_of[p] for p in draws["prod"][bearing].tolist()], dtype=np.int64)
    uu = u[ob, slot]
    carry = uu[:, _U_CARRY] < np.asarray(_P_CARRY)[slot]
    bearing, ob, slot, uu = bearing[carry], ob[carry], slot[carry], uu[carry]

    close = projects.set_index("obligor_id")["financial_close"]
    start = relationship_start(L)[ob]
    is_pl = slot == _SLOTS.index(PROJECT_LOAN)
    pf_close = close.reindex(pd.Index(np.asarray(L.ids(ob[is_pl]), dtype=object))).to_numpy(dtype="datetime64[ns]")
    start[is_pl] = np.where(np.isnat(pf_close), start[is_pl], pf_close)
    basis = _starting_ratios(L.ids(ob), start, financials)

    # Per loan and type: is the type agreed? Order keys pick a term loan's / revolver's types.
    n_types = len(COVENANT_TYPES)
    key = np.full((len(ob), n_types), np.inf)
    for t, scale in _ORDER_SCALE.items():
        key[:, t] = uu[:, _U_TYPE + 3 * t] * scale
    supported = np.isfinite(basis) & ((basis > 0) | (np.arange(n_types) == MAX_LEVERAGE))
    key[~supported] = np.inf
    count = np.where(slot == _SLOTS.index(TERM_LOAN),
                     1 + np.searchsorted(_COUNT_CDF_TL, uu[:, _U_COUNT], side="right"), 1)
    rank = np.argsort(np.argsort(key, axis=1, kind="stable"), axis=1, kind="stable")
    agreed = (rank < count[:, None]) & np.isfinite(key)
    # A project loan: the DSCR always (if the statement supports it), a leverage maximum half the time.
    agreed[is_pl] = False
    agreed[is_pl, MIN_DSCR] = supported[is_pl, MIN_DSCR]
    agreed[is_pl, MAX_LEVERAGE] = (uu[is_pl, _U_COUNT] < 0.5) & supported[is_pl, MAX_LEVERAGE]
    freq = _FREQUENCIES[np.where(is_pl, np.searchsorted(_FREQ_CDF_PF, uu[:, _U_FREQ], side="right"),
                                 np.searchsorted(_FREQ_CDF_CORP, uu[:, _U_FREQ], side="right"))]

    loan, code = np.nonzero(agreed)  # ordered by loan (obligor, facility), then type
    threshold = _thresholds(code, basis[loan, code], uu[loan, _U_TYPE + 3 * code + 1], uu[loan, _U_TYPE + 3 * code + 2])
    m = len(loan)
    return frame({
        "covenant_id": pd.array([f"CV{j:07d}" for j in range(1, m + 1)], dtype="str"),
        "facility_id": fac_ids.take(bearing[loan]),
        "obligor_id": L.ids(ob[loan]),
        "type": pd.array(np.asarray(COVENANT_TYPES)[code], dtype="str"),
        "threshold": threshold,
        "test_frequency_months": freq[loan].astype(np.int64),
        "start_date": ns(start[loan]),
    })


def covenant_breaches(L: Latent, covenants: pd.DataFrame, financials: pd.DataFrame) -> np.ndarray:
    """(n, T) bool: a covenant of the obligor was tested that month end and breached."""
    first = int(month_index(L.months.values[:1])[0])
    pos, test_month = test_schedule(month_index(covenants["start_date"]),
                                    covenants["test_frequency_months"].to_numpy(), first, first + L.T - 1)
    tested = evaluate_tests(covenants["obligor_id"].to_numpy(dtype=object)[pos], covenants["type"].to_numpy()[pos],
                            covenants["threshold"].to_numpy()[pos], L.months.values[test_month - first],
                            usable_statements(financials, DEFAULT_REPORTING_LAG_DAYS))
    hit = tested["breached"].to_numpy()
    ob = pd.Index(np.asarray(L.ob_ids, dtype=object)).get_indexer(covenants["obligor_id"].to_numpy(dtype=object)[pos[hit]])
    breach = np.zeros((L.s.n_obligors, L.T), dtype=bool)
    breach[ob, test_month[hit] - first] = True
    return breach
