"""Concentration of the book: single-name, group and industry Herfindahl-Hirschman indices, the top
names' share, and the granularity adjustment for name concentration.

**HHI** = sum of w_i^2 over the exposure shares w_i (1 / n for n equal exposures, 1 for one); its
inverse is the effective number of names. ``concentration`` and ``Concentration`` are the monitoring
report's measure too (``accounts.groups`` re-exports them): top exposures per key, HHI, count.

**Granularity adjustment** (GA). The IRB risk weights rest on the asymptotic single risk factor
model, which assumes the book infinitely fine-grained; a book with large names keeps undiversified
idiosyncratic risk. Gordy & Lütkebohmert derive the first-order add-on in a one-factor CreditRisk+
model whose gamma-distributed systematic factor (mean 1, precision xi) is calibrated so that each
exposure's capital is its IRB capital (M. B. Gordy and E. Lütkebohmert, "Granularity adjustment for
regulatory capital assessment", International Journal of Central Banking 9(3), 2013, 38-77; earlier
"Granularity adjustment for Basel II", Deutsche Bundesbank Discussion Paper Series 2, 01/2007). With
s_i = EAD_i / sum EAD (per obligor), K_i the IRB unexpected-loss capital per unit EAD, R_i = ELGD_i
PD_i the expected loss per unit, VLGD_i = gamma ELGD_i (1 - ELGD_i) the LGD variance, C_i = (ELGD_i^2 +
VLGD_i) / ELGD_i and K* = sum s_i K_i:

    full:        GA = 1/(2K*) sum s_i^2 [ delta C_i (K_i + R_i) + delta (K_i + R_i)^2 VLGD_i / ELGD_i^2
                                           - K_i (C_i + 2 (K_i + R_i) VLGD_i / ELGD_i^2) ]
    simplified:  GA = 1/(2K*) sum s_i^2 C_i (delta (K_i + R_i) - K_i)          (drops the O((K+R)^2) terms)

    delta = (alpha_q - 1) (xi + (1 - xi) / alpha_q),  alpha_q = the q-quantile of Gamma(xi, 1/xi)

with the paper's regulatory constants xi = 0.25 (factor variance 4) and gamma = 0.25, so delta = 4.83
at q = 99.9 %. GA is a share of the book's total EAD (the same unit as K*); GA x total EAD is the
add-on in EUR. The simplified form is the one the paper proposes for supervisors (the neglected
terms are second order in K + R, tiny for performing loans). ``general_granularity_adjustment`` is the
underlying Gordy (2003) / Martin & Wilde (2002) formula, -1/(2 h(x)) d/dx [h(x) sigma^2(x) / mu'(x)] at
x = alpha_q, evaluated numerically on the same CreditRisk+ model: it reproduces the full form (tests).

K_i: ``pricing.capital.irb_capital`` (BCBS 2006 para 272-273, with the SME correlation adjustment from
sales when given) at maturity 1 year unless a maturity is passed, which makes the maturity factor
(1 + (M - 2.5) b) / (1 - 1.5 b) exactly 1: the GA of GL 2013 is defined on the unadjusted K. Defaulted
exposures (PD 1) carry no idiosyncratic default risk in this model and are left out of the GA (they
stay in the HHIs, which measure exposure, not risk).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field
from scipy.stats import gamma as gamma_dist

from .. import format as fmt
from ..params import StrictModel
from ..pricing.capital import BASEL2_PD_FLOOR, irb_capital
from ..reference.metrics import (
    PORTFOLIO_GRANULARITY_ADJUSTMENT,
    PORTFOLIO_HHI_INDUSTRY,
    PORTFOLIO_HHI_NAME,
    PORTFOLIO_TOP20_SHARE,
)
from .checks import need_columns

__all__ = ["ConcentrationParams", "Concentration", "PortfolioConcentration", "hhi", "concentration",
           "ga_delta", "granularity_adjustment", "granularity_contributions", "general_granularity_adjustment",
           "portfolio_concentration", "plot_concentration"]


class ConcentrationParams(StrictModel):
    """How many top names to show and the granularity adjustment's constants."""

    top: int = Field(20, ge=1, le=1000, description="Top names (and groups) shown and summed in the top share")
    q: float = Field(0.999, gt=0.5, lt=1, description="Confidence level of the GA (the IRB's 99.9 %, BCBS 2006 "
                     "para 272)")
    xi: float = Field(0.25, gt=0, le=10, description="Precision (1 / variance) of the CreditRisk+ gamma systematic "
                      "factor, Gordy & Lütkebohmert (2013): 0.25, which with q = 99.9 % gives delta = 4.83")
    lgd_variance: float = Field(0.25, ge=0, le=1, description="gamma of VLGD = gamma x LGD (1 - LGD), the LGD "
                                "variance of Gordy & Lütkebohmert (2013): 0.25")
    delta: float | None = Field(None, gt=0, description="Override of delta; None = computed from xi and q "
                                "(4.83 at the defaults)")
    form: Literal["simplified", "full"] = Field("simplified", description="GA formula: the paper's "
                      "simplified one (supervisory proposal) or the full first-order one")
    pd_floor: float = Field(BASEL2_PD_FLOOR, gt=0, lt=0.01, description="PD floor of K_i: 0.03 % (Basel II para "
                            "285), as pricing's capital")

    def effective_delta(self) -> float:
        return float(self.delta) if self.delta is not None else ga_delta(self.q, self.xi)


