"""Step 4 of the financing mix: why there is no mix, in words a credit paper can quote.

Three places a mix can fail, each with its function: no eligible channel
(``ineligibility_reason``), an obviously violated bound found before solving
(``obvious_infeasibility``: capacity, equity cap, leverage, debt service at the least possible
debt), and a solver that finds no solution (``solver_infeasibility``: a ticket conflict when the
LP relaxation is feasible, else the solver's own status).
"""

from __future__ import annotations

from scipy.optimize import OptimizeResult

from ...reference import DEFAULT_GRADE
from ._format import amt, pct
from .eligibility import Eligibility
from .model import MixModel, solve_mix_model
from .params import DEBT_KINDS, ChannelSpec

__all__ = ["ineligibility_reason", "obvious_infeasibility", "solver_status", "solver_infeasibility"]


def ineligibility_reason(grade: int | str, eligibility: Eligibility) -> str:
    """Why no channel is eligible: the default, or each channel's reason."""
    if grade == DEFAULT_GRADE:
        return "grade D (defaulted): no new funding for a client in default"
    detail = "; ".join(f"{n}: {r}" for n, r in eligibility.excluded.items())
    return f"no eligible channel ({detail})"


def _names(chs: list[ChannelSpec]) -> str:
    return ", ".join(c.name for c in chs)


def _capped(chs: list[ChannelSpec], need: float) -> str:
    """'private_equity is capped at 20 % of the need (20.0)' or the total over several channels."""
    if not chs:
        return "no equity channel is eligible"
    if len(chs) == 1:
        c = chs[0]
        return f"{c.name} is capped at {pct(c.max_share)} of the need ({amt(c.max_share * need)})"
    return f"{_names(chs)} are capped at {amt(sum(c.max_share * need for c in chs))} in total"


def _least_debt_service(model: MixModel, min_debt: float) -> float:
    """The least debt service for ``min_debt``: the debt channels with the smallest annuity factor
    filled first (tickets ignored, so this is a lower bound and a safe reason when exceeded)."""
    chans, af, caps = model.channels, model.annuity_dscr, model.caps
    debt_idx = sorted((i for i, c in enumerate(chans) if c.kind in DEBT_KINDS), key=lambda i: af[i])
    left, min_ds = min_debt, 0.0
    for i in debt_idx:
        take = min(left, caps[i])
        min_ds += take * af[i]
        left -= take
    return min_ds


def obvious_infeasibility(model: MixModel) -> str:
    """The first violated necessary condition, in words, or "" when none is obviously violated."""
    need, chans, k, caps = model.need, model.channels, model.constraints, model.caps
    if caps.sum() < need * (1 - 1e-9):
        detail = ", ".join(f"{c.name} {amt(cap)}" for c, cap in zip(chans, caps))
        return f"the eligible channels can fund at most {amt(caps.sum())} of the need {amt(need)} (caps: {detail})"
    eq = [c for c in chans if c.kind == "equity"]
    eq_cap = sum(c.max_share * need for c in eq)
    if eq_cap < k.min_equity_share * need * (1 - 1e-9):
        return (f"minimum equity {pct(k.min_equity_share)} needs {amt(k.min_equity_share * need)} "
                f"but {_capped(eq, need)}")
    if k.max_leverage is not None and need - eq_cap > k.max_leverage * need * (1 + 1e-9):
        return (f"maximum leverage {pct(k.max_leverage)} allows at most {amt(k.max_leverage * need)} of debt, so "
                f"at least {amt((1 - k.max_leverage) * need)} must be equity, but {_capped(eq, need)}")
    if model.use_dscr:
        allowed = model.cfads / k.dscr_floor
        min_debt = max(0.0, need - eq_cap)
        min_ds = _least_debt_service(model, min_debt)
        if min_ds > allowed * (1 + 1e-9) + 1e-12:
            return (f"DSCR floor {k.dscr_floor:.2f}x on CFADS {amt(model.cfads)} allows debt service of "
                    f"{amt(allowed)} a year, but at least {amt(min_debt)} of debt is needed ({_capped(eq, need)}) "
                    f"and its debt service is at least {amt(min_ds)} a year")
    return ""


def solver_status(solution: OptimizeResult) -> str:
    return f"HiGHS status {solution.status}: {solution.message}"


def solver_infeasibility(model: MixModel, solution: OptimizeResult) -> str:
    """Why the solver found no mix: tickets that cannot be met (the relaxation without on/off
    indicators is feasible), constraints that contradict each other, or a solver failure."""
    status = solver_status(solution)
    if solution.status != 2:
        return f"the solver did not find a mix ({status})"
    if solve_mix_model(model, relaxed=True).status == 0:
        ticket_txt = ", ".join(f"{c.name} {amt(c.min_ticket)}" for c in model.channels if c.min_ticket > 0)
        return ("the constraints can only be met by using some channel below its minimum ticket "
                f"(tickets: {ticket_txt})")
    return f"no mix satisfies all constraints together ({status})"
