"""Exposure at default (EAD) of each facility now and at the start of every remaining year, for IFRS 9.

**EAD now** (``exposure_at_default``): drawn + CCF x max(limit - drawn, 0), the credit conversion factor
(CCF) of the facility's product converting the undrawn commitment into the part expected to be drawn by
the time of a default. Defaults (``CCFParams``) are the foundation-IRB values: BCBS, "International
Convergence of Capital Measurement and Capital Standards", June 2006, para 311-316, which take the
standardised approach's CCFs of para 82-87 (except that F-IRB uses 75 % for every committed line,
para 311): committed undrawn lines 75 % (term loans, revolvers, project loans), short-term
self-liquidating trade letters of credit 20 % (para 85), direct credit substitutes such as guarantees
100 % (para 83).

*Amortised limits.* On an amortising term loan (repayment annuity, equal_principal, balloon, sculpted)
the facilities table keeps the original limit and the current balance, so limit - drawn is principal
already repaid, which the borrower cannot draw again (the demo data's term loans are drawn in full at
origination and amortise from there, ``synthetic.facilities``). By default (``amortised_limit_repaid``)
that difference gets no CCF; switched off, it is converted like an undrawn commitment (a loan still in
its availability period).

**EAD profile** (``ead_profile``): the EAD at the start of each remaining year t = 1..T from the as-of
(T = the ceiling of the longest remaining life, capped at ``max_years``), 0 from the year that starts
at or after maturity. Column 1 is the EAD now for every row. The remaining life R (``remaining_years``)
counts whole years from the as-of to maturity by calendar anniversaries, plus the fraction of the last
one, so a facility maturing on an anniversary of the as-of has an integer life. Over it the balance
runs off by the repayment type, from B(0) = EAD now, with m = ``payments_per_year`` payments a year in
arrears at the period rate i = eir / m (``structuring.schedules``' convention), v = 1 / (1 + i) and
n(s) = m (R - s) periods left at time s::

    annuity, sculpted   B(s) = B(0) (1 - v^n(s)) / (1 - v^n(0))           (level payments; i = 0: linear)
    equal_principal     B(s) = B(0) (R - s) / R
    balloon             B(s) = A a(n(s)) + F v^n(s),  A = (B(0) - F v^n(0)) / a(n(0)),  a(n) = (1 - v^n) / i
                        F = min(balloon_share x limit, B(0)) is repaid at maturity
    bullet, revolving   B(s) = B(0)                                        (flat to maturity)

These are the balances of ``structuring.schedules.repayment_schedule`` at its payment dates (the
balance is the present value of the payments still due); between payment dates they interpolate
smoothly. A sculpted project loan is repaid from its cash flow available for debt service; with a
level CFADS and a constant DSCR sculpting gives the annuity, which is what is used (the project's own
CFADS are not in the facility frame). Undrawn commitments: on revolving and bullet facilities (revolvers,
trade finance, guarantees) the converted undrawn part stays available until maturity, so the EAD is flat;
on an amortising loan a converted undrawn part (``amortised_limit_repaid`` off) is treated as drawn and
amortising with the rest.

**Drawn amounts at an earlier date** (``drawn_at``): the facilities table holds the drawn amounts of
one date, its snapshot (the data's last month end). A book dated before it reconstructs them from each
facility's terms: revolving products (revolvers, trade finance) at the limit times the obligor's
utilisation that month (the behaviour table; the snapshot's drawn share where there is none),
guarantees and bullet loans at the limit, amortising loans at their contractual balance, the formulas
above run from the limit at origination over the original life to the date.

**Year fractions** (``live_year_fraction``): the share of year t in which the facility is still live,
min(1, max(0, R - (t - 1))): 1 for full years, the stub of a last partial year, 0 after maturity. IFRS
9's 12-month ECL covers "the 12 months after the reporting date (or a shorter period if the expected
life ... is less than 12 months)" (IFRS 9 Appendix A, 12-month expected credit losses), which the
marginal PD of a partial year carries (``term_structure.live_marginal_pd``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from ..params import StrictModel
from ..reference.codes import PRODUCTS, REPAYMENT_TYPES
from .checks import need_columns, row_ids

__all__ = ["CCFParams", "AMORTISING_TYPES", "FLAT_TYPES", "EXPOSURE_COLUMNS", "facility_ccf", "exposure_at_default",
           "remaining_years", "live_year_fraction", "ead_profile", "drawn_at"]

#: Repayment types whose balance runs off before maturity.
AMORTISING_TYPES = ("annuity", "equal_principal", "balloon", "sculpted")
#: Repayment types whose exposure stays until maturity.
FLAT_TYPES = ("bullet", "revolving")
#: Columns ``exposure_at_default`` reads; ``ead_profile`` also reads maturity_date, repayment_type and eir.
EXPOSURE_COLUMNS = ("facility_id", "product", "repayment_type", "limit", "drawn")


class CCFParams(StrictModel):
    """Credit conversion factors per product for the undrawn part, and the run-off assumptions of the
    EAD profile."""

    term_loan: float = Field(0.75, ge=0, le=1, description="Undrawn committed term loan: 75 %, the F-IRB CCF of "
                                                           "every committed line (BCBS June 2006 para 311)")
    revolver: float = Field(0.75, ge=0, le=1, description="Undrawn committed revolving line: 75 % (BCBS June 2006 "
                                                          "para 311; the SA's commitments of para 82-83)")
    project_loan: float = Field(0.75, ge=0, le=1, description="Undrawn project-finance commitment: 75 % (BCBS June "
                                                              "2006 para 311)")
    trade_finance: float = Field(0.20, ge=0, le=1, description="Short-term self-liquidating trade letters of credit "
                                                               "arising from the movement of goods: 20 % (BCBS June "
                                                               "2006 para 85, adopted by F-IRB in para 312-313)")
    guarantee: float = Field(1.0, ge=0, le=1, description="Direct credit substitutes (general guarantees of "
                                                          "indebtedness): 100 % (BCBS June 2006 para 83)")
    amortised_limit_repaid: bool = Field(
        True, description="On amortising term loans (annuity, equal_principal, balloon, sculpted) limit - drawn is "
                          "principal already repaid, not an undrawn commitment (the facilities table keeps the "
                          "original limit and the current balance), so it gets no CCF; False: convert it with the "
                          "product's CCF, as for a loan still in its availability period")
    balloon_share: float = Field(
        0.40, ge=0, le=1, description="Share of the limit a balloon loan repays at maturity (the balloon): the demo "
                                      "data's balloon loans amortise to 40 % of the limit (synthetic.facilities); "
                                      "corporate balloons are typically 20-50 %")
    defaulted_ccf: float = Field(
        0.0, ge=0, le=1, description="CCF of the undrawn part of a defaulted obligor's lines (a frame with a "
                                     "``defaulted`` column): 0, the lines are frozen or cancelled at default, so the "
                                     "stage 3 exposure is what is drawn")
    payments_per_year: int = Field(
        12, ge=1, le=12, description="Instalments a year of amortising loans, paid in arrears (monthly, as "
                                     "structuring.schedules.repayment_schedule assumes by default)")

    def factor(self, product: str) -> float:
        """The CCF of ``product``; an unknown product raises a KeyError naming it."""
        if product not in PRODUCTS:
            raise KeyError(f"no credit conversion factor for product {product!r}; known: {', '.join(PRODUCTS)}")
        return float(getattr(self, product))


def _codes(frame: pd.DataFrame, column: str, labels: tuple[str, ...]) -> np.ndarray:
    values = frame[column].astype(object).to_numpy()
    codes = np.full(len(values), -1, dtype=np.intp)
    for i, label in enumerate(labels):
        codes[values == label] = i
    unknown = codes < 0
    if unknown.any():
        names = sorted({str(v) for v in values[unknown]})
        raise KeyError(f"unknown {column} {names} in facilities {row_ids(frame, unknown)}; "
                       f"known: {', '.join(labels)}")
    return codes


def facility_ccf(frame: pd.DataFrame, ccf: CCFParams | None = None) -> np.ndarray:
    """The CCF applied to each facility's limit - drawn: its product's, or 0 on an amortising loan whose
    limit - drawn is repaid principal (``CCFParams.amortised_limit_repaid``), and ``defaulted_ccf`` where the
    frame's ``defaulted`` column says the obligor is in default."""
    ccf = ccf or CCFParams()
    need_columns(frame, ("product", "repayment_type"), "facility frame", purpose="the credit conversion factors")
    product = _codes(frame, "product", PRODUCTS)
    factors = np.array([ccf.factor(p) for p in PRODUCTS])[product]
    if ccf.amortised_limit_repaid:
        repay = _codes(frame, "repayment_type", REPAYMENT_TYPES)
        amortising = np.isin(np.array(REPAYMENT_TYPES, dtype=object)[repay], AMORTISING_TYPES)
        factors = np.where(amortising, 0.0, factors)
    if "defaulted" in frame.columns:
        factors = np.where(frame["defaulted"].fillna(False).astype(bool).to_numpy(), ccf.defaulted_ccf, factors)
    return factors


