"""Admission assessment: approve, refer or decline a facility request, with every reason.

The desk admits a key account to a financing only after an industry analysis, a financial audit
and a collateral requirement that rises with the risk level (DOMAIN.md, "Project finance:
admission and assessment"). This package turns one row of the features panel (plus the caller's
``grade`` and ``pd``) and a facility request into a decision a credit committee can read: each
check has its value, threshold, status (pass / refer / fail) and a plain explanation.

Components (all limits in :class:`AdmissionParams`):

* **Industry analysis score (0-100)**: the weighted mean of the industry outlook (params map:
  positive / neutral / negative -> points), its cyclicality (high / medium / low -> points) and
  the macro trend in the row (industry activity index over 12 and 3 months, GDP growth, each
  mapped linearly from a "bad" anchor = 0 to a "good" anchor = 100 and clipped). Below
  ``industry_refer_below`` the check refers, below ``industry_fail_below`` it fails.
* **Financial audit**: audited statements (unaudited statements refer above an amount), statement
  freshness, rating grade (D fails), leverage, debt/EBITDA, interest cover and current ratio
  against two-level limits (refer / fail) that depend on the grade band and tighten for worse
  grades, EBITDA margin, arrears (``dpd_max_12m``) and covenant breaches. Project-finance
  obligors get documented allowances on the balance-sheet ratios, since project companies are
  geared by design and are repaid from contracted cash flows rather than from the balance sheet.
* **Collateral**: the required coverage ratio by grade band times the amount;
  ``shortfall = max(0, coverage * amount - lending value of the collateral)``, where the lending
  value is ``collateral_value * (1 - haircut of its type)`` (no haircuts by default: the value is
  taken as the lending value). A shortfall refers.

Layout: ``params.py`` (the policy and the request), ``context.py`` (what is read and derived
once: grade, industry score, band limits, collateral position), ``checks.py`` (one function per
check, in the order of ``ADMISSION_CHECKS``), ``result.py`` (``AdmissionResult``) and
``assess.py`` (``assess_admission``: context, checks, decision rule).

Decision rule: any fail -> decline; otherwise any refer (including a collateral shortfall) ->
refer; otherwise approve. Grade ``"D"`` fails its check, hence declines. A missing value (NaN or
an absent column) never passes silently: its check refers with "not available". Two documented
exceptions follow the feature code's ``<ratio>__undefined`` flags: an interest cover undefined
because the company pays no interest passes when leverage is near zero (debt-free is better than
any cover), and a debt/EBITDA undefined because EBITDA <= 0 fails (a loss-maker is worse than any
multiple).
"""

from ...reference import Cyclicality, Outlook
from .assess import REASON_COLUMNS, assess_admission, decide_admission, reasons_frame
from .checks import ADMISSION_CHECKS, SEVERITY, Check, CheckFunction, Status, not_available, run_checks
from .context import (
                      PANEL_COLUMNS,
                      AdmissionContext,
                      CollateralPosition,
                      admission_context,
                      collateral_position,
                      industry_score,
)
from .params import AdmissionParams, CoverageBand, FacilityRequest, GradeBandLimits, Limit, ProjectFinanceAllowance
from .result import AdmissionResult, Decision

__all__ = [
    "Outlook",
    "Cyclicality",
    "Limit",
    "GradeBandLimits",
    "CoverageBand",
    "ProjectFinanceAllowance",
    "AdmissionParams",
    "FacilityRequest",
    "AdmissionResult",
    "assess_admission",
    "industry_score",
    "PANEL_COLUMNS",
    # the steps of the assessment
    "AdmissionContext",
    "CollateralPosition",
    "admission_context",
    "collateral_position",
    "Status",
    "SEVERITY",
    "Check",
    "CheckFunction",
    "not_available",
    "ADMISSION_CHECKS",
    "run_checks",
    "Decision",
    "decide_admission",
    "REASON_COLUMNS",
    "reasons_frame",
]
