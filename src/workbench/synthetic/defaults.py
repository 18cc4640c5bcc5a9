"""``defaults``: the type of each default, and its exposure and recovery from the live facilities."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.reference import NO_COLLATERAL

from .codes import (
    BANKRUPTCY,
    DEFAULT_TYPE_ORDER,
    DISTRESSED_RESTRUCTURING,
    DPD90,
    PRODUCT_ORDER,
    REVOLVER,
    TRADE_FINANCE,
    UNLIKELY_TO_PAY,
)
from .frames import frame, ns, str_take
from .latent import Latent
from .streams import S_DEFTYPE, rng

__all__ = ["default_type_codes", "defaults_table"]

# Products whose undrawn limit counts at 75 % in the exposure at default (credit conversion factor).
_CCF_PRODUCTS = (PRODUCT_ORDER[REVOLVER], PRODUCT_ORDER[TRADE_FINANCE])


def default_type_codes(L: Latent, state_before: np.ndarray) -> np.ndarray:
    """Per obligor, a position in ``DEFAULT_TYPE_ORDER`` (90dpd, bankruptcy, distressed restructuring,
    unlikely to pay); -1 = no default. ``state_before``: (n, T) days past due."""
    n = L.s.n_obligors
    u = rng(L.s.seed, S_DEFTYPE, 0).random(n)
    prev = np.where(L.default_month > 0, state_before[np.arange(n), np.maximum(L.default_month - 1, 0)], 0)
    # A 90-days-past-due default needs 60-89 days of arrears the month before; the others
    # (insolvency filings, distressed restructurings, unlikeliness to pay) can come without.
    other = np.select([u < 0.35, u < 0.70], [BANKRUPTCY, DISTRESSED_RESTRUCTURING], UNLIKELY_TO_PAY)
    code = np.where((prev >= 60) & (u < 0.9), DPD90, other)
    return np.where(L.default_month >= 0, code, -1)


def defaults_table(L: Latent, facilities: pd.DataFrame, fac_ob: np.ndarray, type_code: np.ndarray) -> pd.DataFrame:
    """One row per defaulter: date, type, exposure at default and recovery (LGD drawn around the
    collateral cover). ``fac_ob``: the obligor position of each facility."""
    who = np.flatnonzero(L.default_month >= 0)
    # Facilities that matured before the default are repaid and carry no exposure.
    live = (facilities["drawn"] > 0).to_numpy()
    fac = facilities.loc[live, ["product", "limit", "drawn", "collateral_type", "collateral_value"]]
    fac = fac.assign(ob=fac_ob[live], undrawn=(fac["limit"] - fac["drawn"]).clip(lower=0))
    ccf = np.where(fac["product"].isin(list(_CCF_PRODUCTS)), 0.75, 0.0)
    fac = fac.assign(ead=fac["drawn"] + ccf * fac["undrawn"],
                     cover=np.where(fac["collateral_type"] == NO_COLLATERAL, 0.0, fac["collateral_value"]))
    by = fac.groupby("ob")[["ead", "cover"]].sum()
    ead = by["ead"].reindex(who).fillna(0.0).to_numpy()
    cover = by["cover"].reindex(who).fillna(0.0).to_numpy()
    coverage = np.divide(cover, ead, out=np.zeros_like(ead), where=ead > 0)
    lgd_mean = np.clip(0.50 - 0.30 * np.minimum(coverage, 1.2), 0.08, 0.75)
    conc = 4.0
    # One stream per defaulter: a longer horizon adds defaults without redrawing earlier ones.
    lgd = np.empty(len(who))
    day = np.empty(len(who), dtype=np.int64)
    for j, (i, m) in enumerate(zip(who.tolist(), lgd_mean.tolist())):
        g = rng(L.s.seed, S_DEFTYPE, 2_000_000 + i)
        lgd[j] = g.beta(m * conc, (1 - m) * conc)
        day[j] = g.integers(0, 28)
    month_start = L.first_days(L.default_month[who])
    order = np.argsort(L.ob_rank[who], kind="stable")
    return frame({
        "obligor_id": L.ids(who[order]),
        "default_date": ns(month_start + day.astype("timedelta64[D]"))[order],
        "default_type": str_take(DEFAULT_TYPE_ORDER, type_code[who][order]),
        "ead": np.round(ead, 4)[order],
        "recovery": np.round(ead * (1 - lgd), 4)[order],
    })