# --------------------------------------------------------------------------- HHI and top names


def hhi(amounts) -> float:
    """Herfindahl-Hirschman index sum (a_i / sum a)^2 of non-negative amounts; NaN for an empty or all-zero
    book. Negative amounts raise a ValueError."""
    a = np.asarray(amounts, dtype=float).ravel()
    a = a[~np.isnan(a)]
    if (a < 0).any():
        raise ValueError(f"amounts must be non-negative; got {np.sort(a[a < 0])[:5].tolist()}")
    total = a.sum()
    if total <= 0:
        return float("nan")
    return float(np.sum((a / total) ** 2))


@dataclass(frozen=True)
class Concentration:
    """Top exposures and the HHI of exposure shares (simple name concentration)."""

    top: pd.DataFrame
    hhi: float
    n: int
    column: str

    @property
    def effective_number(self) -> float:
        """1 / HHI: the number of equal exposures with the same concentration."""
        return 1.0 / self.hhi if self.hhi > 0 else float("nan")

    @property
    def top_share(self) -> float:
        """Share of the book held by the top exposures (NaN for an empty book)."""
        return float(self.top["share"].sum()) if len(self.top) else float("nan")

    def table(self) -> pd.DataFrame:
        """The top exposures with their share and cumulative share (display)."""
        return fmt.display_frame(self.top, {
            self.column: ("exposure (EUR m)", fmt.eur_m), "share": ("share", fmt.percent),
            "cumulative_share": ("cumulative share", fmt.percent)})

    def summary(self) -> pd.DataFrame:
        """HHI, effective number of names, number of names and the top's share of the book (display)."""
        rows = [("HHI (sum of squared shares)", fmt.number(self.hhi)),
                ("effective number of names (1 / HHI)", fmt.number(self.effective_number)),
                ("names", fmt.integer(self.n)),
                (f"share of the top {len(self.top)}", fmt.percent(self.top_share))]
        return pd.DataFrame(rows, columns=["figure", "value"]).set_index("figure")


def concentration(exposures: pd.DataFrame, top: int = 20, *, key: str = "obligor_id",
                  column: str = "ead") -> Concentration:
    """Top ``top`` exposures (by ``column``, summed per ``key``: obligor_id for names, group for the frame
    of ``accounts.groups.group_exposures``, industry) and HHI = sum of w_i^2 over the shares w_i of the
    book's total exposure. Non-positive totals per key are left out; an empty book gives HHI NaN."""
    need_columns(exposures, (key, column), "exposures")
    if top < 1:
        raise ValueError(f"top must be at least 1; got {top}")
    amounts = exposures.groupby(key)[column].sum()
    amounts = amounts[amounts > 0]
    total = float(amounts.sum())
    if total <= 0:
        return Concentration(pd.DataFrame(columns=[column, "share", "cumulative_share"]), float("nan"), 0, column)
    shares = amounts / total
    largest = amounts.sort_values(ascending=False).head(top).to_frame(column)
    largest["share"] = largest[column] / total
    largest["cumulative_share"] = largest["share"].cumsum()
    return Concentration(largest, float((shares ** 2).sum()), int(len(amounts)), column)


# --------------------------------------------------------------------------- granularity adjustment


def ga_delta(q: float = 0.999, xi: float = 0.25) -> float:
    """delta = (alpha_q - 1)(xi + (1 - xi) / alpha_q), alpha_q the q-quantile of the gamma factor with mean 1
    and precision xi (Gordy & Lütkebohmert 2013): 4.83 at q = 99.9 %, xi = 0.25."""
    if not 0 < q < 1 or xi <= 0:
        raise ValueError(f"need 0 < q < 1 and xi > 0; got q={q}, xi={xi}")
    alpha = float(gamma_dist.ppf(q, a=xi, scale=1.0 / xi))
    return (alpha - 1.0) * (xi + (1.0 - xi) / alpha)


