"""``obligors``: name, industry, region, segment, size band, sales, group and relationship start."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.reference import INDUSTRY_CODES, REGIONS

from .codes import SEGMENT_ORDER, SIZE_BAND_ORDER
from .frames import frame, ns, str_take
from .latent import Latent
from .streams import S_STATIC, rng

__all__ = ["obligors_table", "relationship_start"]

_SYLL_A = ("Nord", "Alp", "Bel", "Cor", "Dan", "Ever", "Fal", "Gran", "Hel", "Ivo", "Jun", "Kast",
           "Lum", "Mar", "Nov", "Or", "Pax", "Quer", "Rhen", "Sol", "Tav", "Ul", "Ver", "West")
_SYLL_B = ("ia", "ex", "on", "ar", "is", "um", "ona", "eta", "ico", "and", "ent", "ora")
_SUFFIX = ("AG", "SA", "NV", "SpA", "AB", "plc", "GmbH", "Group", "Holding", "SE")


def obligors_table(L: Latent) -> pd.DataFrame:
    s, r = L.s, rng(L.s.seed, S_STATIC, 1)
    n = s.n_obligors
    sector = [code.split('_')[0].title() for code in INDUSTRY_CODES]
    names = [f"{_SYLL_A[a]}{_SYLL_B[b]} {sector[k]} {_SUFFIX[c]}"
             for a, b, c, k in zip(r.integers(0, len(_SYLL_A), n).tolist(), r.integers(0, len(_SYLL_B), n).tolist(),
                                   r.integers(0, len(_SUFFIX), n).tolist(), L.industry.tolist())]
    group = np.full(n, None, dtype=object)
    in_group = r.random(n) < 0.15
    group[in_group] = [f"GR{g:05d}" for g in r.integers(1, max(2, n // 30), in_group.sum())]
    rel_start = relationship_start(L)
    mid, large, very_large = SIZE_BAND_ORDER
    size_band = np.select([L.sales0 < 250, L.sales0 < 1500], [mid, large], very_large)
    corporate, project_finance = SEGMENT_ORDER
    df = frame({
        "obligor_id": L.ob_ids,
        "name": pd.array(names, dtype="str"),
        "industry": str_take(INDUSTRY_CODES, L.industry),
        "region": str_take(REGIONS, r.integers(0, len(REGIONS), n)),
        "segment": np.where(L.is_pf, project_finance, corporate),
        "size_band": size_band,
        "sales": np.round(L.sales0, 3),
        "group_id": pd.array(group, dtype="str"),
        "relationship_start": rel_start,
    })
    keep = L.start_month < L.T  # joiners after the horizon are not clients yet
    return df if keep.all() else df[keep].reset_index(drop=True)


def relationship_start(L: Latent) -> np.ndarray:
    """Per obligor, the day the relationship began (datetime64[ns]): the first day of the joining month,
    or ``relationship_years`` before the horizon for clients already on the book."""
    first_day = pd.DatetimeIndex(L.months.values[np.minimum(L.start_month, L.T - 1)]) - pd.offsets.MonthBegin(1)
    history = pd.to_timedelta(np.round(L.relationship_years * 365.25), unit="D")
    return ns(np.where(L.existing, (first_day - history).values, first_day.values))
