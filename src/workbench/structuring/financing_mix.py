"""Multi-channel funding: the cheapest mix of bank loan, bond, private equity and mezzanine for a need.

The desk designs financing around the client (DOMAIN.md, "Financing design: multi-channel
funding ... chosen to lower the client's cost of funds"). Given the amount to fund, the client's
master-scale grade and (optionally) its annual cash flow available for debt service (CFADS), this
module chooses the amount per channel that minimises the blended annual cost subject to the
desk's structuring policy, and says which policy limits decide the answer.

Model (amounts in EUR m, costs as annual decimals, 0.04 = 4 %):

* **Cost by grade.** A channel costs ``base_cost + spread_per_notch * (grade - 1)`` at grades
  1 (best) .. n, unless ``cost_by_grade`` gives the cost of that grade explicitly. For equity the
  cost is the investors' required return, for debt the all-in coupon or loan rate.
* **Eligibility.** A channel is excluded (with the reason recorded) when it is disabled, when
  the grade is worse than its ``max_grade`` (bonds: investment-grade-like grades only), when the
  need is below its ``min_need`` (a bond needs a deal large enough for a marketable issue), when
  no cost is known for the grade, or when its minimum ticket exceeds its cap
  (``max_share * need``), since it could then never be used.
* **Minimum ticket.** A channel is either not used or used at ``>= min_ticket``; this is a
  semi-continuous variable, modelled with one binary on/off indicator ``y`` per channel:
  ``min_ticket * y <= x <= max_share * need * y``. The problem is therefore a MILP, solved with
  ``scipy.optimize.milp`` (HiGHS branch and bound).
* **Funding.** The amounts add up to the need exactly.
* **Minimum equity share.** ``sum(equity) >= min_equity_share * need``; only ``kind="equity"``
  counts (private equity). Mezzanine is *not* equity here.
* **Maximum leverage.** ``leverage = debt / need`` where debt is senior debt *plus mezzanine*
  (mezzanine is debt for leverage but junior: it ranks behind the senior lenders, which is why
  it costs more). As the mix funds the need exactly, ``debt / need = debt / (debt + equity)``,
  so this limit is the mirror image of a minimum equity share of ``1 - max_leverage``; both are
  kept because policy may set either, and both are reported when they bind together.
* **DSCR floor.** With CFADS given, the debt's annual debt service must leave the floor:
  ``sum_c x_c * af_c <= CFADS / dscr_floor``, where ``af_c = r / (1 - (1 + r)^-n)`` is the
  annuity factor (annual payment per unit borrowed, numpy-financial ``pmt`` convention) at the
  channel's cost ``r`` and tenor ``n``. Mezzanine debt service counts too unless
  ``dscr_includes_mezzanine`` is false (a senior-only DSCR). An annuity is a conservative
  assumption for bullet instruments such as bonds (their yearly service is the coupon alone).
* **Objective.** Minimise the blended cost ``WACC = sum_c x_c * cost_c / need`` (pre-tax; no tax
  shield on interest is applied).

An infeasible problem gives ``MixResult(feasible=False, reason=...)``: the reason comes from
checking the obvious bounds (capacity, equity cap, leverage, debt service at the least possible
debt) and otherwise from the solver's status message; no exception escapes for an infeasible
policy. Invalid *inputs* (a non-positive need, an unknown grade) raise ``ValueError``.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = [
    "ChannelKind",
    "ChannelSpec",
    "MixConstraints",
    "FinancingMixParams",
    "MixResult",
    "default_channels",
    "annuity_factor",
    "optimise_financing_mix",
    "plot_financing_mix",
]

ChannelKind = Literal["senior_debt", "mezzanine", "equity"]

DEFAULT_GRADE = "D"  # the master scale's default grade (workbench.models.master_scale)
_DEBT_KINDS = ("senior_debt", "mezzanine")


class ChannelSpec(BaseModel):
    """One funding channel: what it costs by grade, how much of the need it may take, who may use it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, description="Channel name, unique within a mix (e.g. bank_loan)")
    kind: ChannelKind = Field(..., description="senior_debt, mezzanine (junior debt) or equity")
    base_cost: float = Field(..., ge=0, le=1, description="Annual cost at grade 1 (decimal); for equity the "
                             "investors' required return")
    spread_per_notch: float = Field(0.0, ge=0, le=0.2, description="Cost added per grade notch below grade 1: "
                                    "cost(g) = base_cost + spread_per_notch * (g - 1)")
    cost_by_grade: dict[int, float] | None = Field(None, description="Explicit annual cost per grade; when given, "
                                                   "it replaces the base + spread formula and a grade missing "
                                                   "from it makes the channel ineligible")
    tenor_years: float | None = Field(None, gt=0, le=50, description="Amortisation tenor for the debt service "
                                      "(required for debt channels, ignored for equity)")
    min_ticket: float = Field(0.0, ge=0, description="Smallest amount (EUR m) if the channel is used at all")
    max_share: float = Field(1.0, gt=0, le=1, description="Largest share of the need the channel may fund")
    min_need: float = Field(0.0, ge=0, description="Eligibility: the need (EUR m) must be at least this")
    max_grade: int | None = Field(None, ge=1, description="Eligibility: grades worse (higher) than this are "
                                  "excluded; None = any performing grade")
    enabled: bool = Field(True, description="False excludes the channel (recorded as the reason)")

    @model_validator(mode="after")
    def _debt_needs_tenor(self) -> ChannelSpec:
        if self.kind in _DEBT_KINDS and self.tenor_years is None:
            raise ValueError(f"channel {self.name!r} ({self.kind}) needs tenor_years for its debt service")
        if self.cost_by_grade is not None:
            bad = {g: c for g, c in self.cost_by_grade.items() if not (0 <= c <= 1) or g < 1}
            if bad:
                raise ValueError(f"channel {self.name!r}: cost_by_grade needs grades >= 1 and costs in [0, 1]; "
                                 f"got {bad}")
        return self

    def cost(self, grade: int) -> float | None:
        """Annual cost at ``grade`` (None when ``cost_by_grade`` has no entry for it)."""
        if self.cost_by_grade is not None:
            return self.cost_by_grade.get(int(grade))
        return self.base_cost + self.spread_per_notch * (int(grade) - 1)


