"""``projects`` and ``project_cashflows``: one project per project-finance obligor, and its annual CFADS."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.reference import INDUSTRY_CODES

from .frames import add_years, frame, ns, str_take
from .latent import Latent
from .streams import S_PROJ, rng

__all__ = ["projects_tables"]

# Annual CFADS trend: renewable output degrades with the equipment, other projects grow with inflation.
_DEGRADING = "renewable_energy"
_DEGRADATION, _GROWTH = -0.005, 0.015


def projects_tables(L: Latent) -> tuple[pd.DataFrame, pd.DataFrame]:
    r = rng(L.s.seed, S_PROJ, 0)
    pf = np.flatnonzero(L.is_pf & (L.start_month < L.T))
    m = len(pf)
    back = np.zeros(m, dtype=np.int64)
    construction, ops_years = np.empty(m, dtype=np.int64), np.empty(m, dtype=np.int64)
    total_cost, cfads0 = np.empty(m), np.empty(m)
    noise = []
    existing, sales0 = L.existing.tolist(), L.sales0.tolist()
    # The draws, in stream order (how many each project takes depends on the project).
    for j, i in enumerate(pf.tolist()):
        if existing[i]:
            back[j] = r.integers(0, 4)
        construction[j] = r.integers(1, 4)
        ops_years[j] = r.integers(15, 31)
        total_cost[j] = float(sales0[i] * r.uniform(5.0, 9.0))
        cfads0[j] = total_cost[j] * r.uniform(0.085, 0.13)
        noise.append(r.normal(0, 0.03, ops_years[j]))
    degrading = np.array([INDUSTRY_CODES[k] == _DEGRADING for k in L.industry[pf]], dtype=bool)
    first = L.months.values[0].astype("datetime64[D]")
    close = np.where(L.existing[pf], add_years(np.full(m, first), -back),
                     L.months.values[L.start_month[pf]].astype("datetime64[D]"))
    ops_start = add_years(close, construction)
    pids = pd.array([f"PR{j:05d}" for j in range(1, m + 1)], dtype="str")
    proj = frame({
        "project_id": pids,
        "obligor_id": L.ids(pf),
        "sector": str_take(INDUSTRY_CODES, L.industry[pf]),
        "financial_close": ns(close),
        "operations_start": ns(ops_start),
        "operations_years": ops_years,
        "total_cost": np.round(total_cost, 4),
    })
    # Cash flows: all projects at once (period t of project j is row offset[j] + t - 1).
    proj_of_row = np.repeat(np.arange(m), ops_years)
    t = np.arange(len(proj_of_row)) - np.repeat(np.cumsum(ops_years) - ops_years, ops_years) + 1
    growth = {d: (1 + d) ** np.arange(0, 31) for d in (_DEGRADATION, _GROWTH)}  # (1 + d) ** (t - 1)
    trend = np.where(degrading[proj_of_row], growth[_DEGRADATION][t - 1], growth[_GROWTH][t - 1])
    ramp = np.where(t == 1, 0.80, np.where(t == 2, 0.93, 1.0))
    maintenance = np.where((t % 7 == 0), 0.75, 1.0)
    eps = np.concatenate(noise) if noise else np.empty(0)
    cfads = cfads0[proj_of_row] * trend * ramp * maintenance * np.exp(eps)
    period_end = add_years(ops_start[proj_of_row], t) - np.timedelta64(1, "D")
    cf = frame({
        "project_id": pids.take(proj_of_row),
        "period": t.astype(np.int64),
        "period_end": ns(period_end),
        "cfads": np.round(cfads, 4),
    })
    return proj, cf
