"""Basel IRB capital requirement K and risk weight for corporate exposures.

What the pricing desk needs from regulation: the unexpected-loss capital per unit of
exposure at default (EAD) that a loan consumes, so that its price can earn the hurdle
return on that capital (``economics``). Everything here is vectorised: every argument
may be a scalar or an array and the arrays broadcast against each other (numpy rules).

Non-defaulted exposures (BCBS, "International Convergence of Capital Measurement and
Capital Standards - A Revised Framework, Comprehensive Version", June 2006, para 272)::

    R = 0.12 w + 0.24 (1 - w),  w = (1 - exp(-50 PD)) / (1 - exp(-50))
    b = (0.11852 - 0.05478 ln PD)^2
    K = [LGD N((G(PD) + sqrt(R) G(0.999)) / sqrt(1 - R)) - PD LGD] (1 + (M - 2.5) b) / (1 - 1.5 b)
    RWA = 12.5 K EAD

* SME firm-size adjustment (para 273): for reported sales S (EUR million) below 50,
  R -= 0.04 (1 - (S - 5) / 45), with S floored at 5 (so the largest reduction, 0.04,
  applies at S <= 5 and none at S >= 50).
* PD floor (para 285): 0.03 % in Basel II; Basel III (CRE32.3, December 2017) raises it
  to 0.05 %: pass ``pd_floor``.
* Effective maturity M (para 320) is clipped to [1, 5] years.
* Defaulted exposures (PD = 1, para 272 and para 471):
  K = max(0, LGD - EL_best_estimate), the bank's best estimate of expected loss. That
  input has no safe universal default, so it must be passed (``el_best_estimate``,
  e.g. ``CapitalParams.default_el_best_estimate``) whenever a PD of 1 occurs;
  otherwise a ValueError names the defaulted rows.

NaN in PD, LGD or maturity gives NaN in K (so a portfolio with gaps still prices the
rest); out-of-range values raise a ValueError naming the argument and the values.
Check values: Annex 5 "Illustrative IRB risk weights" (tests/pricing/test_capital.py).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = ["asset_correlation", "maturity_adjustment", "irb_capital", "irb_risk_weight", "risk_weight",
           "G_999", "BASEL2_PD_FLOOR", "BASEL3_PD_FLOOR"]

ArrayLike = float | np.ndarray

BASEL2_PD_FLOOR = 0.0003  # para 285
BASEL3_PD_FLOOR = 0.0005  # CRE32.3
G_999 = float(ndtri(0.999))  # G(0.999): the 99.9 % confidence level of the one-factor model
_EXP_M50 = float(np.exp(-50.0))


def _offending(values: np.ndarray, bad: np.ndarray, limit: int = 5) -> str:
    shown = np.unique(values[bad])[:limit]
    more = int(bad.sum()) - len(shown)
    return ", ".join(f"{v:g}" for v in shown) + (f" (+{more} more)" if more > 0 else "")


def _check_range(name: str, x: np.ndarray, low: float, high: float) -> None:
    """Raise naming ``name`` if any non-NaN value lies outside [low, high]."""
    bad = (x < low) | (x > high)
    if bad.any():
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}]; got {_offending(x, bad)}")


def asset_correlation(pd_: ArrayLike, sales_eur_m: ArrayLike | None = None) -> np.ndarray:
    """Supervisory asset correlation R (para 272), less the SME firm-size reduction (para 273).

    ``sales_eur_m``: reported annual sales in EUR million; floored at 5; no reduction at 50 and
    above; ``None`` or NaN entries mean "no adjustment" (a large corporate or unknown sales).
    PD is used as given (floor it first).
    """
    p = np.asarray(pd_, dtype=float)
    w = -np.expm1(-50.0 * p) / (1.0 - _EXP_M50)
    r = 0.24 - 0.12 * w
    if sales_eur_m is not None:
        s = np.asarray(sales_eur_m, dtype=float)
        _check_range("sales", s, 0.0, np.inf)
        # min(S, 50) makes the reduction vanish at and above EUR 50m; NaN sales: no reduction.
        reduction = 0.04 * (1.0 - (np.clip(s, 5.0, 50.0) - 5.0) / 45.0)
        r = r - np.where(np.isnan(s), 0.0, reduction)
    return r


def maturity_adjustment(pd_: ArrayLike) -> np.ndarray:
    """Maturity-adjustment slope b(PD) = (0.11852 - 0.05478 ln PD)^2 (para 272)."""
    return (0.11852 - 0.05478 * np.log(np.asarray(pd_, dtype=float))) ** 2


def irb_capital(pd: ArrayLike, lgd: ArrayLike, maturity: ArrayLike = 2.5, sales: ArrayLike | None = None, *,
                pd_floor: float = BASEL2_PD_FLOOR, el_best_estimate: ArrayLike | None = None,
                sales_eur_m: ArrayLike | None = None) -> np.ndarray:
    """Capital requirement K per unit of EAD (a share, e.g. 0.0739 for a 92.32 % risk weight).

    Args (all broadcast against each other):
        pd: one-year PD as a decimal in [0, 1]; floored at ``pd_floor``; PD = 1 is default.
        lgd: loss given default as a decimal in [0, 1].
        maturity: effective maturity M in years; clipped to [1, 5].
        sales: annual sales in EUR million for the SME adjustment (None / NaN: none).
        pd_floor: 0.0003 (Basel II, default) or 0.0005 (Basel III).
        el_best_estimate: best-estimate EL of defaulted exposures (share of EAD, [0, 1]);
            required when any PD equals 1, ignored otherwise.
        sales_eur_m: former name of ``sales``, kept for existing callers.

    Returns:
        float ndarray of the broadcast shape (0-d for scalar inputs).
    """
    if sales_eur_m is not None:
        if sales is not None:
            raise ValueError("pass sales or its old name sales_eur_m, not both")
        sales = sales_eur_m
    if not 0.0 < pd_floor < 1.0:
        raise ValueError(f"pd_floor must lie in (0, 1); got {pd_floor!r}")
    p_raw = np.asarray(pd, dtype=float)
    lgd_a = np.asarray(lgd, dtype=float)
    m_raw = np.asarray(maturity, dtype=float)
    _check_range("pd", p_raw, 0.0, 1.0)
    _check_range("lgd", lgd_a, 0.0, 1.0)
    if (m_raw < 0).any():
        raise ValueError(f"maturity must be >= 0 years; got {_offending(m_raw, m_raw < 0)}")

    defaulted = p_raw >= 1.0
    any_defaulted = bool(defaulted.any())
    # Performing formula on a PD kept below 1 so that G(PD) and ln PD stay finite on defaulted rows,
    # whose K is replaced below.
    p = np.clip(p_raw, pd_floor, 0.999999) if any_defaulted else np.maximum(p_raw, pd_floor)
    m = np.clip(m_raw, 1.0, 5.0)
    r = asset_correlation(p, sales)
    b = maturity_adjustment(p)
    cond_pd = ndtr((ndtri(p) + np.sqrt(r) * G_999) / np.sqrt(1.0 - r))  # PD conditional on the 99.9 % state
    k = lgd_a * (cond_pd - p) * (1.0 + (m - 2.5) * b) / (1.0 - 1.5 * b)
    if not any_defaulted:
        return k

    if el_best_estimate is None:
        where = np.flatnonzero(np.broadcast_to(defaulted, k.shape).ravel())[:5].tolist()
        raise ValueError(f"pd contains defaulted exposures (PD = 1, flat positions {where}); their capital is "
                         "max(0, LGD - EL best estimate): pass el_best_estimate (e.g. "
                         "CapitalParams.default_el_best_estimate)")
    el_be = np.asarray(el_best_estimate, dtype=float)
    _check_range("el_best_estimate", el_be, 0.0, 1.0)
    return np.where(defaulted, np.maximum(0.0, lgd_a - el_be), k)


def irb_risk_weight(pd: ArrayLike, lgd: ArrayLike, maturity: ArrayLike = 2.5, sales: ArrayLike | None = None, *,
                    pd_floor: float = BASEL2_PD_FLOOR, el_best_estimate: ArrayLike | None = None,
                    sales_eur_m: ArrayLike | None = None) -> np.ndarray:
    """Risk weight = 12.5 K (RWA per unit of EAD, as a decimal: 0.9232 is 92.32 %). Same arguments as
    ``irb_capital``."""
    return 12.5 * irb_capital(pd, lgd, maturity, sales, pd_floor=pd_floor, el_best_estimate=el_best_estimate,
                              sales_eur_m=sales_eur_m)


# Former name, kept for existing callers and notebooks.
risk_weight = irb_risk_weight
