"""Basel IRB capital for corporate exposures (Basel II, paragraphs 272-273).

    R = 0.12 w + 0.24 (1 - w),  w = (1 - exp(-50 PD)) / (1 - exp(-50))
    SME (sales S in EUR m, 5 <= S <= 50): R -= 0.04 (1 - (S - 5) / 45)
    b = (0.11852 - 0.05478 ln PD)^2
    K = [LGD N((G(PD) + sqrt(R) G(0.999)) / sqrt(1 - R)) - PD LGD] (1 + (M - 2.5) b) / (1 - 1.5 b)
    RWA = 12.5 K EAD

Source: BCBS, "International Convergence of Capital Measurement and Capital
Standards", June 2006, paragraphs 272-273; illustrative risk weights in Annex 5.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

__all__ = ["asset_correlation", "maturity_adjustment", "irb_capital", "risk_weight"]

ArrayLike = float | np.ndarray


def asset_correlation(pd_: ArrayLike, sales_eur_m: ArrayLike | None = None) -> np.ndarray:
    """Supervisory asset correlation R, with the SME firm-size reduction when sales are given."""
    p = np.asarray(pd_, dtype=float)
    w = (1 - np.exp(-50 * p)) / (1 - np.exp(-50))
    r = 0.12 * w + 0.24 * (1 - w)
    if sales_eur_m is not None:
        s = np.clip(np.asarray(sales_eur_m, dtype=float), 5.0, 50.0)
        r = r - 0.04 * (1 - (s - 5) / 45)
    return r


def maturity_adjustment(pd_: ArrayLike) -> np.ndarray:
    """b(PD) = (0.11852 - 0.05478 ln PD)^2."""
    return (0.11852 - 0.05478 * np.log(np.asarray(pd_, dtype=float))) ** 2


def irb_capital(pd_: ArrayLike, lgd: ArrayLike, maturity: ArrayLike = 2.5, *,
                sales_eur_m: ArrayLike | None = None, pd_floor: float = 0.0003) -> np.ndarray:
    """Capital requirement K per unit of EAD.

    PD is floored (0.03 % in Basel II, 0.05 % in Basel III: pass ``pd_floor``);
    M is clipped to [1, 5] years. A defaulted exposure (PD = 1) gets K = 0 here: its
    capital is max(0, LGD - best-estimate EL), which needs inputs this function lacks.
    """
    p = np.clip(np.asarray(pd_, dtype=float), pd_floor, 1.0)
    if np.any(np.asarray(lgd, dtype=float) < 0) or np.any(np.asarray(lgd, dtype=float) > 1):
        raise ValueError("LGD must be in [0, 1]")
    m = np.clip(np.asarray(maturity, dtype=float), 1.0, 5.0)
    r = asset_correlation(p, sales_eur_m)
    b = maturity_adjustment(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = norm.cdf((norm.ppf(p) + np.sqrt(r) * norm.ppf(0.999)) / np.sqrt(1 - r))
        k = (np.asarray(lgd, dtype=float) * cond - p * lgd) * (1 + (m - 2.5) * b) / (1 - 1.5 * b)
    return np.where(p >= 1.0, 0.0, k)


def risk_weight(pd_: ArrayLike, lgd: ArrayLike, maturity: ArrayLike = 2.5, **kwargs) -> np.ndarray:
    """Risk weight = 12.5 K (RWA per unit of EAD)."""
    return 12.5 * irb_capital(pd_, lgd, maturity, **kwargs)