def exposure_at_default(frame: pd.DataFrame, ccf: CCFParams | None = None) -> np.ndarray:
    """EAD of each facility now (EUR m, like the frame): drawn + CCF x max(limit - drawn, 0).

    ``frame``: facility_id, product, repayment_type, limit, drawn. Negative or missing amounts raise a
    ValueError naming the facilities; an unknown product or repayment type a KeyError naming it."""
    need_columns(frame, EXPOSURE_COLUMNS, "facility frame", purpose="the exposure at default")
    limit = frame["limit"].to_numpy(dtype=float)
    drawn = frame["drawn"].to_numpy(dtype=float)
    for name, x in (("limit", limit), ("drawn", drawn)):
        bad = ~(x >= 0)
        if bad.any():
            raise ValueError(f"{name} must be a number >= 0; not so for facilities {row_ids(frame, bad)}")
    return drawn + facility_ccf(frame, ccf) * np.maximum(limit - drawn, 0.0)


def _anniversaries(as_of: pd.Timestamp, years: int) -> np.ndarray:
    # Calendar anniversaries of the as-of (29 February -> 28 February), as datetime64[ns].
    return np.array([as_of + pd.DateOffset(years=k) for k in range(years + 1)], dtype="datetime64[ns]")


def remaining_years(frame: pd.DataFrame, as_of) -> np.ndarray:
    """Remaining life of each facility in years at ``as_of``: whole years to maturity by calendar
    anniversaries of the as-of plus the elapsed share of the last, partial one; 0 at or after maturity.

    A facility maturing exactly k years after the as-of has remaining life k (not k +/- a day count)."""
    need_columns(frame, ("maturity_date",), "facility frame", purpose="the remaining life")
    as_of = pd.Timestamp(as_of).normalize()
    maturity = pd.to_datetime(frame["maturity_date"]).to_numpy(dtype="datetime64[ns]")
    bad = np.isnat(maturity)
    if bad.any():
        raise ValueError(f"maturity_date is missing for facilities {row_ids(frame, bad)}")
    live = maturity > np.datetime64(as_of, "ns")
    if not live.any():
        return np.zeros(len(frame))
    span = int(np.ceil((maturity[live].max() - np.datetime64(as_of, "ns")) / np.timedelta64(365, "D"))) + 2
    anniv = _anniversaries(as_of, span)
    k = np.clip(np.searchsorted(anniv, maturity, side="right") - 1, 0, span - 1)
    year_ns = (anniv[k + 1] - anniv[k]).astype(np.float64)
    fraction = (maturity - anniv[k]).astype(np.float64) / year_ns
    return np.where(live, k + fraction, 0.0)