def _ga_inputs(ead, pd, lgd, maturity, sales, params: ConcentrationParams):
    e = np.asarray(ead, dtype=float).ravel()
    p = np.broadcast_to(np.asarray(pd, dtype=float), e.shape).astype(float)
    g = np.broadcast_to(np.asarray(lgd, dtype=float), e.shape).astype(float)
    for name, x in (("ead", e), ("pd", p), ("lgd", g)):
        if np.isnan(x).any():
            raise ValueError(f"{name} has {int(np.isnan(x).sum())} missing value(s)")
    if (e < 0).any():
        raise ValueError(f"ead must be non-negative; got {np.sort(e[e < 0])[:5].tolist()}")
    if ((p < 0) | (p >= 1)).any():
        raise ValueError("pd must lie in [0, 1) (defaulted exposures carry no GA: leave them out); got "
                         f"{np.unique(p[(p < 0) | (p >= 1)])[:5].tolist()}")
    if ((g <= 0) | (g > 1)).any():
        raise ValueError(f"lgd must lie in (0, 1]; got {np.unique(g[(g <= 0) | (g > 1)])[:5].tolist()}")
    total = e.sum()
    if total <= 0:
        raise ValueError("the book's total EAD must be positive")
    m = 1.0 if maturity is None else maturity
    k = np.asarray(irb_capital(p, g, m, sales, pd_floor=params.pd_floor), dtype=float)
    k = np.broadcast_to(k, e.shape)
    # R_i with the floored PD, as K_i: the model's expected loss is the one the capital was computed from.
    r = g * np.maximum(p, params.pd_floor)
    s = e / total
    vlgd = params.lgd_variance * g * (1.0 - g)
    c = (g ** 2 + vlgd) / g
    return s, k, r, g, vlgd, c


def granularity_contributions(ead, pd, lgd, *, maturity=None, sales=None,
                              params: ConcentrationParams | None = None) -> np.ndarray:
    """Each exposure's term of the GA (share of total EAD; they add up to ``granularity_adjustment``).

    ``ead``, ``pd`` (12-month, < 1), ``lgd`` (expected LGD, (0, 1]): one value per obligor (aggregate
    facilities first: the GA is about names). ``maturity`` (years) and ``sales`` (EUR m): as
    ``pricing.capital.irb_capital``; maturity None = no maturity adjustment.
    """
    params = params or ConcentrationParams()
    s, k, r, g, vlgd, c = _ga_inputs(ead, pd, lgd, maturity, sales, params)
    k_star = float(np.sum(s * k))
    if k_star <= 0:
        raise ValueError("the book's IRB capital K* is zero: the GA is undefined")
    delta = params.effective_delta()
    term = c * (delta * (k + r) - k)
    if params.form == "full":
        term = term + vlgd / g ** 2 * (delta * (k + r) ** 2 - 2.0 * k * (k + r))
    return s ** 2 * term / (2.0 * k_star)


def granularity_adjustment(ead, pd, lgd, *, maturity=None, sales=None,
                           params: ConcentrationParams | None = None) -> float:
    """Gordy & Lütkebohmert (2013) granularity adjustment as a share of total EAD (module docstring);
    ``params.form``: "simplified" (default) or "full". Scales as 1/n for n equal exposures."""
    return float(granularity_contributions(ead, pd, lgd, maturity=maturity, sales=sales, params=params).sum())


def general_granularity_adjustment(ead, pd, lgd, *, maturity=None, sales=None,
                                   params: ConcentrationParams | None = None, step: float = 1e-4) -> float:
    """The general first-order GA of the CreditRisk+ model behind GL 2013, by numerical differentiation:
    GA = -1/(2 h(x)) d/dx [h(x) sigma^2(x) / mu'(x)] at x = alpha_q (Gordy 2003; Martin & Wilde 2002), with
    h the gamma(xi, 1/xi) density, p_i(x) = PD_i (1 + w_i (x - 1)), w_i set so that ELGD_i PD_i w_i (alpha_q
    - 1) = K_i, mu(x) = sum s_i ELGD_i p_i(x), sigma^2(x) = sum s_i^2 [C_i ELGD_i p_i(x) + VLGD_i p_i(x)^2]
    (Poisson defaults). A check of the closed forms, not for production."""
    params = params or ConcentrationParams()
    s, k, r, g, vlgd, c = _ga_inputs(ead, pd, lgd, maturity, sales, params)
    xi = params.xi
    alpha = float(gamma_dist.ppf(params.q, a=xi, scale=1.0 / xi))
    p0 = r / g
    w = k / (r * (alpha - 1.0))

    def p_of(x):
        return p0 * (1.0 + w * (x - 1.0))

    def f(x):
        sigma2 = np.sum(s ** 2 * (c * g * p_of(x) + vlgd * p_of(x) ** 2))
        mu_prime = np.sum(s * g * p0 * w)
        return gamma_dist.pdf(x, a=xi, scale=1.0 / xi) * sigma2 / mu_prime

    h = step * alpha
    derivative = (f(alpha + h) - f(alpha - h)) / (2.0 * h)
    return float(-derivative / (2.0 * gamma_dist.pdf(alpha, a=xi, scale=1.0 / xi)))


