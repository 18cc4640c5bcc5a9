"""``financials``: annual statements drawn around the industry norms and moved by the latent quality.

Published after a reporting lag (longer when audited or in distress), some unaudited (and then
flattering), some items missing; statements collected at onboarding reach the bank on the first
day of the relationship. Nothing in a statement depends on months after its period end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .frames import frame, ns
from .latent import Latent
from .macro import policy_rate
from .norms import norm_array
from .streams import S_FIN, rng

__all__ = ["FIN_ITEMS", "financials_table"]

FIN_ITEMS = ("revenue", "cogs", "ebitda", "ebit", "interest_expense", "net_income", "total_assets",
             "current_assets", "cash", "receivables", "inventory", "total_liabilities", "current_liabilities",
             "payables", "total_debt", "equity", "retained_earnings", "operating_cash_flow", "capex")
# Items a statement may leave out (each missing in about 3 % of statements).
_OPTIONAL_ITEMS = ("cogs", "inventory", "retained_earnings", "operating_cash_flow", "capex",
                   "current_liabilities", "payables")


@dataclass
class _Firms:
    """Per obligor, drawn once: fiscal year end and the firm's own levels around its industry's norms."""

    fye: np.ndarray  # fiscal year-end month
    turnover: np.ndarray
    leverage: np.ndarray
    margin: np.ndarray
    margin_k: np.ndarray  # the industry's, per obligor
    growth_k: np.ndarray
    capex_k: np.ndarray
    dso_k: np.ndarray
    dio_k: np.ndarray
    dpo_k: np.ndarray


def _firms(L: Latent) -> _Firms:
    n = L.s.n_obligors
    rng0 = rng(L.s.seed, S_FIN, 0)
    fye = rng0.choice([12, 3, 6], n, p=[0.75, 0.10, 0.15])
    turnover_i = norm_array("asset_turnover")[L.industry] * np.exp(rng0.normal(0, 0.18, n))
    # A firm's structural quality shows in its capital structure and margins, not only in its shocks.
    mu_c = L.mu - L.mu.mean()
    lev_i = norm_array("leverage")[L.industry] - 0.04 * mu_c + rng0.normal(0, 0.05, n)
    margin_k = norm_array("ebitda_margin")[L.industry]
    margin_i = margin_k * np.exp(0.08 * mu_c + rng0.normal(0, 0.10, n))
    dso_k, dio_k, dpo_k = (norm_array(a)[L.industry] for a in ("dso", "dio", "dpo"))
    return _Firms(fye, turnover_i, lev_i, margin_i, margin_k, norm_array("growth")[L.industry],
                  norm_array("capex_ratio")[L.industry], dso_k, dio_k, dpo_k)


def _items(f: _Firms, r: np.random.Generator, revenue: np.ndarray, zbar: np.ndarray, ibar: np.ndarray,
           policy: np.ndarray) -> dict[str, np.ndarray]:
    """One fiscal year's statement items (before audit and rounding), from the year's stream ``r``."""
    n = len(revenue)
    margin = f.margin + 0.05 * zbar + 0.01 * ibar + r.normal(0, 0.02, n) * (1 + 2 * f.margin_k)
    ebitda = revenue * margin
    sga = 0.12 * (1 - f.margin_k)
    cogs = revenue * np.clip(1 - margin - sga, 0.02, None)
    dso = f.dso_k * np.exp(-0.10 * zbar + r.normal(0, 0.10, n))
    dio = f.dio_k * np.exp(-0.05 * zbar + r.normal(0, 0.10, n))
    dpo = f.dpo_k * np.exp(-0.10 * zbar + r.normal(0, 0.10, n))
    receivables = revenue * dso / 365
    inventory = cogs * dio / 365
    payables = cogs * dpo / 365
    asset_base = revenue / (f.turnover * np.exp(r.normal(0, 0.05, n)))
    cash = asset_base * np.clip(0.08 + 0.025 * zbar + r.normal(0, 0.02, n), 0.003, 0.35)
    current_assets = cash + receivables + inventory + 0.02 * asset_base
    fixed_assets = np.maximum(asset_base - current_assets, 0.15 * asset_base)
    total_assets = fixed_assets + current_assets
    leverage = np.clip(f.leverage - 0.10 * zbar + r.normal(0, 0.02, n), 0.0, 0.97)
    total_debt = leverage * total_assets
    rate = policy / 100 + np.clip(0.012 + 0.01 * np.exp(-0.8 * zbar), 0.005, 0.12)
    interest = total_debt * rate
    depreciation = total_assets * np.clip(f.capex_k * f.turnover * 0.9, 0.01, 0.08)
    ebit = ebitda - depreciation
    tax = 0.25 * np.maximum(ebit - interest, 0)
    net_income = ebit - interest - tax
    st_share = np.clip(0.20 - 0.08 * zbar + r.normal(0, 0.05, n), 0.02, 0.9)
    current_liabilities = payables + st_share * total_debt + 0.02 * total_assets
    total_liabilities = total_debt + payables + 0.05 * total_assets
    equity = total_assets - total_liabilities
    retained = equity * np.clip(0.55 + 0.15 * zbar + r.normal(0, 0.12, n), -1.0, 1.2)
    ocf = ebitda * np.clip(0.85 + 0.05 * zbar, 0.3, 1.1) - tax + r.normal(0, 0.025, n) * revenue
    capex = revenue * f.capex_k * np.exp(0.10 * zbar + r.normal(0, 0.25, n))
    return {
        "revenue": revenue, "cogs": cogs, "ebitda": ebitda, "ebit": ebit,
        "interest_expense": interest, "net_income": net_income, "total_assets": total_assets,
        "current_assets": current_assets, "cash": cash, "receivables": receivables,
        "inventory": inventory, "total_liabilities": total_liabilities,
        "current_liabilities": current_liabilities, "payables": payables, "total_debt": total_debt, "equity": equity,
        "retained_earnings": retained, "operating_cash_flow": ocf, "capex": capex,
    }


def _audit_and_lag(L: Latent, r: np.random.Generator, items: dict[str, np.ndarray], zbar: np.ndarray,
                   period_end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each statement is audited (unaudited ones flatter the profit items, in place) and
    the date it reaches the bank."""
    n = L.s.n_obligors
    # Weaker and smaller obligors more often send unaudited (and flattering) statements.
    p_unaudited = 0.06 + 0.08 * (L.sales0 < 250) + 0.10 * (zbar < -1.0)
    audited = r.random(n) >= p_unaudited
    flatter = np.where(audited, 1.0, np.exp(np.abs(r.normal(0.03, 0.05, n))))
    ebitda = items["ebitda"]
    items["ebitda"], items["ebit"], items["net_income"] = (
        ebitda * flatter, items["ebit"] + ebitda * (flatter - 1), items["net_income"] + ebitda * (flatter - 1))
    lag = np.where(audited, r.integers(75, 160, n), r.integers(25, 80, n)) + 35 * (zbar < -1.2)
    reported = period_end + lag.astype("timedelta64[D]")
    # History collected at onboarding reaches the bank on the first day of the relationship.
    start_t = np.minimum(L.start_month, L.T - 1)
    onboarding = L.first_days(start_t)
    reported = np.where(L.existing, reported, np.maximum(reported, onboarding))
    return audited, reported


