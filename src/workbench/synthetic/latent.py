"""The latent credit-quality process, the defaults it drives, the true 12-month PD and ``truth``.

Obligor *i* in industry *k* has the monthly latent quality

    z[i,t] = mu[i] + A_MACRO * cyclicality[k] * M[t] + A_IND * I[k,t] + A_IDIO * e[i,t]

(macro factor ``M``: a business cycle plus an AR(1) shock; industry factor ``I`` and
idiosyncratic ``e``: AR(1)) and defaults in month *t* with hazard ``Phi(HAZARD_INTERCEPT - z[i,t])``.
Every table is drawn from a ``Latent``; ``truth`` is its true PD, for tests and benchmarks only.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .frames import frame, ns
from .norms import INDUSTRY_NORMS, PROJECT_FINANCE, norm_array
from .settings import GeneratorSettings
from .streams import S_DEFAULT, S_LATENT, S_MACRO, S_STATIC, ar1_by_year, rng

__all__ = [
    "A_MACRO", "A_IND", "A_IDIO", "PHI_MACRO", "PHI_IND", "PHI_IDIO", "CYCLE_WEIGHT", "SHOCK_WEIGHT",
    "HAZARD_INTERCEPT", "MU_SD", "CHUNK", "Latent", "truth_table",
]

# Latent-process constants (monthly).
A_MACRO, A_IND, A_IDIO = 0.55, 0.35, 0.80
PHI_MACRO, PHI_IND, PHI_IDIO = 0.97, 0.95, 0.99
CYCLE_WEIGHT, SHOCK_WEIGHT = 0.85, 0.65
HAZARD_INTERCEPT = -4.05  # sets the long-run default rate near 2 % a year
MU_SD = 0.75  # cross-sectional spread of obligors' mean quality

# Obligors per block when an (n, T) quantity is computed in pieces: big enough for numpy to run
# at full speed, small enough for the temporaries to stay in cache (and out of the peak memory).
CHUNK = 2048


class Latent:
    """The latent process and everything derived from it that more than one table needs."""

    def __init__(self, s: GeneratorSettings):
        self.s = s
        n, T = s.n_obligors, 12 * s.years
        self.T = T
        self.months = pd.date_range(f"{s.start_year}-01-31", periods=T, freq="ME")
        r = rng(s.seed, S_STATIC)

        corp = [k for k, flag in enumerate(PROJECT_FINANCE) if not flag]
        pf = [k for k, flag in enumerate(PROJECT_FINANCE) if flag]
        is_pf = r.random(n) < s.project_finance_share
        self.industry = np.where(is_pf, r.choice(pf, n), r.choice(corp, n))
        self.is_pf = is_pf
        self.cyc = norm_array("cyclicality")[self.industry]

        # Obligor traits, drawn once.
        self.sales0 = np.clip(np.exp(r.normal(math.log(450.0), 1.0, n)), 40.0, 40000.0)
        self.mu = (norm_array("quality")[self.industry] + r.normal(0, MU_SD, n)
                   + 0.15 * (self.sales0 > 2000) - 0.15 * (self.sales0 < 150))
        existing = r.random(n) >= s.new_client_share
        # Uniform draws (fixed consumption of the stream) so the draws after them do not depend on T.
        start_month = np.floor(r.random(n) * T).astype(np.int64)  # new clients arrive over the horizon
        self.start_month = np.where(existing, 0, start_month)
        self.existing = existing
        self.relationship_years = np.where(existing, r.uniform(1, 15, n), 0.0)

        # Macro: a business cycle of random phase and length plus an AR(1) shock.
        period = r.uniform(72, 108)
        phase = r.uniform(0, period)
        t_all = np.arange(T + 24)
        self.cycle = np.sin(2 * math.pi * (t_all + phase) / period)
        self.macro_shock = ar1_by_year(s.seed, S_MACRO, (), T, PHI_MACRO, np.float64(r.standard_normal()))
        self.M = CYCLE_WEIGHT * self.cycle[:T] + SHOCK_WEIGHT * self.macro_shock
        n_ind = len(INDUSTRY_NORMS)
        self.I = ar1_by_year(s.seed, S_MACRO + 100, (n_ind,), T, PHI_IND, r.standard_normal(n_ind))
        e0 = r.standard_normal(n)
        # The book on the first day holds no client deep in distress (those are in workout already):
        # existing clients' starting shock is reflected above -2 standard deviations.
        e0 = np.where(existing & (e0 < -2.0), -4.0 - e0, e0)
        self.e = ar1_by_year(s.seed, S_LATENT, (n,), T, PHI_IDIO, e0)

        # z in obligor blocks, so no (n, T) temporaries pile up at large n.
        self.z = np.empty((n, T))
        a_macro = A_MACRO * self.cyc[:, None]
        for a in range(0, n, CHUNK):
            b = min(a + CHUNK, n)
            self.z[a:b] = (self.mu[a:b, None] + a_macro[a:b] * self.M[None, :]
                           + A_IND * self.I[self.industry[a:b]] + A_IDIO * self.e[a:b])
        self._draw_defaults()

        # Obligor ids, made once; tables index into them. ``ob_rank`` orders obligors as their ids
        # sort (as strings), which is the order the tables are sorted in.
        ids = np.array([f"OB{i:06d}" for i in range(1, n + 1)])
        self.ob_ids = pd.array(ids, dtype="str")
        self.ob_order = np.argsort(ids, kind="stable")
        self.ob_rank = np.empty(n, dtype=np.int64)
        self.ob_rank[self.ob_order] = np.arange(n)

    def _draw_defaults(self) -> None:
        n, T = self.s.n_obligors, self.T
        default_month = np.full(n, -1, dtype=np.int64)
        for y in range(self.s.years):
            u = rng(self.s.seed, S_DEFAULT, y + 1).random((n, 12))
            t = np.arange(12 * y, min(12 * y + 12, T))
            hazard = ndtr(HAZARD_INTERCEPT - self.z[:, t])
            hit = (u[:, : len(t)] < hazard) & (t[None, :] >= self.start_month[:, None])
            first = (default_month < 0) & hit.any(axis=1)
            default_month[first] = t[hit[first].argmax(axis=1)]
        self.default_month = default_month
        # Last month with records: the default month, or the end of the horizon.
        self.last_month = np.where(default_month >= 0, default_month, T - 1)

    def ids(self, idx: np.ndarray) -> pd.api.extensions.ExtensionArray:
        """``obligor_id`` of the obligors at the given positions, as a pandas ``str`` array."""
        return self.ob_ids.take(np.asarray(idx, dtype=np.int64))

    def active(self) -> np.ndarray:
        """(n, T) mask of months an obligor is a client and not yet past its default month."""
        t = np.arange(self.T)[None, :]
        return (t >= self.start_month[:, None]) & (t <= self.last_month[:, None])

    def first_days(self, t: np.ndarray) -> np.ndarray:
        """First day of the month of month index ``t``."""
        return self.months.values[t] - (self.months.day.values[t] - 1).astype("timedelta64[D]")

    def order_by_obligor(self, ob: np.ndarray, dates: np.ndarray) -> np.ndarray:
        """Row order of ``sort_values(["obligor_id", date], kind="stable")`` for rows of obligors ``ob``."""
        return np.lexsort((np.ascontiguousarray(dates).view(np.int64), self.ob_rank[ob]))

    def true_pd_12m(self) -> np.ndarray:
        """(n, T) probability of default within 12 months given the state at each month end.

        Since each component is Gaussian AR(1), ``z[t+s]`` given the state at *t* is normal with
        known mean and variance, so the expected hazard is ``Phi((c - mean) / sqrt(1 + var))``
        (probit-normal identity) and ``pd_12m = 1 - prod_s (1 - E[h_{t+s}])``. Computed in obligor
        blocks, horizon by horizon, accumulating the survival product: the same numbers (operation
        for operation) as the direct (n, T, 12) formula, at a fraction of the memory.
        """
        n, T = self.s.n_obligors, self.T
        s = np.arange(1, 13)
        c_ind = A_IND * PHI_IND ** s
        c_idio = A_IDIO * PHI_IDIO ** s
        # Macro part of the conditional mean, (T, 12): cycle ahead plus the decaying shock.
        macro = (CYCLE_WEIGHT * self._cycle_ahead()
                 + (SHOCK_WEIGHT * PHI_MACRO ** s)[None, :] * self.macro_shock[:, None])
        a_m = A_MACRO * self.cyc
        var = ((a_m[:, None] * SHOCK_WEIGHT) ** 2 * (1 - PHI_MACRO ** (2 * s))[None, :]
               + A_IND ** 2 * (1 - PHI_IND ** (2 * s))[None, :]
               + A_IDIO ** 2 * (1 - PHI_IDIO ** (2 * s))[None, :])
        scale = np.sqrt(1 + var)  # (n, 12)
        out = np.empty((n, T))
        for a in range(0, n, CHUNK):
            b = min(a + CHUNK, n)
            mu, am, e = self.mu[a:b, None], a_m[a:b, None], self.e[a:b]
            i_ind = self.I[self.industry[a:b]]
            surv = out[a:b]
            for j in range(12):
                mean = mu + am * macro[None, :, j]
                mean += c_ind[j] * i_ind
                mean += c_idio[j] * e
                x = HAZARD_INTERCEPT - mean
                x /= scale[a:b, j, None]
                h = ndtr(x)
                if j == 0:
                    np.subtract(1, h, out=surv)
                else:
                    surv *= 1 - h
            np.subtract(1, surv, out=surv)
        return out

    def _cycle_ahead(self) -> np.ndarray:
        idx = np.arange(self.T)[:, None] + np.arange(1, 13)[None, :]
        return self.cycle[idx]


def truth_table(L: Latent, pd_true: np.ndarray) -> pd.DataFrame:
    """``truth``: per obligor-month as a client before default, the true 12-month PD and latent score."""
    t = np.arange(L.T)[None, :]
    before_default = np.where(L.default_month[:, None] >= 0, t < L.default_month[:, None], True)
    mask = (t >= L.start_month[:, None]) & before_default
    ii, tt = np.nonzero(mask)
    return frame({
        "obligor_id": L.ids(ii),
        "month_end": ns(L.months.values)[tt],
        "pd_12m": pd_true[ii, tt],
        "latent_score": np.round(L.z[ii, tt], 6),
    })
