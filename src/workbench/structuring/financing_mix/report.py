"""Step 5 of the financing mix: the result, with every channel and every constraint reported.

``feasible_mix`` turns a solution into a :class:`MixResult` (amounts, WACC, DSCR, the
constraint report with value, limit and slack, the binding constraints and the channel table);
``infeasible_mix`` reports no mix with its reason and every channel's status.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeResult

from .eligibility import Eligibility
from .inputs import MixInputs
from .model import MixModel
from .params import DEBT_KINDS, ChannelSpec
from .result import MixResult

__all__ = ["channel_table", "constraint_report", "infeasible_mix", "feasible_mix"]

def _tolerance(need: float) -> float:
    return 1e-6 * max(need, 1.0)


def _channel_status(c: ChannelSpec, amount: float, need: float, excluded: dict[str, str], feasible: bool) -> str:
    cap = c.max_share * need
    if c.name in excluded:
        return f"excluded: {excluded[c.name]}"
    if not feasible:
        return "eligible"
    if amount <= 0:
        return "not used"
    if abs(amount - cap) <= _tolerance(need):
        return "at cap"
    if c.min_ticket > 0 and abs(amount - c.min_ticket) <= _tolerance(need):
        return "at minimum ticket"
    return "used"


def channel_table(chans: list[ChannelSpec], need: float, costs: dict[str, float], af: dict[str, float],
                  amounts: dict[str, float], excluded: dict[str, str], feasible: bool) -> pd.DataFrame:
    """One row per channel given: kind, eligibility, cost, tenor, annuity factor, ticket, cap, amount,
    share, WACC contribution and status (excluded: why / not used / at cap / at minimum ticket / used)."""
    rows = []
    for c in chans:
        a = amounts.get(c.name, 0.0)
        cost = costs.get(c.name, float("nan"))
        rows.append({"channel": c.name, "kind": c.kind, "eligible": c.name not in excluded, "cost": cost,
                     "tenor_years": c.tenor_years if c.kind in DEBT_KINDS else np.nan,
                     "annuity_factor": af.get(c.name, np.nan), "min_ticket": c.min_ticket, "cap": c.max_share * need,
                     "amount": a, "share": a / need, "wacc_contribution": a * cost / need if a > 0 else 0.0,
                     "status": _channel_status(c, a, need, excluded, feasible)})
    return pd.DataFrame(rows)


def constraint_report(model: MixModel, x: np.ndarray) -> pd.DataFrame:
    """Every constraint at the amounts ``x`` with its value, limit and slack (>= 0 when met);
    ``binding`` = active with slack ~ 0. A 100 % cap is no policy limit and is left out."""
    need, k, tol = model.need, model.constraints, _tolerance(model.need)
    recs = []
    for c, v, cap, tk in zip(model.channels, x, model.caps, model.tickets):
        if c.max_share < 1:  # a 100 % cap is no policy limit: funding the whole need is the equality row
            recs.append((f"{c.name} max share", "channel cap", v, cap, cap - v, True))
        if tk > 0:
            used = v > 0
            recs.append((f"{c.name} min ticket", "minimum ticket", v, tk, v - tk if used else np.nan, used))
    eq_amt = float(model.is_equity @ x)
    debt_amt = float(model.is_debt @ x)
    if k.min_equity_share > 0:
        recs.append(("min equity share", "policy", eq_amt, k.min_equity_share * need,
                     eq_amt - k.min_equity_share * need, True))
    if k.max_leverage is not None:
        recs.append(("max leverage", "policy", debt_amt, k.max_leverage * need, k.max_leverage * need - debt_amt, True))
    if model.use_dscr:
        ds = float(model.annuity_dscr @ x)
        recs.append(("DSCR floor", "policy", ds, model.cfads / k.dscr_floor, model.cfads / k.dscr_floor - ds, True))
    table = pd.DataFrame(recs, columns=["constraint", "type", "value", "limit", "slack", "active"])
    table["binding"] = table["active"] & (table["slack"].abs() <= tol)
    return table.drop(columns="active")


def infeasible_mix(inputs: MixInputs, eligibility: Eligibility, reason: str, status: str,
                   annuity_factors: dict[str, float] | None = None) -> MixResult:
    """No mix: zero amounts, NaN WACC, the reason and every channel's status."""
    zero = {n: 0.0 for n in inputs.names}
    table = channel_table(inputs.channels, inputs.need, eligibility.costs, annuity_factors or {}, zero,
                          eligibility.excluded, feasible=False)
    return MixResult(False, inputs.need, str(inputs.grade), dict(zero), eligibility.costs, float("nan"), [],
                     eligibility.excluded, reason, status, inputs.cfads, channels=table)


def feasible_mix(inputs: MixInputs, eligibility: Eligibility, model: MixModel, solution: OptimizeResult) -> MixResult:
    """The mix of a solved model: amounts (below the tolerance: 0), WACC, debt service, DSCR,
    the constraint report and its binding constraints, and the channel table."""
    need, n, tol = inputs.need, model.n, _tolerance(inputs.need)
    x = np.where(solution.x[:n] > tol, solution.x[:n], 0.0)
    amounts = {name: 0.0 for name in inputs.names}
    amounts.update({c.name: float(v) for c, v in zip(model.channels, x)})
    ds = float(model.annuity_dscr @ x)
    dscr = inputs.cfads / ds if (inputs.cfads is not None and ds > tol) else float("nan")
    table = constraint_report(model, x)
    binding = table.loc[table["binding"], "constraint"].tolist()
    channels = channel_table(inputs.channels, need, eligibility.costs, model.annuity_factors, amounts,
                             eligibility.excluded, True)
    return MixResult(True, need, str(inputs.grade), amounts, eligibility.costs, float(model.cost @ x / need), binding,
                     eligibility.excluded, "", f"HiGHS: {solution.message}", inputs.cfads, ds, dscr, table, channels)
