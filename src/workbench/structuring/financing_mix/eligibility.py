"""Step 1 of the financing mix: which channels may fund the need, at what cost (``channel_eligibility``).

A channel is excluded, with the reason recorded, when it is disabled, when the grade is worse
than its ``max_grade``, when the need is below its ``min_need``, when no cost is known for the
grade, or when its minimum ticket exceeds its cap (it could then never be used). A defaulted
client (grade D) gets no channel at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...reference import DEFAULT_GRADE
from ._format import amt, pct
from .inputs import MixInputs
from .params import ChannelSpec

__all__ = ["DEFAULTED_REASON", "Eligibility", "channel_exclusion", "channel_eligibility"]

#: Why every channel is excluded for a defaulted client.
DEFAULTED_REASON = "client in default (grade D)"


@dataclass(frozen=True)
class Eligibility:
    """``costs`` has every channel (NaN where no cost is known), ``excluded`` maps an ineligible
    channel to its reason, ``eligible`` lists the others in the given order."""

    costs: dict[str, float]
    excluded: dict[str, str]
    eligible: list[ChannelSpec]


def channel_exclusion(c: ChannelSpec, need: float, grade: int) -> tuple[float | None, str]:
    """(cost, reason) of one channel at a performing grade: reason is "" for an eligible channel."""
    if not c.enabled:
        return None, "disabled in the params"
    if c.max_grade is not None and grade > c.max_grade:
        return None, f"grade {grade} is worse than the channel's maximum grade {c.max_grade}"
    if need < c.min_need:
        return None, f"need {amt(need)} is below the channel's minimum size {amt(c.min_need)}"
    cost = c.cost(grade)
    if cost is None:
        return None, f"no cost for grade {grade} in cost_by_grade"
    cap = c.max_share * need
    if c.min_ticket > cap * (1 + 1e-9):
        return None, (f"minimum ticket {amt(c.min_ticket)} exceeds its cap {amt(cap)} "
                      f"({pct(c.max_share)} of the need)")
    return cost, ""


def channel_eligibility(inputs: MixInputs) -> Eligibility:
    """The cost of every channel at the grade and the eligible ones (see the module docstring)."""
    if inputs.grade == DEFAULT_GRADE:
        return Eligibility(costs={n: float("nan") for n in inputs.names},
                           excluded={n: DEFAULTED_REASON for n in inputs.names}, eligible=[])
    costs: dict[str, float] = {}
    excluded: dict[str, str] = {}
    eligible: list[ChannelSpec] = []
    for c in inputs.channels:
        cost, why = channel_exclusion(c, inputs.need, inputs.grade)
        costs[c.name] = float("nan") if cost is None else float(cost)
        if why:
            excluded[c.name] = why
        else:
            eligible.append(c)
    return Eligibility(costs=costs, excluded=excluded, eligible=eligible)
