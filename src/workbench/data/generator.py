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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy.special import ndtr

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
PHI_MACRO, PHI_IND, PHI_IDIO = 0.97, 0.95, 0.985
CYCLE_WEIGHT, SHOCK_WEIGHT = 0.85, 0.65
HAZARD_INTERCEPT = -4.05  # sets the long-run default rate near 2 % a year
MU_SD = 0.75  # cross-sectional spread of obligors' mean quality

# Stream ids for SeedSequence([seed, stream, year]).
(_S_STATIC, _S_MACRO, _S_LATENT, _S_DEFAULT, _S_FIN, _S_BEH, _S_QUEST,
 _S_QUOTE, _S_INTER, _S_FAC, _S_PROJ, _S_DEFTYPE) = range(12)


@dataclass(frozen=True)
class GeneratorSettings:
    """Size and shape of the synthetic portfolio."""

    n_obligors: int = 5000
    years: int = 10
    seed: int = 0
    start_year: int = 2015
    project_finance_share: float = 0.10
    new_client_share: float = 0.25

    def __post_init__(self) -> None:
        if self.n_obligors < 10:
            raise ValueError(f"n_obligors must be >= 10, got {self.n_obligors}")
        if not 2 <= self.years <= 40:
            raise ValueError(f"years must be between 2 and 40, got {self.years}")
        if not 0 <= self.project_finance_share <= 0.5:
            raise ValueError("project_finance_share must be in [0, 0.5]")


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
        ind = INDUSTRIES
        self.cyc = np.array([ind[k].cyclicality for k in self.industry])

        # Obligor traits, drawn once.
        self.sales0 = np.clip(np.exp(rng.normal(math.log(450.0), 1.0, n)), 40.0, 40000.0)
        self.mu = (np.array([ind[k].quality for k in self.industry]) + rng.normal(0, MU_SD, n)
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
        self.e = _ar1_by_year(s.seed, _S_LATENT, (n,), T, PHI_IDIO, rng.standard_normal(n))

        self.z = (self.mu[:, None] + A_MACRO * self.cyc[:, None] * self.M[None, :]
                  + A_IND * self.I[self.industry] + A_IDIO * self.e)
        self.hazard = ndtr(HAZARD_INTERCEPT - self.z)
        self._draw_defaults()

    def _draw_defaults(self) -> None:
        n, T = self.s.n_obligors, self.T
        u = np.concatenate([_rng(self.s.seed, _S_DEFAULT, y + 1).random((n, 12)) for y in range(self.s.years)], axis=1)
        hit = (u < self.hazard) & (np.arange(T)[None, :] >= self.start_month[:, None])
        has = hit.any(axis=1)
        self.default_month = np.where(has, hit.argmax(axis=1), -1)
        # Last month with records: the default month, or the end of the horizon.
        self.last_month = np.where(has, self.default_month, T - 1)

    def active(self) -> np.ndarray:
        """(n, T) mask of months an obligor is a client and not yet past its default month."""
        t = np.arange(self.T)[None, :]
        return (t >= self.start_month[:, None]) & (t <= self.last_month[:, None])

    def true_pd_12m(self) -> np.ndarray:
        """(n, T) probability of default within 12 months given the state at each month end."""
        s = np.arange(1, 13)
        a_m = A_MACRO * self.cyc[:, None, None]
        mean = (self.mu[:, None, None]
                + a_m * (CYCLE_WEIGHT * self._cycle_ahead()[None, :, :]
                         + SHOCK_WEIGHT * PHI_MACRO ** s[None, None, :] * self.macro_shock[None, :, None])
                + A_IND * PHI_IND ** s[None, None, :] * self.I[self.industry][:, :, None]
                + A_IDIO * PHI_IDIO ** s[None, None, :] * self.e[:, :, None])
        var = ((a_m * SHOCK_WEIGHT) ** 2 * (1 - PHI_MACRO ** (2 * s))[None, None, :]
               + A_IND ** 2 * (1 - PHI_IND ** (2 * s))[None, None, :]
               + A_IDIO ** 2 * (1 - PHI_IDIO ** (2 * s))[None, None, :])
        expected_hazard = ndtr((HAZARD_INTERCEPT - mean) / np.sqrt(1 + var))
        return 1 - np.prod(1 - expected_hazard, axis=2)

    def _cycle_ahead(self) -> np.ndarray:
        idx = np.arange(self.T)[:, None] + np.arange(1, 13)[None, :]
        return self.cycle[idx]


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
    names = [f"{syll_a[a]}{syll_b[b]} {INDUSTRIES[k].code.split('_')[0].title()} {suffix[c]}"
             for a, b, c, k in zip(rng.integers(0, len(syll_a), n), rng.integers(0, len(syll_b), n),
                                   rng.integers(0, len(suffix), n), L.industry)]
    ids = np.array([f"OB{i:06d}" for i in range(1, n + 1)])
    group = np.full(n, None, dtype=object)
    in_group = rng.random(n) < 0.15
    group[in_group] = [f"GR{g:05d}" for g in rng.integers(1, max(2, n // 30), in_group.sum())]
    first_day = pd.DatetimeIndex(L.months.values[np.minimum(L.start_month, L.T - 1)]) - pd.offsets.MonthBegin(1)
    history = pd.to_timedelta(np.round(L.relationship_years * 365.25), unit="D")
    rel_start = np.where(L.existing, (first_day - history).values, first_day.values)
    size_band = np.select([L.sales0 < 250, L.sales0 < 1500], ["mid_corporate", "large_corporate"],
                          "very_large_corporate")
    df = pd.DataFrame({
        "obligor_id": ids,
        "name": names,
        "industry": [INDUSTRIES[k].code for k in L.industry],
        "region": np.array(REGIONS)[rng.integers(0, len(REGIONS), n)],
        "segment": np.where(L.is_pf, "project_finance", "corporate"),
        "size_band": size_band,
        "sales": np.round(L.sales0, 3),
        "group_id": pd.array(group, dtype="str"),
        "relationship_start": pd.to_datetime(rel_start),
    })
    keep = L.start_month < L.T  # joiners after the horizon are not clients yet
    return df[keep].reset_index(drop=True)


def _financials(L: _Latent) -> pd.DataFrame:
    s = L.s
    n = s.n_obligors
    ind = INDUSTRIES
    rng0 = _rng(s.seed, _S_FIN, 0)
    fye = rng0.choice([12, 3, 6], n, p=[0.75, 0.10, 0.15])  # fiscal year-end month
    turnover_i = np.array([ind[k].asset_turnover for k in L.industry]) * np.exp(rng0.normal(0, 0.18, n))
    lev_i = np.array([ind[k].leverage for k in L.industry]) + rng0.normal(0, 0.07, n)
    margin_k = np.array([ind[k].ebitda_margin for k in L.industry])
    margin_i = margin_k * np.exp(rng0.normal(0, 0.15, n))
    growth_k = np.array([ind[k].growth for k in L.industry])
    capex_k = np.array([ind[k].capex_ratio for k in L.industry])
    dso_k, dio_k, dpo_k = (np.array([getattr(ind[k], a) for k in L.industry]) for a in ("dso", "dio", "dpo"))
    log_rev = np.log(L.sales0)
    extract_date = L.months[-1]
    policy = _policy_rate(L)

    frames = []
    for y in range(s.years):
        rng = _rng(s.seed, _S_FIN, y + 1)
        # Fiscal year ending in calendar year y at month fye: month index of the period end.
        t_end = 12 * y + fye - 1
        valid = (t_end >= 11) & (t_end < L.T)
        t_end_c = np.clip(t_end, 11, L.T - 1)
        window = t_end_c[:, None] - np.arange(12)[None, :]
        zbar = np.take_along_axis(L.z, window, axis=1).mean(axis=1)
        ibar = np.take_along_axis(L.I[L.industry], window, axis=1).mean(axis=1)
        growth = growth_k + 0.04 * L.cyc * L.M[t_end_c] + 0.03 * ibar + 0.03 * zbar + rng.normal(0, 0.06, n)
        log_rev = log_rev + np.where(valid, growth, 0.0)
        revenue = np.exp(log_rev)
        margin = margin_i + 0.035 * zbar + 0.01 * ibar + rng.normal(0, 0.02, n) * (1 + 2 * margin_k)
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
        leverage = np.clip(lev_i - 0.07 * zbar + rng.normal(0, 0.02, n), 0.0, 0.97)
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
        onboarding = L.months.values[start_t] - (L.months.day.values[start_t] - 1).astype("timedelta64[D]")
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
        frame = pd.DataFrame({k: np.round(v, 4) for k, v in cols.items()})
        for item in ("cogs", "inventory", "retained_earnings", "operating_cash_flow", "capex",
                     "current_liabilities", "payables"):
            frame.loc[rng.random(n) < 0.03, item] = np.nan
        frame.insert(0, "obligor_id", [f"OB{i:06d}" for i in range(1, n + 1)])
        frame.insert(1, "period_end", period_end)
        frame.insert(2, "reported_date", reported)
        frame.insert(3, "audited", audited)
        frames.append(frame[alive])
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["obligor_id", "period_end"], kind="stable").reset_index(drop=True)


def _policy_rate(L: _Latent) -> np.ndarray:
    """Policy rate in percent: follows the cycle with a six-month lag, floored at zero."""
    lagged = np.concatenate([np.full(6, L.M[0]), L.M[:-6]]) if L.T > 6 else L.M
    smooth = pd.Series(lagged).rolling(12, min_periods=1).mean().to_numpy()
    return np.clip(1.75 + 1.4 * smooth, 0.0, 6.0)


def _macro(L: _Latent) -> pd.DataFrame:
    rng_noise = np.concatenate([_rng(L.s.seed, _S_MACRO + 200, y + 1).normal(0, 0.25, 12) for y in range(L.s.years)])
    frame = {
        "month_end": L.months.values,
        "gdp_growth": np.round(1.6 + 1.9 * L.M + rng_noise[: L.T], 3),
        "policy_rate": np.round(_policy_rate(L), 3),
    }
    for k, ind in enumerate(INDUSTRIES):
        monthly = 0.002 + 0.012 * (ind.cyclicality * L.M + 0.7 * L.I[k])
        frame[f"idx_{ind.code}"] = np.round(100 * np.exp(np.cumsum(monthly)), 3)
    return pd.DataFrame(frame)


def _facility_limits(L: _Latent) -> np.ndarray:
    rng = _rng(L.s.seed, _S_FAC, 0)
    return L.sales0 * rng.uniform(0.08, 0.30, L.s.n_obligors) * np.where(L.is_pf, 3.0, 1.0)


def _behaviour(L: _Latent) -> tuple[pd.DataFrame, np.ndarray]:
    """Monthly utilisation, days past due (a roll-rate chain driven by z) and covenant tests."""
    s, n, T = L.s, L.s.n_obligors, L.T
    limit = _facility_limits(L)
    base_util = _rng(s.seed, _S_BEH, 0).beta(2.0, 2.5, n)
    state = np.zeros(n, dtype=np.int64)  # 0 current, 1: 1-29, 2: 30-59, 3: 60-89 days past due
    util = np.empty((n, T))
    dpd = np.zeros((n, T), dtype=np.int64)
    overdue = np.zeros((n, T))
    breach = np.zeros((n, T), dtype=bool)
    for y in range(s.years):
        rng = _rng(s.seed, _S_BEH, y + 1)
        draws = rng.random((n, 12, 5))
        noise = rng.normal(0, 0.04, (n, 12))
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
            util[:, t] = np.clip(base_util + 0.10 * np.tanh(-z) + spike + noise[:, m], 0.0, 1.2)
            dpd[:, t] = np.where(state > 0, 30 * (state - 1) + 1 + (u[:, 3] * 29).astype(np.int64), 0)
            overdue[:, t] = np.where(state > 0, limit * util[:, t] * (0.01 + 0.04 * state) , 0.0)
            quarter_end = (m % 3) == 2
            breach[:, t] = quarter_end & (u[:, 4] < ndtr(-2.6 - 0.8 * z))
    # A 90-day default shows in its default month; decided here so the behaviour table is consistent.
    dtype_code = _default_type_codes(L, state_before=dpd)
    for i in np.flatnonzero(L.default_month >= 0):
        t = L.default_month[i]
        if dtype_code[i] == 0:
            dpd[i, t] = 90 + int(_rng(s.seed, _S_DEFTYPE, 1_000_000 + i).integers(0, 60))
            overdue[i, t] = max(overdue[i, t], limit[i] * util[i, t] * 0.2)
    active = L.active()
    ii, tt = np.nonzero(active)
    frame = pd.DataFrame({
        "obligor_id": np.array([f"OB{i:06d}" for i in range(1, n + 1)])[ii],
        "month_end": L.months.values[tt],
        "utilisation": np.round(util[ii, tt], 4),
        "days_past_due": dpd[ii, tt],
        "overdue_amount": np.round(overdue[ii, tt], 4),
        "covenant_breach": breach[ii, tt],
    })
    return frame, dtype_code


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


def _facilities(L: _Latent, beh: pd.DataFrame, pd_true: np.ndarray) -> pd.DataFrame:
    s, n = L.s, L.s.n_obligors
    limit_total = _facility_limits(L)
    last_util = beh.groupby("obligor_id", sort=True)["utilisation"].last()
    util_by_obligor = np.full(n, 0.5)
    idx = last_util.index.str.slice(2).astype(int).to_numpy() - 1
    util_by_obligor[idx] = last_util.to_numpy()
    rows = []
    fac_no = 0
    end = L.months[-1]
    for i in range(n):
        if L.start_month[i] >= L.T:
            continue
        rng = _rng(s.seed, _S_FAC, 1_000_000 + i)  # per obligor: independent of everyone else's history
        if L.is_pf[i]:
            products = ["project_loan", "revolver"] if rng.random() < 0.6 else ["project_loan"]
        else:
            k = 1 + rng.binomial(3, 0.45)
            products = list(rng.choice(["term_loan", "revolver", "trade_finance", "guarantee"], k,
                                       replace=False, p=[0.35, 0.35, 0.18, 0.12]))
        shares = rng.dirichlet(np.ones(len(products))) if len(products) > 1 else np.ones(1)
        if L.is_pf[i]:
            shares = np.array([0.9, 0.1])[: len(products)] if len(products) == 2 else np.ones(1)
        for prod, share in zip(products, shares):
            fac_no += 1
            limit = max(limit_total[i] * share, 0.5)
            orig_month = int(rng.integers(L.start_month[i], max(L.start_month[i] + 1, L.last_month[i] + 1)))
            orig = L.months[orig_month] - pd.offsets.MonthBegin(1) + pd.Timedelta(days=int(rng.integers(0, 27)))
            tenor = {"project_loan": rng.integers(12, 21), "term_loan": rng.choice([3, 5, 7, 10]),
                     "revolver": rng.choice([1, 3, 5]), "trade_finance": 1, "guarantee": rng.choice([1, 2, 3, 5])}[prod]
            maturity = orig + pd.DateOffset(years=int(tenor))
            repayment = {"project_loan": "sculpted", "revolver": "revolving", "trade_finance": "bullet",
                         "guarantee": "bullet"}.get(prod) or rng.choice(
                ["annuity", "equal_principal", "bullet", "balloon"], p=[0.35, 0.3, 0.15, 0.2])
            if prod == "project_loan":
                coll = "other_physical"
            elif prod == "term_loan":
                coll = rng.choice(["real_estate", "other_physical", "financial", "none"], p=[0.35, 0.2, 0.05, 0.4])
            elif prod == "revolver":
                coll = rng.choice(["receivables", "none"], p=[0.4, 0.6])
            else:
                coll = rng.choice(["financial", "none"], p=[0.2, 0.8])
            coll_value = 0.0 if coll == "none" else limit * rng.uniform(0.4, 1.6)
            pd_orig = pd_true[i, orig_month]
            spread = float(np.clip(70 + 3500 * pd_orig ** 0.7 + rng.normal(0, 15), 25, 900))
            snap = min(L.last_month[i], L.T - 1)
            elapsed = max((L.months[snap] - orig).days / 365.25, 0.0)
            if maturity <= L.months[snap]:
                drawn = 0.0  # matured and repaid before the snapshot
            elif prod in ("revolver", "trade_finance"):
                drawn = limit * min(util_by_obligor[i], 1.0)
            elif prod == "guarantee":
                drawn = limit
            elif repayment == "bullet":
                drawn = limit
            else:
                drawn = limit * max(1 - elapsed / float(tenor), 0.0 if repayment != "balloon" else 0.4)
            rows.append((f"FA{fac_no:07d}", f"OB{i + 1:06d}", prod, round(limit, 4), round(drawn, 4),
                         orig, maturity, repayment, round(spread, 1), coll, round(coll_value, 4),
                         "subordinated" if rng.random() < 0.07 else "senior"))
    cols = ["facility_id", "obligor_id", "product", "limit", "drawn", "origination_date", "maturity_date",
            "repayment_type", "spread_bps", "collateral_type", "collateral_value", "seniority"]
    df = pd.DataFrame(rows, columns=cols)
    df["origination_date"] = pd.to_datetime(df["origination_date"])
    df["maturity_date"] = pd.to_datetime(df["maturity_date"])
    return df


def _defaults(L: _Latent, facilities: pd.DataFrame, type_code: np.ndarray) -> pd.DataFrame:
    who = np.flatnonzero(L.default_month >= 0)
    types = np.array(["90dpd", "bankruptcy", "distressed_restructuring", "unlikely_to_pay"])
    # Facilities that matured before the default are repaid and carry no exposure.
    fac = facilities[facilities["drawn"] > 0].copy()
    fac = fac.assign(undrawn=(fac["limit"] - fac["drawn"]).clip(lower=0))
    ccf = np.where(fac["product"].isin(["revolver", "trade_finance"]), 0.75, 0.0)
    fac = fac.assign(ead=fac["drawn"] + ccf * fac["undrawn"],
                     cover=np.where(fac["collateral_type"] == "none", 0.0, fac["collateral_value"]))
    by = fac.groupby("obligor_id")[["ead", "cover"]].sum()
    ids = np.array([f"OB{i + 1:06d}" for i in who])
    ead = by["ead"].reindex(ids).fillna(0.0).to_numpy()
    cover = by["cover"].reindex(ids).fillna(0.0).to_numpy()
    coverage = np.divide(cover, ead, out=np.zeros_like(ead), where=ead > 0)
    lgd_mean = np.clip(0.50 - 0.30 * np.minimum(coverage, 1.2), 0.08, 0.75)
    conc = 4.0
    # One stream per defaulter: a longer horizon adds defaults without redrawing earlier ones.
    draws = [_rng(L.s.seed, _S_DEFTYPE, 2_000_000 + i) for i in who]
    lgd = np.array([g.beta(m * conc, (1 - m) * conc) for g, m in zip(draws, lgd_mean)])
    day = np.array([g.integers(0, 28) for g in draws], dtype=np.int64).astype("timedelta64[D]")
    month_start = L.months.values[L.default_month[who]] - (L.months.day.values[L.default_month[who]] - 1).astype("timedelta64[D]")
    return pd.DataFrame({
        "obligor_id": ids,
        "default_date": pd.to_datetime(month_start + day),
        "default_type": types[type_code[who]],
        "ead": np.round(ead, 4),
        "recovery": np.round(ead * (1 - lgd), 4),
    }).sort_values("obligor_id").reset_index(drop=True)


def _projects(L: _Latent) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = _rng(L.s.seed, _S_PROJ, 0)
    pf = np.flatnonzero(L.is_pf & (L.start_month < L.T))
    projects, flows = [], []
    for j, i in enumerate(pf, start=1):
        pid = f"PR{j:05d}"
        close = L.months[0] - pd.DateOffset(years=int(rng.integers(0, 4))) if L.existing[i] else L.months[L.start_month[i]]
        close = pd.Timestamp(close)
        construction = int(rng.integers(1, 4))
        ops_start = close + pd.DateOffset(years=construction)
        ops_years = int(rng.integers(15, 31))
        total_cost = float(L.sales0[i] * rng.uniform(5.0, 9.0))
        cfads0 = total_cost * rng.uniform(0.085, 0.13)
        degradation = -0.005 if INDUSTRIES[L.industry[i]].code == "renewable_energy" else 0.015
        t = np.arange(1, ops_years + 1)
        ramp = np.where(t == 1, 0.80, np.where(t == 2, 0.93, 1.0))
        maintenance = np.where((t % 7 == 0), 0.75, 1.0)
        cfads = cfads0 * (1 + degradation) ** (t - 1) * ramp * maintenance * np.exp(rng.normal(0, 0.03, ops_years))
        projects.append((pid, f"OB{i + 1:06d}", INDUSTRIES[L.industry[i]].code, close, ops_start, ops_years,
                         round(total_cost, 4)))
        flows.append(pd.DataFrame({
            "project_id": pid, "period": t.astype(np.int64),
            "period_end": [ops_start + pd.DateOffset(years=int(k)) - pd.Timedelta(days=1) for k in t],
            "cfads": np.round(cfads, 4),
        }))
    proj = pd.DataFrame(projects, columns=["project_id", "obligor_id", "sector", "financial_close",
                                           "operations_start", "operations_years", "total_cost"])
    proj["operations_years"] = proj["operations_years"].astype(np.int64)
    for c in ("financial_close", "operations_start"):
        proj[c] = pd.to_datetime(proj[c])
    cf = (pd.concat(flows, ignore_index=True) if flows else
          pd.DataFrame({"project_id": pd.Series(dtype=str), "period": pd.Series(dtype=np.int64),
                        "period_end": pd.Series(dtype="datetime64[ns]"), "cfads": pd.Series(dtype=float)}))
    cf["period_end"] = pd.to_datetime(cf["period_end"])
    return proj, cf


def _questionnaires(L: _Latent) -> pd.DataFrame:
    s, n = L.s, L.s.n_obligors
    mgmt = _rng(s.seed, _S_QUEST, 0).normal(0, 0.6, n)  # soft information the statements do not carry
    q_ids = list(QUESTIONS)
    signs = np.array([QUESTIONS[q][1] for q in q_ids])
    frames = []
    for y in range(s.years):
        rng = _rng(s.seed, _S_QUEST, y + 1)
        t = 12 * y + 5 + rng.integers(0, 3, n)  # surveys in June-August
        t = np.minimum(t, L.T - 1)
        answered = (rng.random(n) < 0.85) & (t >= L.start_month) & (t <= L.last_month)
        z = L.z[np.arange(n), np.maximum(t - 1, 0)]  # answers reflect the state known before the survey month
        raw = 3 + signs[None, :] * (0.55 * (z - 0.3) + 0.6 * mgmt)[:, None] + rng.normal(0, 0.9, (n, len(q_ids)))
        ans = np.clip(np.rint(raw), 1, 5).astype(np.int64)
        day = rng.integers(0, 28, n).astype("timedelta64[D]")
        date = L.months.values[t] - (L.months.day.values[t] - 1).astype("timedelta64[D]") + day
        who = np.flatnonzero(answered)
        frames.append(pd.DataFrame({
            "obligor_id": np.repeat([f"OB{i + 1:06d}" for i in who], len(q_ids)),
            "survey_date": np.repeat(date[who], len(q_ids)),
            "question_id": np.tile(q_ids, len(who)),
            "answer": ans[who].ravel(),
        }))
    return pd.concat(frames, ignore_index=True).sort_values(["obligor_id", "survey_date", "question_id"]).reset_index(drop=True)


def master_scale_grade(pd_values: np.ndarray, n_grades: int = 10, low: float = 0.0003, high: float = 0.30) -> np.ndarray:
    """Grade 1..n on geometric PD bands between ``low`` and ``high`` (the legacy scale of the quotes)."""
    edges = np.geomspace(low, high, n_grades + 1)[1:-1]
    return np.searchsorted(edges, pd_values, side="right").astype(np.int64) + 1


def _quotes(L: _Latent, pd_true: np.ndarray) -> pd.DataFrame:
    s, n = L.s, L.s.n_obligors
    lgd_of = {"none": 0.45, "financial": 0.10, "receivables": 0.35, "real_estate": 0.30, "other_physical": 0.38}
    coll_types = np.array(list(lgd_of))
    coll_lgd = np.array([lgd_of[c] for c in coll_types])
    frames = []
    q_no = 0
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
        m = len(who)
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
        date = L.months.values[t] - (L.months.day.values[t] - 1).astype("timedelta64[D]") + day
        ids = [f"QU{q_no + j + 1:07d}" for j in range(m)]
        q_no += m
        frames.append(pd.DataFrame({
            "quote_id": ids, "obligor_id": [f"OB{i + 1:06d}" for i in who], "quote_date": date,
            "grade": grade, "tenor_years": tenor, "collateral_type": coll_types[coll_idx],
            "offered_spread_bps": np.round(offered, 1), "accepted": accepted,
        }))
    return pd.concat(frames, ignore_index=True)


def _interactions(L: _Latent, beh: pd.DataFrame) -> pd.DataFrame:
    s, n, T = L.s, L.s.n_obligors, L.T
    active = L.active()
    # Arrears and covenant breaches drive the desk's contacts.
    stress = np.zeros((n, T), dtype=bool)
    ob = beh["obligor_id"].str.slice(2).astype(int).to_numpy() - 1
    tt = np.searchsorted(L.months.values, beh["month_end"].to_numpy())
    # Contacts in a month react to the arrears and breaches seen at the previous month end.
    tt_next = tt + 1
    seen = tt_next < T
    stress[ob[seen], tt_next[seen]] = ((beh["days_past_due"].to_numpy() > 0) | beh["covenant_breach"].to_numpy())[seen]
    frames = []
    channels = np.array(["call", "email", "meeting", "site_visit", "video_call"])
    topics = np.array(INTERACTION_TOPICS)
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
        topic = np.where(st & (rng.random(k) < 0.7),
                         np.where(rng.random(k) < 0.5, "payment_arrears", "covenant_waiver"),
                         topics[rng.integers(0, len(topics), k)])
        day = rng.integers(0, 28, k).astype("timedelta64[D]")
        date = L.months.values[tt_] - (L.months.day.values[tt_] - 1).astype("timedelta64[D]") + day
        frames.append(pd.DataFrame({
            "obligor_id": [f"OB{i + 1:06d}" for i in ii], "date": date,
            "channel": channels[rng.choice(5, k, p=[0.35, 0.3, 0.15, 0.05, 0.15])], "topic": topic,
        }))
    return pd.concat(frames, ignore_index=True).sort_values(["obligor_id", "date"], kind="stable").reset_index(drop=True)


def _truth(L: _Latent, pd_true: np.ndarray) -> pd.DataFrame:
    t = np.arange(L.T)[None, :]
    before_default = np.where(L.default_month[:, None] >= 0, t < L.default_month[:, None], True)
    mask = (t >= L.start_month[:, None]) & before_default
    ii, tt = np.nonzero(mask)
    return pd.DataFrame({
        "obligor_id": np.array([f"OB{i + 1:06d}" for i in range(L.s.n_obligors)])[ii],
        "month_end": L.months.values[tt],
        "pd_12m": pd_true[ii, tt],
        "latent_score": np.round(L.z[ii, tt], 6),
    })


def generate_portfolio(settings: GeneratorSettings | None = None,
                       progress: Callable[[str], None] | None = None) -> dict[str, pd.DataFrame]:
    """Draw every table of the data contract; deterministic for given settings."""
    s = settings or GeneratorSettings()
    say = progress or (lambda _msg: None)
    say("latent credit-quality process")
    L = _Latent(s)
    pd_true = L.true_pd_12m()
    say("obligors, macro, statements")
    tables: dict[str, pd.DataFrame] = {"obligors": _obligors(L), "macro": _macro(L), "financials": _financials(L)}
    say("monthly behaviour")
    beh, type_code = _behaviour(L)
    tables["behaviour"] = beh
    say("facilities and defaults")
    tables["facilities"] = _facilities(L, beh, pd_true)
    tables["defaults"] = _defaults(L, tables["facilities"], type_code)
    say("projects, questionnaires, quotes, interactions")
    tables["projects"], tables["project_cashflows"] = _projects(L)
    tables["questionnaires"] = _questionnaires(L)
    tables["quotes"] = _quotes(L, pd_true)
    tables["interactions"] = _interactions(L, beh)
    tables["truth"] = _truth(L, pd_true)
    known = set(tables["obligors"]["obligor_id"])
    for name, df in tables.items():
        if "obligor_id" in df.columns and name != "obligors":
            tables[name] = df[df["obligor_id"].isin(known)].reset_index(drop=True)
    return _normalise_types(tables)


def _normalise_types(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """One dtype per kind: str ids, datetime64[ns] dates, float64 money, int64 counts."""
    for name, df in tables.items():
        for col in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[col]):
                df[col] = df[col].astype("datetime64[ns]")
            elif df[col].dtype == object:
                df[col] = df[col].astype("str")
        tables[name] = df
    return tables
