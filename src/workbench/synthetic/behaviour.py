"""``behaviour``: monthly utilisation, days past due, overdue amount, covenant breaches and credit turnover.

The covenant breaches are not drawn here: they are the tests of the ``covenants`` table on the
statements (``covenants.covenant_breaches``), set into ``Behaviour.breach`` before the table is made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .codes import DPD90
from .defaults import default_type_codes
from .frames import frame, ns
from .latent import Latent
from .streams import S_BEH, S_DEFTYPE, S_FAC, rng

__all__ = ["Behaviour", "facility_limits", "draw_behaviour", "behaviour_table"]


def facility_limits(L: Latent) -> np.ndarray:
    """Per obligor, the total limit of its facilities (project companies borrow three times more)."""
    r = rng(L.s.seed, S_FAC, 0)
    return L.sales0 * r.uniform(0.08, 0.30, L.s.n_obligors) * np.where(L.is_pf, 3.0, 1.0)


@dataclass
class Behaviour:
    """The monthly behaviour as (n, T) arrays (the table is their active cells)."""

    util: np.ndarray
    dpd: np.ndarray
    overdue: np.ndarray
    breach: np.ndarray  # all False until ``covenants.covenant_breaches`` fills it in
    turnover: np.ndarray
    type_code: np.ndarray  # default type per obligor (position in DEFAULT_TYPE_ORDER), -1 without default


def draw_behaviour(L: Latent) -> Behaviour:
    """Monthly utilisation, days past due (a roll-rate chain driven by z) and the credit turnover
    through the client's accounts with the bank (its receipts: sales, as far as they run through this
    bank, move with the client's condition month by month); no covenant breach yet."""
    s, n, T = L.s, L.s.n_obligors, L.T
    limit = facility_limits(L)
    base_util = rng(s.seed, S_BEH, 0).beta(5.0, 6.0, n)
    # Share of the client's receipts that run through this bank: a relationship trait.
    wallet = rng(s.seed, S_BEH, 10_000).beta(4.0, 6.0, n) * np.exp(rng(s.seed, S_BEH, 10_001).normal(0, 0.3, n))
    turnover = np.empty((n, T))
    state = np.zeros(n, dtype=np.int64)  # 0 current, 1: 1-29, 2: 30-59, 3: 60-89 days past due
    util = np.empty((n, T))
    dpd = np.zeros((n, T), dtype=np.int64)
    overdue = np.zeros((n, T))
    breach = np.zeros((n, T), dtype=bool)
    for y in range(s.years):
        r = rng(s.seed, S_BEH, y + 1)
        draws = r.random((n, 12, 5))
        noise = r.normal(0, 0.02, (n, 12))
        turnover_noise = rng(s.seed, S_BEH, 20_000 + y).normal(0, 0.03, (n, 12))
        for m in range(12):
            t = 12 * y + m
            if t >= T:
                break
            z = L.z[:, t]
            u = draws[:, m]
            p_late = ndtr(-2.6 - 1.0 * z)
            p_cure = np.clip(0.62 + 0.12 * z, 0.10, 0.95)
            p_roll = ndtr(-0.8 - 0.8 * z)
            new_state = np.where(state == 0, (u[:, 0] < p_late).astype(np.int64), state)
            late = state > 0
            cure = late & (u[:, 0] < p_cure)
            roll = late & ~cure & (u[:, 1] < p_roll)
            new_state = np.where(cure, 0, np.where(roll, np.minimum(state + 1, 3), new_state))
            state = new_state
            spike = (u[:, 2] < 0.01 + 0.08 * ndtr(-z - 1.5)) * 0.25
            util[:, t] = np.clip(base_util + 0.25 * np.tanh(-z / 1.5) + spike + noise[:, m], 0.0, 1.2)
            dpd[:, t] = np.where(state > 0, 30 * (state - 1) + 1 + (u[:, 3] * 29).astype(np.int64), 0)
            overdue[:, t] = np.where(state > 0, limit * util[:, t] * (0.01 + 0.04 * state), 0.0)
            # (u[:, 4] drew the covenant breaches before they were derived from the covenants; the
            # stream's draws stay as they were, so the other columns are unchanged.)
            turnover[:, t] = wallet * L.sales0 / 12 * np.exp(0.12 * z + turnover_noise[:, m])
    # A 90-day default shows in its default month; decided here so the behaviour table is consistent.
    dtype_code = default_type_codes(L, state_before=dpd)
    for i in np.flatnonzero((L.default_month >= 0) & (dtype_code == DPD90)).tolist():
        t = L.default_month[i]
        dpd[i, t] = 90 + int(rng(s.seed, S_DEFTYPE, 1_000_000 + i).integers(0, 60))
        overdue[i, t] = max(overdue[i, t], limit[i] * util[i, t] * 0.2)
    return Behaviour(util, dpd, overdue, breach, turnover, dtype_code)


def behaviour_table(L: Latent, B: Behaviour) -> pd.DataFrame:
    ii, tt = np.nonzero(L.active())
    return frame({
        "obligor_id": L.ids(ii),
        "month_end": ns(L.months.values)[tt],
        "utilisation": np.round(B.util[ii, tt], 4),
        "days_past_due": B.dpd[ii, tt],
        "overdue_amount": np.round(B.overdue[ii, tt], 4),
        "covenant_breach": B.breach[ii, tt],
        "credit_turnover": np.round(B.turnover[ii, tt], 4),
    })
