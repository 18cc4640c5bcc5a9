"""Structuring and project finance: repayment schedules, debt sculpting, sensitivities, the
financing mix across channels, and the admission assessment before any of it.

``params`` holds the params of a proposal (``ProposalParams``), ``proposal`` its assembly (client
profile, request, CFADS, financing need, headline metrics); ``admission`` and ``financing_mix``
are packages of named steps, each with its own params module.
"""

from .admission import AdmissionParams, AdmissionResult, FacilityRequest, assess_admission, industry_score
from .display import (
                            breakeven_summary,
                            client_table,
                            decision_words,
                            display_cfads,
                            display_schedule_comparison,
                            display_sensitivities,
                            proposal_key_figures,
                            request_table,
)
from .financing_mix import (
                            ChannelSpec,
                            FinancingMixParams,
                            MixConstraints,
                            MixResult,
                            annuity_factor,
                            default_channels,
                            optimise_financing_mix,
                            plot_financing_mix,
)
from .params import ProposalParams, ScheduleSpec
from .proposal import (
                            default_obligor,
                            facility_request,
                            financing_need,
                            obligor_cfads,
                            obligor_profile,
                            proposal_obligor,
                            structuring_metrics,
)
from .reconciliation import FinancingReconciliation, reconcile_financing
from .schedules import SCHEDULE_KINDS, compare_schedules, plot_schedules, repayment_schedule, repayment_schedules
from .sculpting import (
                            DebtCapacity,
                            SculptResult,
                            breakeven_haircut,
                            cfads_sensitivities,
                            debt_capacity,
                            plot_sculpting,
                            plot_tornado,
                            sculpt_debt,
)

__all__ = [
    "AdmissionParams", "AdmissionResult", "FacilityRequest", "assess_admission", "industry_score",
    "ChannelSpec", "FinancingMixParams", "MixConstraints", "MixResult", "annuity_factor", "default_channels",
    "optimise_financing_mix", "plot_financing_mix",
    "ProposalParams", "ScheduleSpec",
    "default_obligor", "facility_request", "financing_need", "obligor_cfads", "obligor_profile", "proposal_obligor",
    "structuring_metrics",
    "SCHEDULE_KINDS", "compare_schedules", "plot_schedules", "repayment_schedule", "repayment_schedules",
    "DebtCapacity", "SculptResult", "breakeven_haircut", "cfads_sensitivities", "debt_capacity", "plot_sculpting",
    "plot_tornado", "sculpt_debt",
    "FinancingReconciliation", "reconcile_financing",
    "breakeven_summary", "client_table", "decision_words", "display_cfads", "display_schedule_comparison",
    "display_sensitivities", "proposal_key_figures", "request_table",
]
