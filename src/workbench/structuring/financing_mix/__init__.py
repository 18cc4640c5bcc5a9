"""Multi-channel funding: the cheapest mix of bank loan, bond, private equity and mezzanine for a need.

The desk designs financing around the client (DOMAIN.md, "Financing design: multi-channel
funding ... chosen to lower the client's cost of funds"). Given the amount to fund, the client's
master-scale grade and (optionally) its annual cash flow available for debt service (CFADS), this
package chooses the amount per channel that minimises the blended annual cost subject to the
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

``optimise_financing_mix`` runs named steps, each in its module: ``inputs.py`` (validation),
``eligibility.py``, ``model.py`` (building and solving the MILP), ``diagnose.py`` (why there is no
mix) and ``report.py`` (the :class:`MixResult` of ``result.py``); ``params.py`` holds the channels
and the policy, ``plot.py`` the figure.
"""

from .diagnose import ineligibility_reason, obvious_infeasibility, solver_infeasibility, solver_status
from .eligibility import Eligibility, channel_eligibility, channel_exclusion
from .inputs import MixInputs, as_channels, mix_inputs, parse_mix_grade
from .model import MixModel, annuity_factor, build_mix_model, solve_mix_model
from .optimise import optimise_financing_mix
from .params import (
                     DEBT_KINDS,
                     ChannelKind,
                     ChannelSpec,
                     FinancingMixParams,
                     MixConstraints,
                     check_unique_names,
                     default_channels,
)
from .plot import plot_financing_mix
from .report import channel_table, constraint_report, feasible_mix, infeasible_mix
from .result import MixResult

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
    # the steps of the optimisation
    "DEBT_KINDS",
    "check_unique_names",
    "MixInputs",
    "mix_inputs",
    "parse_mix_grade",
    "as_channels",
    "Eligibility",
    "channel_exclusion",
    "channel_eligibility",
    "MixModel",
    "build_mix_model",
    "solve_mix_model",
    "ineligibility_reason",
    "obvious_infeasibility",
    "solver_status",
    "solver_infeasibility",
    "channel_table",
    "constraint_report",
    "infeasible_mix",
    "feasible_mix",
]