def _statement_year(L: Latent, f: _Firms, y: int, log_rev: np.ndarray,
                    policy: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The statements of fiscal years ending in calendar year ``y`` that the bank holds at the
    extract date (columns of ``financials`` plus ``ob``), and the obligors' log revenue after it."""
    n = L.s.n_obligors
    r = rng(L.s.seed, S_FIN, y + 1)
    # Fiscal year ending in calendar year y at month fye: month index of the period end.
    t_end = 12 * y + f.fye - 1
    valid = (t_end >= 11) & (t_end < L.T)
    t_end_c = np.clip(t_end, 11, L.T - 1)
    window = t_end_c[:, None] - np.arange(12)[None, :]
    zbar = np.take_along_axis(L.z, window, axis=1).mean(axis=1)
    ibar = L.I[L.industry[:, None], window].mean(axis=1)
    growth = f.growth_k + 0.04 * L.cyc * L.M[t_end_c] + 0.03 * ibar + 0.03 * zbar + r.normal(0, 0.06, n)
    log_rev = log_rev + np.where(valid, growth, 0.0)
    items = _items(f, r, np.exp(log_rev), zbar, ibar, policy[t_end_c])
    period_end = L.months.values[t_end_c]
    audited, reported = _audit_and_lag(L, r, items, zbar, period_end)
    alive = (valid & (t_end_c >= L.start_month - 24)  # two statements of history on onboarding
             & (t_end_c < np.where(L.default_month >= 0, L.default_month, L.T))
             & (reported <= L.months[-1].to_datetime64()))
    cols = {k: np.round(v, 4) for k, v in items.items()}
    for item in _OPTIONAL_ITEMS:
        cols[item][r.random(n) < 0.03] = np.nan
    kept = {"ob": np.flatnonzero(alive), "period_end": period_end[alive], "reported_date": reported[alive],
            "audited": audited[alive]}
    kept.update({k: cols[k][alive] for k in FIN_ITEMS})
    return log_rev, kept


def financials_table(L: Latent) -> pd.DataFrame:
    f = _firms(L)
    log_rev = np.log(L.sales0)
    policy = policy_rate(L)
    years = []
    for y in range(L.s.years):
        log_rev, kept = _statement_year(L, f, y, log_rev, policy)
        years.append(kept)
    flat = {k: np.concatenate([year[k] for year in years]) for k in years[0]}
    order = L.order_by_obligor(flat["ob"], flat["period_end"])
    columns = {"obligor_id": L.ids(flat["ob"][order]),
               "period_end": ns(flat["period_end"][order]),
               "reported_date": ns(flat["reported_date"][order]),
               "audited": flat["audited"][order]}
    columns.update({k: flat[k][order] for k in FIN_ITEMS})
    return frame(columns)