def default_channels() -> list[ChannelSpec]:
    """The desk's default channels (illustrative EUR large-corporate levels; maintained in the params file).

    * bank_loan: 3.50 % at grade 1 + 0.40 % per notch (grade 10: 7.10 %), 5-year annuity, ticket 5,
      up to 60 % of the need (single-bank concentration).
    * bond: 3.30 % + 0.30 % per notch, 7 years, ticket 50 (a marketable issue), up to 60 % of the
      need; eligible for needs >= 100 and grades <= 4 (PD below ~0.5 %: BBB- or better on the
      default 10-grade scale).
    * private_equity: 12 % required return + 0.50 % per notch, ticket 10, up to 50 % of the need.
    * mezzanine: 8 % + 0.50 % per notch, 6 years, ticket 10, up to 20 % of the need.
    """
    return [
        ChannelSpec(name="bank_loan", kind="senior_debt", base_cost=0.035, spread_per_notch=0.004,
                    tenor_years=5, min_ticket=5.0, max_share=0.60),
        ChannelSpec(name="bond", kind="senior_debt", base_cost=0.033, spread_per_notch=0.003,
                    tenor_years=7, min_ticket=50.0, max_share=0.60, min_need=100.0, max_grade=4),
        ChannelSpec(name="private_equity", kind="equity", base_cost=0.12, spread_per_notch=0.005,
                    min_ticket=10.0, max_share=0.50),
        ChannelSpec(name="mezzanine", kind="mezzanine", base_cost=0.08, spread_per_notch=0.005,
                    tenor_years=6, min_ticket=10.0, max_share=0.20),
    ]