def _horizon(remaining: np.ndarray, max_years: int) -> int:
    if isinstance(max_years, bool) or int(max_years) != max_years or max_years < 1:
        raise ValueError(f"max_years must be a whole number >= 1; got {max_years!r}")
    longest = float(remaining.max()) if remaining.size else 0.0
    # 1e-9: a life of exactly k years is k columns, not k + 1 with an empty stub.
    return int(min(max(np.ceil(longest - 1e-9), 1), max_years))


def _year_fraction(remaining: np.ndarray, years: int) -> np.ndarray:
    start = np.arange(years, dtype=float)[None, :]
    return np.clip(remaining[:, None] - start, 0.0, 1.0)


def live_year_fraction(frame: pd.DataFrame, as_of, max_years: int = 30) -> np.ndarray:
    """(n, T) share of each remaining year t = 1..T in which the facility is live: 1, the stub of a
    partial last year, then 0 (T as in ``ead_profile``)."""
    remaining = remaining_years(frame, as_of)
    return _year_fraction(remaining, _horizon(remaining, max_years))


def _run_off(kind: np.ndarray, remaining: np.ndarray, rate: np.ndarray, balloon: np.ndarray,
             years: int, m: int) -> np.ndarray:
    """Balance at the start of each year t = 1..T per unit of the balance now (module docstring)."""
    s = np.arange(years, dtype=float)[None, :]
    life = remaining[:, None]
    left = np.maximum(life - s, 0.0)
    i = (rate / m)[:, None]
    n_now, n_left = m * life, m * left
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        linear = np.where(life > 0, left / life, 0.0)
        v_now, v_left = (1.0 + i) ** -n_now, (1.0 + i) ** -n_left
        level = np.where(i > 0, (1.0 - v_left) / (1.0 - v_now), linear)
        f = balloon[:, None]
        annuity_now = np.where(i > 0, (1.0 - v_now) / i, n_now)
        annuity_left = np.where(i > 0, (1.0 - v_left) / i, n_left)
        payment = (1.0 - f * v_now) / annuity_now
        ballooning = np.where(i > 0, payment * annuity_left + f * v_left, f + (1.0 - f) * linear)
    flat = np.ones_like(linear)
    shape = np.select([kind[:, None] == "annuity", kind[:, None] == "sculpted", kind[:, None] == "equal_principal",
                       kind[:, None] == "balloon"], [level, level, linear, ballooning], flat)
    # The year starting at or after maturity carries no exposure; year 1 always carries the EAD now.
    shape = np.where(s < life, shape, 0.0)
    shape[:, 0] = 1.0
    return np.nan_to_num(shape, nan=0.0, posinf=0.0, neginf=0.0)


