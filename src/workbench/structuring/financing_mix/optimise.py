"""The financing mix as named steps: inputs, eligibility, model, diagnosis, solve, report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .diagnose import ineligibility_reason, obvious_infeasibility, solver_infeasibility, solver_status
from .eligibility import channel_eligibility
from .inputs import mix_inputs
from .model import build_mix_model, solve_mix_model
from .params import ChannelSpec, MixConstraints
from .report import feasible_mix, infeasible_mix
from .result import MixResult

__all__ = ["optimise_financing_mix"]


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
    inputs = mix_inputs(need, channels, constraints, grade=grade, cfads=cfads)
    eligibility = channel_eligibility(inputs)
    if not eligibility.eligible:
        return infeasible_mix(inputs, eligibility, ineligibility_reason(inputs.grade, eligibility), "not solved")
    model = build_mix_model(inputs, eligibility)
    reason = obvious_infeasibility(model)
    if reason:
        return infeasible_mix(inputs, eligibility, reason, "not solved: an obvious bound is violated",
                              model.annuity_factors)
    solution = solve_mix_model(model)
    if solution.status != 0 or solution.x is None:
        return infeasible_mix(inputs, eligibility, solver_infeasibility(model, solution), solver_status(solution),
                              model.annuity_factors)
    return feasible_mix(inputs, eligibility, model, solution)