class MixConstraints(BaseModel):
    """The desk's structuring policy for a mix."""

    model_config = ConfigDict(extra="forbid")

    min_equity_share: float = Field(0.20, ge=0, le=1, description="Equity (private equity) >= this share of the "
                                    "need; 20 % is a common sponsor-equity floor")
    max_leverage: float | None = Field(0.80, ge=0, le=1, description="(senior debt + mezzanine) / need <= this; "
                                       "None = no limit. Equals 1 - min_equity_share by default")
    dscr_floor: float | None = Field(1.30, gt=0, description="CFADS / annual debt service >= this when CFADS is "
                                     "given; None = no DSCR constraint. 1.30x is a typical project-finance floor")
    dscr_includes_mezzanine: bool = Field(True, description="Mezzanine debt service counts in the DSCR (total-debt "
                                          "DSCR); False gives a senior-only DSCR")


class FinancingMixParams(BaseModel):
    """Channels and policy for :func:`optimise_financing_mix` (the ``financing_mix`` block of the params file)."""

    model_config = ConfigDict(extra="forbid")

    channels: list[ChannelSpec] = Field(default_factory=default_channels, description="Funding channels "
                                        "(see default_channels)")
    constraints: MixConstraints = Field(default_factory=MixConstraints, description="Structuring policy")

    @model_validator(mode="after")
    def _unique_names(self) -> FinancingMixParams:
        _check_unique([c.name for c in self.channels])
        return self


def annuity_factor(rate: float, tenor_years: float) -> float:
    """Annual payment per unit borrowed: ``r / (1 - (1 + r)^-n)``; ``1 / n`` at ``r = 0``.

    Same convention as ``numpy_financial.pmt(r, n, -1)`` (payments at period end).
    """
    if tenor_years <= 0:
        raise ValueError(f"tenor_years must be > 0; got {tenor_years}")
    if abs(rate) < 1e-12:
        return 1.0 / tenor_years
    return rate / (1.0 - (1.0 + rate) ** (-tenor_years))


@dataclass
class MixResult:
    """The optimised mix (or why there is none).

    ``amounts``/``costs`` hold every channel given (0 / NaN for excluded ones); ``binding`` names the
    constraints with (near) zero slack; ``constraints`` has every constraint with its value, limit and
    slack; ``excluded`` maps an ineligible channel to its reason; ``reason`` explains infeasibility.
    """

    feasible: bool
    need: float
    grade: str
    amounts: dict[str, float]
    costs: dict[str, float]
    wacc: float
    binding: list[str]
    excluded: dict[str, str]
    reason: str = ""
    status: str = ""
    cfads: float | None = None
    debt_service: float = float("nan")
    dscr: float = float("nan")
    constraints: pd.DataFrame = field(default_factory=pd.DataFrame)
    channels: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def shares(self) -> dict[str, float]:
        return {k: v / self.need for k, v in self.amounts.items()}

    def table(self) -> pd.DataFrame:
        """One row per channel (kind, cost, tenor, annuity factor, ticket, cap, amount, share, WACC
        contribution, status) and a ``total`` row with the need, 100 % and the WACC."""
        t = self.channels.copy()
        if t.empty:
            return t
        total = {c: np.nan for c in t.columns}
        total.update(channel="total", kind="", amount=float(t["amount"].sum()),
                     share=float(t["share"].sum()), cost=self.wacc, wacc_contribution=float(t["wacc_contribution"]
                                                                                          .sum()),
                     status="feasible" if self.feasible else f"infeasible: {self.reason}")
        return pd.concat([t, pd.DataFrame([total])], ignore_index=True)

    def summary(self) -> str:
        """One sentence for a credit paper."""
        if not self.feasible:
            return f"No feasible mix for a need of {_amt(self.need)} at grade {self.grade}: {self.reason}"
        parts = [f"{k} {_amt(v)} ({_pct(v / self.need, 1)})" for k, v in self.amounts.items() if v > 0]
        text = (f"Need {_amt(self.need)} at grade {self.grade}: {', '.join(parts)}; blended cost "
                f"{_pct(self.wacc, 2)}")
        if np.isfinite(self.dscr):
            text += f"; DSCR {self.dscr:.2f}x"
        text += f". Binding: {', '.join(self.binding) if self.binding else 'none'}."
        return text


