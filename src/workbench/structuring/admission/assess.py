"""The admission assessment: approve, refer or decline a facility request, with every reason.

``assess_admission`` reads the client and the request once (``admission_context``), runs the
checks of ``ADMISSION_CHECKS`` in order and applies the decision rule: any fail -> decline;
otherwise any refer (including a collateral shortfall or a missing value) -> refer; otherwise
approve.
"""

from __future__ import annotations

import pandas as pd

from .checks import ADMISSION_CHECKS, SEVERITY, Check, CheckFunction, run_checks
from .context import AdmissionContext, admission_context
from .params import AdmissionParams, FacilityRequest
from .result import AdmissionResult, Decision

__all__ = ["REASON_COLUMNS", "decide_admission", "reasons_frame", "assess_admission"]

#: Columns of ``AdmissionResult.reasons``, one row per check.
REASON_COLUMNS = ["check", "group", "value", "threshold", "status", "explanation"]
_DECISION_OF_SEVERITY: dict[int, Decision] = {0: "approve", 1: "refer", 2: "decline"}


def decide_admission(checks: list[Check]) -> Decision:
    """The decision rule: the worst status decides (fail -> decline, refer -> refer, else approve)."""
    if not checks:
        raise ValueError("no checks to decide on")
    return _DECISION_OF_SEVERITY[max(SEVERITY[c.status] for c in checks)]


def reasons_frame(checks: list[Check]) -> pd.DataFrame:
    """The checks as the table of reasons, in assessment order."""
    return pd.DataFrame([{col: getattr(c, col) for col in REASON_COLUMNS} for c in checks], columns=REASON_COLUMNS)


def _result(ctx: AdmissionContext, checks: list[Check]) -> AdmissionResult:
    c, obligor = ctx.collateral, ctx.row.get("obligor_id", "")
    return AdmissionResult(
        decision=decide_admission(checks), reasons=reasons_frame(checks), industry_score=ctx.industry_score,
        collateral_required=float("nan") if c is None else c.required,
        collateral_shortfall=float("nan") if c is None else c.shortfall,
        grade=str(ctx.grade if ctx.grade is not None else ctx.row.get("grade")), pd=ctx.pd_value,
        request=ctx.request, industry_components=ctx.industry_components,
        obligor="" if obligor is None or pd.isna(obligor) else str(obligor))


def assess_admission(obligor_panel_row: pd.Series, facility_request: FacilityRequest | dict,
                     params: AdmissionParams | None = None,
                     checks: tuple[CheckFunction, ...] = ADMISSION_CHECKS) -> AdmissionResult:
    """Approve / refer / decline a facility request for one obligor, with every reason.

    Args:
        obligor_panel_row: one row of the features panel (``industry``, ``segment``, ``audited``,
            ``leverage``, ``debt_to_ebitda``, ``interest_cover``, ``current_ratio``,
            ``ebitda_margin``, ``statement_age_days``, ``dpd_max_12m``, ``covenant_breaches_12m``,
            ``industry_index_yoy``, ``industry_index_3m``, ``gdp_growth``, the ``*__undefined``
            flags) plus ``grade`` (master-scale grade, int or str, ``"D"`` = defaulted) and ``pd``
            added by the caller. Missing columns count as missing values.
        facility_request: :class:`FacilityRequest` or a dict with amount (EUR m), tenor_years,
            collateral_type, collateral_value (EUR m) and optionally purpose.
        params: the admission policy; None = :class:`AdmissionParams` defaults.
        checks: the checks to run, in order; the default is the desk's full list.

    Returns:
        :class:`AdmissionResult` with the decision, one reason row per check, the industry score
        and the collateral requirement and shortfall.
    """
    p = params or AdmissionParams()
    ctx = admission_context(obligor_panel_row, facility_request, p)
    return _result(ctx, run_checks(ctx, p, checks))
