"""The one-factor Gaussian (Vasicek) portfolio model: its loss quantile and its granularity adjustment.

What the portfolio report needs from the asymptotic single risk factor (ASRF) model behind Basel IRB: the
worst-case default rate of an infinitely granular portfolio at confidence ``q``, and the first-order
correction for a finite number of names, against which ``portfolio.simulation`` is checked.

**Worst-case default rate** (Vasicek 1991 / 2002, "The distribution of loan portfolio value", Risk 15(12);
BCBS, "An Explanatory Note on the Basel II IRB Risk Weight Functions", July 2005, section 3). Obligor i
defaults when ``sqrt(rho) Z + sqrt(1 - rho) eps_i < G(PD)`` with Z, eps_i independent standard normals, so
the default probability given the factor is ``p(z) = N((G(PD) - sqrt(rho) z) / sqrt(1 - rho))``; at the
factor's (1 - q)-quantile ``z = G(1 - q) = -G(q)``::

    WCDR_q = N((G(PD) + sqrt(rho) G(q)) / sqrt(1 - rho))

Check values: Hull, "Risk Management and Financial Institutions", 2nd ed. (2009), Table 11.4 (one-year
99.9 % WCDR by PD and rho), tested in tests/portfolio/test_vasicek.py.

**Granularity adjustment** (Gordy 2003, "A risk-factor model foundation for ratings-based bank capital
rules", J. Financial Intermediation 12; Martin & Wilde 2002, "Unsystematic credit risk", Risk 15(11);
Emmer & Tasche 2005, "Calculating credit risk capital charges with the one-factor model", J. of Risk 7(2)).
With portfolio loss as a share of total EAD ``L = sum w_i LGD_i D_i`` (w_i = EAD_i / sum EAD, fixed LGD),
``mu(x) = E[L | Z = x] = sum w_i LGD_i p_i(x)`` and ``V(x) = Var[L | Z = x] = sum w_i^2 LGD_i^2 p_i(x)
(1 - p_i(x))``, the q-quantile of L is ``mu(x_q) + GA + O(sum w_i^2)^2`` with x_q = G(1 - q) and::

    GA = -1 / (2 phi(x)) d/dx [phi(x) V(x) / mu'(x)]   at x = x_q
       = -1/2 [(V'(x) - x V(x)) / mu'(x) - V(x) mu''(x) / mu'(x)^2]

(``phi'(x) = -x phi(x)``). Here ``mu`` decreases in x (a low factor is a bad year), which leaves the formula
unchanged: substituting y = -x gives back the textbook form for a loss increasing in the factor. The
derivatives are analytic: with ``s_i(x) = (G(PD_i) - sqrt(rho_i) x) / sqrt(1 - rho_i)`` and
``beta_i = sqrt(rho_i / (1 - rho_i))``, ``p_i' = -beta_i phi(s_i)`` and ``p_i'' = -beta_i^2 s_i phi(s_i)``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = ["conditional_pd", "vasicek_quantile", "vasicek_loss_quantile", "granularity_adjustment_one_factor"]

ArrayLike = float | np.ndarray


def _as_array(name: str, x: ArrayLike, low: float, high: float, *, open_low: bool = False,
              open_high: bool = False) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    bad = ~np.isfinite(a) | (a <= low if open_low else a < low) | (a >= high if open_high else a > high)
    if bad.any():
        lo, hi = ("(" if open_low else "["), (")" if open_high else "]")
        shown = ", ".join(f"{v:g}" for v in np.unique(a[bad])[:5])
        raise ValueError(f"{name} must lie in {lo}{low:g}, {high:g}{hi}; got {shown}")
    return a


def conditional_pd(pd: ArrayLike, rho: ArrayLike, z: ArrayLike) -> np.ndarray:
    """Default probability given the systematic factor: ``N((G(PD) - sqrt(rho) z) / sqrt(1 - rho))``.

    Arguments broadcast against each other; ``z`` is the factor's value (low = bad year).
    """
    p = _as_array("pd", pd, 0.0, 1.0)
    r = _as_array("rho", rho, 0.0, 1.0, open_high=True)
    zz = np.asarray(z, dtype=float)
    with np.errstate(divide="ignore"):
        return ndtr((ndtri(p) - np.sqrt(r) * zz) / np.sqrt(1.0 - r))


def vasicek_quantile(pd: ArrayLike, rho: ArrayLike, q: ArrayLike) -> float | np.ndarray:
    """The q-quantile of the default rate of an infinitely granular one-factor portfolio (the worst-case
    default rate, WCDR): ``N((G(PD) + sqrt(rho) G(q)) / sqrt(1 - rho))``.

    Args (broadcast against each other): ``pd`` in [0, 1], ``rho`` (asset correlation) in [0, 1),
    ``q`` in (0, 1). Returns a float for scalar inputs, else an array.
    """
    qq = _as_array("q", q, 0.0, 1.0, open_low=True, open_high=True)
    out = conditional_pd(pd, rho, -ndtri(qq))
    return float(out) if out.ndim == 0 else out


def vasicek_loss_quantile(ead: ArrayLike, pd: ArrayLike, lgd: ArrayLike, rho: ArrayLike, q: float) -> float:
    """The ASRF q-quantile of the portfolio loss (EUR, same unit as ``ead``): ``sum EAD_i LGD_i WCDR_q,i``
    (the loss of the infinitely granular portfolio, whose conditional loss is monotone in the one factor)."""
    e = _as_array("ead", ead, 0.0, np.inf)
    lgd_a = _as_array("lgd", lgd, 0.0, 1.0)
    return float(np.sum(e * lgd_a * vasicek_quantile(pd, rho, q)))


def granularity_adjustment_one_factor(ead: ArrayLike, pd: ArrayLike, lgd: ArrayLike, rho: ArrayLike,
                                      q: float = 0.999) -> float:
    """First-order granularity adjustment of the one-factor Gaussian model at confidence ``q``, as a share
    of total EAD (multiply by ``sum(ead)`` for an amount): the q-quantile of the loss share is about
    ``sum w_i LGD_i WCDR_q,i + GA`` (Gordy 2003; Martin & Wilde 2002; see the module docstring).

    ``ead``, ``pd``, ``lgd``, ``rho``: one value per obligor (scalars broadcast); PD in (0, 1), LGD fixed.
    It shrinks like ``sum w_i^2`` (1/n for n equal names) and is zero for an infinitely granular book.
    """
    e = _as_array("ead", ead, 0.0, np.inf)
    p = _as_array("pd", pd, 0.0, 1.0, open_low=True, open_high=True)
    lgd_a = _as_array("lgd", lgd, 0.0, 1.0)
    r = _as_array("rho", rho, 0.0, 1.0, open_low=True, open_high=True)
    qq = float(_as_array("q", q, 0.0, 1.0, open_low=True, open_high=True))
    e, p, lgd_a, r = np.broadcast_arrays(np.atleast_1d(e), p, lgd_a, r)
    total = e.sum()
    if not total > 0:
        raise ValueError("ead must have a positive total")
    w = e / total
    x = float(ndtri(1.0 - qq))
    beta = np.sqrt(r / (1.0 - r))
    s = (ndtri(p) - np.sqrt(r) * x) / np.sqrt(1.0 - r)
    px = ndtr(s)
    dens = np.exp(-0.5 * s * s) / np.sqrt(2.0 * np.pi)
    dp = -beta * dens
    d2p = -beta * beta * s * dens
    wl = w * lgd_a
    mu1 = np.sum(wl * dp)
    mu2 = np.sum(wl * d2p)
    v = np.sum(wl * wl * px * (1.0 - px))
    v1 = np.sum(wl * wl * dp * (1.0 - 2.0 * px))
    return float(-0.5 * ((v1 - x * v) / mu1 - v * mu2 / (mu1 * mu1)))