# ----------------------------------------------------------------------------------------------
# Formatting and input helpers


def _amt(x: float) -> str:
    return f"{x:,.1f}"


def _pct(x: float, digits: int | None = None) -> str:
    """0.3 -> '30 %', 0.058 -> '5.8 %' (as the desk writes them); fixed decimals when ``digits`` is set."""
    if digits is not None:
        return f"{100 * x:.{digits}f} %"
    return f"{100 * x:.4g} %"


def _check_unique(names: list[str]) -> None:
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"channel names must be unique; duplicated: {dup}")


def _parse_grade(grade) -> int | str:
    """Master-scale grade as int >= 1, or ``"D"``. Anything else is an input error."""
    if isinstance(grade, str):
        g = grade.strip().upper()
        if g == DEFAULT_GRADE:
            return DEFAULT_GRADE
        if g.isdigit() and int(g) >= 1:
            return int(g)
    elif isinstance(grade, (int, np.integer)) and not isinstance(grade, bool) and grade >= 1:
        return int(grade)
    elif isinstance(grade, (float, np.floating)) and float(grade).is_integer() and grade >= 1:
        return int(grade)
    raise ValueError(f"grade must be a master-scale grade (1, 2, ... or 'D'); got {grade!r}")


def _as_channels(channels) -> list[ChannelSpec]:
    if channels is None:
        out = default_channels()
    elif isinstance(channels, Mapping):
        out = []
        for name, spec in channels.items():
            c = spec if isinstance(spec, ChannelSpec) else ChannelSpec.model_validate({"name": name, **dict(spec)})
            if c.name != name:
                raise ValueError(f"channel key {name!r} differs from its name {c.name!r}")
            out.append(c)
    elif isinstance(channels, Sequence) and not isinstance(channels, str):
        out = [c if isinstance(c, ChannelSpec) else ChannelSpec.model_validate(c) for c in channels]
    else:
        raise ValueError(f"channels must be a list or dict of ChannelSpec; got {type(channels).__name__}")
    if not out:
        raise ValueError("channels is empty")
    _check_unique([c.name for c in out])
    return out


def _eligibility(c: ChannelSpec, need: float, grade: int) -> tuple[float | None, str]:
    """(cost, reason): reason is "" for an eligible channel."""
    if not c.enabled:
        return None, "disabled in the params"
    if c.max_grade is not None and grade > c.max_grade:
        return None, f"grade {grade} is worse than the channel's maximum grade {c.max_grade}"
    if need < c.min_need:
        return None, f"need {_amt(need)} is below the channel's minimum size {_amt(c.min_need)}"
    cost = c.cost(grade)
    if cost is None:
        return None, f"no cost for grade {grade} in cost_by_grade"
    cap = c.max_share * need
    if c.min_ticket > cap * (1 + 1e-9):
        return None, (f"minimum ticket {_amt(c.min_ticket)} exceeds its cap {_amt(cap)} "
                      f"({_pct(c.max_share)} of the need)")
    return cost, ""


# ----------------------------------------------------------------------------------------------
# Infeasibility reasons from the obvious bounds


def _names(chs: list[ChannelSpec]) -> str:
    return ", ".join(c.name for c in chs)


def _capped(chs: list[ChannelSpec], need: float) -> str:
    """'private_equity is capped at 20 % of the need (20.0)' or the total over several channels."""
    if not chs:
        return "no equity channel is eligible"
    if len(chs) == 1:
        c = chs[0]
        return f"{c.name} is capped at {_pct(c.max_share)} of the need ({_amt(c.max_share * need)})"
    return f"{_names(chs)} are capped at {_amt(sum(c.max_share * need for c in chs))} in total"