def ead_profile(frame: pd.DataFrame, as_of, ccf: CCFParams | None = None, max_years: int = 30) -> np.ndarray:
    """(n, T) EAD (EUR m) at the start of each remaining year t = 1..T after ``as_of`` (module docstring):
    column 1 is ``exposure_at_default`` for every row, then the run-off of the repayment type, 0 from
    the first year starting at or after maturity. T = ceil(longest remaining life), at least 1, at most
    ``max_years`` (years beyond it are cut off).

    ``frame``: facility_id, product, repayment_type, limit, drawn, maturity_date, eir (decimal, the rate
    of the annuity and balloon profiles)."""
    ccf = ccf or CCFParams()
    need_columns(frame, (*EXPOSURE_COLUMNS, "maturity_date", "eir"), "facility frame", purpose="the EAD profile")
    ead_now = exposure_at_default(frame, ccf)
    remaining = remaining_years(frame, as_of)
    years = _horizon(remaining, max_years)
    rate = frame["eir"].to_numpy(dtype=float)
    kind = np.array(REPAYMENT_TYPES, dtype=object)[_codes(frame, "repayment_type", REPAYMENT_TYPES)]
    bad = ~(rate >= 0) & np.isin(kind, ("annuity", "sculpted", "balloon"))
    if bad.any():
        raise ValueError(f"eir must be a decimal >= 0 for annuity, sculpted and balloon loans; not so for "
                         f"facilities {row_ids(frame, bad)}")
    limit = frame["limit"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        balloon = np.where(ead_now > 0, np.minimum(ccf.balloon_share * limit, ead_now) / ead_now, 0.0)
    shape = _run_off(kind, remaining, np.where(rate >= 0, rate, 0.0), balloon, years, ccf.payments_per_year)
    return ead_now[:, None] * shape


def drawn_at(frame: pd.DataFrame, as_of, utilisation=None, ccf: CCFParams | None = None) -> np.ndarray:
    """The drawn amount (EUR m) of each facility at ``as_of``, reconstructed from its terms (module docstring).

    ``frame``: facility_id, product, repayment_type, limit, drawn (the snapshot's), origination_date,
    maturity_date, eir. ``utilisation``: per row, the obligor's utilisation of its lines at ``as_of`` (NaN
    where unknown: the snapshot's drawn share of the limit); None: the snapshot's share for every row."""
    ccf = ccf or CCFParams()
    need_columns(frame, (*EXPOSURE_COLUMNS, "origination_date", "maturity_date", "eir"), "facility frame",
                 purpose="the drawn amounts")
    as_of = pd.Timestamp(as_of)
    limit = frame["limit"].to_numpy(dtype=float)
    snapshot_share = np.clip(frame["drawn"].to_numpy(dtype=float) / np.where(limit > 0, limit, 1.0), 0.0, 1.0)
    used = snapshot_share if utilisation is None else np.asarray(utilisation, dtype=float)
    used = np.clip(np.where(np.isnan(used), snapshot_share, used), 0.0, 1.0)
    kind = np.array(REPAYMENT_TYPES, dtype=object)[_codes(frame, "repayment_type", REPAYMENT_TYPES)]
    product = frame["product"].astype(str).to_numpy()
    life = (frame["maturity_date"] - frame["origination_date"]).dt.days.to_numpy(dtype=float) / 365.25
    elapsed = np.clip((as_of - frame["origination_date"]).dt.days.to_numpy(dtype=float) / 365.25, 0.0, life)
    m = ccf.payments_per_year
    i = np.maximum(frame["eir"].to_numpy(dtype=float), 0.0) / m
    n_now, n_left = m * life, m * (life - elapsed)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        linear = np.where(life > 0, (life - elapsed) / life, 0.0)
        v_now, v_left = (1.0 + i) ** -n_now, (1.0 + i) ** -n_left
        level = np.where(i > 0, (1.0 - v_left) / (1.0 - v_now), linear)
        f = ccf.balloon_share
        a_now = np.where(i > 0, (1.0 - v_now) / i, n_now)
        a_left = np.where(i > 0, (1.0 - v_left) / i, n_left)
        ballooning = np.where(i > 0, (1.0 - f * v_now) / a_now * a_left + f * v_left, f + (1.0 - f) * linear)
    share = np.select([np.isin(product, ("revolver", "trade_finance")), product == "guarantee",
                       kind == "bullet", np.isin(kind, ("annuity", "sculpted")), kind == "equal_principal",
                       kind == "balloon"],
                      [used, np.ones_like(used), np.ones_like(used), level, linear, ballooning], used)
    return limit * np.nan_to_num(share, nan=0.0, posinf=0.0, neginf=0.0)
