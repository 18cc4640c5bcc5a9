"""Steps 2 and 3 of the financing mix: the MILP (``build_mix_model``) and its solution (``solve_mix_model``).

Variables are the amounts ``x`` per eligible channel (continuous) followed by one on/off
indicator ``y`` per channel (binary), so that a channel is either unused or used at
``>= min_ticket``: ``min_ticket * y <= x <= max_share * need * y``. Rows: fund the need exactly,
the caps and tickets, the minimum equity share, the maximum leverage (senior debt + mezzanine)
and, with CFADS and a DSCR floor, ``sum_c x_c * af_c <= CFADS / dscr_floor``. The objective is
the annual cost ``sum_c x_c * cost_c``; ``scipy.optimize.milp`` (HiGHS) solves it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp

from .eligibility import Eligibility
from .inputs import MixInputs
from .params import DEBT_KINDS, ChannelSpec, MixConstraints

__all__ = ["annuity_factor", "MixModel", "build_mix_model", "solve_mix_model"]


def annuity_factor(rate: float, tenor_years: float) -> float:
    """Annual payment per unit borrowed: ``r / (1 - (1 + r)^-n)``; ``1 / n`` at ``r = 0``.

    Same convention as ``numpy_financial.pmt(r, n, -1)`` (payments at period end).
    """
    if tenor_years <= 0:
        raise ValueError(f"tenor_years must be > 0; got {tenor_years}")
    if abs(rate) < 1e-12:
        return 1.0 / tenor_years
    return rate / (1.0 - (1.0 + rate) ** (-tenor_years))


@dataclass(frozen=True)
class MixModel:
    """The MILP over the eligible channels, with the per-channel arrays the diagnosis and the
    report read (all in the order of ``channels``)."""

    need: float
    channels: list[ChannelSpec]
    constraints: MixConstraints
    cfads: float | None
    cost: np.ndarray
    annuity: np.ndarray  # annual debt service per unit (0 for equity)
    annuity_dscr: np.ndarray  # the same for the channels counted in the DSCR, 0 for the others
    caps: np.ndarray
    tickets: np.ndarray
    is_equity: np.ndarray
    is_debt: np.ndarray
    objective: np.ndarray
    rows: list[LinearConstraint]
    bounds: Bounds

    @property
    def n(self) -> int:
        return len(self.channels)

    @property
    def use_dscr(self) -> bool:
        """Whether the DSCR row is in the model (CFADS given and a floor set)."""
        return self.cfads is not None and self.constraints.dscr_floor is not None

    @property
    def annuity_factors(self) -> dict[str, float]:
        return {c.name: float(a) for c, a in zip(self.channels, self.annuity)}


def _row(coef: np.ndarray, n: int, lower: float, upper: float) -> LinearConstraint:
    """A constraint on the amounts only (zero coefficients on the on/off indicators)."""
    return LinearConstraint(np.concatenate([coef, np.zeros(n)])[None, :], lower, upper)


def build_mix_model(inputs: MixInputs, eligibility: Eligibility) -> MixModel:
    """The MILP for the eligible channels (see the module docstring)."""
    need, k, chans, costs = inputs.need, inputs.constraints, eligibility.eligible, eligibility.costs
    n = len(chans)
    cost = np.array([costs[c.name] for c in chans])
    af = np.array([annuity_factor(costs[c.name], c.tenor_years) if c.kind in DEBT_KINDS else 0.0 for c in chans])
    # The DSCR row uses the annuity factors of the channels that count for it.
    af_dscr = np.array([a if (c.kind == "senior_debt" or (c.kind == "mezzanine" and k.dscr_includes_mezzanine))
                        else 0.0 for c, a in zip(chans, af)])
    caps = np.array([c.max_share * need for c in chans])
    tickets = np.array([c.min_ticket for c in chans])
    is_eq = np.array([c.kind == "equity" for c in chans], dtype=float)
    is_debt = np.array([c.kind in DEBT_KINDS for c in chans], dtype=float)
    eye = np.eye(n)
    rows = [
        _row(np.ones(n), n, need, need),  # fund the need
        LinearConstraint(np.hstack([eye, -np.diag(caps)]), -np.inf, 0.0),  # x <= cap * y
        LinearConstraint(np.hstack([eye, -np.diag(tickets)]), 0.0, np.inf),  # x >= ticket * y
    ]
    if k.min_equity_share > 0:
        rows.append(_row(is_eq, n, k.min_equity_share * need, np.inf))
    if k.max_leverage is not None:
        rows.append(_row(is_debt, n, -np.inf, k.max_leverage * need))
    if inputs.cfads is not None and k.dscr_floor is not None:
        rows.append(_row(af_dscr, n, -np.inf, inputs.cfads / k.dscr_floor))
    return MixModel(need=need, channels=list(chans), constraints=k, cfads=inputs.cfads, cost=cost, annuity=af,
                    annuity_dscr=af_dscr, caps=caps, tickets=tickets, is_equity=is_eq, is_debt=is_debt,
                    objective=np.concatenate([cost, np.zeros(n)]), rows=rows,
                    bounds=Bounds(np.zeros(2 * n), np.concatenate([caps, np.ones(n)])))


def solve_mix_model(model: MixModel, *, relaxed: bool = False) -> OptimizeResult:
    """HiGHS on the model; ``relaxed=True`` solves the LP relaxation (indicators continuous),
    which tells a ticket conflict from constraints that contradict each other."""
    n = model.n
    if relaxed:
        return milp(model.objective, constraints=model.rows, integrality=np.zeros(2 * n), bounds=model.bounds,
                    options={"disp": False})
    return milp(model.objective, constraints=model.rows, integrality=np.concatenate([np.zeros(n), np.ones(n)]),
                bounds=model.bounds, options={"disp": False, "time_limit": 30.0, "mip_rel_gap": 1e-9})