def _obvious_reason(need: float, chans: list[ChannelSpec], af: np.ndarray, k: MixConstraints,
                    cfads: float | None) -> str:
    """The first violated necessary condition, in words, or "" when none is obviously violated."""
    caps = np.array([c.max_share * need for c in chans])
    if caps.sum() < need * (1 - 1e-9):
        detail = ", ".join(f"{c.name} {_amt(cap)}" for c, cap in zip(chans, caps))
        return f"the eligible channels can fund at most {_amt(caps.sum())} of the need {_amt(need)} (caps: {detail})"
    eq = [c for c in chans if c.kind == "equity"]
    eq_cap = sum(c.max_share * need for c in eq)
    if eq_cap < k.min_equity_share * need * (1 - 1e-9):
        return (f"minimum equity {_pct(k.min_equity_share)} needs {_amt(k.min_equity_share * need)} "
                f"but {_capped(eq, need)}")
    if k.max_leverage is not None and need - eq_cap > k.max_leverage * need * (1 + 1e-9):
        return (f"maximum leverage {_pct(k.max_leverage)} allows at most {_amt(k.max_leverage * need)} of debt, so "
                f"at least {_amt((1 - k.max_leverage) * need)} must be equity, but {_capped(eq, need)}")
    if cfads is not None and k.dscr_floor is not None:
        allowed = cfads / k.dscr_floor
        # The least debt service for the least debt: fill the debt channels with the smallest annuity
        # factor first (tickets ignored, so this is a lower bound and a safe reason when exceeded).
        min_debt = max(0.0, need - eq_cap)
        debt_idx = sorted((i for i, c in enumerate(chans) if c.kind in _DEBT_KINDS), key=lambda i: af[i])
        left, min_ds = min_debt, 0.0
        for i in debt_idx:
            take = min(left, caps[i])
            min_ds += take * af[i]
            left -= take
        if min_ds > allowed * (1 + 1e-9) + 1e-12:
            return (f"DSCR floor {k.dscr_floor:.2f}x on CFADS {_amt(cfads)} allows debt service of {_amt(allowed)} "
                    f"a year, but at least {_amt(min_debt)} of debt is needed ({_capped(eq, need)}) and its "
                    f"debt service is at least {_amt(min_ds)} a year")
    return ""


# ----------------------------------------------------------------------------------------------
# The optimiser


