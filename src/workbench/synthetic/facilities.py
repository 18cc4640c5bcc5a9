"""``facilities``: each obligor's product mix and each facility's terms, limit, drawn amount and spread.

Each obligor draws from its own stream, so its facilities do not depend on anyone else's history.
"""

from __future__ import annotations

import bisect

import numpy as np
import pandas as pd

from .behaviour import Behaviour, facility_limits
from .codes import (
    BALLOON,
    BULLET,
    COLLATERAL_ORDER,
    FINANCIAL,
    GUARANTEE,
    OTHER_PHYSICAL,
    PRODUCT_ORDER,
    PROJECT_LOAN,
    REAL_ESTATE,
    RECEIVABLES,
    REPAYMENT_ORDER,
    REVOLVER,
    REVOLVING,
    SCULPTED,
    SENIORITY_ORDER,
    TERM_LOAN,
    TRADE_FINANCE,
    UNSECURED,
)
from .frames import add_years, frame, ns, str_take
from .latent import Latent
from .streams import S_FAC, rng

__all__ = ["facility_draws", "facility_ids", "facilities_table"]

# A corporate's product mix: term loan, revolver, trade finance, guarantee (drawn without replacement).
_CORP_P = [0.35, 0.35, 0.18, 0.12]
# Term loans: repayment (annuity, equal principal, bullet, balloon) and collateral; revolvers and the
# other corporate products: collateral.
_REPAY_P_TL = [0.35, 0.3, 0.15, 0.2]
_COLL_TL, _COLL_P_TL = (REAL_ESTATE, OTHER_PHYSICAL, FINANCIAL, UNSECURED), [0.35, 0.2, 0.05, 0.4]
_COLL_RV, _COLL_P_RV = (RECEIVABLES, UNSECURED), [0.4, 0.6]
_COLL_OT, _COLL_P_OT = (FINANCIAL, UNSECURED), [0.2, 0.8]
_TENOR_TL, _TENOR_RV, _TENOR_GU = (3, 5, 7, 10), (1, 3, 5), (1, 2, 3, 5)
_DRAW_COLUMNS = {"ob": np.int64, "prod": np.int64, "share": np.float64, "orig_month": np.int64, "day": np.int64,
                 "tenor": np.int64, "repay": np.int64, "coll": np.int64, "coll_u": np.float64,
                 "spread_noise": np.float64, "sub": bool}


def _cdf(p: list[float], zero: tuple[int, ...] = ()) -> list[float]:
    """The cdf ``Generator.choice`` searches (``cumsum(p) / total``), with entries ``zero`` removed."""
    arr = np.array(p, dtype=np.float64)
    arr[list(zero)] = 0
    cdf = np.cumsum(arr)
    cdf /= cdf[-1]
    return cdf.tolist()


def _corporate_products(r: np.random.Generator, corp_cdfs: dict[tuple[int, ...], list[float]]) -> list[int]:
    """``rng.choice(4, k, replace=False, p=_CORP_P)`` with ``k = 1 + binomial(3, 0.45)``, step by step.

    ``corp_cdfs`` caches the cdf of the products not yet drawn, by the (sorted) ones drawn.
    """
    k = 1 + int(r.binomial(3, 0.45))
    products: list[int] = []
    while len(products) < k:
        key = tuple(sorted(products))
        cdf = corp_cdfs.get(key)
        if cdf is None:
            cdf = corp_cdfs[key] = _cdf(_CORP_P, key)
        for x in r.random(k - len(products)).tolist():
            new = bisect.bisect_right(cdf, x)
            if new not in products:
                products.append(new)
    return products


def _limit_shares(r: np.random.Generator, n_prod: int, is_pf: bool) -> list[float]:
    """How the obligor's total limit splits over its products: ``rng.dirichlet(np.ones(n_prod))``
    (unit gammas are exponentials, scaled by 1 / their sum); a project's loan takes 90 %."""
    if n_prod == 1:
        return [1.0]
    g = r.standard_exponential(n_prod)
    acc = 0.0
    for v in g.tolist():
        acc = acc + v
    shares = (g * (1 / acc)).tolist()
    return [0.9, 0.1] if is_pf else shares


