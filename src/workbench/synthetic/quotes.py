"""``quotes``: price quotes on the desk's (noisy) master-scale grade, accepted against the client's outside option."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.reference import MASTER_SCALE

from .codes import QUOTE_COLLATERAL
from .frames import frame, ns, str_take
from .latent import Latent
from .streams import S_QUOTE, rng

__all__ = ["quote_grade", "quotes_table"]

_QUOTE_COLUMNS = ("who", "date", "grade", "tenor", "coll", "offered", "accepted")


def quote_grade(pd_values: np.ndarray) -> np.ndarray:
    """Master-scale grade number (1 = best) of each PD, as int64."""
    return MASTER_SCALE.grade_number(pd_values).astype(np.int64)


def _quote_year(L: Latent, pd_true: np.ndarray, y: int, coll_lgd: np.ndarray,
                coll_p: list[float]) -> dict[str, np.ndarray]:
    """The quotes of calendar year ``y`` (columns ``_QUOTE_COLUMNS``, obligor positions in ``who``)."""
    n = L.s.n_obligors
    r = rng(L.s.seed, S_QUOTE, y + 1)
    counts = r.poisson(0.8 + 0.6 * (L.sales0 > 1500), n)
    who = np.repeat(np.arange(n), counts)
    t = 12 * y + r.integers(0, 12, len(who))
    t = np.minimum(t, L.T - 1)
    # Draw everything for every candidate quote first, then keep the valid ones, so that which
    # quotes are valid (it depends on the horizon) never shifts the random stream.
    k = len(who)
    grade_noise, coll_all = r.normal(0, 0.6, k), r.choice(len(coll_lgd), k, p=coll_p)
    tenor_pf, tenor_corp = r.choice([10.0, 15.0, 18.0], k), r.choice([1.0, 2.0, 3.0, 5.0, 7.0], k)
    offer_noise, accept_u, day_all = r.normal(0, 0.15, k), r.random(k), r.integers(0, 28, k)
    dm = L.default_month[who]
    ok = (t >= L.start_month[who]) & ((dm < 0) | (t < dm))  # no new quotes once in default
    who, t = who[ok], t[ok]
    p_true = pd_true[who, np.maximum(t - 1, 0)]  # the risk as of the month before the quote
    grade = quote_grade(p_true * np.exp(grade_noise[ok]))
    edges = MASTER_SCALE.edges
    grade_mid = np.sqrt(edges[grade - 1] * edges[grade])
    coll_idx = coll_all[ok]
    lgd = coll_lgd[coll_idx]
    tenor = np.where(L.is_pf[who], tenor_pf[ok], tenor_corp[ok])
    # The desk prices off its (noisy) grade; the client's outside option prices off the true risk.
    desk = 55 + 1e4 * grade_mid * lgd + 700 * np.sqrt(grade_mid) * lgd / 0.45 + 4 * tenor
    offered = desk * np.exp(offer_noise[ok])
    market = 55 + 1e4 * p_true * lgd + 700 * np.sqrt(p_true) * lgd / 0.45 + 4 * tenor
    p_accept = 1 / (1 + np.exp(-(0.6 + (market - offered) / 30.0)))
    accepted = accept_u[ok] < p_accept
    day = day_all[ok].astype("timedelta64[D]")
    return {"who": who, "date": L.first_days(t) + day, "grade": grade, "tenor": tenor, "coll": coll_idx,
            "offered": np.round(offered, 1), "accepted": accepted}


def quotes_table(L: Latent, pd_true: np.ndarray) -> pd.DataFrame:
    coll_types = list(QUOTE_COLLATERAL)
    coll_lgd = np.array([lgd for lgd, _ in QUOTE_COLLATERAL.values()])
    coll_p = [share for _, share in QUOTE_COLLATERAL.values()]
    years = [_quote_year(L, pd_true, y, coll_lgd, coll_p) for y in range(L.s.years)]
    q = {k: np.concatenate([year[k] for year in years]) for k in _QUOTE_COLUMNS}
    return frame({
        "quote_id": pd.array([f"QU{j:07d}" for j in range(1, len(q["who"]) + 1)], dtype="str"),
        "obligor_id": L.ids(q["who"]), "quote_date": ns(q["date"]),
        "grade": q["grade"], "tenor_years": q["tenor"], "collateral_type": str_take(coll_types, q["coll"]),
        "offered_spread_bps": q["offered"], "accepted": q["accepted"],
    })