def optimise_financing_mix(need: float, channels: Sequence[ChannelSpec] | Mapping[str, ChannelSpec] | None = None,
                           constraints: MixConstraints | Mapping | None = None, *, grade: int | str,
                           cfads: float | None = None) -> MixResult:
    """Cheapest mix of funding channels for ``need`` (EUR m) at master-scale ``grade``.

    Args:
        need: amount to fund, EUR m, > 0.
        channels: :class:`ChannelSpec` list (or dicts, or a name -> spec mapping); None = the defaults.
        constraints: :class:`MixConstraints` (or a dict); None = the defaults.
        grade: master-scale grade (1 best .. n, as int or str); ``"D"`` (defaulted) gives an
            infeasible result, since a defaulted client gets no new funding.
        cfads: the client's annual cash flow available for debt service (or EBITDA as a proxy),
            EUR m; with ``constraints.dscr_floor`` it caps the annual debt service. None = no DSCR
            constraint.

    Returns:
        :class:`MixResult`; ``feasible=False`` with a ``reason`` when no mix meets the policy.

    Raises:
        ValueError: for invalid inputs (need <= 0 or not finite, bad grade, non-finite cfads).
    """
    need = float(need)
    if not math.isfinite(need) or need <= 0:
        raise ValueError(f"need must be a positive amount (EUR m); got {need}")
    if cfads is not None:
        cfads = float(cfads)
        if not math.isfinite(cfads):
            raise ValueError(f"cfads must be a finite amount or None; got {cfads}")
    g = _parse_grade(grade)
    chans = _as_channels(channels)
    k = MixConstraints() if constraints is None else (
        constraints if isinstance(constraints, MixConstraints) else MixConstraints.model_validate(dict(constraints)))

    names = [c.name for c in chans]
    zero = {n: 0.0 for n in names}

    def infeasible(reason: str, status: str, costs: dict[str, float], excluded: dict[str, str],
                   af_map: dict[str, float] | None = None) -> MixResult:
        table = _channel_table(chans, need, costs, af_map or {}, zero, excluded, feasible=False)
        return MixResult(False, need, str(g), dict(zero), costs, float("nan"), [], excluded, reason, status, cfads,
                         channels=table)

    if g == DEFAULT_GRADE:
        excluded = {n: "client in default (grade D)" for n in names}
        return infeasible("grade D (defaulted): no new funding for a client in default", "not solved",
                          {n: float("nan") for n in names}, excluded)

    costs: dict[str, float] = {}
    excluded: dict[str, str] = {}
    eligible: list[ChannelSpec] = []
    for c in chans:
        cost, why = _eligibility(c, need, g)
        costs[c.name] = float("nan") if cost is None else float(cost)
        if why:
            excluded[c.name] = why
        else:
            eligible.append(c)
    if not eligible:
        detail = "; ".join(f"{n}: {r}" for n, r in excluded.items())
        return infeasible(f"no eligible channel ({detail})", "not solved", costs, excluded)

    cost = np.array([costs[c.name] for c in eligible])
    af = np.array([annuity_factor(costs[c.name], c.tenor_years) if c.kind in _DEBT_KINDS else 0.0
                   for c in eligible])
    af_map = {c.name: float(a) for c, a in zip(eligible, af)}
    # The DSCR row uses the annuity factors of the channels that count for it.
    af_dscr = np.array([a if (c.kind == "senior_debt" or (c.kind == "mezzanine" and k.dscr_includes_mezzanine))
                        else 0.0 for c, a in zip(eligible, af)])
    use_dscr = cfads is not None and k.dscr_floor is not None

    reason = _obvious_reason(need, eligible, af_dscr, k, cfads if use_dscr else None)
    if reason:
        return infeasible(reason, "not solved: an obvious bound is violated", costs, excluded, af_map)

    n = len(eligible)
    caps = np.array([c.max_share * need for c in eligible])
    tickets = np.array([c.min_ticket for c in eligible])
    is_eq = np.array([c.kind == "equity" for c in eligible], dtype=float)
    is_debt = np.array([c.kind in _DEBT_KINDS for c in eligible], dtype=float)
    eye = np.eye(n)

    # Variables: x (amounts, continuous) then y (on/off, binary).
    rows = [
        LinearConstraint(np.concatenate([np.ones(n), np.zeros(n)])[None, :], need, need),  # fund the need
        LinearConstraint(np.hstack([eye, -np.diag(caps)]), -np.inf, 0.0),  # x <= cap * y
        LinearConstraint(np.hstack([eye, -np.diag(tickets)]), 0.0, np.inf),  # x >= ticket * y
    ]
    if k.min_equity_share > 0:
        rows.append(LinearConstraint(np.concatenate([is_eq, np.zeros(n)])[None, :], k.min_equity_share * need, np.inf))
    if k.max_leverage is not None:
        rows.append(LinearConstraint(np.concatenate([is_debt, np.zeros(n)])[None, :], -np.inf, k.max_leverage * need))
    if use_dscr:
        rows.append(LinearConstraint(np.concatenate([af_dscr, np.zeros(n)])[None, :], -np.inf, cfads / k.dscr_floor))
    c_obj = np.concatenate([cost, np.zeros(n)])
    integrality = np.concatenate([np.zeros(n), np.ones(n)])
    bounds = Bounds(np.zeros(2 * n), np.concatenate([caps, np.ones(n)]))
    res = milp(c_obj, constraints=rows, integrality=integrality, bounds=bounds,
               options={"disp": False, "time_limit": 30.0, "mip_rel_gap": 1e-9})

    if res.status != 0 or res.x is None:
        status = f"HiGHS status {res.status}: {res.message}"
        if res.status == 2:
            relaxed = milp(c_obj, constraints=rows, integrality=np.zeros(2 * n), bounds=bounds,
                           options={"disp": False})
            if relaxed.status == 0:
                ticket_txt = ", ".join(f"{c.name} {_amt(c.min_ticket)}" for c in eligible if c.min_ticket > 0)
                reason = ("the constraints can only be met by using some channel below its minimum ticket "
                          f"(tickets: {ticket_txt})")
            else:
                reason = f"no mix satisfies all constraints together ({status})"
        else:
            reason = f"the solver did not find a mix ({status})"
        return infeasible(reason, status, costs, excluded, af_map)

    tol = 1e-6 * max(need, 1.0)
    x = np.where(res.x[:n] > tol, res.x[:n], 0.0)
    amounts = dict(zero)
    amounts.update({c.name: float(v) for c, v in zip(eligible, x)})
    wacc = float(cost @ x / need)
    ds = float(af_dscr @ x)
    dscr = cfads / ds if (cfads is not None and ds > tol) else float("nan")

    # Constraint report: value, limit, slack (>= 0 when met); binding = slack ~ 0.
    recs = []
    for c, v, cap, tk in zip(eligible, x, caps, tickets):
        if c.max_share < 1:  # a 100 % cap is no policy limit: funding the whole need is the equality row
            recs.append((f"{c.name} max share", "channel cap", v, cap, cap - v, True))
        if tk > 0:
            used = v > 0
            recs.append((f"{c.name} min ticket", "minimum ticket", v, tk, v - tk if used else np.nan, used))
    eq_amt = float(is_eq @ x)
    debt_amt = float(is_debt @ x)
    if k.min_equity_share > 0:
        recs.append(("min equity share", "policy", eq_amt, k.min_equity_share * need,
                     eq_amt - k.min_equity_share * need, True))
    if k.max_leverage is not None:
        recs.append(("max leverage", "policy", debt_amt, k.max_leverage * need, k.max_leverage * need - debt_amt, True))
    if use_dscr:
        recs.append(("DSCR floor", "policy", ds, cfads / k.dscr_floor, cfads / k.dscr_floor - ds, True))
    table = pd.DataFrame(recs, columns=["constraint", "type", "value", "limit", "slack", "active"])
    table["binding"] = table["active"] & (table["slack"].abs() <= tol)
    table = table.drop(columns="active")
    binding = table.loc[table["binding"], "constraint"].tolist()

    return MixResult(True, need, str(g), amounts, costs, wacc, binding, excluded, "", f"HiGHS: {res.message}",
                     cfads, ds, dscr, table, _channel_table(chans, need, costs, af_map, amounts, excluded, True))


