"""Loan economics per facility: cost of funds, price breakdown, RAROC and the hurdle rate.

The desk prices risk-based (DOMAIN.md, "Risk-based pricing (RAROC)"): a loan must earn the
hurdle return on the capital it consumes. Per unit of exposure (EAD = 1) and per year:

    EL%             = PD x LGD                       (PD floored as for capital)
    K               = IRB capital per unit of EAD    (``capital.irb_capital``, BCBS June 2006 para 272-273)
    pre-tax profit  = rate - cost_of_funds - opex - EL%
    tax             = tax_rate x pre-tax profit      (negative profit gives a tax credit: linear model)
    net profit      = pre-tax profit - tax + capital_return x K
    RAROC           = net profit / K

``capital_return`` is what the capital itself earns once invested (the bank funds K of the
loan with equity, whose proceeds earn this rate); it is taken as already after tax, which is
how DOMAIN.md's required-rate formula treats it. Setting RAROC = hurdle and solving for the rate:

    (rate - cof - opex - EL%) (1 - tax) + capital_return K = hurdle K
    rate = cof + EL% + opex + (hurdle - capital_return) K / (1 - tax)

so ``raroc(required_rate(...), ...) == hurdle`` holds as an algebraic identity (the tests
check it to 1e-9 on a grid). Where K = 0 (LGD 0, e.g. fully cash-collateralised) RAROC is
undefined and returned as NaN; the required rate is then cost of funds + EL% + opex.

Units: every rate is a decimal per year (0.0115 = 115 bps): ``rate``, ``cost_of_funds``,
``opex`` (per unit of exposure), ``hurdle`` and ``capital_return`` (per unit of capital),
``tax`` (share of pre-tax profit). ``cost_of_funds()`` reads the params' funding curve in bps
and returns bps; convert with ``bps_to_rate``. Money amounts in ``price_breakdown`` are in the
unit of ``ead`` (EUR million in this project) per year.

Call form: the facility (``pd, lgd, maturity``, and ``rate`` first for ``raroc``) is positional,
every term is keyword-only: ``required_rate(pd, lgd, m, hurdle=..., cost_of_funds=..., opex=...,
tax=..., capital_return=...)``, ``raroc(rate, pd, lgd, m, cost_of_funds=..., ...)``. RAROC does
not depend on the hurdle; ``raroc`` accepts ``hurdle=`` (and ignores it) only so that one dict of
terms, e.g. ``economics_kwargs(params.economics, params.capital)``, serves both functions.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas

from .capital import BASEL2_PD_FLOOR, irb_capital
from .params import CapitalParams, EconomicsParams

__all__ = ["cost_of_funds", "bps_to_rate", "rate_to_bps", "price_breakdown", "required_rate", "required_spread_bps",
           "raroc", "economics_kwargs", "required_rate_from_params"]

ArrayLike = float | np.ndarray


def bps_to_rate(bps: ArrayLike) -> np.ndarray:
    """Basis points to a decimal rate (115 -> 0.0115)."""
    return np.asarray(bps, dtype=float) / 1e4


def rate_to_bps(rate: ArrayLike) -> np.ndarray:
    """Decimal rate to basis points (0.0115 -> 115)."""
    return np.asarray(rate, dtype=float) * 1e4


def cost_of_funds(tenor_years: ArrayLike, curve: Mapping[float, float]) -> np.ndarray:
    """Funding cost in bps per year for each tenor: linear interpolation on ``curve``
    (tenor in years -> bps, e.g. ``EconomicsParams.funding_curve_bps``), flat beyond its
    first and last tenors."""
    if not curve:
        raise ValueError("curve must hold at least one tenor -> bps point")
    t = np.asarray(tenor_years, dtype=float)
    if (t < 0).any():
        raise ValueError(f"tenor_years must be >= 0; got {np.unique(t[t < 0])[:5].tolist()}")
    knots = np.array(sorted(curve), dtype=float)
    values = np.array([curve[k] for k in sorted(curve)], dtype=float)
    return np.interp(t, knots, values)  # np.interp is flat outside [knots[0], knots[-1]]


def _check_terms(tax: ArrayLike) -> np.ndarray:
    tax = np.asarray(tax, dtype=float)
    bad = (tax < 0) | (tax >= 1)
    if bad.any():
        raise ValueError(f"tax must lie in [0, 1) (the hurdle rate divides by 1 - tax); got "
                         f"{np.unique(np.broadcast_to(tax, bad.shape)[bad])[:5].tolist()}")
    return tax


def _el_and_k(pd, lgd, maturity, sales, pd_floor, el_best_estimate) -> tuple[np.ndarray, np.ndarray]:
    """EL% = max(PD, floor) x LGD (the floored PD, as for capital; LGD on defaulted rows) and K."""
    k = irb_capital(pd, lgd, maturity, sales, pd_floor=pd_floor, el_best_estimate=el_best_estimate)
    el = np.maximum(np.asarray(pd, dtype=float), pd_floor) * np.asarray(lgd, dtype=float)
    return el, k


def _spread(el, k, hurdle, opex, tax, capital_return) -> np.ndarray:
    """Required rate over the cost of funds: EL% + opex + (hurdle - capital_return) K / (1 - tax)."""
    charge = (np.asarray(hurdle, float) - np.asarray(capital_return, float)) * k / (1.0 - tax)
    return el + np.asarray(opex, float) + charge


def required_rate(pd: ArrayLike, lgd: ArrayLike, maturity: ArrayLike, *, hurdle: ArrayLike,
                  cost_of_funds: ArrayLike, opex: ArrayLike, tax: ArrayLike, capital_return: ArrayLike,
                  sales: ArrayLike | None = None, pd_floor: float = BASEL2_PD_FLOOR,
                  el_best_estimate: ArrayLike | None = None) -> np.ndarray:
    """All-in interest rate (decimal per year) at which the facility's RAROC equals ``hurdle``:
    cost_of_funds + EL% + opex + (hurdle - capital_return) K / (1 - tax). Vectorised; arguments as
    in ``irb_capital`` (pd, lgd, maturity in years, sales in EUR m) and the module docstring (rates);
    every argument after ``maturity`` is keyword-only, ``hurdle`` is required."""
    tax = _check_terms(tax)
    el, k = _el_and_k(pd, lgd, maturity, sales, pd_floor, el_best_estimate)
    return np.asarray(cost_of_funds, float) + _spread(el, k, hurdle, opex, tax, capital_return)


def required_spread_bps(pd: ArrayLike, lgd: ArrayLike, maturity: ArrayLike, *, hurdle: ArrayLike,
                        cost_of_funds: ArrayLike, opex: ArrayLike, tax: ArrayLike, capital_return: ArrayLike,
                        sales: ArrayLike | None = None, pd_floor: float = BASEL2_PD_FLOOR,
                        el_best_estimate: ArrayLike | None = None) -> np.ndarray:
    """Required spread over the cost of funds in bps: 1e4 x (required_rate - cost_of_funds).
    Same arguments (keyword-only after ``maturity``; units: decimals) as ``required_rate``."""
    tax = _check_terms(tax)
    el, k = _el_and_k(pd, lgd, maturity, sales, pd_floor, el_best_estimate)
    spread = _spread(el, k, hurdle, opex, tax, capital_return)
    return 1e4 * np.broadcast_to(spread, np.broadcast_shapes(spread.shape, np.shape(cost_of_funds))).copy()


def raroc(rate: ArrayLike, pd: ArrayLike, lgd: ArrayLike, maturity: ArrayLike, *, cost_of_funds: ArrayLike,
          opex: ArrayLike, tax: ArrayLike, capital_return: ArrayLike, sales: ArrayLike | None = None,
          hurdle: ArrayLike | None = None, pd_floor: float = BASEL2_PD_FLOOR,
          el_best_estimate: ArrayLike | None = None) -> np.ndarray:
    """Risk-adjusted return on capital of a facility priced at ``rate`` (decimal per year):
    ((rate - cost_of_funds - opex - EL%) (1 - tax) + capital_return K) / K; NaN where K = 0.

    Every argument after ``maturity`` is keyword-only. RAROC does not depend on the hurdle:
    ``hurdle`` is optional and ignored, accepted only so that the terms of ``required_rate``
    (``economics_kwargs``) can be passed unchanged; compare the result with the hurdle yourself.
    """
    del hurdle  # RAROC is a return; the hurdle is what it is compared with, not an input
    tax = _check_terms(tax)
    el, k = _el_and_k(pd, lgd, maturity, sales, pd_floor, el_best_estimate)
    pre_tax = np.asarray(rate, float) - np.asarray(cost_of_funds, float) - np.asarray(opex, float) - el
    net = pre_tax * (1.0 - tax) + np.asarray(capital_return, float) * k
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(k > 0, net / np.where(k > 0, k, 1.0), np.nan)


def price_breakdown(pd: ArrayLike, lgd: ArrayLike, maturity: ArrayLike, rate: ArrayLike, ead: ArrayLike = 1.0, *,
                    cost_of_funds: ArrayLike, opex: ArrayLike, tax: ArrayLike, capital_return: ArrayLike,
                    hurdle: ArrayLike | None = None, sales: ArrayLike | None = None,
                    pd_floor: float = BASEL2_PD_FLOOR, el_best_estimate: ArrayLike | None = None) -> pandas.DataFrame:
    """One row per facility (inputs broadcast, then flattened): the yearly P&L of a loan at ``rate``.

    Columns: inputs (pd, lgd, maturity, ead, rate), ``capital_k`` and ``risk_weight`` (per unit of
    EAD), then amounts in the unit of ``ead`` per year: ``expected_loss`` (EL% x EAD), ``capital``
    (K x EAD), ``interest_income`` (rate x EAD), ``funding_cost``, ``operating_cost``,
    ``pre_tax_profit`` (income - funding - opex - EL), ``tax``, ``return_on_capital``
    (capital_return x capital), ``net_profit`` (pre-tax - tax + return on capital), and ``raroc``
    (net profit / capital; NaN where capital is 0). With ``hurdle``: ``required_rate`` (RAROC =
    hurdle), ``economic_profit`` (net profit - hurdle x capital; >= 0 iff RAROC >= hurdle) and
    ``meets_hurdle``.
    """
    tax_a = _check_terms(tax)
    el_rate, k = _el_and_k(pd, lgd, maturity, sales, pd_floor, el_best_estimate)
    cols = dict(pd=pd, lgd=lgd, maturity=maturity, ead=ead, rate=rate, capital_k=k, el_rate=el_rate,
                cof=cost_of_funds, opex=opex, tax=tax_a, capital_return=capital_return)
    if hurdle is not None:
        cols["hurdle"] = hurdle
    flat = np.broadcast_arrays(*(np.asarray(v, float) for v in cols.values()))
    arrays = {n: np.ravel(a) for n, a in zip(cols, flat)}
    e = arrays["ead"]
    if (e < 0).any():
        raise ValueError(f"ead must be >= 0; got {np.unique(e[e < 0])[:5].tolist()}")
    out = pandas.DataFrame({n: arrays[n] for n in ("pd", "lgd", "maturity", "ead", "rate", "capital_k")})
    out["risk_weight"] = 12.5 * arrays["capital_k"]
    out["expected_loss"] = arrays["el_rate"] * e
    out["capital"] = arrays["capital_k"] * e
    out["interest_income"] = arrays["rate"] * e
    out["funding_cost"] = arrays["cof"] * e
    out["operating_cost"] = arrays["opex"] * e
    out["pre_tax_profit"] = out["interest_income"] - out["funding_cost"] - out["operating_cost"] - out["expected_loss"]
    out["tax"] = arrays["tax"] * out["pre_tax_profit"]
    out["return_on_capital"] = arrays["capital_return"] * out["capital"]
    out["net_profit"] = out["pre_tax_profit"] - out["tax"] + out["return_on_capital"]
    cap = out["capital"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["raroc"] = np.where(cap > 0, out["net_profit"].to_numpy() / np.where(cap > 0, cap, 1.0), np.nan)
    if hurdle is not None:
        h = arrays["hurdle"]
        out["required_rate"] = arrays["cof"] + _spread(arrays["el_rate"], arrays["capital_k"], h, arrays["opex"],
                                                       arrays["tax"], arrays["capital_return"])
        out["economic_profit"] = out["net_profit"] - h * out["capital"]
        out["meets_hurdle"] = out["economic_profit"] >= 0
    return out


def economics_kwargs(economics: EconomicsParams, capital: CapitalParams) -> dict[str, float]:
    """The rate arguments of ``required_rate`` / ``raroc`` / ``price_breakdown`` from the params, as
    decimals: hurdle, opex, tax, capital_return (from ``economics``), pd_floor and el_best_estimate
    (from ``capital``). The cost of funds depends on the tenor:
    ``bps_to_rate(cost_of_funds(tenor, economics.funding_curve_bps))``."""
    return {"hurdle": economics.hurdle_rate, "opex": economics.opex_bps / 1e4, "tax": economics.tax_rate,
            "capital_return": economics.capital_return_rate, "pd_floor": capital.pd_floor,
            "el_best_estimate": capital.default_el_best_estimate}


def required_rate_from_params(pd: ArrayLike, lgd: ArrayLike, maturity: ArrayLike, economics: EconomicsParams,
                              capital: CapitalParams, sales: ArrayLike | None = None) -> np.ndarray:
    """``required_rate`` with the hurdle, opex, tax and capital return of ``economics``, the PD floor and
    defaulted-EL estimate of ``capital``, and the cost of funds read off ``economics.funding_curve_bps``
    at tenor = ``maturity``."""
    cof = bps_to_rate(cost_of_funds(maturity, economics.funding_curve_bps))
    return required_rate(pd, lgd, maturity, cost_of_funds=cof, sales=sales, **economics_kwargs(economics, capital))