# --------------------------------------------------------------------------- the book


@dataclass(frozen=True)
class PortfolioConcentration:
    """Name, group and industry concentration of a book and its granularity adjustment."""

    names: Concentration
    groups: Concentration
    industries: Concentration
    granularity_adjustment: float  # share of the performing EAD
    total_ead: float
    performing_ead: float
    k_star: float  # EAD-weighted IRB capital of the performing book (share of its EAD)
    performing_names: int
    params: ConcentrationParams
    obligor_ead: pd.Series  # EAD per obligor, largest first (the concentration curve)

    @property
    def granularity_adjustment_eur_m(self) -> float:
        return self.granularity_adjustment * self.performing_ead

    def metrics(self) -> dict[str, float]:
        return {PORTFOLIO_HHI_NAME: float(self.names.hhi), PORTFOLIO_HHI_INDUSTRY: float(self.industries.hhi),
                PORTFOLIO_TOP20_SHARE: float(self.names.top_share),
                PORTFOLIO_GRANULARITY_ADJUSTMENT: float(self.granularity_adjustment)}

    def frame(self) -> pd.DataFrame:
        """The figures as raw numbers (one row per measure)."""
        rows = {
            "hhi_name": self.names.hhi, "hhi_group": self.groups.hhi, "hhi_industry": self.industries.hhi,
            "effective_names": self.names.effective_number, "effective_groups": self.groups.effective_number,
            "effective_industries": self.industries.effective_number, "names": self.names.n,
            "groups": self.groups.n, "industries": self.industries.n, "top_name_share": self.names.top_share,
            "top_group_share": self.groups.top_share, "total_ead": self.total_ead,
            "performing_ead": self.performing_ead, "k_star": self.k_star,
            "granularity_adjustment": self.granularity_adjustment,
            "granularity_adjustment_eur_m": self.granularity_adjustment_eur_m,
        }
        return pd.Series(rows, dtype=float).to_frame("value")

    def table(self) -> pd.DataFrame:
        """Summary for people: HHIs, effective numbers, top shares, K* and the GA."""
        top = self.params.top
        rows = [
            ("EAD (EUR m)", fmt.eur_m(self.total_ead)),
            ("names / groups / industries", f"{fmt.integer(self.names.n)} / {fmt.integer(self.groups.n)} / "
                                            f"{fmt.integer(self.industries.n)}"),
            ("HHI single name", fmt.number(self.names.hhi)),
            ("effective number of names", fmt.number(self.names.effective_number)),
            ("HHI groups of connected clients", fmt.number(self.groups.hhi)),
            ("effective number of groups", fmt.number(self.groups.effective_number)),
            ("HHI industry", fmt.number(self.industries.hhi)),
            ("effective number of industries", fmt.number(self.industries.effective_number)),
            (f"share of the top {top} names", fmt.percent(self.names.top_share)),
            (f"share of the top {top} groups", fmt.percent(self.groups.top_share)),
            ("IRB capital K* of the performing book", fmt.percent(self.k_star)),
            (f"granularity adjustment ({self.params.form}, delta {fmt.number(self.params.effective_delta())})",
             fmt.percent(self.granularity_adjustment, 3)),
            ("granularity adjustment (EUR m)", fmt.eur_m(self.granularity_adjustment_eur_m)),
            ("GA relative to K*", fmt.percent(self.granularity_adjustment / self.k_star
                                              if self.k_star > 0 else float("nan"))),
        ]
        out = pd.DataFrame(rows, columns=["figure", "value"]).set_index("figure")
        return out.map(lambda v: v.replace(" %", fmt.NBSP + "%"))

    def plot_concentration(self) -> Figure:
        return plot_concentration(self)