def facility_draws(L: Latent) -> dict[str, np.ndarray]:
    """Per obligor, from its own stream: the product mix and each facility's terms (raw draws).

    The draws are the ones ``Generator.choice``/``dirichlet`` would make, taken directly
    (``choice`` without ``p`` is ``integers``; with ``p`` a uniform searched in the cdf; the
    weighted sample without replacement and the flat Dirichlet follow numpy's algorithms), which
    is the same stream and the same numbers at a fraction of the per-call cost.
    """
    s, T = L.s, L.T
    start, last = L.start_month.tolist(), L.last_month.tolist()
    is_pf = L.is_pf.tolist()
    corp_cdfs: dict[tuple[int, ...], list[float]] = {}
    cdf_repay, cdf_tl, cdf_rv, cdf_ot = _cdf(_REPAY_P_TL), _cdf(_COLL_P_TL), _cdf(_COLL_P_RV), _cdf(_COLL_P_OT)
    out: dict[str, list] = {k: [] for k in _DRAW_COLUMNS}
    ob_, prod_, share_, om_, day_, tenor_ = (out[k] for k in ("ob", "prod", "share", "orig_month", "day", "tenor"))
    repay_, coll_, coll_u_, noise_, sub_ = (out[k] for k in ("repay", "coll", "coll_u", "spread_noise", "sub"))
    for i in range(s.n_obligors):
        if start[i] >= T:
            continue
        r = rng(s.seed, S_FAC, 1_000_000 + i)  # per obligor: independent of everyone else's history
        integers, random = r.integers, r.random
        if is_pf[i]:
            products = [PROJECT_LOAN, REVOLVER] if random() < 0.6 else [PROJECT_LOAN]
        else:
            products = _corporate_products(r, corp_cdfs)
        shares = _limit_shares(r, len(products), is_pf[i])
        lo, hi = start[i], max(start[i] + 1, last[i] + 1)
        for prod, share in zip(products, shares):
            ob_.append(i)
            prod_.append(prod)
            share_.append(share)
            om_.append(integers(lo, hi))
            day_.append(integers(0, 27))
            t_pl = integers(12, 21)
            t_tl = _TENOR_TL[integers(0, 4)]
            t_rv = _TENOR_RV[integers(0, 3)]
            t_gu = _TENOR_GU[integers(0, 4)]
            if prod == PROJECT_LOAN:
                tenor_.append(t_pl)
                repay_.append(SCULPTED)
                coll = OTHER_PHYSICAL
            elif prod == TERM_LOAN:
                tenor_.append(t_tl)
                repay_.append(bisect.bisect_right(cdf_repay, random()))
                coll = _COLL_TL[bisect.bisect_right(cdf_tl, random())]
            elif prod == REVOLVER:
                tenor_.append(t_rv)
                repay_.append(REVOLVING)
                coll = _COLL_RV[bisect.bisect_right(cdf_rv, random())]
            else:
                tenor_.append(1 if prod == TRADE_FINANCE else t_gu)
                repay_.append(BULLET)
                coll = _COLL_OT[bisect.bisect_right(cdf_ot, random())]
            coll_.append(coll)
            coll_u_.append(np.nan if coll == UNSECURED else r.uniform(0.4, 1.6))
            noise_.append(r.normal(0, 15))
            sub_.append(random() < 0.07)
    return {k: np.array(v, dtype=_DRAW_COLUMNS[k]) for k, v in out.items()}


def facility_ids(n: int) -> pd.api.extensions.ExtensionArray:
    """The ids of the first ``n`` facilities in draw order (``facility_draws`` rows)."""
    return pd.array([f"FA{j:07d}" for j in range(1, n + 1)], dtype="str")


def facilities_table(L: Latent, B: Behaviour, pd_true: np.ndarray,
                     draws: dict[str, np.ndarray] | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """The facility table, and the obligor position of each facility (``draws``: ``facility_draws(L)``,
    when already drawn)."""
    n = L.s.n_obligors
    limit_total = facility_limits(L)
    # The revolving products are drawn as in the obligor's last behaviour month.
    has_months = (L.start_month < L.T) & (L.start_month <= L.last_month)
    util_last = np.round(B.util[np.arange(n), np.clip(L.last_month, 0, L.T - 1)], 4)
    util_by_obligor = np.where(has_months, util_last, 0.5)
    d = facility_draws(L) if draws is None else draws
    ob, prod, repay = d["ob"], d["prod"], d["repay"]
    tenor = d["tenor"]
    limit = np.maximum(limit_total[ob] * d["share"], 0.5)
    orig = L.first_days(d["orig_month"]).astype("datetime64[D]") + d["day"].astype("timedelta64[D]")
    maturity = add_years(orig, tenor)
    coll_value = np.where(d["coll"] == UNSECURED, 0.0, limit * d["coll_u"])
    pd_orig = pd_true[ob, d["orig_month"]]
    spread = np.clip(70 + 3500 * pd_orig ** 0.7 + d["spread_noise"], 25, 900)
    snap_date = L.months.values[np.minimum(L.last_month, L.T - 1)[ob]].astype("datetime64[D]")
    elapsed = np.maximum((snap_date - orig).astype(np.int64) / 365.25, 0.0)
    amortised = limit * np.maximum(1 - elapsed / tenor.astype(np.float64), np.where(repay == BALLOON, 0.4, 0.0))
    branch = np.select([maturity <= snap_date, (prod == REVOLVER) | (prod == TRADE_FINANCE), prod == GUARANTEE,
                        repay == BULLET], [0, 1, 2, 3], 4)
    # Matured and repaid before the snapshot; revolving as last drawn; guarantees and bullets in full.
    drawn = np.choose(branch, [0.0, limit * np.minimum(util_by_obligor[ob], 1.0), limit, limit, amortised])
    df = frame({
        "facility_id": facility_ids(len(ob)),
        "obligor_id": L.ids(ob),
        "product": str_take(PRODUCT_ORDER, prod),
        "limit": np.round(limit, 4),
        "drawn": np.round(drawn, 4),
        "origination_date": ns(orig),
        "maturity_date": ns(maturity),
        "repayment_type": str_take(REPAYMENT_ORDER, repay),
        "spread_bps": np.round(spread, 1),
        "collateral_type": str_take(COLLATERAL_ORDER, d["coll"]),
        "collateral_value": np.round(coll_value, 4),
        "seniority": str_take(SENIORITY_ORDER, d["sub"].astype(np.int64)),
    })
    return df, ob
