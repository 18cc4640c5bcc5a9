"""Repayment schedules for term loans: annuity, equal principal, bullet, balloon, step-up, grace, custom.

The desk tailors repayment to the client's cash-flow cycle (DOMAIN.md, "Project finance" and
"Repayment schedules"); this module builds the period-by-period schedule of each standard profile
so that they can be compared and plotted side by side.

Conventions
-----------
* Periods are numbered 1..n with n = years x periods_per_year (must be a whole number); every
  cash flow falls at the *end* of its period (payments in arrears, numpy-financial ``when="end"``).
* Without a day count the period rate is the nominal ``annual_rate / periods_per_year``, so the
  annuity payment is exactly ``numpy_financial.pmt(annual_rate / ppy, n, -principal)``: the standard
  formula A = P r / (1 - (1 + r)^-n) (A = P / n when r = 0). numpy-financial signs cash flows from
  the borrower's side (the loan received is ``pv = -principal``, a positive ``pmt`` is paid back);
  here every amount is a positive number of currency units.
* With ``start_date`` the schedule gets a ``date`` column: the end of each period, the start date
  moved by whole months (12 / periods_per_year of them per period, pandas ``DateOffset``, so a
  31 January start gives 29 February, 31 March, ...). With a ``day_count`` too, the interest of
  period k is ``opening_balance x annual_rate x year_fraction_k`` where

  - ``"ACT/360"``: actual days in the period / 360;
  - ``"30/360"``: the ISDA 2006 Definitions section 4.16(f) "30/360" / "Bond Basis" rule:
    [360 (Y2 - Y1) + 30 (M2 - M1) + (D2 - D1)] / 360 with D1 = 31 -> 30, and D2 = 31 -> 30 when
    D1 is (after that adjustment) 30 or 31. There is no end-of-February rule (that is the
    SIA / "30/360 US" variant, not used here).

  Level payments (annuity, balloon, step-up, the annuity part of grace) are then re-solved so that
  the balance still closes at 0 under the varying period rates r_k (see "Level payments").
* Columns: ``period``, ``date`` (only with ``start_date``), ``year_fraction`` (only with a day
  count), ``opening_balance``, ``interest`` (accrued in the period), ``capitalised_interest``
  (the part of that interest not paid but added to the balance), ``principal`` (repaid in the
  period, never negative), ``payment`` (cash paid), ``closing_balance``. For every kind and period

      payment         = interest - capitalised_interest + principal
      closing_balance = opening_balance + capitalised_interest - principal

  so over the life ``principal.sum() == original principal + capitalised_interest.sum()`` ("the
  principal repaid is the original principal plus the capitalised interest") and
  ``payment.sum() == original principal + interest.sum()``. Only ``grace`` with
  ``grace_mode="capitalised"`` and a ``step_up`` whose early payments are below the interest
  (negative amortisation) capitalise interest; for every other kind the column is 0 and the
  principal column sums to the original principal. The closing balance ends at 0 up to
  floating-point error (tested to 1e-6 of the principal); no final-payment plug hides a solver error.

Level payments
--------------
With period rates r_k and discount factors D_k = prod_{j<=k} 1 / (1 + r_j), a payment profile
pay_k = A w_k + e_k (shape w_k, fixed extra e_k) repays the loan exactly when the present value of
the payments equals the principal: P = A sum_k w_k D_k + sum_k e_k D_k, hence
A = (P - sum e_k D_k) / sum w_k D_k. This closed form covers the constant-rate case (the pmt
formula), the step-up (w_k = (1 + s)^floor((k - 1) / interval), whose sum is a geometric series
when the rate is constant) and the balloon (e_n = balloon); no root finder is needed.

Kinds and their options
-----------------------
``annuity``          level payment.
``equal_principal``  principal / n each period, interest on the declining balance.
``bullet``           interest only, all principal at maturity.
``balloon``          ``balloon_share`` b in [0, 1]: b x principal is repaid at maturity on top of the
                     last level payment; the level payment A amortises the other (1 - b) x principal
                     and pays the interest on the whole balance, i.e. A = pmt(r, n, -P, fv=b P).
                     b = 0 is the annuity, b = 1 the bullet.
``step_up``          ``step_rate`` s (> -1; 0.05 = payments rise 5 %) every ``step_interval`` periods
                     (default: periods_per_year, i.e. yearly steps). The first payment is solved so the
                     loan closes at 0. Early payments below the interest capitalise the shortfall.
``grace``            ``grace_periods`` G (0 <= G < n), ``grace_mode`` "interest_only" (default; the
                     interest is paid, the balance stays at the principal) or "capitalised" (nothing is
                     paid, the interest is added to the balance), then ``after`` = "annuity" (default)
                     or "equal_principal" over the remaining n - G periods on the balance at the end of
                     the grace period.
``custom``           ``principal_shares``: n non-negative shares of the principal repaid per period,
                     summing to 1 within 1e-9.

``compare_schedules`` summarises several schedules (totals, first and largest payment, weighted
average life) and ``plot_schedules`` draws their balances and payments. Functions are pure; figures
are returned closed (never ``plt.show()``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["SCHEDULE_KINDS", "DAY_COUNTS", "repayment_schedule", "repayment_schedules", "compare_schedules",
           "plot_schedules",
           "year_fractions", "level_payment"]

SCHEDULE_KINDS = ("annuity", "equal_principal", "bullet", "balloon", "step_up", "grace", "custom")
DAY_COUNTS = ("ACT/360", "30/360")
GRACE_MODES = ("interest_only", "capitalised")
AFTER_KINDS = ("annuity", "equal_principal")

# Options each kind accepts, with their defaults (_REQUIRED: no default, must be given).
_REQUIRED = object()
_OPTIONS: dict[str, dict[str, Any]] = {
    "annuity": {},
    "equal_principal": {},
    "bullet": {},
    "balloon": {"balloon_share": _REQUIRED},
    "step_up": {"step_rate": _REQUIRED, "step_interval": None},  # None -> periods_per_year
    "grace": {"grace_periods": _REQUIRED, "grace_mode": "interest_only", "after": "annuity"},
    "custom": {"principal_shares": _REQUIRED},
}
_SHARES_TOLERANCE = 1e-9


# ---------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------

def _positive_number(name: str, value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {value!r}") from None
    if not (math.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    return x


def _rate(value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"annual_rate must be a number; got {value!r}") from None
    if not (math.isfinite(x) and x >= 0):
        raise ValueError(f"annual_rate must be a finite decimal >= 0 (0.06 = 6 %); got {value!r}")
    return x


def _whole(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise ValueError(f"{name} must be a whole number >= {minimum}; got {value!r}")
    if not (math.isfinite(float(value)) and float(value) == int(value) and int(value) >= minimum):
        raise ValueError(f"{name} must be a whole number >= {minimum}; got {value!r}")
    return int(value)


def _n_periods(years: float, periods_per_year: int) -> int:
    n = years * periods_per_year
    if abs(n - round(n)) > 1e-9 or round(n) < 1:
        raise ValueError(f"years x periods_per_year must be a whole number of periods >= 1; "
                         f"got {years} x {periods_per_year} = {n:g}")
    return int(round(n))


def _resolve_options(kind: str, options: Mapping[str, Any]) -> dict[str, Any]:
    allowed = _OPTIONS[kind]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        valid = ", ".join(allowed) if allowed else "none"
        raise ValueError(f"unknown option(s) for kind {kind!r}: {', '.join(unknown)}; valid options: {valid}")
    missing = [k for k, default in allowed.items() if default is _REQUIRED and k not in options]
    if missing:
        raise ValueError(f"kind {kind!r} requires option(s): {', '.join(missing)}")
    return {k: options.get(k, default) for k, default in allowed.items()}


# ---------------------------------------------------------------------------------------------
# Dates and day counts
# ---------------------------------------------------------------------------------------------

def _period_dates(start_date: Any, n: int, periods_per_year: int) -> pd.DatetimeIndex:
    if 12 % periods_per_year:
        raise ValueError(f"dated schedules need periods_per_year dividing 12 (1, 2, 3, 4, 6 or 12) so that "
                         f"periods are whole months; got {periods_per_year}")
    try:
        start = pd.Timestamp(start_date)
    except (TypeError, ValueError):
        raise ValueError(f"start_date must be a date; got {start_date!r}") from None
    if pd.isna(start):
        raise ValueError(f"start_date must be a date; got {start_date!r}")
    months = 12 // periods_per_year
    # Offsets from the start (not chained period to period) so an end-of-month start does not drift:
    # 31 Jan + 1 month = 29 Feb, + 2 months = 31 Mar.
    return pd.DatetimeIndex([start.normalize()] + [start.normalize() + pd.DateOffset(months=months * k)
                                                   for k in range(1, n + 1)])


def year_fractions(dates: Any, day_count: str) -> np.ndarray:
    """Year fraction between consecutive ``dates`` (length m -> m - 1 fractions).

    ``"ACT/360"``: actual days / 360. ``"30/360"``: ISDA 2006 section 4.16(f) bond basis,
    [360 (Y2 - Y1) + 30 (M2 - M1) + (D2 - D1)] / 360 with D1 = 31 -> 30 and D2 = 31 -> 30 if D1 >= 30.
    """
    idx = pd.DatetimeIndex(dates)
    if day_count == "ACT/360":
        return np.asarray((idx[1:] - idx[:-1]).days, dtype=float) / 360.0
    if day_count == "30/360":
        y, m, d = (np.asarray(a, dtype=float) for a in (idx.year, idx.month, idx.day))
        y1, m1, d1 = y[:-1], m[:-1], d[:-1].copy()
        y2, m2, d2 = y[1:], m[1:], d[1:].copy()
        d1 = np.where(d1 == 31, 30, d1)
        d2 = np.where((d2 == 31) & (d1 >= 30), 30, d2)
        return (360 * (y2 - y1) + 30 * (m2 - m1) + (d2 - d1)) / 360.0
    raise ValueError(f"unknown day_count {day_count!r}; valid: {', '.join(DAY_COUNTS)} or None")


# ---------------------------------------------------------------------------------------------
# Engine: balances from payments or from principal repayments, under per-period rates
# ---------------------------------------------------------------------------------------------

def level_payment(principal: float, rates: np.ndarray, weights: np.ndarray | None = None,
                  extra: np.ndarray | None = None) -> float:
    """Level payment A such that payments A x weights_k + extra_k repay ``principal`` exactly under
    per-period rates ``rates`` (payments at period ends): A = (P - sum e_k D_k) / sum w_k D_k with
    D_k = prod_{j<=k} 1 / (1 + r_j). With constant rates and unit weights this is numpy-financial's
    ``pmt(r, n, -P)``; with extra_n = F it is ``pmt(r, n, -P, fv=F)``."""
    rates = np.asarray(rates, dtype=float)
    discount = 1.0 / np.cumprod(1.0 + rates)
    weights = np.ones_like(rates) if weights is None else np.asarray(weights, dtype=float)
    extra = np.zeros_like(rates) if extra is None else np.asarray(extra, dtype=float)
    return float((principal - extra @ discount) / (weights @ discount))


def _from_payments(opening: float, rates: np.ndarray, payments: np.ndarray) -> dict[str, np.ndarray]:
    """Roll a balance forward given the cash payment of each period.

    closing_k = opening_k (1 + r_k) - pay_k, vectorised as closing_k = G_k (B_0 - sum_{j<=k} pay_j / G_j)
    with G_k = prod_{j<=k} (1 + r_j). A payment below the interest capitalises the shortfall."""
    growth = np.cumprod(1.0 + rates)
    closing = growth * (opening - np.cumsum(payments / growth))
    opening_k = np.concatenate([[opening], closing])[:-1]
    interest = opening_k * rates
    return {"opening_balance": opening_k, "interest": interest,
            "capitalised_interest": np.maximum(interest - payments, 0.0),
            "principal": np.maximum(payments - interest, 0.0), "payment": payments, "closing_balance": closing}


def _from_principal(opening: float, rates: np.ndarray, principal: np.ndarray) -> dict[str, np.ndarray]:
    """Roll a balance forward given the principal repaid each period; interest is paid as it accrues."""
    closing = opening - np.cumsum(principal)
    opening_k = np.concatenate([[opening], closing])[:-1]
    interest = opening_k * rates
    return {"opening_balance": opening_k, "interest": interest, "capitalised_interest": np.zeros_like(rates),
            "principal": principal, "payment": interest + principal, "closing_balance": closing}


def _capitalising(opening: float, rates: np.ndarray) -> dict[str, np.ndarray]:
    """Nothing paid: the interest of each period is added to the balance."""
    closing = opening * np.cumprod(1.0 + rates)
    opening_k = np.concatenate([[opening], closing])[:-1]
    interest = opening_k * rates
    zeros = np.zeros_like(rates)
    return {"opening_balance": opening_k, "interest": interest, "capitalised_interest": interest,
            "principal": zeros, "payment": zeros, "closing_balance": closing}


def _concat(*parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _step_weights(n: int, step_rate: float, step_interval: int) -> np.ndarray:
    return (1.0 + step_rate) ** (np.arange(n) // step_interval)


def _build(kind: str, principal: float, rates: np.ndarray, opts: dict[str, Any], periods_per_year: int
           ) -> dict[str, np.ndarray]:
    n = len(rates)
    if kind == "annuity":
        return _from_payments(principal, rates, np.full(n, level_payment(principal, rates)))
    if kind == "equal_principal":
        return _from_principal(principal, rates, np.full(n, principal / n))
    if kind == "bullet":
        repaid = np.zeros(n)
        repaid[-1] = principal
        return _from_principal(principal, rates, repaid)
    if kind == "balloon":
        b = opts["balloon_share"]
        if isinstance(b, bool) or not isinstance(b, (int, float, np.integer, np.floating)) or not 0 <= b <= 1:
            raise ValueError(f"balloon_share must be a share in [0, 1] of the principal repaid at maturity; "
                             f"got {b!r}")
        extra = np.zeros(n)
        extra[-1] = b * principal
        payments = level_payment(principal, rates, extra=extra) + extra
        return _from_payments(principal, rates, payments)
    if kind == "step_up":
        s = opts["step_rate"]
        if isinstance(s, bool) or not isinstance(s, (int, float, np.integer, np.floating)) \
                or not (math.isfinite(s) and s > -1):
            raise ValueError(f"step_rate must be a number > -1 (0.05 = payments rise 5 % per step); got {s!r}")
        interval = periods_per_year if opts["step_interval"] is None else _whole("step_interval",
                                                                                  opts["step_interval"], 1)
        weights = _step_weights(n, float(s), interval)
        return _from_payments(principal, rates, level_payment(principal, rates, weights) * weights)
    if kind == "grace":
        g = _whole("grace_periods", opts["grace_periods"], 0)
        if g >= n:
            raise ValueError(f"grace_periods must leave at least one repayment period: got {g} of {n} periods "
                             f"(years x periods_per_year)")
        mode, after = opts["grace_mode"], opts["after"]
        if mode not in GRACE_MODES:
            raise ValueError(f"unknown grace_mode {mode!r}; valid: {', '.join(GRACE_MODES)}")
        if after not in AFTER_KINDS:
            raise ValueError(f"unknown after {after!r} (the profile after the grace period); valid: "
                             f"{', '.join(AFTER_KINDS)}")
        head = (_capitalising(principal, rates[:g]) if mode == "capitalised"
                else _from_principal(principal, rates[:g], np.zeros(g)))
        balance = float(head["closing_balance"][-1]) if g else principal
        tail = _build(after, balance, rates[g:], {}, periods_per_year)
        return _concat(head, tail)
    if kind == "custom":
        try:
            shares = np.asarray(opts["principal_shares"], dtype=float)
        except (TypeError, ValueError):
            raise ValueError("principal_shares must be a list of numbers") from None
        if shares.ndim != 1 or len(shares) != n:
            raise ValueError(f"principal_shares must hold one share per period: {n} expected, got "
                             f"{shares.size}")
        if not np.isfinite(shares).all() or (shares < 0).any():
            raise ValueError("principal_shares must be finite and >= 0")
        if abs(shares.sum() - 1.0) > _SHARES_TOLERANCE:
            raise ValueError(f"principal_shares must sum to 1 (within {_SHARES_TOLERANCE:g}); they sum to "
                             f"{shares.sum():.12g}")
        return _from_principal(principal, rates, principal * shares)
    raise AssertionError(kind)  # unreachable: kind validated by the caller


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------

def repayment_schedule(kind: str, principal: float, annual_rate: float, years: float, periods_per_year: int = 12,
                       *, start_date: Any = None, day_count: str | None = None, **options: Any) -> pd.DataFrame:
    """Period-by-period repayment schedule of a loan of ``principal`` at ``annual_rate`` over ``years``.

    ``kind`` is one of ``SCHEDULE_KINDS``; ``options`` are the kind's options (module docstring).
    ``start_date`` adds the ``date`` column (period end dates); ``day_count`` ("ACT/360" or "30/360",
    needs ``start_date``) accrues interest on actual year fractions and adds ``year_fraction``.
    Raises ValueError naming the problem for an unknown kind or option, a non-positive principal or
    tenor, a negative rate, and options inconsistent with the tenor.
    """
    if kind not in SCHEDULE_KINDS:
        raise ValueError(f"unknown kind {kind!r}; valid kinds: {', '.join(SCHEDULE_KINDS)}")
    principal = _positive_number("principal", principal)
    years = _positive_number("years", years)
    rate = _rate(annual_rate)
    ppy = _whole("periods_per_year", periods_per_year, 1)
    n = _n_periods(years, ppy)
    opts = _resolve_options(kind, options)
    if day_count is not None and day_count not in DAY_COUNTS:
        raise ValueError(f"unknown day_count {day_count!r}; valid: {', '.join(DAY_COUNTS)} or None")
    if day_count is not None and start_date is None:
        raise ValueError(f"day_count {day_count!r} needs start_date (year fractions come from the period dates)")

    columns: dict[str, Any] = {"period": np.arange(1, n + 1)}
    if start_date is not None:
        dates = _period_dates(start_date, n, ppy)
        columns["date"] = dates[1:]
    if day_count is not None:
        yf = year_fractions(dates, day_count)
        columns["year_fraction"] = yf
        rates = rate * yf
    else:
        rates = np.full(n, rate / ppy)

    columns.update(_build(kind, principal, rates, opts, ppy))
    return pd.DataFrame(columns)


def _weighted_average_life(schedule: pd.DataFrame, periods_per_year: int) -> float:
    """Sum of (time in years x principal repaid) / total principal repaid, time = period / ppy."""
    repaid = schedule["principal"].to_numpy(dtype=float)
    return float((schedule["period"].to_numpy(dtype=float) / periods_per_year) @ repaid / repaid.sum())


def compare_schedules(principal: float, annual_rate: float, years: float, periods_per_year: int,
                      kinds: Mapping[str, tuple[str, Mapping[str, Any] | None] | str | Any], *,
                      start_date: Any = None, day_count: str | None = None) -> pd.DataFrame:
    """One row per named schedule: ``kinds`` maps a name to ``(kind, options)``, just the kind, or a
    spec with ``kind`` and ``options`` attributes (``structuring.params.ScheduleSpec``).

    Columns: kind, total_interest (accrued, capitalised included), total_paid (= principal +
    total_interest), first_payment, max_payment, last_payment, wal_years (weighted average life:
    sum of period / periods_per_year weighted by the principal column, i.e. by the principal repaid
    including capitalised interest).
    """
    if not kinds:
        raise ValueError("kinds must name at least one schedule: {name: (kind, options)}")
    rows = []
    for name, spec in kinds.items():
        kind, opts = _kind_and_options(spec)
        sched = repayment_schedule(kind, principal, annual_rate, years, periods_per_year, start_date=start_date,
                                   day_count=day_count, **dict(opts or {}))
        pay = sched["payment"].to_numpy(dtype=float)
        rows.append({"name": name, "kind": kind, "total_interest": float(sched["interest"].sum()),
                     "total_paid": float(pay.sum()), "first_payment": float(pay[0]),
                     "max_payment": float(pay.max()), "last_payment": float(pay[-1]),
                     "wal_years": _weighted_average_life(sched, int(periods_per_year))})
    return pd.DataFrame(rows).set_index("name")


def _kind_and_options(spec) -> tuple[str, Mapping[str, Any] | None]:
    if isinstance(spec, str):
        return spec, None
    if hasattr(spec, "kind"):
        return spec.kind, getattr(spec, "options", None)
    return spec


def repayment_schedules(principal: float, annual_rate: float, years: float, periods_per_year: int,
                        kinds: Mapping[str, Any], **kwargs: Any) -> dict[str, pd.DataFrame]:
    """``repayment_schedule`` of each named spec (same forms as ``compare_schedules`` takes)."""
    out = {}
    for name, spec in kinds.items():
        kind, opts = _kind_and_options(spec)
        out[name] = repayment_schedule(kind, principal, annual_rate, years, periods_per_year, **kwargs,
                                       **dict(opts or {}))
    return out


def plot_schedules(schedules: Mapping[str, pd.DataFrame]) -> Figure:
    """Outstanding balance (left) and payment per period (right) of each named schedule, by period."""
    if not schedules:
        raise ValueError("schedules must hold at least one named schedule")
    fig, (ax_bal, ax_pay) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    for name, sched in schedules.items():
        missing = {"period", "opening_balance", "closing_balance", "payment"} - set(sched.columns)
        if missing:
            raise ValueError(f"schedule {name!r} lacks column(s): {', '.join(sorted(missing))}")
        period = np.concatenate([[0], sched["period"].to_numpy()])
        balance = np.concatenate([[sched["opening_balance"].iloc[0]], sched["closing_balance"].to_numpy()])
        (line,) = ax_bal.plot(period, balance, label=name)
        ax_pay.step(sched["period"], sched["payment"], where="mid", color=line.get_color(), label=name)
    ax_bal.set(title="Outstanding balance", xlabel="period", ylabel="closing balance")
    ax_pay.set(title="Payment per period", xlabel="period", ylabel="payment (cash paid)")
    for ax in (ax_bal, ax_pay):
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    ax_bal.legend(fontsize=8)
    plt.close(fig)
    return fig