def _channel_table(chans: list[ChannelSpec], need: float, costs: dict[str, float], af: dict[str, float],
                   amounts: dict[str, float], excluded: dict[str, str], feasible: bool) -> pd.DataFrame:
    rows = []
    for c in chans:
        a = amounts.get(c.name, 0.0)
        cap = c.max_share * need
        if c.name in excluded:
            status = f"excluded: {excluded[c.name]}"
        elif not feasible:
            status = "eligible"
        elif a <= 0:
            status = "not used"
        elif abs(a - cap) <= 1e-6 * max(need, 1.0):
            status = "at cap"
        elif c.min_ticket > 0 and abs(a - c.min_ticket) <= 1e-6 * max(need, 1.0):
            status = "at minimum ticket"
        else:
            status = "used"
        cost = costs.get(c.name, float("nan"))
        rows.append({"channel": c.name, "kind": c.kind, "eligible": c.name not in excluded, "cost": cost,
                     "tenor_years": c.tenor_years if c.kind in _DEBT_KINDS else np.nan,
                     "annuity_factor": af.get(c.name, np.nan), "min_ticket": c.min_ticket, "cap": cap,
                     "amount": a, "share": a / need, "wacc_contribution": a * cost / need if a > 0 else 0.0,
                     "status": status})
    return pd.DataFrame(rows)


