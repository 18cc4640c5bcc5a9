"""Financial ratios of one statement row, with guarded divisions.

Every ratio is a pure function of the statement columns. A denominator that is
zero, missing, or negative where the ratio means nothing (debt/EBITDA with a loss,
ROE with negative equity) gives NaN, never inf. Ratios declared with ``flag=True``
also get a ``<name>__undefined`` indicator, because *why* a ratio is undefined is
information for a credit model, in either direction: debt/EBITDA is undefined for a
loss-maker (worse than any finite multiple), interest cover for a debt-free company
(better than any). Ratios without a flag have denominators that are positive totals
in any sane statement (assets, revenue); there NaN simply means "not reported".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import pandas as pd

__all__ = ["RatioSpec", "RATIOS", "RATIO_NAMES", "STATEMENT_INPUTS", "safe_divide", "compute_ratios", "ratio_arrays",
           "altman_z2", "DSCR_PROXY_AMORTISATION_YEARS"]

#: Statements carry no repayment schedule; the DSCR proxy assumes straight-line amortisation over this many years.
DSCR_PROXY_AMORTISATION_YEARS = 5.0


def safe_divide(num: pd.Series, den: pd.Series, *, positive_denominator: bool = True) -> tuple[pd.Series, pd.Series]:
    """``num / den`` with NaN where the denominator is missing, zero or (optionally) negative.

    Returns the ratio and a boolean flag that is True where the ratio is undefined
    although the numerator was known.
    """
    ratio, undefined = _divide(_numbers(num), _numbers(den), positive_denominator)
    index = num.index if isinstance(num, pd.Series) else None
    return pd.Series(ratio, index=index), pd.Series(undefined, index=index)


def _numbers(values: pd.Series | np.ndarray) -> np.ndarray:
    """Values as float64, NaN where missing or not a number."""
    if isinstance(values, np.ndarray) and values.dtype == np.float64:
        return values
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _divide(num: np.ndarray, den: np.ndarray, positive_denominator: bool) -> tuple[np.ndarray, np.ndarray]:
    """``safe_divide`` on float64 arrays (the statement table's columns, without a Series per step)."""
    bad = np.isnan(den) | (den == 0)
    if positive_denominator:
        bad |= den < 0
    with np.errstate(all="ignore"):  # overflow to inf becomes NaN below, as division by zero never happens
        ratio = num / np.where(bad, np.nan, den)
    return np.where(np.isfinite(ratio), ratio, np.nan), bad & ~np.isnan(num)


def altman_z2(fin: pd.DataFrame) -> pd.Series:
    """Altman Z'' for non-manufacturers (Altman 1995; DOMAIN.md).

    Z'' = 6.56 WC/TA + 3.26 RE/TA + 6.72 EBIT/TA + 1.05 BookEquity/TL;
    distress below 1.10, safe above 2.60.
    """
    return pd.Series(_altman_z2(_statement_columns(fin)), index=fin.index)


def _altman_z2(f: Mapping[str, np.ndarray]) -> np.ndarray:
    ta = np.where(f["total_assets"] > 0, f["total_assets"], np.nan)
    tl = np.where(f["total_liabilities"] > 0, f["total_liabilities"], np.nan)
    wc = f["current_assets"] - f["current_liabilities"]
    with np.errstate(all="ignore"):
        z = 6.56 * wc / ta + 3.26 * f["retained_earnings"] / ta + 6.72 * f["ebit"] / ta + 1.05 * f["equity"] / tl
    return np.where(np.isfinite(z), z, np.nan)

Column = Callable[[Mapping[str, np.ndarray]], np.ndarray]  # of the statement columns


def _col(name: str) -> Column:
    return lambda f: f[name]


@dataclass(frozen=True)
class RatioSpec:
    """A ratio: numerator and denominator (columns or expressions) and how to read it.

    ``direction`` is the expected sign of the relation with PD (+1: riskier when
    higher, -1: safer when higher, 0: no prior). ``label`` is the business wording of
    a *risky* value, used by reason codes.
    """

    name: str
    numerator: Column
    denominator: Column
    formula: str
    unit: str
    direction: int
    label: str
    positive_denominator: bool = True
    scale: float = 1.0
    flag: bool = False
    undefined_means: str = ""


_net_debt: Column = lambda f: f["total_debt"] - f["cash"]  # noqa: E731
_quick_assets: Column = lambda f: f["current_assets"] - f["inventory"]  # noqa: E731
_working_capital: Column = lambda f: f["current_assets"] - f["current_liabilities"]  # noqa: E731
_debt_service: Column = lambda f: f["interest_expense"] + f["total_debt"] / DSCR_PROXY_AMORTISATION_YEARS  # noqa: E731

RATIOS: tuple[RatioSpec, ...] = (
    # Solvency and leverage
    RatioSpec("leverage", _col("total_debt"), _col("total_assets"), "total_debt / total_assets", "ratio", +1,
              "High leverage"),
    RatioSpec("debt_to_ebitda", _col("total_debt"), _col("ebitda"), "total_debt / ebitda", "x", +1,
              "High debt relative to EBITDA", flag=True, undefined_means="EBITDA <= 0 (loss-making)"),
    RatioSpec("net_debt_to_ebitda", _net_debt, _col("ebitda"), "(total_debt - cash) / ebitda", "x", +1,
              "High net debt relative to EBITDA", flag=True, undefined_means="EBITDA <= 0 (loss-making)"),
    RatioSpec("interest_cover", _col("ebit"), _col("interest_expense"), "ebit / interest_expense", "x", -1,
              "Weak interest cover", flag=True, undefined_means="no interest expense (typically debt-free)"),
    RatioSpec("dscr_proxy", _col("operating_cash_flow"), _debt_service,
              f"operating_cash_flow / (interest_expense + total_debt / {DSCR_PROXY_AMORTISATION_YEARS:g})", "x", -1,
              "Weak debt service cover", flag=True, undefined_means="no debt service (debt-free)"),
    RatioSpec("equity_ratio", _col("equity"), _col("total_assets"), "equity / total_assets", "ratio", -1,
              "Thin equity"),
    RatioSpec("ocf_to_debt", _col("operating_cash_flow"), _col("total_debt"), "operating_cash_flow / total_debt",
              "ratio", -1, "Low cash flow relative to debt", flag=True, undefined_means="no debt"),
    RatioSpec("retained_earnings_to_assets", _col("retained_earnings"), _col("total_assets"),
              "retained_earnings / total_assets", "ratio", -1, "Low accumulated earnings"),
    # Liquidity
    RatioSpec("current_ratio", _col("current_assets"), _col("current_liabilities"),
              "current_assets / current_liabilities", "x", -1, "Weak liquidity"),
    RatioSpec("quick_ratio", _quick_assets, _col("current_liabilities"),
              "(current_assets - inventory) / current_liabilities", "x", -1, "Weak liquidity excluding inventory"),
    RatioSpec("cash_ratio", _col("cash"), _col("current_liabilities"), "cash / current_liabilities", "x", -1,
              "Little cash against short-term obligations"),
    RatioSpec("cash_to_assets", _col("cash"), _col("total_assets"), "cash / total_assets", "ratio", -1,
              "Low cash balance"),
    RatioSpec("working_capital_to_assets", _working_capital, _col("total_assets"),
              "(current_assets - current_liabilities) / total_assets", "ratio", -1, "Negative working capital"),
    # Profitability
    RatioSpec("ebitda_margin", _col("ebitda"), _col("revenue"), "ebitda / revenue", "ratio", -1, "Low EBITDA margin"),
    RatioSpec("ebit_margin", _col("ebit"), _col("revenue"), "ebit / revenue", "ratio", -1, "Low operating margin"),
    RatioSpec("net_margin", _col("net_income"), _col("revenue"), "net_income / revenue", "ratio", -1,
              "Low net margin"),
    RatioSpec("roa", _col("net_income"), _col("total_assets"), "net_income / total_assets", "ratio", -1,
              "Low return on assets"),
    RatioSpec("roe", _col("net_income"), _col("equity"), "net_income / equity", "ratio", -1,
              "Low return on equity", flag=True, undefined_means="equity <= 0 (balance-sheet insolvent)"),
    # Efficiency and working capital
    RatioSpec("asset_turnover", _col("revenue"), _col("total_assets"), "revenue / total_assets", "x", -1,
              "Low asset turnover"),
    RatioSpec("dso", _col("receivables"), _col("revenue"), "receivables / revenue * 365", "days", +1,
              "Slow collection of receivables", scale=365.0),
    RatioSpec("dio", _col("inventory"), _col("cogs"), "inventory / cogs * 365", "days", +1,
              "Slow-moving inventory", scale=365.0),
    RatioSpec("dpo", _col("payables"), _col("cogs"), "payables / cogs * 365", "days", +1,
              "Stretched supplier payments", scale=365.0),
    RatioSpec("capex_to_revenue", _col("capex"), _col("revenue"), "capex / revenue", "ratio", 0,
              "Investment intensity"),
)

RATIO_NAMES: tuple[str, ...] = tuple(r.name for r in RATIOS) + (
    "cash_conversion_cycle", "log_revenue", "log_assets", "altman_z2")

#: The statement columns ``compute_ratios`` reads.
STATEMENT_INPUTS: tuple[str, ...] = (
    "revenue", "cogs", "ebitda", "ebit", "interest_expense", "net_income", "total_assets", "current_assets", "cash",
    "receivables", "inventory", "total_liabilities", "current_liabilities", "payables", "total_debt", "equity",
    "retained_earnings", "operating_cash_flow", "capex")


def _statement_columns(fin: pd.DataFrame) -> dict[str, np.ndarray]:
    """The statement inputs of ``fin`` as float64 arrays: the ratios' expressions then run on
    numpy, not a pandas Series per step (the same arithmetic, a fraction of the time)."""
    return {c: _numbers(fin[c]) for c in STATEMENT_INPUTS if c in fin.columns}


def compute_ratios(fin: pd.DataFrame) -> pd.DataFrame:
    """All ratios of each statement row (same index), with ``__undefined`` flags, the cash
    conversion cycle, size and Altman Z''."""
    return pd.DataFrame(ratio_arrays(fin), index=fin.index, copy=False)


def ratio_arrays(fin: pd.DataFrame) -> dict[str, np.ndarray]:
    """``compute_ratios`` as arrays (float64 ratios, int8 flags) by column, for callers that add
    their own columns before making a frame."""
    f = _statement_columns(fin)
    out: dict[str, np.ndarray] = {}
    for spec in RATIOS:
        ratio, undefined = _divide(spec.numerator(f), spec.denominator(f), spec.positive_denominator)
        out[spec.name] = ratio * spec.scale
        if spec.flag:
            out[f"{spec.name}__undefined"] = undefined.astype(np.int8)
    out["cash_conversion_cycle"] = out["dso"] + out["dio"] - out["dpo"]
    with np.errstate(all="ignore"):
        out["log_revenue"] = np.log(np.where(f["revenue"] > 0, f["revenue"], np.nan))
        out["log_assets"] = np.log(np.where(f["total_assets"] > 0, f["total_assets"], np.nan))
    out["altman_z2"] = _altman_z2(f)
    return out
