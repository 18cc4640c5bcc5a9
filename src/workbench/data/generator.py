"""Synthetic key-account portfolio: every table of the data contract, from one latent process.

How the portfolio is drawn
--------------------------
Each obligor *i* in industry *k* has a monthly latent credit quality

    z[i,t] = mu[i] + A_MACRO * cyclicality[k] * M[t] + A_IND * I[k,t] + A_IDIO * e[i,t]

with a macro factor ``M`` (a business cycle plus an AR(1) shock), an industry
factor ``I`` (AR(1)) and an idiosyncratic, mean-reverting AR(1) ``e``. Default
happens in month *t* with hazard ``Phi(HAZARD_INTERCEPT - z[i,t])``. Everything
the bank observes is a noisy function of ``z`` *up to that date*: annual
statements (margins, leverage, working capital, cash flow; published after a
reporting lag, some unaudited, some items missing), monthly behaviour
(utilisation, days past due as a roll-rate chain, covenant tests), questionnaire
answers, interactions. Nothing observed depends on the future.

``truth`` holds, per obligor-month, the *true* 12-month PD given the latent
state at that month end: since each component is Gaussian AR(1), ``z[t+s]`` given
the state at *t* is normal with known mean and variance, so the expected hazard
is ``Phi((c - mean) / sqrt(1 + var))`` (probit-normal identity) and
``pd_12m = 1 - prod_s (1 - E[h_{t+s}])``. It is the benchmark for discrimination
and calibration and must never be read by feature code.

Random streams are drawn per table and per calendar year from
``SeedSequence([seed, stream, year])``, so the data are deterministic per seed and
the first *Y* years are the same whether *Y* or more years are generated, which
lets a test show that later events cannot leak into earlier records.

Money is in EUR million. Dates are month ends unless a column says otherwise.

Scale: the work is vectorised over obligors (the (n, T) quantities, ``truth``'s PD
included, are computed in obligor blocks, so no (n, T, 12) array is ever held);
what still runs per obligor (the facility terms and loss draws, each from the
obligor's own stream) only draws random numbers. 200,000 obligors over 10 years
(about 18M behaviour rows) take about half a minute and under 5 GB.
``GeneratorSettings.tables`` skips the tables a caller does not need.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .schemas import TABLES

__all__ = [
    "Industry",
    "INDUSTRIES",
    "QUESTIONS",
    "GeneratorSettings",
    "generate_portfolio",
]


@dataclass(frozen=True)
class Industry:
    """Industry norms: the levels statements are drawn around, and how cyclical it is."""

    code: str
    ebitda_margin: float
    leverage: float  # total debt / total assets
    asset_turnover: float  # revenue / total assets
    capex_ratio: float  # capex / revenue
    dso: float
    dio: float
    dpo: float
    cyclicality: float  # loading on the macro factor, 0..1
    quality: float  # shift of the industry's mean latent quality
    growth: float  # trend revenue growth per year
    project_finance: bool = False


# Levels are rough European large-corporate medians (margins, gearing, working-capital days).
INDUSTRIES: tuple[Industry, ...] = (
    Industry("utilities", 0.28, 0.42, 0.35, 0.14, 50, 10, 45, 0.15, 0.45, 0.015),
    Industry("telecoms", 0.32, 0.40, 0.45, 0.17, 45, 8, 60, 0.25, 0.25, 0.015),
    Industry("oil_gas", 0.22, 0.28, 0.65, 0.13, 40, 20, 50, 0.85, 0.00, 0.010),
    Industry("metals_mining", 0.17, 0.30, 0.75, 0.10, 45, 60, 45, 0.95, -0.25, 0.010),
    Industry("chemicals", 0.15, 0.28, 0.90, 0.06, 55, 60, 55, 0.65, 0.10, 0.020),
    Industry("automotive", 0.10, 0.30, 1.10, 0.06, 50, 45, 60, 0.90, -0.10, 0.020),
    Industry("construction", 0.07, 0.26, 1.00, 0.03, 80, 40, 70, 0.85, -0.45, 0.030),
    Industry("real_estate", 0.45, 0.55, 0.12, 0.05, 30, 5, 30, 0.75, -0.20, 0.030),
    Industry("retail", 0.07, 0.25, 1.80, 0.03, 8, 55, 45, 0.55, -0.25, 0.020),
    Industry("food_beverage", 0.12, 0.30, 1.20, 0.04, 35, 40, 50, 0.20, 0.25, 0.020),
    Industry("transport_logistics", 0.14, 0.40, 0.80, 0.10, 45, 10, 40, 0.65, -0.10, 0.020),
    Industry("technology", 0.20, 0.15, 0.90, 0.05, 65, 20, 45, 0.50, 0.15, 0.060),
    Industry("healthcare_pharma", 0.22, 0.25, 0.70, 0.05, 60, 70, 50, 0.10, 0.35, 0.040),
    Industry("machinery", 0.12, 0.25, 0.90, 0.04, 70, 80, 55, 0.75, 0.00, 0.020),
    Industry("renewable_energy", 0.62, 0.68, 0.14, 0.02, 40, 0, 30, 0.20, 0.05, 0.000, True),
    Industry("infrastructure", 0.55, 0.70, 0.12, 0.02, 35, 0, 30, 0.30, 0.00, 0.010, True),
)

#: Questionnaire: id -> (text, sign of the relation with credit quality).
QUESTIONS: dict[str, tuple[str, int]] = {
    "Q01": ("Experience and depth of the management team (1 weak .. 5 strong)", +1),
    "Q02": ("Clarity and credibility of the business plan", +1),
    "Q03": ("Market position versus competitors", +1),
    "Q04": ("Customer concentration (1 diversified .. 5 concentrated)", -1),
    "Q05": ("Supplier concentration (1 diversified .. 5 concentrated)", -1),
    "Q06": ("Quality and timeliness of financial reporting", +1),
    "Q07": ("Funding needs over the next 12 months (1 none .. 5 large)", -1),
    "Q08": ("Planned expansion or acquisitions (1 none .. 5 major)", -1),
    "Q09": ("Dependence on a few key persons (1 low .. 5 high)", -1),
    "Q10": ("Hedging of interest-rate, FX and commodity risks", +1),
}

REGIONS = ("DACH", "Benelux", "France", "Iberia", "Italy", "Nordics", "UK_Ireland", "CEE")
INTERACTION_TOPICS = ("annual_review", "financing_need", "pricing", "product_offer",
                      "service_request", "market_update", "site_visit_report")

# Latent-process constants (monthly).
A_MACRO, A_IND, A_IDIO = 0.55, 0.35, 0.80
PHI_MACRO, PHI_IND, PHI_IDIO = 0.97, 0.95, 0.99
CYCLE_WEIGHT, SHOCK_WEIGHT = 0.85, 0.65
HAZARD_INTERCEPT = -4.05  # sets the long-run default rate near 2 % a year
MU_SD = 0.75  # cross-sectional spread of obligors' mean quality

# Stream ids for SeedSequence([seed, stream, year]).
(_S_STATIC, _S_MACRO, _S_LATENT, _S_DEFAULT, _S_FIN, _S_BEH, _S_QUEST,
 _S_QUOTE, _S_INTER, _S_FAC, _S_PROJ, _S_DEFTYPE) = range(12)


@dataclass(frozen=True)
class GeneratorSettings:
    """Size and shape of the synthetic portfolio.

    ``tables`` names the tables to return (default: all of ``TABLES``). Tables the
    requested ones depend on are still drawn internally when needed (facilities for
    the defaults' exposure, the behaviour arrays for interactions), but expensive
    ones nobody asked for (quotes, interactions, truth, ...) are skipped. A table is
    identical whether it is generated alone or with all the others.
    """

    n_obligors: int = 5000
    years: int = 10
    seed: int = 0
    start_year: int = 2015
    project_finance_share: float = 0.10
    new_client_share: float = 0.25
    tables: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.n_obligors < 10:
            raise ValueError(f"n_obligors must be >= 10, got {self.n_obligors}")
        if not 2 <= self.years <= 40:
            raise ValueError(f"years must be between 2 and 40, got {self.years}")
        if not 0 <= self.project_finance_share <= 0.5:
            raise ValueError("project_finance_share must be in [0, 0.5]")
        if self.tables is not None:
            if isinstance(self.tables, str):
                raise ValueError(f"tables must be a sequence of table names, not the string {self.tables!r}")
            names = tuple(dict.fromkeys(self.tables))
            unknown = [t for t in names if t not in TABLES]
            if unknown:
                raise ValueError(f"unknown tables {unknown}; known tables: {', '.join(TABLES)}")
            if not names:
                raise ValueError("tables must name at least one table (None means all)")
            object.__setattr__(self, "tables", names)


def _rng(seed: int, stream: int, year: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, stream, year]))


def _ar1_by_year(seed: int, stream: int, shape: tuple[int, ...], n_months: int, phi: float,
                 start: np.ndarray) -> np.ndarray:
    """Stationary unit-variance AR(1) paths, months on the last axis, innovations drawn per year."""
    out = np.empty(shape + (n_months,))
    x = start
    scale = math.sqrt(1 - phi * phi)
    for year0 in range(0, n_months, 12):
        months = min(12, n_months - year0)
        eps = _rng(seed, stream, year0 // 12 + 1).standard_normal(shape + (12,))[..., :months]
        for m in range(months):
            x = phi * x + scale * eps[..., m]
            out[..., year0 + m] = x
    return out


# Obligors per block when an (n, T) quantity is computed in pieces: big enough for numpy to run
# at full speed, small enough for the temporaries to stay in cache (and out of the peak memory).
_CHUNK = 2048


def _industry_attr(name: str) -> np.ndarray:
    return np.array([getattr(ind, name) for ind in INDUSTRIES])


class _Latent:
    """The latent process and everything derived from it that more than one table needs."""

    def __init__(self, s: GeneratorSettings):
        self.s = s
        n, T = s.n_obligors, 12 * s.years
        self.T = T
        self.months = pd.date_range(f"{s.start_year}-01-31", periods=T, freq="ME")
        rng = _rng(s.seed, _S_STATIC)
        self.rng_static = rng

        corp = [k for k, ind in enumerate(INDUSTRIES) if not ind.project_finance]
        pf = [k for k, ind in enumerate(INDUSTRIES) if ind.project_finance]
        is_pf = rng.random(n) < s.project_finance_share
        self.industry = np.where(is_pf, rng.choice(pf, n), rng.choice(corp, n))
        self.is_pf = is_pf
        self.cyc = _industry_attr("cyclicality")[self.industry]

        # Obligor traits, drawn once.
        self.sales0 = np.clip(np.exp(rng.normal(math.log(450.0), 1.0, n)), 40.0, 40000.0)
        self.mu = (_industry_attr("quality")[self.industry] + rng.normal(0, MU_SD, n)
                   + 0.15 * (self.sales0 > 2000) - 0.15 * (self.sales0 < 150))
        existing = rng.random(n) >= s.new_client_share
        # Uniform draws (fixed consumption of the stream) so the draws after them do not depend on T.
        start_month = np.floor(rng.random(n) * T).astype(np.int64)  # new clients arrive over the horizon
        self.start_month = np.where(existing, 0, start_month)
        self.existing = existing
        self.relationship_years = np.where(existing, rng.uniform(1, 15, n), 0.0)

        # Macro: a business cycle of random phase and length plus an AR(1) shock.
        period = rng.uniform(72, 108)
        phase = rng.uniform(0, period)
        t_all = np.arange(T + 24)
        self.cycle = np.sin(2 * math.pi * (t_all + phase) / period)
        self.macro_shock = _ar1_by_year(s.seed, _S_MACRO, (), T, PHI_MACRO, np.float64(rng.standard_normal()))
        self.M = CYCLE_WEIGHT * self.cycle[:T] + SHOCK_WEIGHT * self.macro_shock
        n_ind = len(INDUSTRIES)
        self.I = _ar1_by_year(s.seed, _S_MACRO + 100, (n_ind,), T, PHI_IND, rng.standard_normal(n_ind))
        e0 = rng.standard_normal(n)
        # The book on the first day holds no client deep in distress (those are in workout already):
        # existing clients' starting shock is reflected above -2 standard deviations.
        e0 = np.where(existing & (e0 < -2.0), -4.0 - e0, e0)
        self.e = _ar1_by_year(s.seed, _S_LATENT, (n,), T, PHI_IDIO, e0)

        # z in obligor blocks, so no (n, T) temporaries pile up at large n.
        self.z = np.empty((n, T))
        a_macro = A_MACRO * self.cyc[:, None]
        for a in range(0, n, _CHUNK):
            b = min(a + _CHUNK, n)
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
            u = _rng(self.s.seed, _S_DEFAULT, y + 1).random((n, 12))
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

    def true_pd_12m(self) -> np.ndarray:
        """(n, T) probability of default within 12 months given the state at each month end.

        Computed in obligor blocks, horizon by horizon, accumulating the survival product:
        the same numbers (operation for operation) as the direct (n, T, 12) formula, at a
        fraction of the memory.
        """
        n, T = self.s.n_obligors, self.T
        s = np.arange(1, 13)
        c_ind = A_IND * PHI_IND ** s
        c_idio = A_IDIO * PHI_IDIO ** s
        # Macro part of the conditional mean, (T, 12): cycle ahead plus the decaying shock.
        macro = CYCLE_WEIGHT * self._cycle_ahead() + (SHOCK_WEIGHT * PHI_MACRO ** s)[None, :] * self.macro_shock[:, None]
        a_m = A_MACRO * self.cyc
        var = ((a_m[:, None] * SHOCK_WEIGHT) ** 2 * (1 - PHI_MACRO ** (2 * s))[None, :]
               + A_IND ** 2 * (1 - PHI_IND ** (2 * s))[None, :]
               + A_IDIO ** 2 * (1 - PHI_IDIO ** (2 * s))[None, :])
        scale = np.sqrt(1 + var)  # (n, 12)
        out = np.empty((n, T))
        for a in range(0, n, _CHUNK):
            b = min(a + _CHUNK, n)
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


# --------------------------------------------------------------------------- helpers


def _add_years(dates: np.ndarray, years: np.ndarray) -> np.ndarray:
    """``date + pd.DateOffset(years=k)`` elementwise, in datetime64[D]: the day is clipped to the month's length."""
    d = np.asarray(dates).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    day0 = (d - m.astype("datetime64[D]")).astype(np.int64)
    new_m = m + (12 * np.asarray(years, dtype=np.int64)).astype("timedelta64[M]")
    month_len = ((new_m + 1).astype("datetime64[D]") - new_m.astype("datetime64[D]")).astype(np.int64)
    return new_m.astype("datetime64[D]") + np.minimum(day0, month_len - 1).astype("timedelta64[D]")


def _month_first_days(L: _Latent, t: np.ndarray) -> np.ndarray:
    """First day of the month of month index ``t``."""
    return L.months.values[t] - (L.months.day.values[t] - 1).astype("timedelta64[D]")


def _stable_order_by_obligor(L: _Latent, ob: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Row order of ``sort_values(["obligor_id", date], kind="stable")`` for rows of obligors ``ob``."""
    return np.lexsort((np.ascontiguousarray(dates).view(np.int64), L.ob_rank[ob]))


def _str_take(values, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A pandas ``str`` array of ``values[codes]`` (built from the few distinct values, not row by row)."""
    return pd.array(np.asarray(values), dtype="str").take(np.asarray(codes, dtype=np.int64))


def _frame(columns: dict) -> pd.DataFrame:
    """A DataFrame over freshly made column arrays, without copying them into 2-D blocks."""
    return pd.DataFrame(columns, copy=False)


def _ns(values: np.ndarray) -> np.ndarray:
    return np.asarray(values).astype("datetime64[ns]")


# --------------------------------------------------------------------------- tables


def _month_end_dates(months: pd.DatetimeIndex, idx: np.ndarray) -> np.ndarray:
    return months.values[idx]


def _obligors(L: _Latent) -> pd.DataFrame:
    s, rng = L.s, _rng(L.s.seed, _S_STATIC, 1)
    n = s.n_obligors
    syll_a = ["Nord", "Alp", "Bel", "Cor", "Dan", "Ever", "Fal", "Gran", "Hel", "Ivo", "Jun", "Kast",
              "Lum", "Mar", "Nov", "Or", "Pax", "Quer", "Rhen", "Sol", "Tav", "Ul", "Ver", "West"]
    syll_b = ["ia", "ex", "on", "ar", "is", "um", "ona", "eta", "ico", "and", "ent", "ora"]
    suffix = ["AG", "SA", "NV", "SpA", "AB", "plc", "GmbH", "Group", "Holding", "SE"]
    sector = [INDUSTRIES[k].code.split('_')[0].title() for k in range(len(INDUSTRIES))]
    names = [f"{syll_a[a]}{syll_b[b]} {sector[k]} {suffix[c]}"
             for a, b, c, k in zip(rng.integers(0, len(syll_a), n).tolist(), rng.integers(0, len(syll_b), n).tolist(),
                                   rng.integers(0, len(suffix), n).tolist(), L.industry.tolist())]
    group = np.full(n, None, dtype=object)
    in_group = rng.random(n) < 0.15
    group[in_group] = [f"GR{g:05d}" for g in rng.integers(1, max(2, n // 30), in_group.sum())]
    first_day = pd.DatetimeIndex(L.months.values[np.minimum(L.start_month, L.T - 1)]) - pd.offsets.MonthBegin(1)
    history = pd.to_timedelta(np.round(L.relationship_years * 365.25), unit="D")
    rel_start = np.where(L.existing, (first_day - history).values, first_day.values)
    size_band = np.select([L.sales0 < 250, L.sales0 < 1500], ["mid_corporate", "large_corporate"],
                          "very_large_corporate")
    df = _frame({
        "obligor_id": L.ob_ids,
        "name": pd.array(names, dtype="str"),
        "industry": _str_take([ind.code for ind in INDUSTRIES], L.industry),
        "region": _str_take(REGIONS, rng.integers(0, len(REGIONS), n)),
        "segment": np.where(L.is_pf, "project_finance", "corporate"),
        "size_band": size_band,
        "sales": np.round(L.sales0, 3),
        "group_id": pd.array(group, dtype="str"),
        "relationship_start": _ns(pd.to_datetime(rel_start)),
    })
    keep = L.start_month < L.T  # joiners after the horizon are not clients yet
    return df if keep.all() else df[keep].reset_index(drop=True)


_FIN_ITEMS = ("revenue", "cogs", "ebitda", "ebit", "interest_expense", "net_income", "total_assets",
              "current_assets", "cash", "receivables", "inventory", "total_liabilities", "current_liabilities",
              "payables", "total_debt", "equity", "retained_earnings", "operating_cash_flow", "capex")


def _financials(L: _Latent) -> pd.DataFrame:
    s = L.s
    n = s.n_obligors
    rng0 = _rng(s.seed, _S_FIN, 0)
    fye = rng0.choice([12, 3, 6], n, p=[0.75, 0.10, 0.15])  # fiscal year-end month
    turnover_i = _industry_attr("asset_turnover")[L.industry] * np.exp(rng0.normal(0, 0.18, n))
    # A firm's structural quality shows in its capital structure and margins, not only in its shocks.
    mu_c = L.mu - L.mu.mean()
    lev_i = _industry_attr("leverage")[L.industry] - 0.04 * mu_c + rng0.normal(0, 0.05, n)
    margin_k = _industry_attr("ebitda_margin")[L.industry]
    margin_i = margin_k * np.exp(0.08 * mu_c + rng0.normal(0, 0.10, n))
    growth_k = _industry_attr("growth")[L.industry]
    capex_k = _industry_attr("capex_ratio")[L.industry]
    dso_k, dio_k, dpo_k = (_industry_attr(a)[L.industry] for a in ("dso", "dio", "dpo"))
    log_rev = np.log(L.sales0)
    extract_date = L.months[-1]
    policy = _policy_rate(L)

    kept: dict[str, list[np.ndarray]] = {k: [] for k in ("ob", "period_end", "reported_date", "audited") + _FIN_ITEMS}
    for y in range(s.years):
        rng = _rng(s.seed, _S_FIN, y + 1)
        # Fiscal year ending in calendar year y at month fye: month index of the period end.
        t_end = 12 * y + fye - 1
        valid = (t_end >= 11) & (t_end < L.T)
        t_end_c = np.clip(t_end, 11, L.T - 1)
        window = t_end_c[:, None] - np.arange(12)[None, :]
        zbar = np.take_along_axis(L.z, window, axis=1).mean(axis=1)
        ibar = L.I[L.industry[:, None], window].mean(axis=1)
        growth = growth_k + 0.04 * L.cyc * L.M[t_end_c] + 0.03 * ibar + 0.03 * zbar + rng.normal(0, 0.06, n)
        log_rev = log_rev + np.where(valid, growth, 0.0)
        revenue = np.exp(log_rev)
        margin = margin_i + 0.05 * zbar + 0.01 * ibar + rng.normal(0, 0.02, n) * (1 + 2 * margin_k)
        ebitda = revenue * margin
        sga = 0.12 * (1 - margin_k)
        cogs = revenue * np.clip(1 - margin - sga, 0.02, None)
        dso = dso_k * np.exp(-0.10 * zbar + rng.normal(0, 0.10, n))
        dio = dio_k * np.exp(-0.05 * zbar + rng.normal(0, 0.10, n))
        dpo = dpo_k * np.exp(-0.10 * zbar + rng.normal(0, 0.10, n))
        receivables = revenue * dso / 365
        inventory = cogs * dio / 365
        payables = cogs * dpo / 365
        asset_base = revenue / (turnover_i * np.exp(rng.normal(0, 0.05, n)))
        cash = asset_base * np.clip(0.08 + 0.025 * zbar + rng.normal(0, 0.02, n), 0.003, 0.35)
        current_assets = cash + receivables + inventory + 0.02 * asset_base
        fixed_assets = np.maximum(asset_base - current_assets, 0.15 * asset_base)
        total_assets = fixed_assets + current_assets
        leverage = np.clip(lev_i - 0.10 * zbar + rng.normal(0, 0.02, n), 0.0, 0.97)
        total_debt = leverage * total_assets
        rate = policy[t_end_c] / 100 + np.clip(0.012 + 0.01 * np.exp(-0.8 * zbar), 0.005, 0.12)
        interest = total_debt * rate
        depreciation = total_assets * np.clip(capex_k * turnover_i * 0.9, 0.01, 0.08)
        ebit = ebitda - depreciation
        tax = 0.25 * np.maximum(ebit - interest, 0)
        net_income = ebit - interest - tax
        st_share = np.clip(0.20 - 0.08 * zbar + rng.normal(0, 0.05, n), 0.02, 0.9)
        current_liabilities = payables + st_share * total_debt + 0.02 * total_assets
        total_liabilities = total_debt + payables + 0.05 * total_assets
        equity = total_assets - total_liabilities
        retained = equity * np.clip(0.55 + 0.15 * zbar + rng.normal(0, 0.12, n), -1.0, 1.2)
        ocf = ebitda * np.clip(0.85 + 0.05 * zbar, 0.3, 1.1) - tax + rng.normal(0, 0.025, n) * revenue
        capex = revenue * capex_k * np.exp(0.10 * zbar + rng.normal(0, 0.25, n))

        # Weaker and smaller obligors more often send unaudited (and flattering) statements.
        p_unaudited = 0.06 + 0.08 * (L.sales0 < 250) + 0.10 * (zbar < -1.0)
        audited = rng.random(n) >= p_unaudited
        flatter = np.where(audited, 1.0, np.exp(np.abs(rng.normal(0.03, 0.05, n))))
        ebitda, ebit, net_income = ebitda * flatter, ebit + ebitda * (flatter - 1), net_income + ebitda * (flatter - 1)
        lag = np.where(audited, rng.integers(75, 160, n), rng.integers(25, 80, n)) + 35 * (zbar < -1.2)
        period_end = L.months.values[t_end_c]
        reported = period_end + lag.astype("timedelta64[D]")
        # History collected at onboarding reaches the bank on the first day of the relationship.
        start_t = np.minimum(L.start_month, L.T - 1)
        onboarding = _month_first_days(L, start_t)
        reported = np.where(L.existing, reported, np.maximum(reported, onboarding))

        alive = (valid & (t_end_c >= L.start_month - 24)  # two statements of history on onboarding
                 & (t_end_c < np.where(L.default_month >= 0, L.default_month, L.T))
                 & (reported <= extract_date.to_datetime64()))
        cols = {
            "revenue": revenue, "cogs": cogs, "ebitda": ebitda, "ebit": ebit,
            "interest_expense": interest, "net_income": net_income, "total_assets": total_assets,
            "current_assets": current_assets, "cash": cash, "receivables": receivables,
            "inventory": inventory, "total_liabilities": total_liabilities,
            "current_liabilities": current_liabilities, "payables": payables, "total_debt": total_debt, "equity": equity,
            "retained_earnings": retained, "operating_cash_flow": ocf, "capex": capex,
        }
        cols = {k: np.round(v, 4) for k, v in cols.items()}
        for item in ("cogs", "inventory", "retained_earnings", "operating_cash_flow", "capex",
                     "current_liabilities", "payables"):
            cols[item][rng.random(n) < 0.03] = np.nan
        kept["ob"].append(np.flatnonzero(alive))
        kept["period_end"].append(period_end[alive])
        kept["reported_date"].append(reported[alive])
        kept["audited"].append(audited[alive])
        for k in _FIN_ITEMS:
            kept[k].append(cols[k][alive])
    flat = {k: np.concatenate(v) for k, v in kept.items()}
    order = _stable_order_by_obligor(L, flat["ob"], flat["period_end"])
    frame = {"obligor_id": L.ids(flat["ob"][order]),
             "period_end": _ns(flat["period_end"][order]),
             "reported_date": _ns(flat["reported_date"][order]),
             "audited": flat["audited"][order]}
    frame.update({k: flat[k][order] for k in _FIN_ITEMS})
    return _frame(frame)


def _policy_rate(L: _Latent) -> np.ndarray:
    """Policy rate in percent: follows the cycle with a six-month lag, floored at zero."""
    lagged = np.concatenate([np.full(6, L.M[0]), L.M[:-6]]) if L.T > 6 else L.M
    smooth = pd.Series(lagged).rolling(12, min_periods=1).mean().to_numpy()
    return np.clip(1.75 + 1.4 * smooth, 0.0, 6.0)


def _macro(L: _Latent) -> pd.DataFrame:
    rng_noise = np.concatenate([_rng(L.s.seed, _S_MACRO + 200, y + 1).normal(0, 0.25, 12) for y in range(L.s.years)])
    frame = {
        "month_end": _ns(L.months.values),
        "gdp_growth": np.round(1.6 + 1.9 * L.M + rng_noise[: L.T], 3),
        "policy_rate": np.round(_policy_rate(L), 3),
    }
    for k, ind in enumerate(INDUSTRIES):
        monthly = 0.002 + 0.012 * (ind.cyclicality * L.M + 0.7 * L.I[k])
        frame[f"idx_{ind.code}"] = np.round(100 * np.exp(np.cumsum(monthly)), 3)
    return _frame(frame)


def _facility_limits(L: _Latent) -> np.ndarray:
    rng = _rng(L.s.seed, _S_FAC, 0)
    return L.sales0 * rng.uniform(0.08, 0.30, L.s.n_obligors) * np.where(L.is_pf, 3.0, 1.0)


@dataclass
class _Behaviour:
    """The monthly behaviour as (n, T) arrays (the table is their active cells)."""

    util: np.ndarray
    dpd: np.ndarray
    overdue: np.ndarray
    breach: np.ndarray
    turnover: np.ndarray
    type_code: np.ndarray  # default type per obligor, -1 without default


def _behaviour(L: _Latent) -> _Behaviour:
    """Monthly utilisation, days past due (a roll-rate chain driven by z), covenant tests and the
    credit turnover through the client's accounts with the bank (its receipts: sales, as far as they
    run through this bank, move with the client's condition month by month)."""
    s, n, T = L.s, L.s.n_obligors, L.T
    limit = _facility_limits(L)
    base_util = _rng(s.seed, _S_BEH, 0).beta(5.0, 6.0, n)
    # Share of the client's receipts that run through this bank: a relationship trait.
    wallet = _rng(s.seed, _S_BEH, 10_000).beta(4.0, 6.0, n) * np.exp(_rng(s.seed, _S_BEH, 10_001).normal(0, 0.3, n))
    turnover = np.empty((n, T))
    state = np.zeros(n, dtype=np.int64)  # 0 current, 1: 1-29, 2: 30-59, 3: 60-89 days past due
    util = np.empty((n, T))
    dpd = np.zeros((n, T), dtype=np.int64)
    overdue = np.zeros((n, T))
    breach = np.zeros((n, T), dtype=bool)
    for y in range(s.years):
        rng = _rng(s.seed, _S_BEH, y + 1)
        draws = rng.random((n, 12, 5))
        noise = rng.normal(0, 0.02, (n, 12))
        turnover_noise = _rng(s.seed, _S_BEH, 20_000 + y).normal(0, 0.03, (n, 12))
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
            overdue[:, t] = np.where(state > 0, limit * util[:, t] * (0.01 + 0.04 * state) , 0.0)
            quarter_end = (m % 3) == 2
            breach[:, t] = quarter_end & (u[:, 4] < ndtr(-2.6 - 0.8 * z))
            turnover[:, t] = wallet * L.sales0 / 12 * np.exp(0.12 * z + turnover_noise[:, m])
    # A 90-day default shows in its default month; decided here so the behaviour table is consistent.
    dtype_code = _default_type_codes(L, state_before=dpd)
    for i in np.flatnonzero((L.default_month >= 0) & (dtype_code == 0)).tolist():
        t = L.default_month[i]
        dpd[i, t] = 90 + int(_rng(s.seed, _S_DEFTYPE, 1_000_000 + i).integers(0, 60))
        overdue[i, t] = max(overdue[i, t], limit[i] * util[i, t] * 0.2)
    return _Behaviour(util, dpd, overdue, breach, turnover, dtype_code)


def _behaviour_frame(L: _Latent, B: _Behaviour) -> pd.DataFrame:
    ii, tt = np.nonzero(L.active())
    return _frame({
        "obligor_id": L.ids(ii),
        "month_end": _ns(L.months.values)[tt],
        "utilisation": np.round(B.util[ii, tt], 4),
        "days_past_due": B.dpd[ii, tt],
        "overdue_amount": np.round(B.overdue[ii, tt], 4),
        "covenant_breach": B.breach[ii, tt],
        "credit_turnover": np.round(B.turnover[ii, tt], 4),
    })


def _default_type_codes(L: _Latent, state_before: np.ndarray) -> np.ndarray:
    """0 = 90dpd, 1 = bankruptcy, 2 = distressed restructuring, 3 = unlikely to pay; -1 = no default."""
    n = L.s.n_obligors
    u = _rng(L.s.seed, _S_DEFTYPE, 0).random(n)
    prev = np.where(L.default_month > 0, state_before[np.arange(n), np.maximum(L.default_month - 1, 0)], 0)
    # A 90-days-past-due default needs 60-89 days of arrears the month before; the others
    # (insolvency filings, distressed restructurings, unlikeliness to pay) can come without.
    other = np.select([u < 0.35, u < 0.70], [1, 2], 3)
    code = np.where((prev >= 60) & (u < 0.9), 0, other)
    return np.where(L.default_month >= 0, code, -1)


# Facility draws: product, repayment and collateral codes index these tuples.
_PRODUCTS = ("term_loan", "revolver", "trade_finance", "guarantee", "project_loan")
_TL, _RV, _TF, _GU, _PL = range(5)
_REPAYMENTS = ("annuity", "equal_principal", "bullet", "balloon", "revolving", "sculpted")
_COLLATERALS = ("real_estate", "other_physical", "financial", "none", "receivables")
_CORP_P = [0.35, 0.35, 0.18, 0.12]


def _cdf(p: list[float], zero: tuple[int, ...] = ()) -> list[float]:
    """The cdf ``Generator.choice`` searches (``cumsum(p) / total``), with entries ``zero`` removed."""
    arr = np.array(p, dtype=np.float64)
    arr[list(zero)] = 0
    cdf = np.cumsum(arr)
    cdf /= cdf[-1]
    return cdf.tolist()


def _facility_draws(L: _Latent) -> dict[str, np.ndarray]:
    """Per obligor, from its own stream: the product mix and each facility's terms (raw draws).

    Each obligor has its own stream, so its facilities do not depend on anyone else's history.
    The draws are the ones ``Generator.choice``/``dirichlet`` would make, taken directly
    (``choice`` without ``p`` is ``integers``; with ``p`` a uniform searched in the cdf; the
    weighted sample without replacement and the flat Dirichlet follow numpy's algorithms), which
    is the same stream and the same numbers at a fraction of the per-call cost.
    """
    s, T = L.s, L.T
    start, last = L.start_month.tolist(), L.last_month.tolist()
    is_pf = L.is_pf.tolist()
    corp_cdfs: dict[tuple[int, ...], list[float]] = {}
    cdf_repay = _cdf([0.35, 0.3, 0.15, 0.2])
    cdf_tl = _cdf([0.35, 0.2, 0.05, 0.4])  # real_estate, other_physical, financial, none
    cdf_rv = _cdf([0.4, 0.6])  # receivables, none
    cdf_ot = _cdf([0.2, 0.8])  # financial, none
    coll_tl, coll_rv, coll_ot = (0, 1, 2, 3), (4, 3), (2, 3)
    tenor_tl, tenor_rv, tenor_gu = (3, 5, 7, 10), (1, 3, 5), (1, 2, 3, 5)
    out: dict[str, list] = {k: [] for k in ("ob", "prod", "share", "orig_month", "day", "tenor", "repay",
                                            "coll", "coll_u", "spread_noise", "sub")}
    ob_, prod_, share_, om_, day_, tenor_ = (out[k] for k in ("ob", "prod", "share", "orig_month", "day", "tenor"))
    repay_, coll_, coll_u_, noise_, sub_ = (out[k] for k in ("repay", "coll", "coll_u", "spread_noise", "sub"))
    for i in range(s.n_obligors):
        if start[i] >= T:
            continue
        rng = _rng(s.seed, _S_FAC, 1_000_000 + i)  # per obligor: independent of everyone else's history
        integers, random = rng.integers, rng.random
        if is_pf[i]:
            products = [_PL, _RV] if random() < 0.6 else [_PL]
        else:
            k = 1 + int(rng.binomial(3, 0.45))
            # rng.choice(4, k, replace=False, p=_CORP_P), step by step.
            products = []
            while len(products) < k:
                key = tuple(sorted(products))
                cdf = corp_cdfs.get(key)
                if cdf is None:
                    cdf = corp_cdfs[key] = _cdf(_CORP_P, key)
                for x in random(k - len(products)).tolist():
                    new = bisect.bisect_right(cdf, x)
                    if new not in products:
                        products.append(new)
        n_prod = len(products)
        if n_prod > 1:
            # rng.dirichlet(np.ones(n_prod)): unit gammas are exponentials, scaled by 1 / their sum.
            g = rng.standard_exponential(n_prod)
            acc = 0.0
            for v in g.tolist():
                acc = acc + v
            shares = (g * (1 / acc)).tolist()
            if is_pf[i]:
                shares = [0.9, 0.1]
        else:
            shares = [1.0]
        lo, hi = start[i], max(start[i] + 1, last[i] + 1)
        for prod, share in zip(products, shares):
            ob_.append(i)
            prod_.append(prod)
            share_.append(share)
            om_.append(integers(lo, hi))
            day_.append(integers(0, 27))
            t_pl = integers(12, 21)
            t_tl = tenor_tl[integers(0, 4)]
            t_rv = tenor_rv[integers(0, 3)]
            t_gu = tenor_gu[integers(0, 4)]
            if prod == _PL:
                tenor_.append(t_pl)
                repay_.append(5)
                coll = 1
            elif prod == _TL:
                tenor_.append(t_tl)
                repay_.append(bisect.bisect_right(cdf_repay, random()))
                coll = coll_tl[bisect.bisect_right(cdf_tl, random())]
            elif prod == _RV:
                tenor_.append(t_rv)
                repay_.append(4)
                coll = coll_rv[bisect.bisect_right(cdf_rv, random())]
            else:
                tenor_.append(1 if prod == _TF else t_gu)
                repay_.append(2)
                coll = coll_ot[bisect.bisect_right(cdf_ot, random())]
            coll_.append(coll)
            coll_u_.append(np.nan if coll == 3 else rng.uniform(0.4, 1.6))
            noise_.append(rng.normal(0, 15))
            sub_.append(random() < 0.07)
    dtypes = {"ob": np.int64, "prod": np.int64, "share": np.float64, "orig_month": np.int64, "day": np.int64,
              "tenor": np.int64, "repay": np.int64, "coll": np.int64, "coll_u": np.float64,
              "spread_noise": np.float64, "sub": bool}
    return {k: np.array(v, dtype=dtypes[k]) for k, v in out.items()}


def _facilities(L: _Latent, B: _Behaviour, pd_true: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The facility table, and the obligor position of each facility."""
    n = L.s.n_obligors
    limit_total = _facility_limits(L)
    # The revolving products are drawn as in the obligor's last behaviour month.
    has_months = (L.start_month < L.T) & (L.start_month <= L.last_month)
    util_last = np.round(B.util[np.arange(n), np.clip(L.last_month, 0, L.T - 1)], 4)
    util_by_obligor = np.where(has_months, util_last, 0.5)
    d = _facility_draws(L)
    ob, prod, repay = d["ob"], d["prod"], d["repay"]
    tenor = d["tenor"]
    limit = np.maximum(limit_total[ob] * d["share"], 0.5)
    orig = _month_first_days(L, d["orig_month"]).astype("datetime64[D]") + d["day"].astype("timedelta64[D]")
    maturity = _add_years(orig, tenor)
    coll_value = np.where(d["coll"] == 3, 0.0, limit * d["coll_u"])
    pd_orig = pd_true[ob, d["orig_month"]]
    spread = np.clip(70 + 3500 * pd_orig ** 0.7 + d["spread_noise"], 25, 900)
    snap_date = L.months.values[np.minimum(L.last_month, L.T - 1)[ob]].astype("datetime64[D]")
    elapsed = np.maximum((snap_date - orig).astype(np.int64) / 365.25, 0.0)
    amortised = limit * np.maximum(1 - elapsed / tenor.astype(np.float64), np.where(repay == 3, 0.4, 0.0))
    branch = np.select([maturity <= snap_date, (prod == _RV) | (prod == _TF), prod == _GU, repay == 2], [0, 1, 2, 3], 4)
    # Matured and repaid before the snapshot; revolving as last drawn; guarantees and bullets in full.
    drawn = np.choose(branch, [0.0, limit * np.minimum(util_by_obligor[ob], 1.0), limit, limit, amortised])
    df = _frame({
        "facility_id": pd.array([f"FA{j:07d}" for j in range(1, len(ob) + 1)], dtype="str"),
        "obligor_id": L.ids(ob),
        "product": _str_take(_PRODUCTS, prod),
        "limit": np.round(limit, 4),
        "drawn": np.round(drawn, 4),
        "origination_date": _ns(orig),
        "maturity_date": _ns(maturity),
        "repayment_type": _str_take(_REPAYMENTS, repay),
        "spread_bps": np.round(spread, 1),
        "collateral_type": _str_take(_COLLATERALS, d["coll"]),
        "collateral_value": np.round(coll_value, 4),
        "seniority": _str_take(["senior", "subordinated"], d["sub"].astype(np.int64)),
    })
    return df, ob


def _defaults(L: _Latent, facilities: pd.DataFrame, fac_ob: np.ndarray, type_code: np.ndarray) -> pd.DataFrame:
    who = np.flatnonzero(L.default_month >= 0)
    types = np.array(["90dpd", "bankruptcy", "distressed_restructuring", "unlikely_to_pay"])
    # Facilities that matured before the default are repaid and carry no exposure.
    live = (facilities["drawn"] > 0).to_numpy()
    fac = facilities.loc[live, ["product", "limit", "drawn", "collateral_type", "collateral_value"]]
    fac = fac.assign(ob=fac_ob[live], undrawn=(fac["limit"] - fac["drawn"]).clip(lower=0))
    ccf = np.where(fac["product"].isin(["revolver", "trade_finance"]), 0.75, 0.0)
    fac = fac.assign(ead=fac["drawn"] + ccf * fac["undrawn"],
                     cover=np.where(fac["collateral_type"] == "none", 0.0, fac["collateral_value"]))
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
        g = _rng(L.s.seed, _S_DEFTYPE, 2_000_000 + i)
        lgd[j] = g.beta(m * conc, (1 - m) * conc)
        day[j] = g.integers(0, 28)
    month_start = _month_first_days(L, L.default_month[who])
    order = np.argsort(L.ob_rank[who], kind="stable")
    return _frame({
        "obligor_id": L.ids(who[order]),
        "default_date": _ns(month_start + day.astype("timedelta64[D]"))[order],
        "default_type": _str_take(types, type_code[who][order]),
        "ead": np.round(ead, 4)[order],
        "recovery": np.round(ead * (1 - lgd), 4)[order],
    })


def _projects(L: _Latent) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = _rng(L.s.seed, _S_PROJ, 0)
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
            back[j] = rng.integers(0, 4)
        construction[j] = rng.integers(1, 4)
        ops_years[j] = rng.integers(15, 31)
        total_cost[j] = float(sales0[i] * rng.uniform(5.0, 9.0))
        cfads0[j] = total_cost[j] * rng.uniform(0.085, 0.13)
        noise.append(rng.normal(0, 0.03, ops_years[j]))
    renewable = np.array([INDUSTRIES[k].code == "renewable_energy" for k in L.industry[pf]], dtype=bool)
    first = L.months.values[0].astype("datetime64[D]")
    close = np.where(L.existing[pf], _add_years(np.full(m, first), -back),
                     L.months.values[L.start_month[pf]].astype("datetime64[D]"))
    ops_start = _add_years(close, construction)
    pids = pd.array([f"PR{j:05d}" for j in range(1, m + 1)], dtype="str")
    proj = _frame({
        "project_id": pids,
        "obligor_id": L.ids(pf),
        "sector": _str_take([ind.code for ind in INDUSTRIES], L.industry[pf]),
        "financial_close": _ns(close),
        "operations_start": _ns(ops_start),
        "operations_years": ops_years,
        "total_cost": np.round(total_cost, 4),
    })
    # Cash flows: all projects at once (period t of project j is row offset[j] + t - 1).
    proj_of_row = np.repeat(np.arange(m), ops_years)
    t = np.arange(len(proj_of_row)) - np.repeat(np.cumsum(ops_years) - ops_years, ops_years) + 1
    growth = {d: (1 + d) ** np.arange(0, 31) for d in (-0.005, 0.015)}  # (1 + degradation) ** (t - 1)
    trend = np.where(renewable[proj_of_row], growth[-0.005][t - 1], growth[0.015][t - 1])
    ramp = np.where(t == 1, 0.80, np.where(t == 2, 0.93, 1.0))
    maintenance = np.where((t % 7 == 0), 0.75, 1.0)
    eps = np.concatenate(noise) if noise else np.empty(0)
    cfads = cfads0[proj_of_row] * trend * ramp * maintenance * np.exp(eps)
    period_end = _add_years(ops_start[proj_of_row], t) - np.timedelta64(1, "D")
    cf = _frame({
        "project_id": pids.take(proj_of_row),
        "period": t.astype(np.int64),
        "period_end": _ns(period_end),
        "cfads": np.round(cfads, 4),
    })
    return proj, cf


def _questionnaires(L: _Latent) -> pd.DataFrame:
    s, n = L.s, L.s.n_obligors
    # Soft information: how the relationship manager reads the client's structural quality (its
    # long-run level mu, which statements blur with firm-specific accounting), plus the reader's noise.
    mgmt = 0.5 * (L.mu - L.mu.mean()) + _rng(s.seed, _S_QUEST, 0).normal(0, 0.3, n)
    q_ids = list(QUESTIONS)
    n_q = len(q_ids)
    signs = np.array([QUESTIONS[q][1] for q in q_ids])
    answers = np.empty((n, s.years, n_q), dtype=np.int8)
    dates = np.empty((n, s.years), dtype=L.months.values.dtype)
    answered = np.empty((n, s.years), dtype=bool)
    for y in range(s.years):
        rng = _rng(s.seed, _S_QUEST, y + 1)
        t = 12 * y + 5 + rng.integers(0, 3, n)  # surveys in June-August
        t = np.minimum(t, L.T - 1)
        answered[:, y] = (rng.random(n) < 0.85) & (t >= L.start_month) & (t <= L.last_month)
        z = L.z[np.arange(n), np.maximum(t - 1, 0)]  # answers reflect the state known before the survey month
        raw = 3 + signs[None, :] * (0.55 * (z - 0.3) + 0.6 * mgmt)[:, None] + rng.normal(0, 0.9, (n, n_q))
        answers[:, y] = np.clip(np.rint(raw), 1, 5)
        day = rng.integers(0, 28, n).astype("timedelta64[D]")
        dates[:, y] = _month_first_days(L, t) + day
    # Rows by obligor (in id order), survey date (the years are in date order) and question.
    r, y = np.nonzero(answered[L.ob_order])
    ob = L.ob_order[r]
    k = len(ob)
    return _frame({
        "obligor_id": L.ids(np.repeat(ob, n_q)),
        "survey_date": _ns(np.repeat(dates[ob, y], n_q)),
        "question_id": _str_take(q_ids, np.tile(np.arange(n_q), k)),
        "answer": answers[ob, y].astype(np.int64).ravel(),
    })


def master_scale_grade(pd_values: np.ndarray, n_grades: int = 10, low: float = 0.0003, high: float = 0.30) -> np.ndarray:
    """Grade 1..n on geometric PD bands between ``low`` and ``high`` (the legacy scale of the quotes)."""
    edges = np.geomspace(low, high, n_grades + 1)[1:-1]
    return np.searchsorted(edges, pd_values, side="right").astype(np.int64) + 1


def _quotes(L: _Latent, pd_true: np.ndarray) -> pd.DataFrame:
    s, n = L.s, L.s.n_obligors
    lgd_of = {"none": 0.45, "financial": 0.10, "receivables": 0.35, "real_estate": 0.30, "other_physical": 0.38}
    coll_types = np.array(list(lgd_of))
    coll_lgd = np.array([lgd_of[c] for c in coll_types])
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("who", "date", "grade", "tenor", "coll", "offered", "accepted")}
    for y in range(s.years):
        rng = _rng(s.seed, _S_QUOTE, y + 1)
        counts = rng.poisson(0.8 + 0.6 * (L.sales0 > 1500), n)
        who = np.repeat(np.arange(n), counts)
        t = 12 * y + rng.integers(0, 12, len(who))
        t = np.minimum(t, L.T - 1)
        # Draw everything for every candidate quote first, then keep the valid ones, so that which
        # quotes are valid (it depends on the horizon) never shifts the random stream.
        k = len(who)
        grade_noise, coll_all = rng.normal(0, 0.6, k), rng.choice(len(coll_types), k, p=[0.45, 0.05, 0.15, 0.2, 0.15])
        tenor_pf, tenor_corp = rng.choice([10.0, 15.0, 18.0], k), rng.choice([1.0, 2.0, 3.0, 5.0, 7.0], k)
        offer_noise, accept_u, day_all = rng.normal(0, 0.15, k), rng.random(k), rng.integers(0, 28, k)
        dm = L.default_month[who]
        ok = (t >= L.start_month[who]) & ((dm < 0) | (t < dm))  # no new quotes once in default
        who, t = who[ok], t[ok]
        p_true = pd_true[who, np.maximum(t - 1, 0)]  # the risk as of the month before the quote
        grade = master_scale_grade(p_true * np.exp(grade_noise[ok]))
        grade_pd = np.geomspace(0.0003, 0.30, 11)
        grade_mid = np.sqrt(grade_pd[grade - 1] * grade_pd[grade])
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
        for key, val in (("who", who), ("date", _month_first_days(L, t) + day), ("grade", grade), ("tenor", tenor),
                         ("coll", coll_idx), ("offered", np.round(offered, 1)), ("accepted", accepted)):
            parts[key].append(val)
    q = {k: np.concatenate(v) for k, v in parts.items()}
    return _frame({
        "quote_id": pd.array([f"QU{j:07d}" for j in range(1, len(q["who"]) + 1)], dtype="str"),
        "obligor_id": L.ids(q["who"]), "quote_date": _ns(q["date"]),
        "grade": q["grade"], "tenor_years": q["tenor"], "collateral_type": _str_take(coll_types, q["coll"]),
        "offered_spread_bps": q["offered"], "accepted": q["accepted"],
    })


def _interactions(L: _Latent, B: _Behaviour) -> pd.DataFrame:
    s, n, T = L.s, L.s.n_obligors, L.T
    active = L.active()
    # Arrears and covenant breaches drive the desk's contacts.
    # Contacts in a month react to the arrears and breaches seen at the previous month end.
    stress = np.zeros((n, T), dtype=bool)
    stress[:, 1:] = (active & ((B.dpd > 0) | B.breach))[:, :-1]
    channels = np.array(["call", "email", "meeting", "site_visit", "video_call"])
    topics = list(INTERACTION_TOPICS) + ["payment_arrears", "covenant_waiver"]
    n_topics = len(INTERACTION_TOPICS)
    parts: dict[str, list[np.ndarray]] = {"ob": [], "date": [], "channel": [], "topic": []}
    for y in range(s.years):
        rng = _rng(s.seed, _S_INTER, y + 1)
        months = np.arange(12 * y, min(12 * y + 12, T))
        lam = (0.25 + 0.25 * (L.sales0 > 1500))[:, None] + 0.8 * stress[:, months]
        counts = rng.poisson(lam) * active[:, months]
        ii, mm = np.nonzero(counts)
        reps = counts[ii, mm]
        ii, tt_ = np.repeat(ii, reps), np.repeat(months[mm], reps)
        k = len(ii)
        st = stress[ii, tt_]
        react = st & (rng.random(k) < 0.7)
        arrears = rng.random(k) < 0.5
        topic = np.where(react, np.where(arrears, n_topics, n_topics + 1), rng.integers(0, n_topics, k))
        day = rng.integers(0, 28, k).astype("timedelta64[D]")
        parts["ob"].append(ii)
        parts["date"].append(_month_first_days(L, tt_) + day)
        parts["channel"].append(rng.choice(5, k, p=[0.35, 0.3, 0.15, 0.05, 0.15]))
        parts["topic"].append(topic)
    p = {k: np.concatenate(v) for k, v in parts.items()}
    order = _stable_order_by_obligor(L, p["ob"], p["date"])
    return _frame({
        "obligor_id": L.ids(p["ob"][order]), "date": _ns(p["date"][order]),
        "channel": _str_take(channels, p["channel"][order]), "topic": _str_take(topics, p["topic"][order]),
    })


def _truth(L: _Latent, pd_true: np.ndarray) -> pd.DataFrame:
    t = np.arange(L.T)[None, :]
    before_default = np.where(L.default_month[:, None] >= 0, t < L.default_month[:, None], True)
    mask = (t >= L.start_month[:, None]) & before_default
    ii, tt = np.nonzero(mask)
    return _frame({
        "obligor_id": L.ids(ii),
        "month_end": _ns(L.months.values)[tt],
        "pd_12m": pd_true[ii, tt],
        "latent_score": np.round(L.z[ii, tt], 6),
    })


# Tables in the order they are returned, and what each needs drawn first.
_ORDER = ("obligors", "macro", "financials", "behaviour", "facilities", "defaults", "projects",
          "project_cashflows", "questionnaires", "quotes", "interactions", "truth")
_NEEDS_BEHAVIOUR = {"behaviour", "facilities", "defaults", "interactions"}
_NEEDS_FACILITIES = {"facilities", "defaults"}
_NEEDS_TRUE_PD = {"facilities", "defaults", "quotes", "truth"}


def generate_portfolio(settings: GeneratorSettings | None = None,
                       progress: Callable[[str], None] | None = None) -> dict[str, pd.DataFrame]:
    """Draw the tables of the data contract (all, or ``settings.tables``); deterministic for given settings."""
    s = settings or GeneratorSettings()
    want = set(TABLES if s.tables is None else s.tables)
    say = progress or (lambda _msg: None)
    say("latent credit-quality process")
    L = _Latent(s)
    pd_true = L.true_pd_12m() if want & _NEEDS_TRUE_PD else None
    tables: dict[str, pd.DataFrame] = {}
    say("obligors, macro, statements")
    if "obligors" in want:
        tables["obligors"] = _obligors(L)
    if "macro" in want:
        tables["macro"] = _macro(L)
    if "financials" in want:
        tables["financials"] = _financials(L)
    B = None
    if want & _NEEDS_BEHAVIOUR:
        say("monthly behaviour")
        B = _behaviour(L)
        if "behaviour" in want:
            tables["behaviour"] = _behaviour_frame(L, B)
    if want & _NEEDS_FACILITIES:
        say("facilities and defaults")
        facilities, fac_ob = _facilities(L, B, pd_true)
        if "facilities" in want:
            tables["facilities"] = facilities
        if "defaults" in want:
            tables["defaults"] = _defaults(L, facilities, fac_ob, B.type_code)
        del facilities, fac_ob
    say("projects, questionnaires, quotes, interactions")
    if want & {"projects", "project_cashflows"}:
        tables["projects"], tables["project_cashflows"] = _projects(L)
    if "questionnaires" in want:
        tables["questionnaires"] = _questionnaires(L)
    if "quotes" in want:
        tables["quotes"] = _quotes(L, pd_true)
    if "interactions" in want:
        tables["interactions"] = _interactions(L, B)
    del B
    if "truth" in want:
        tables["truth"] = _truth(L, pd_true)
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
