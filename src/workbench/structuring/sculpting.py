"""Debt sculpting to a target DSCR, cover ratios (DSCR, LLCR, PLCR), debt capacity and CFADS stress tests.

Project-finance debt is sized on the project's cash flow available for debt service (CFADS) and
repaid in line with it (DOMAIN.md, "Project finance" and "Repayment schedules"):

    debt service_t = CFADS_t / target DSCR                      (sculpted periods)
    debt           = sum_t DS_t / (1 + r)^t                      (r = annual_rate / periods_per_year)
    DSCR_t         = CFADS_t / DS_t
    LLCR_t         = PV_t(CFADS over the remaining loan life) / outstanding debt
    PLCR_t         = PV_t(CFADS over the remaining project life) / outstanding debt

Conventions
-----------
* ``cfads[k]`` is the CFADS of period k + 1 of the loan tenor (periods 1..n); cash flows and debt
  service fall at the end of their period and are discounted at the loan's nominal period rate
  r = annual_rate / periods_per_year, PV_0 = sum_t x_t (1 + r)^-t (numpy-financial's end-of-period
  convention). LLCR_t and PLCR_t are measured at the start of period t, i.e. on its opening balance
  and on the CFADS of periods t, t + 1, ... discounted to the start of period t; ``llcr`` / ``plcr``
  of the result are the values at t = 0 (start of period 1, on the full debt).
* Grace: during the first ``grace_periods`` G periods the debt service is interest only
  (debt x r; the balance stays at the debt) and sculpting starts in period G + 1. The debt is still
  the PV of all debt service at the loan rate, interest-only periods included, which is the same
  as the PV at the end of the grace period of the sculpted debt service:
  debt = sum_{t>G} DS_t (1 + r)^-(t - G). The DSCR of a grace period is CFADS_t / interest and is
  *not* the target.
* Periods whose CFADS is zero or negative get no debt service (DSCR undefined: NaN); their interest
  is capitalised (the ``capitalised_interest`` column; the balance grows) and repaid by the later
  sculpted debt service, so the balance still closes at 0. Negative CFADS still enter the LLCR and
  PLCR numerators (they are cash the project must find), so LLCR < target DSCR in that case.
* ``min_dscr`` / ``avg_dscr``: minimum and arithmetic mean of DSCR_t over the periods with debt
  service > 0 (grace periods included). Without grace and with positive CFADS every DSCR_t equals
  the target, and LLCR_0 = PV(CFADS) / PV(CFADS / DSCR) = the target DSCR exactly.
* Schedule columns follow ``structuring.schedules``: period, opening_balance, interest,
  capitalised_interest, principal, debt_service (the schedule's "payment"), closing_balance, then
  cfads, dscr, llcr, plcr; debt_service = interest - capitalised_interest + principal and
  closing = opening + capitalised_interest - principal.
* ``project_life_cfads`` is the CFADS of the whole project life *from period 1*: the loan-period
  CFADS (must equal ``cfads``) followed by the periods after the loan's maturity. Without it the
  project life is taken to end with the loan, so PLCR = LLCR.

Stress tests (``cfads_sensitivities``) keep the sculpted debt service fixed and stress the CFADS:
a haircut h scales every period's CFADS by (1 - h); a delay d shifts the CFADS d periods later,
with zero CFADS in the first d periods and the last d periods' CFADS cut (they fall after the
final debt service, so they could not change any DSCR). ``breakeven_haircut`` is the uniform
haircut at which the minimum DSCR falls to 1.00x; a uniform haircut scales every DSCR by (1 - h),
so h* = 1 - 1 / min DSCR in closed form.

Functions are pure; figures are returned closed (never ``plt.show()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import format as fmt
from ..format import display_frame, eur_m, multiple

# The argument checks are the schedules' own: one wording for the same mistake.
from .schedules import _from_payments, _rate, _whole
from .schedules import _positive_number as _positive

__all__ = ["SculptResult", "DebtCapacity", "sculpt_debt", "debt_capacity", "cfads_sensitivities",
           "breakeven_haircut", "plot_sculpting", "plot_tornado"]


# ---------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------

def _vector(name: str, values: Any) -> np.ndarray:
    try:
        x = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a 1-D sequence of numbers") from None
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of numbers; got shape {x.shape}")
    if not np.isfinite(x).all():
        bad = np.flatnonzero(~np.isfinite(x))[:5].tolist()
        raise ValueError(f"{name} must be finite; NaN or inf at position(s) {bad}")
    return x


def _pv_from_each_period(values: np.ndarray, r: float) -> np.ndarray:
    """PV at the start of period t (t = 1..m) of values[t-1:], end-of-period flows at rate r."""
    discount = (1.0 + r) ** -np.arange(1, len(values) + 1)
    tail = np.cumsum((values * discount)[::-1])[::-1]  # sum_{k>=t} x_k v^k
    return tail / (1.0 + r) ** -np.arange(len(values))  # ... / v^(t-1)


def _ratio(num: np.ndarray, den: np.ndarray, floor: float) -> np.ndarray:
    """num / den where den > floor, NaN elsewhere (never inf)."""
    out = np.full(len(num), np.nan)
    ok = den > floor
    out[ok] = num[ok] / den[ok]
    return out


def _dscr(cfads: np.ndarray, debt_service: np.ndarray) -> np.ndarray:
    return _ratio(cfads, debt_service, 0.0)


# ---------------------------------------------------------------------------------------------
# Sculpting
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SculptResult:
    """Sculpted debt: size, schedule and cover ratios (see the module docstring for conventions)."""

    debt: float
    schedule: pd.DataFrame
    llcr: float
    plcr: float
    min_dscr: float
    avg_dscr: float
    target_dscr: float
    annual_rate: float
    periods_per_year: int
    grace_periods: int

    @property
    def debt_service(self) -> np.ndarray:
        return self.schedule["debt_service"].to_numpy(dtype=float)

    @property
    def cfads(self) -> np.ndarray:
        return self.schedule["cfads"].to_numpy(dtype=float)

    def table(self) -> pd.DataFrame:
        """Key figures, one row per metric (column ``value``)."""
        s = self.schedule
        values = {
            "debt": self.debt,
            "target_dscr": self.target_dscr,
            "min_dscr": self.min_dscr,
            "avg_dscr": self.avg_dscr,
            "llcr": self.llcr,
            "plcr": self.plcr,
            "annual_rate": self.annual_rate,
            "tenor_periods": float(len(s)),
            "tenor_years": len(s) / self.periods_per_year,
            "grace_periods": float(self.grace_periods),
            "total_debt_service": float(s["debt_service"].sum()),
            "total_interest": float(s["interest"].sum()),
            "total_cfads": float(s["cfads"].sum()),
        }
        return pd.DataFrame({"value": values}).rename_axis("metric")

    def display_table(self) -> pd.DataFrame:
        """``table()`` for display: amounts in EUR m, cover ratios as ``1.30x``, the rate as a
        percentage, periods as whole numbers."""
        t = self.table()["value"]
        shown = {
            "debt (EUR m)": eur_m(t["debt"]), "target DSCR": multiple(t["target_dscr"]),
            "minimum DSCR": multiple(t["min_dscr"]), "average DSCR": multiple(t["avg_dscr"]),
            "LLCR": multiple(t["llcr"]), "PLCR": multiple(t["plcr"]), "loan rate": fmt.percent(t["annual_rate"]),
            "tenor": f"{fmt.integer(t['tenor_periods'])} periods ({t['tenor_years']:g} years)",
            "grace periods": fmt.integer(t["grace_periods"]),
            "total debt service (EUR m)": eur_m(t["total_debt_service"]),
            "total interest (EUR m)": eur_m(t["total_interest"]), "total CFADS (EUR m)": eur_m(t["total_cfads"]),
        }
        return pd.DataFrame({"value": pd.Series(shown, dtype=object)}).rename_axis("sculpted debt")

    def display_schedule(self) -> pd.DataFrame:
        """``schedule`` for display: balances, interest, principal, debt service and CFADS in
        EUR m, DSCR, LLCR and PLCR as ``1.30x`` (``n/a`` where undefined)."""
        return display_frame(self.schedule.set_index("period"), {
            "opening_balance": ("opening balance (EUR m)", eur_m), "interest": ("interest (EUR m)", eur_m),
            "capitalised_interest": ("capitalised interest (EUR m)", eur_m),
            "principal": ("principal (EUR m)", eur_m), "debt_service": ("debt service (EUR m)", eur_m),
            "closing_balance": ("closing balance (EUR m)", eur_m), "cfads": ("CFADS (EUR m)", eur_m),
            "dscr": ("DSCR", multiple), "llcr": ("LLCR", multiple), "plcr": ("PLCR", multiple),
        })


def sculpt_debt(cfads: Any, target_dscr: float, annual_rate: float, periods_per_year: int = 1,
                grace_periods: int = 0, *, project_life_cfads: Any = None) -> SculptResult:
    """Size and schedule the debt whose service is CFADS_t / ``target_dscr`` after ``grace_periods``
    interest-only periods (module docstring). ``cfads``: CFADS per period of the loan tenor.

    Raises ValueError for non-finite CFADS, a non-positive target DSCR, a negative rate, a grace
    period leaving no sculpted period, no positive CFADS after the grace period (no debt to size),
    or a ``project_life_cfads`` that does not start with ``cfads``.
    """
    cf = _vector("cfads", cfads)
    n = len(cf)
    target = _positive("target_dscr", target_dscr)
    rate = _rate(annual_rate)
    ppy = _whole("periods_per_year", periods_per_year, 1)
    g = _whole("grace_periods", grace_periods, 0)
    if g >= n:
        raise ValueError(f"grace_periods must leave at least one sculpted period: got {g} of {n} CFADS periods")
    if project_life_cfads is None:
        life = cf
    else:
        life = _vector("project_life_cfads", project_life_cfads)
        if len(life) < n:
            raise ValueError(f"project_life_cfads covers the whole project life from period 1, so it needs at "
                             f"least the {n} loan periods; got {len(life)}")
        if not np.allclose(life[:n], cf, rtol=1e-9, atol=1e-9 * max(1.0, float(np.abs(cf).max()))):
            raise ValueError("project_life_cfads must start with the loan-period CFADS (its first "
                             f"{n} values differ from cfads); append the post-maturity CFADS to cfads")

    r = rate / ppy
    sculpted = np.where((np.arange(1, n + 1) > g) & (cf > 0), cf / target, 0.0)
    # Debt = PV at the end of the grace period of the sculpted service (= PV at t=0 of all service,
    # the interest-only grace service included; module docstring).
    debt = float(sculpted[g:] @ (1.0 + r) ** -np.arange(1, n - g + 1))
    if not debt > 0:
        raise ValueError(f"no positive CFADS after the {g} grace period(s): there is no debt service to sculpt")
    service = sculpted.copy()
    service[:g] = debt * r

    rolled = _from_payments(debt, np.full(n, r), service)
    opening = rolled["opening_balance"]
    floor = 1e-9 * debt  # an opening balance below this is float noise of a repaid loan
    dscr = _dscr(cf, service)
    llcr = _ratio(_pv_from_each_period(cf, r), opening, floor)
    plcr = _ratio(_pv_from_each_period(life, r)[:n], opening, floor)
    schedule = pd.DataFrame({
        "period": np.arange(1, n + 1),
        "opening_balance": opening,
        "interest": rolled["interest"],
        "capitalised_interest": rolled["capitalised_interest"],
        "principal": rolled["principal"],
        "debt_service": service,
        "closing_balance": rolled["closing_balance"],
        "cfads": cf,
        "dscr": dscr,
        "llcr": llcr,
        "plcr": plcr,
    })
    covered = dscr[~np.isnan(dscr)]
    return SculptResult(debt=debt, schedule=schedule, llcr=float(llcr[0]), plcr=float(plcr[0]),
                        min_dscr=float(covered.min()), avg_dscr=float(covered.mean()), target_dscr=target,
                        annual_rate=rate, periods_per_year=ppy, grace_periods=g)


@dataclass(frozen=True)
class DebtCapacity:
    """Debt capacity: the smaller of the DSCR-sized and the gearing-sized debt.

    ``binding`` is "dscr" when the DSCR-sized debt is the smaller (ties included), else "gearing";
    ``gearing`` = debt / project_cost; ``dscr_at_debt`` is the DSCR the debt is sculpted at
    (= target x dscr_debt / debt: above the target when gearing binds, because sculpted debt is
    inversely proportional to the DSCR).
    """

    debt: float
    dscr_debt: float
    gearing_debt: float
    binding: str
    gearing: float
    dscr_at_debt: float


def debt_capacity(cfads: Any, target_dscr: float, annual_rate: float, max_gearing: float, project_cost: float,
                  periods_per_year: int = 1, *, grace_periods: int = 0) -> DebtCapacity:
    """min(debt sculpted at ``target_dscr``, ``max_gearing`` x ``project_cost``) and which constraint binds."""
    gearing = _positive("max_gearing", max_gearing)
    if gearing > 1:
        raise ValueError(f"max_gearing is debt / project cost and must lie in (0, 1]; got {max_gearing!r}")
    cost = _positive("project_cost", project_cost)
    sized = sculpt_debt(cfads, target_dscr, annual_rate, periods_per_year, grace_periods).debt
    geared = gearing * cost
    debt, binding = (sized, "dscr") if sized <= geared else (geared, "gearing")
    return DebtCapacity(debt=debt, dscr_debt=sized, gearing_debt=geared, binding=binding, gearing=debt / cost,
                        dscr_at_debt=float(target_dscr) * sized / debt)


# ---------------------------------------------------------------------------------------------
# CFADS stress tests
# ---------------------------------------------------------------------------------------------

def _debt_service_of(obj: Any, n: int) -> np.ndarray:
    """Debt service from a SculptResult, a schedule DataFrame (``debt_service`` or ``payment``) or an array."""
    if isinstance(obj, SculptResult):
        ds = obj.debt_service
    elif isinstance(obj, pd.DataFrame):
        column = next((c for c in ("debt_service", "payment") if c in obj.columns), None)
        if column is None:
            raise ValueError("a schedule DataFrame needs a 'debt_service' or 'payment' column")
        ds = _vector(column, obj[column])
    else:
        ds = _vector("debt_service", obj)
    if len(ds) != n:
        raise ValueError(f"debt service has {len(ds)} periods but cfads has {n}; they must align period by period")
    if (ds < 0).any():
        raise ValueError("debt service must be >= 0 in every period")
    if not (ds > 0).any():
        raise ValueError("debt service is 0 in every period: there is no DSCR to stress")
    return ds


def _min_avg(cfads: np.ndarray, ds: np.ndarray) -> tuple[float, float, int]:
    dscr = _dscr(cfads, ds)
    covered = dscr[~np.isnan(dscr)]
    return float(covered.min()), float(covered.mean()), int((covered < 1.0).sum())


def _shift_later(cfads: np.ndarray, d: int) -> np.ndarray:
    """CFADS d periods later: zeros first, the last d periods cut (beyond the final debt service)."""
    return np.concatenate([np.zeros(min(d, len(cfads))), cfads[:max(len(cfads) - d, 0)]])


def cfads_sensitivities(cfads: Any, debt_schedule_or_result: Any, haircuts: Sequence[float] = (0.1, 0.2, 0.3),
                        delays: Sequence[int] = (1, 2)) -> pd.DataFrame:
    """Min and average DSCR of the fixed debt service under CFADS haircuts and delays.

    ``debt_schedule_or_result``: a ``SculptResult``, a schedule DataFrame (``debt_service`` or
    ``payment`` column, e.g. from ``repayment_schedule``) or the debt service per period, aligned
    with ``cfads``. One row per scenario (index ``scenario``: "base", "haircut 10%", "delay 1", ...),
    columns: type, shock (h or d), min_dscr, avg_dscr, min_dscr_change (vs base), periods_below_1x.
    DSCRs are taken over the periods with debt service > 0.
    """
    cf = _vector("cfads", cfads)
    ds = _debt_service_of(debt_schedule_or_result, len(cf))
    scenarios: list[tuple[str, str, float, np.ndarray]] = [("base", "base", 0.0, cf)]
    for h in haircuts:
        if isinstance(h, bool) or not (isinstance(h, (int, float, np.integer, np.floating)) and 0 <= h <= 1):
            raise ValueError(f"haircuts must be shares in [0, 1] (0.1 = CFADS 10 % lower); got {h!r}")
        scenarios.append((f"haircut {h:.0%}", "haircut", float(h), cf * (1.0 - h)))
    for d in delays:
        d = _whole("delays", d, 1)
        scenarios.append((f"delay {d}", "delay", float(d), _shift_later(cf, d)))
    rows = []
    for name, kind, shock, stressed in scenarios:
        lo, avg, below = _min_avg(stressed, ds)
        rows.append({"scenario": name, "type": kind, "shock": shock, "min_dscr": lo, "avg_dscr": avg,
                     "periods_below_1x": below})
    out = pd.DataFrame(rows).set_index("scenario")
    out.insert(4, "min_dscr_change", out["min_dscr"] - out.loc["base", "min_dscr"])
    return out


def breakeven_haircut(cfads: Any, debt_service: Any) -> float:
    """Uniform CFADS haircut at which the minimum DSCR reaches 1.00x: 1 - 1 / min DSCR.

    ``debt_service`` as in ``cfads_sensitivities``. A negative value means the CFADS must *rise*
    by that share to reach 1.00x (min DSCR already below 1); NaN when the min DSCR is <= 0 (no
    haircut in [0, 1] can reach 1.00x).
    """
    cf = _vector("cfads", cfads)
    lo, _, _ = _min_avg(cf, _debt_service_of(debt_service, len(cf)))
    return float("nan") if lo <= 0 else 1.0 - 1.0 / lo


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------

def plot_sculpting(result: SculptResult) -> Figure:
    """CFADS and debt service bars per period; DSCR, LLCR and the target DSCR on a second axis."""
    s = result.schedule
    period = s["period"].to_numpy()
    fig, ax = plt.subplots(figsize=(10, 4.8), layout="constrained")
    width = 0.4
    ax.bar(period - width / 2, s["cfads"], width, color="tab:green", alpha=0.75, label="CFADS")
    ax.bar(period + width / 2, s["debt_service"], width, color="tab:blue", alpha=0.75, label="debt service")
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set(xlabel="period", ylabel="cash flow per period",
           title=f"Debt sculpted at {result.target_dscr:.2f}x: debt {result.debt:,.1f}, "
                 f"LLCR {result.llcr:.2f}x, PLCR {result.plcr:.2f}x")
    ratio_ax = ax.twinx()
    ratio_ax.plot(period, s["dscr"], "o-", color="tab:red", markersize=3, label="DSCR")
    ratio_ax.plot(period, s["llcr"], "s--", color="tab:purple", markersize=3, label="LLCR")
    ratio_ax.axhline(result.target_dscr, color="tab:red", linestyle=":", linewidth=1, label="target DSCR")
    ratio_ax.axhline(1.0, color="black", linestyle=":", linewidth=0.8, label="1.00x")
    ratio_ax.set_ylabel("cover ratio (x)")
    ratio_ax.set_ylim(bottom=0)
    handles = ax.get_legend_handles_labels()[0] + ratio_ax.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + ratio_ax.get_legend_handles_labels()[1]
    fig.legend(handles, labels, fontsize=8, loc="outside lower center", ncol=len(labels))
    plt.close(fig)
    return fig


def plot_tornado(sensitivities: pd.DataFrame, base_min_dscr: float) -> Figure:
    """Horizontal bars from the base min DSCR to each scenario's min DSCR, largest change on top,
    with the 1.00x line (bars ending left of it breach 1.00x). The "base" row, if any, is skipped."""
    if "min_dscr" not in sensitivities.columns:
        raise ValueError("sensitivities needs a 'min_dscr' column (see cfads_sensitivities)")
    rows = sensitivities[sensitivities.index != "base"]
    if "type" in rows.columns:
        rows = rows[rows["type"] != "base"]
    if rows.empty:
        raise ValueError("sensitivities holds no scenario besides the base")
    base = float(base_min_dscr)
    change = rows["min_dscr"].to_numpy(dtype=float) - base
    order = np.argsort(np.abs(change), kind="stable")  # smallest first: barh draws it at the bottom
    labels = [str(x) for x in rows.index[order]]
    change = change[order]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(labels) + 1.6), layout="constrained")
    y = np.arange(len(labels))
    colours = np.where(base + change < 1.0, "tab:red", "tab:orange")
    ax.barh(y, change, left=base, color=colours)
    for yi, c in zip(y, change):
        text = f"{base + c:.2f}x ({c:+.2f})"
        ax.text(base + c, yi, f" {text}" if c >= 0 else f"{text} ", va="center",
                ha="left" if c >= 0 else "right", fontsize=8)
    ax.axvline(base, color="grey", linewidth=1, label=f"base {base:.2f}x")
    ax.axvline(1.0, color="tab:red", linestyle="--", linewidth=1, label="1.00x")
    ax.set_yticks(y, labels)
    ax.set(xlabel="minimum DSCR (x)", title="CFADS sensitivities: minimum DSCR by scenario")
    ax.margins(x=0.2)
    ax.legend(fontsize=8, loc="lower right")
    plt.close(fig)
    return fig
