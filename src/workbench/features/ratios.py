"""Financial ratios from one statement row, with guarded divisions.

Every ratio is a pure function of the statement columns. A denominator that is
zero, missing, or negative where the ratio means nothing (debt/EBITDA with a loss,
interest cover with no interest) gives NaN, never inf, and the ratio's
``<name>__undefined`` flag says so, because "undefined" is itself information for a
credit model, in either direction: debt/EBITDA is undefined for a loss-maker (worse
than any finite multiple), interest cover for a debt-free company (better than any).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["RatioSpec", "RATIOS", "safe_divide", "compute_ratios", "altman_z2"]


def safe_divide(num: pd.Series, den: pd.Series, *, positive_denominator: bool = True) -> tuple[pd.Series, pd.Series]:
    """``num / den`` with NaN where the denominator is missing, zero or (optionally) negative.

    Returns the ratio and a boolean flag that is True where the ratio is undefined
    although the numerator was known.
    """
    num = pd.to_numeric(num, errors="coerce").astype(float)
    den = pd.to_numeric(den, errors="coerce").astype(float)
    bad = den.isna() | (den == 0)
    if positive_denominator:
        bad |= den < 0
    ratio = num / den.where(~bad)
    return ratio.where(np.isfinite(ratio)), bad & num.notna()


def altman_z2(fin: pd.DataFrame) -> pd.Series:
    """Altman Z'' for non-manufacturers (Altman 1995; DOMAIN.md).

    Z'' = 6.56 WC/TA + 3.26 RE/TA + 6.72 EBIT/TA + 1.05 BookEquity/TL;
    distress below 1.10, safe above 2.60.
    """
    ta = fin["total_assets"].where(fin["total_assets"] > 0)
    tl = fin["total_liabilities"].where(fin["total_liabilities"] > 0)
    wc = fin["current_assets"] - fin["current_liabilities"]
    z = 6.56 * wc / ta + 3.26 * fin["retained_earnings"] / ta + 6.72 * fin["ebit"] / ta + 1.05 * fin["equity"] / tl
    return z.where(np.isfinite(z))


@dataclass(frozen=True)
class RatioSpec:
    """A ratio: its numerator/denominator columns and whether a negative denominator is meaningless."""

    name: str
    numerator: str
    denominator: str
    description: str
    direction: int  # expected sign of the relation with PD: +1 riskier when higher, -1 safer
    positive_denominator: bool = True
    scale: float = 1.0
    flag: bool = False  # emit ``<name>__undefined``: why a ratio is undefined carries information itself


RATIOS: tuple[RatioSpec, ...] = (
    RatioSpec("leverage", "total_debt", "total_assets", "Total debt / total assets", +1),
    RatioSpec("debt_to_ebitda", "total_debt", "ebitda", "Total debt / EBITDA (undefined when EBITDA <= 0)", +1, flag=True),
    RatioSpec("interest_cover", "ebit", "interest_expense", "EBIT / interest expense (undefined without interest)", -1, flag=True),
    RatioSpec("current_ratio", "current_assets", "current_liabilities", "Current assets / current liabilities", -1),
    RatioSpec("ebitda_margin", "ebitda", "revenue", "EBITDA / revenue", -1),
    RatioSpec("roa", "net_income", "total_assets", "Net income / total assets", -1),
    RatioSpec("equity_ratio", "equity", "total_assets", "Book equity / total assets", -1),
    RatioSpec("ocf_to_debt", "operating_cash_flow", "total_debt", "Operating cash flow / total debt", -1),
    RatioSpec("dso", "receivables", "revenue", "Receivables / revenue x 365 (days sales outstanding)", +1, scale=365.0),
    RatioSpec("cash_to_assets", "cash", "total_assets", "Cash / total assets", -1),
)


def compute_ratios(fin: pd.DataFrame) -> pd.DataFrame:
    """Ratios of each statement row (same index), with ``__undefined`` flags and Altman Z''."""
    out = {}
    for spec in RATIOS:
        ratio, undefined = safe_divide(fin[spec.numerator], fin[spec.denominator],
                                       positive_denominator=spec.positive_denominator)
        out[spec.name] = ratio * spec.scale
        if spec.flag:
            out[f"{spec.name}__undefined"] = undefined.astype(np.int8)
    out["log_revenue"] = np.log(fin["revenue"].where(fin["revenue"] > 0))
    out["altman_z2"] = altman_z2(fin)
    return pd.DataFrame(out, index=fin.index)
