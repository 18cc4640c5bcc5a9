"""Foundation-IRB loss given default of a facility, from seniority, collateral and guarantees.

The pricing grid needs an LGD per grade x tenor x collateral cell and the quote tool one
per facility; both come from the supervisory (foundation IRB) values in
``PricingParams.lgd`` (``pricing.params.LGDParams``). Sources: BCBS, "International
Convergence of Capital Measurement and Capital Standards", June 2006:

* para 287-288: senior claims on corporates not secured by recognised collateral, 45 %;
* para 288: subordinated claims, 75 %;
* para 289-295: eligible collateral. Coverage C = collateral value / exposure (values after
  any haircuts). Below the minimum coverage C* the collateral is not recognised; above it
  the share min(1, C / C**) of the exposure is secured and takes the collateral's LGD,
  the rest keeps the unsecured LGD (para 295)::

      LGD* = s LGD_collateral + (1 - s) LGD_unsecured,  s = min(1, C / C**) if C >= C* else 0

  Defaults (params/calibrate_pricing.yaml): financial 0 % (C* 0, C** 100 %, which is the
  comprehensive approach E* = E - C with zero haircuts), receivables 35 % (0, 125 %),
  real estate 35 % (30 %, 140 %), other physical 40 % (30 %, 140 %). The unsecured part of a
  subordinated claim keeps the subordinated LGD.
* para 300-303: guarantees by substitution. The guaranteed share g = min(1, G / E) takes the
  guarantor's LGD (by default the senior unsecured LGD of a direct claim on the guarantor,
  para 302) and, for capital, the guarantor's PD. ``foundation_lgd`` returns the facility's
  blended LGD; ``substitute_guarantee`` splits the exposure into the borrower leg and the
  guarantor leg, each with its own PD and LGD, because capital is not linear in PD.

Collateral and guarantee together: the collateral is assessed against the whole exposure
and its benefit shared pro rata between the guaranteed and unguaranteed parts, i.e.
LGD = g LGD_guarantor + (1 - g) LGD*. This is order-independent and does not count the
collateral twice; allocating collateral first to the unguaranteed part would be less
conservative.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..reference import NO_COLLATERAL, SENIORITIES
from .params import LGDParams

__all__ = ["foundation_lgd", "secured_share", "label_codes", "substitute_guarantee", "GuaranteeSplit",
           "NO_COLLATERAL", "SENIORITIES"]

ArrayLike = float | np.ndarray


def label_codes(values, labels, *, name: str = "values") -> np.ndarray:
    """Position of each string of ``values`` in ``labels`` (int array of the same shape), e.g. collateral
    types to the index of a pricing grid's collateral axis. Unknown strings raise a ValueError naming
    them and ``name``."""
    labels = list(labels)
    arr = np.asarray(values)
    if arr.dtype.kind not in "UO":
        raise ValueError(f"{name} must be strings (one of {', '.join(labels)}); got dtype {arr.dtype}")
    # One vectorised comparison per known label: O(n x labels), much faster than sorting strings
    # (np.unique) for the handful of labels a grid has.
    codes = np.full(arr.shape, -1, dtype=np.intp)
    for i, label in enumerate(labels):
        codes[arr == label] = i
    missing = codes < 0
    if missing.any():
        unknown = sorted({str(u) for u in np.unique(arr[missing].astype(str))})
        raise ValueError(f"unknown {name} {unknown}; known: {', '.join(labels)}")
    return codes


def secured_share(coverage: ArrayLike, c_min: ArrayLike, c_full: ArrayLike) -> np.ndarray:
    """Share of the exposure secured by collateral: 0 below C*, else min(1, C / C**) (para 295)."""
    c = np.asarray(coverage, dtype=float)
    return np.where(c >= c_min, np.minimum(1.0, c / c_full), 0.0)


def foundation_lgd(exposure: ArrayLike, collateral_type, collateral_value: ArrayLike, seniority, *,
                   params: LGDParams | None = None, guarantee_value: ArrayLike = 0.0,
                   guarantor_lgd: ArrayLike | None = None) -> np.ndarray:
    """F-IRB LGD of each facility, as a decimal in [0, 1].

    Args (broadcast against each other):
        exposure: EAD, > 0 (any currency unit; only ratios are used).
        collateral_type: strings, ``"none"`` or a key of ``params.collateral`` (financial,
            receivables, real_estate, other_physical by default). Unknown types raise ValueError.
        collateral_value: collateral value after haircuts, same unit as ``exposure``, >= 0
            (ignored, and may be NaN, where the type is ``"none"``).
        seniority: ``"senior"`` or ``"subordinated"``.
        params: supervisory values; ``None`` = ``LGDParams()`` (the Basel II defaults).
        guarantee_value: guaranteed amount, >= 0; 0 = no guarantee. Ignored when
            ``params.guarantee_substitution`` is False (guarantees not recognised).
        guarantor_lgd: LGD of the guaranteed share; ``None`` = ``params.senior_unsecured``.

    The guaranteed share gets the guarantor's LGD but this function keeps no PD: for capital
    use ``substitute_guarantee``, which also gives that share the guarantor's PD.
    """
    params = params if params is not None else LGDParams()
    known = [NO_COLLATERAL, *params.collateral]
    e = np.asarray(exposure, dtype=float)
    v = np.asarray(collateral_value, dtype=float)
    bad = ~(e > 0)
    if bad.any():
        raise ValueError(f"exposure must be > 0 (coverage = value / exposure); got {_fmt(e, bad)}")
    ctype = label_codes(collateral_type, known, name="collateral_type")
    senior = label_codes(seniority, SENIORITIES, name="seniority")
    e, v, ctype, senior = np.broadcast_arrays(e, v, ctype, senior)

    secured_rows = ctype != 0
    bad = secured_rows & ~(v >= 0)
    if bad.any():
        raise ValueError(f"collateral_value must be >= 0 where a collateral type is given; got {_fmt(v, bad)}")

    # Lookup tables indexed by the collateral code; code 0 ("none") never secures anything.
    coll_lgd = np.array([0.0, *(c.lgd for c in params.collateral.values())])
    c_min = np.array([np.inf, *(c.c_min for c in params.collateral.values())])
    c_full = np.array([1.0, *(c.c_full for c in params.collateral.values())])
    unsecured = np.where(senior == 0, params.senior_unsecured, params.subordinated)
    share = secured_share(np.where(secured_rows, v, 0.0) / e, c_min[ctype], c_full[ctype])
    lgd = share * coll_lgd[ctype] + (1.0 - share) * unsecured

    g_val = np.asarray(guarantee_value, dtype=float)
    if not params.guarantee_substitution or not np.any(g_val != 0):
        return lgd
    g = _guaranteed_share(e, g_val)
    g_lgd = np.asarray(params.senior_unsecured if guarantor_lgd is None else guarantor_lgd, dtype=float)
    _check_unit("guarantor_lgd", g_lgd)
    return g * g_lgd + (1.0 - g) * lgd


def _fmt(x: np.ndarray, bad: np.ndarray, limit: int = 5) -> str:
    shown = np.broadcast_to(x, bad.shape)[bad][:limit].tolist()
    more = int(bad.sum()) - len(shown)
    return ", ".join(f"{s:g}" for s in shown) + (f" (+{more} more)" if more > 0 else "")


def _check_unit(name: str, x: np.ndarray) -> None:
    bad = (x < 0) | (x > 1)
    if bad.any():
        raise ValueError(f"{name} must lie in [0, 1]; got {_fmt(x, bad)}")


def _guaranteed_share(exposure: np.ndarray, guarantee_value: np.ndarray) -> np.ndarray:
    bad = ~(guarantee_value >= 0)
    if bad.any():
        raise ValueError(f"guarantee_value must be >= 0; got {_fmt(guarantee_value, bad)}")
    return np.minimum(1.0, guarantee_value / exposure)


class GuaranteeSplit(NamedTuple):
    """An exposure split by guarantee substitution (para 301-302): per unit of the original EAD,
    the borrower leg ``1 - share`` with the borrower's PD/LGD and the guarantor leg ``share``
    with the guarantor's. All fields are arrays of the broadcast shape."""

    share: np.ndarray  # guaranteed share g = min(1, guarantee / exposure)
    borrower_ead: np.ndarray  # (1 - g) x exposure
    guarantor_ead: np.ndarray  # g x exposure
    borrower_pd: np.ndarray
    borrower_lgd: np.ndarray
    guarantor_pd: np.ndarray
    guarantor_lgd: np.ndarray
    el_rate: np.ndarray  # expected loss per unit of exposure: (1 - g) PD LGD + g PD_g LGD_g

    def blend(self, borrower_value: ArrayLike, guarantor_value: ArrayLike) -> np.ndarray:
        """Exposure-weighted figure per unit of the whole facility: (1 - g) x borrower + g x guarantor.

        Exact for quantities linear in exposure: capital K per unit of EAD (compute ``irb_capital``
        on each leg), EL, and the required rate (``economics.required_rate`` is linear in EL and K,
        so the facility's hurdle rate is the blend of the legs' rates).
        """
        return (1.0 - self.share) * np.asarray(borrower_value, float) + self.share * np.asarray(guarantor_value, float)