def portfolio_concentration(frame: pd.DataFrame, params: ConcentrationParams | None = None) -> PortfolioConcentration:
    """Concentration of a facility frame (obligor_id, industry, group, ead, pd, lgd; optional defaulted, sales,
    maturity in years). HHIs and top shares on all of the EAD; the GA on the performing obligors (PD < 1 and
    not ``defaulted``), aggregated per obligor: EAD summed, LGD EAD-weighted, PD the obligor's (the largest of
    its facilities', which are one obligor's PD anyway), sales the obligor's, maturity EAD-weighted when a
    ``maturity`` column is given (otherwise no maturity adjustment)."""
    params = params or ConcentrationParams()
    need_columns(frame, ("obligor_id", "industry", "group", "ead", "pd", "lgd"), "frame")
    book = frame[frame["ead"] > 0]
    names = concentration(book, params.top, key="obligor_id", column="ead")
    groups = concentration(book, params.top, key="group", column="ead")
    industries = concentration(book, params.top, key="industry", column="ead")
    performing = book["pd"] < 1
    if "defaulted" in book.columns:
        performing &= ~book["defaulted"].fillna(False).astype(bool)
    perf = book[performing.to_numpy()]
    if perf.empty:
        raise ValueError("frame has no performing exposure: the granularity adjustment needs one")
    agg = perf.assign(_el=perf["ead"] * perf["lgd"])
    if "maturity" in perf.columns:
        agg = agg.assign(_em=perf["ead"] * perf["maturity"])
    g = agg.groupby("obligor_id", sort=True)
    ead = g["ead"].sum()
    lgd = g["_el"].sum() / ead
    pd_ = g["pd"].max()
    maturity = (g["_em"].sum() / ead).to_numpy() if "maturity" in perf.columns else None
    sales = g["sales"].first().to_numpy(dtype=float) if "sales" in perf.columns else None
    # A name with no loss given default (fully covered by financial collateral) has K_i = R_i = 0 and adds
    # nothing to either sum of the GA in EUR, (1/2) sum e_i^2 C_i (...) / sum e_i K_i; C_i alone is undefined
    # at LGD 0, so such names are left out and the EUR amount is expressed on the whole performing EAD.
    risky = (lgd > 0).to_numpy()
    if risky.any():
        sub = ead.to_numpy()[risky]
        ga = granularity_adjustment(sub, pd_.to_numpy()[risky], lgd.to_numpy()[risky],
                                    maturity=None if maturity is None else maturity[risky],
                                    sales=None if sales is None else sales[risky], params=params)
        ga *= sub.sum() / ead.sum()
    else:
        ga = 0.0
    k = irb_capital(pd_.to_numpy(), lgd.to_numpy(), 1.0 if maturity is None else maturity, sales,
                    pd_floor=params.pd_floor)
    k_star = float(np.sum(ead.to_numpy() * k) / ead.sum())
    obligor_ead = book.groupby("obligor_id")["ead"].sum().sort_values(ascending=False)
    return PortfolioConcentration(names=names, groups=groups, industries=industries, granularity_adjustment=ga,
                                  total_ead=float(book["ead"].sum()), performing_ead=float(ead.sum()),
                                  k_star=k_star, performing_names=int(len(ead)), params=params,
                                  obligor_ead=obligor_ead)


def plot_concentration(pc: PortfolioConcentration) -> Figure:
    """Concentration curve (cumulative EAD share over names, largest first, against the equal-share line),
    the top names' shares and the industries' shares."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    ead = pc.obligor_ead.to_numpy(dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(ead) / ead.sum()])
    x = np.linspace(0, 1, len(cum))
    ax = axes[0]
    ax.plot(x, cum, color="tab:blue", label="book")
    ax.plot([0, 1], [0, 1], color="gray", lw=0.8, ls="--", label="equal exposures")
    ax.set_xlabel("share of names (largest first)")
    ax.set_ylabel("cumulative share of EAD")
    ax.set_title(f"Concentration curve (HHI {fmt.number(pc.names.hhi)})")
    ax.legend(fontsize=8)
    top = pc.names.top
    ax = axes[1]
    ax.barh(top.index.astype(str)[::-1], top["share"].to_numpy()[::-1], color="tab:blue")
    ax.set_xlabel("share of EAD")
    ax.set_title(f"Top {len(top)} names: {fmt.percent(pc.names.top_share, 1)}")
    ax.tick_params(axis="y", labelsize=7)
    ind = pc.industries.top
    ax = axes[2]
    ax.barh(ind.index.astype(str)[::-1], ind["share"].to_numpy()[::-1], color="tab:gray")
    ax.set_xlabel("share of EAD")
    ax.set_title(f"Industries (HHI {fmt.number(pc.industries.hhi)})")
    ax.tick_params(axis="y", labelsize=7)
    for a in (axes[1], axes[2]):
        a.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: fmt.percent(v, 1)))
    fig.tight_layout()
    plt.close(fig)
    return fig
