"""Params of a financing proposal: the request, the schedules to compare, sculpting and the mix.

``ProposalParams`` groups what the structuring functions read; the admission policy and the
financing channels keep their own models beside their code (``AdmissionParams``,
``FinancingMixParams``). The structuring job's params add the obligor / project, the data
directory and the training run to it.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, model_validator

from ..params import StrictModel
from ..reference import NO_COLLATERAL
from .admission import AdmissionParams
from .financing_mix import FinancingMixParams

__all__ = ["ScheduleSpec", "ProposalParams"]


class ScheduleSpec(StrictModel):
    kind: Literal["annuity", "equal_principal", "bullet", "balloon", "step_up", "grace", "custom"]
    options: dict[str, Any] = Field(default_factory=dict, description="balloon_share, step_rate, step_interval, "
                                    "grace_periods, grace_mode, after, principal_shares")


def _default_schedules() -> dict[str, ScheduleSpec]:
    return {
        "annuity": ScheduleSpec(kind="annuity"),
        "equal_principal": ScheduleSpec(kind="equal_principal"),
        "balloon_30pct": ScheduleSpec(kind="balloon", options={"balloon_share": 0.30}),
        "step_up_5pct_a_year": ScheduleSpec(kind="step_up", options={"step_rate": 0.05}),
        "grace_1y_then_annuity": ScheduleSpec(kind="grace", options={"grace_periods": 4, "grace_mode":
                                                                          "interest_only", "after": "annuity"}),
    }


class ProposalParams(StrictModel):
    """The facility request and how the proposal for it is drawn up."""

    amount_eur_m: float | None = Field(None, gt=0, description="Requested amount; empty = a quarter of sales")
    tenor_years: float = Field(7.0, gt=0, le=40)
    collateral_type: str = NO_COLLATERAL
    collateral_value_eur_m: float = Field(0.0, ge=0)
    purpose: str = ""
    annual_rate: float = Field(0.06, ge=0, lt=1, description="Loan rate for the schedules and sculpting")
    periods_per_year: int = Field(4, description="Payments per year of the proposed schedules (1, 2, 4 or 12)")
    schedules: dict[str, ScheduleSpec] = Field(default_factory=_default_schedules)
    target_dscr: float = Field(1.30, gt=1, description="Sculpting target (project finance: 1.20-1.40 typical)")
    max_gearing: float = Field(0.80, gt=0, le=1, description="Debt / project cost at most")
    cfads_haircuts: list[float] = Field(default_factory=lambda: [0.10, 0.20, 0.30])
    cfads_delays: list[int] = Field(default_factory=lambda: [1, 2], description="Periods of delay")
    financing: FinancingMixParams = Field(default_factory=FinancingMixParams)
    admission: AdmissionParams = Field(default_factory=AdmissionParams)

    @model_validator(mode="after")
    def _ppy(self) -> "ProposalParams":
        if self.periods_per_year not in (1, 2, 4, 12):
            raise ValueError(f"periods_per_year must be 1, 2, 4 or 12, got {self.periods_per_year}")
        # Schedule names become MLflow param keys: letters, digits, '_' and '-' only.
        bad = [name for name in self.schedules if not re.fullmatch(r"[A-Za-z0-9_-]+", name)]
        if bad:
            raise ValueError(f"schedule names may only use letters, digits, '_' and '-': {bad}")
        return self