def substitute_guarantee(pd: ArrayLike, lgd: ArrayLike, exposure: ArrayLike, guarantee_value: ArrayLike,
                         guarantor_pd: ArrayLike, guarantor_lgd: ArrayLike) -> GuaranteeSplit:
    """Split each exposure into an unguaranteed leg (borrower PD and LGD) and a guaranteed leg
    (guarantor PD and LGD), BCBS June 2006 para 301-302.

    ``lgd`` is the borrower's LGD without the guarantee (e.g. ``foundation_lgd`` without
    ``guarantee_value``); PDs and LGDs are decimals in [0, 1]; ``exposure`` > 0 and
    ``guarantee_value`` >= 0 in the same unit. Substitution is meant for guarantors that are
    better than the borrower; whether to apply it is the caller's choice
    (``LGDParams.guarantee_substitution``). Capital of the facility per unit of EAD:
    ``split.blend(irb_capital(split.borrower_pd, split.borrower_lgd, M),
    irb_capital(split.guarantor_pd, split.guarantor_lgd, M))``.
    """
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in
                                   (pd, lgd, exposure, guarantee_value, guarantor_pd, guarantor_lgd)))
    p, lg, e, gv, gp, gl = arrays
    for name, x in (("pd", p), ("lgd", lg), ("guarantor_pd", gp), ("guarantor_lgd", gl)):
        _check_unit(name, x)
    bad = ~(e > 0)
    if bad.any():
        raise ValueError(f"exposure must be > 0; got {_fmt(e, bad)}")
    g = _guaranteed_share(e, gv)
    return GuaranteeSplit(share=g, borrower_ead=(1.0 - g) * e, guarantor_ead=g * e, borrower_pd=p, borrower_lgd=lg,
                          guarantor_pd=gp, guarantor_lgd=gl, el_rate=(1.0 - g) * p * lg + g * gp * gl)