_KIND_COLOURS = {"senior_debt": ("tab:blue", "tab:cyan", "steelblue", "lightblue"),
                 "mezzanine": ("tab:orange", "gold"), "equity": ("tab:green", "yellowgreen")}


def plot_financing_mix(result: MixResult) -> Figure:
    """Stacked bar of the mix (amount, share and cost of each channel) next to the cost per channel
    with the blended cost (WACC) as a line. An infeasible result gives a figure stating the reason.

    Returns a closed matplotlib ``Figure`` (for display or logging by the caller).
    """
    fig, (ax_mix, ax_cost) = plt.subplots(1, 2, figsize=(10, 4.8), gridspec_kw={"width_ratios": [1, 1.6]})
    t = result.channels
    if not result.feasible or t.empty:
        for ax in (ax_mix, ax_cost):
            ax.set_axis_off()
        fig.suptitle(f"No feasible mix (need {_amt(result.need)}, grade {result.grade})")
        fig.text(0.5, 0.5, _wrap(result.reason or "no result", 90), ha="center", va="center", fontsize=10)
        plt.close(fig)
        return fig

    used = t[t["amount"] > 0]
    counters: dict[str, int] = {}
    colours = {}
    for _, r in t.iterrows():
        palette = _KIND_COLOURS[r["kind"]]
        colours[r["channel"]] = palette[counters.get(r["kind"], 0) % len(palette)]
        counters[r["kind"]] = counters.get(r["kind"], 0) + 1

    bottom = 0.0
    for _, r in used.iterrows():
        label = f"{r['channel']}: {_amt(r['amount'])} ({_pct(r['share'], 0)}) @ {_pct(r['cost'], 2)}"
        ax_mix.bar(0, r["amount"], bottom=bottom, color=colours[r["channel"]], edgecolor="white", width=0.6,
                   label=label)
        # Labels inside the segment only where they fit; the legend names every segment anyway.
        if r["share"] >= 0.08:
            ax_mix.text(0, bottom + r["amount"] / 2, label.replace(": ", "\n"), ha="center", va="center", fontsize=8)
        bottom += r["amount"]
    handles, labels = ax_mix.get_legend_handles_labels()
    ax_mix.legend(handles[::-1], labels[::-1], loc="upper center", bbox_to_anchor=(0.5, -0.08), fontsize=7,
                  frameon=False)
    ax_mix.set_xlim(-0.6, 0.6)
    ax_mix.set_xticks([0], [f"grade {result.grade}"])
    ax_mix.set_ylabel("EUR m")
    ax_mix.set_title(f"Mix of the need {_amt(result.need)}")

    elig = t[t["eligible"]]
    for _, r in elig.iterrows():
        ax_cost.bar(r["channel"], 100 * r["cost"], color=colours[r["channel"]], alpha=1.0 if r["amount"] > 0 else 0.35)
    ax_cost.axhline(100 * result.wacc, color="black", ls="--", lw=1, label=f"WACC {_pct(result.wacc, 2)}")
    ax_cost.set_ylabel("annual cost, %")
    ax_cost.set_title("Cost by channel (faded: eligible, not used)")
    ax_cost.legend(loc="upper left", fontsize=8)
    ax_cost.tick_params(axis="x", labelrotation=20)
    note = "binding: " + (", ".join(result.binding) if result.binding else "none")
    if result.excluded:
        note += "; excluded: " + "; ".join(f"{k} ({v})" for k, v in result.excluded.items())
    note = _wrap(note, 150)
    fig.text(0.01, 0.01, note, fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, 0.03 * (note.count("\n") + 1), 1, 1))
    plt.close(fig)
    return fig


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text
