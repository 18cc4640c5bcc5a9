"""The admission checks: one function per check, run in the order of ``ADMISSION_CHECKS``.

A check is ``(context, params) -> list[Check]``: it compares what the context holds against the
policy and returns its rows (usually one; none when it does not apply, e.g. the ratio checks of a
defaulted client, which is declined on its grade anyway). Each row has its value, threshold,
status (pass / refer / fail) and a plain explanation. A missing input never passes silently: the
check refers with "<what> not available" (``not_available``). A new check is a function here and
an entry in ``ADMISSION_CHECKS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from ...reference import DEFAULT_GRADE
from .context import AdmissionContext
from .params import AdmissionParams, Limit

__all__ = [
    "Status",
    "SEVERITY",
    "Check",
    "CheckFunction",
    "not_available",
    "maximum_check",
    "minimum_check",
    "check_rating",
    "check_industry",
    "check_audited_statements",
    "check_statement_age",
    "check_leverage",
    "check_debt_to_ebitda",
    "check_interest_cover",
    "check_current_ratio",
    "check_tenor",
    "check_ebitda_margin",
    "check_arrears",
    "check_covenant_breaches",
    "check_collateral",
    "ADMISSION_CHECKS",
    "run_checks",
]

Status = Literal["pass", "refer", "fail"]
#: How bad a status is; the decision follows the worst one.
SEVERITY: dict[str, int] = {"pass": 0, "refer": 1, "fail": 2}


@dataclass(frozen=True)
class Check:
    """One row of the assessment (the fields are the columns of ``AdmissionResult.reasons``)."""

    check: str
    group: str
    value: Any
    threshold: str
    status: Status
    explanation: str


CheckFunction = Callable[[AdmissionContext, AdmissionParams], list[Check]]


def not_available(check: str, group: str, threshold: str, what: str) -> Check:
    """A missing input never passes silently: someone has to look at it."""
    return Check(check, group, np.nan, threshold, "refer", f"{what} not available")


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"


def maximum_check(check: str, group: str, value: float, lim: Limit, label: str, unit: str = "") -> Check:
    """``value`` against a maximum: above ``lim.fail`` fails, above ``lim.refer`` refers."""
    thr = f"refer > {_fmt(lim.refer)}{unit}, fail > {_fmt(lim.fail)}{unit}"
    if not np.isfinite(value):
        return not_available(check, group, thr, label)
    if value > lim.fail:
        return Check(check, group, value, thr, "fail",
                     f"{label} {_fmt(value)}{unit} above the limit {_fmt(lim.fail)}{unit}")
    if value > lim.refer:
        return Check(check, group, value, thr, "refer",
                     f"{label} {_fmt(value)}{unit} above {_fmt(lim.refer)}{unit} (fail above {_fmt(lim.fail)}{unit})")
    return Check(check, group, value, thr, "pass", f"{label} {_fmt(value)}{unit} within {_fmt(lim.refer)}{unit}")


def minimum_check(check: str, group: str, value: float, lim: Limit, label: str, unit: str = "") -> Check:
    """``value`` against a minimum: below ``lim.fail`` fails, below ``lim.refer`` refers."""
    thr = f"refer < {_fmt(lim.refer)}{unit}, fail < {_fmt(lim.fail)}{unit}"
    if not np.isfinite(value):
        return not_available(check, group, thr, label)
    if value < lim.fail:
        return Check(check, group, value, thr, "fail",
                     f"{label} {_fmt(value)}{unit} below the floor {_fmt(lim.fail)}{unit}")
    if value < lim.refer:
        return Check(check, group, value, thr, "refer",
                     f"{label} {_fmt(value)}{unit} below {_fmt(lim.refer)}{unit} (fail below {_fmt(lim.fail)}{unit})")
    return Check(check, group, value, thr, "pass", f"{label} {_fmt(value)}{unit} at or above {_fmt(lim.refer)}{unit}")


# ----------------------------------------------------------------------------------------------
# Rating and industry


def check_rating(ctx: AdmissionContext, params: AdmissionParams) -> list[Check]:
    """A defaulted client (grade D) is declined whatever else the file says."""
    g = ctx.grade
    if g is None:
        return [not_available("rating grade", "rating", "performing grade", "master-scale grade")]
    if g == DEFAULT_GRADE:
        return [Check("rating grade", "rating", DEFAULT_GRADE, "performing grade", "fail",
                      "client in default (grade D): no new lending")]
    pd_txt = f" (PD {100 * ctx.pd_value:.2f} %)" if np.isfinite(ctx.pd_value) else ""
    return [Check("rating grade", "rating", g, "performing grade", "pass", f"performing grade {g}{pd_txt}")]


def check_industry(ctx: AdmissionContext, params: AdmissionParams) -> list[Check]:
    """Industry analysis score: below ``industry_fail_below`` fails, below ``industry_refer_below`` refers."""
    p, score = params, ctx.industry_score
    thr = f"refer < {p.industry_refer_below:g}, fail < {p.industry_fail_below:g}"
    if not np.isfinite(score):
        return [not_available("industry score", "industry", thr,
                              "industry score (" + ", ".join(ctx.industry_missing) + ")")]
    industry = ctx.row.get("industry", "n/a")
    detail = (f"{industry}: outlook {p.industry_outlook[str(industry)]}, cyclicality "
              f"{p.industry_cyclicality[str(industry)]}, macro trend {ctx.industry_components['macro']:.0f}/100")
    status: Status = ("fail" if score < p.industry_fail_below else
                      "refer" if score < p.industry_refer_below else "pass")
    return [Check("industry score", "industry", score, thr, status, f"score {score:.0f}/100 ({detail})")]


# ----------------------------------------------------------------------------------------------
# Financial audit: quality of the information, then the ratios against the grade band


def check_audited_statements(ctx: AdmissionContext, params: AdmissionParams) -> list[Check]:
    """Unaudited statements refer above ``unaudited_max_amount``; at or below it they pass."""
    audited, amount, limit = ctx.num("audited"), ctx.request.amount, params.unaudited_max_amount
    thr = f"audited, or amount <= {limit:g}"
    if not np.isfinite(audited):
        return [not_available("audited statements", "financial", thr, "audit status")]
    if audited >= 0.5:
        return [Check("audited statements", "financial", audited, thr, "pass", "statements audited")]
    if amount <= limit:
        return [Check("audited statements", "financial", audited, thr, "pass",
                      f"management accounts accepted for an amount of {amount:g} <= {limit:g}")]
    return [Check("audited statements", "financial", audited, thr, "refer",
                  f"unaudited statements for an amount of {amount:g} > {limit:g}")]


def check_statement_age(ctx: AdmissionContext, params: AdmissionParams) -> list[Check]:
    """Statements older than ``max_statement_age_days`` refer (stale)."""
    age = ctx.num("statement_age_days")
    thr = f"<= {params.max_statement_age_days:g} days"
    if not np.isfinite(age):
        return [not_available("statement age", "financial", thr, "statement age")]
    if age > params.max_statement_age_days:
        return [Check("statement age", "financial", age, thr, "refer", f"statement {age:.0f} days old: stale")]
    return [Check("statement age", "financial", age, thr, "pass", f"statement {age:.0f} days old")]


def _without_band(ctx: AdmissionContext, check: str, group: str = "financial") -> list[Check] | None:
    """The rows of a banded check that has no limits to test against, or None when it has them.

    Grade D: no rows (declined on its grade). No grade, or no band for the grade: the check refers
    rather than being skipped.
    """
    if ctx.limits is not None:
        return None
    if ctx.defaulted:
        return []
    why = "no grade" if ctx.grade is None else f"no grade band for grade {ctx.grade} in the params"
    return [not_available(check, group, "limits of the grade band", f"limits ({why})")]


def _tagged(ctx: AdmissionContext, row: Check) -> list[Check]:
    """Name the band on a ratio row, so the committee sees which limits applied."""
    return [replace(row, threshold=row.threshold + ctx.band_tag)]


def check_leverage(ctx: AdmissionContext, params: AdmissionParams) -> list[Check]:
    """Leverage (debt / assets) against the band's maximum."""
    skip = _without_band(ctx, "leverage")
    if skip is not None:
        return skip
    return _tagged(ctx, maximum_check("leverage", "financial", ctx.num("leverage"), ctx.limits.max_leverage,
                                      "leverage"))


def check_debt_to_ebitda(ctx: AdmissionContext, params: AdmissionParams) -> list[Check]:
    """Debt/EBITDA against the band's maximum; undefined because EBITDA <= 0 fails (a loss-maker
    is worse than any multiple)."""
    skip = _without_band(ctx, "debt/EBITDA")
    if skip is not None:
        return skip
    lim, d2e = ctx.limits.max_debt_to_ebitda, ctx.num("debt_to_ebitda")
    if not np.isfinite(d2e) and ctx.num("debt_to_ebitda__undefined") == 1:
        return _tagged(ctx, Check("debt/EBITDA", "financial", np.nan,
                                  f"refer > {_fmt(lim.refer)}x, fail > {_fmt(lim.fail)}x", "fail",
                                  "debt/EBITDA undefined: EBITDA <= 0 (loss-making), worse than any multiple"))
    return _tagged(ctx, maximum_check("debt/EBITDA", "financial", d2e, lim, "debt/EBITDA", "x"))


def check_interest_cover(ctx: AdmissionContext, params: AdmissionParams) -> list[Check]:
    """Interest cover against the band's minimum; undefined because no interest is paid passes
    when leverage is at most ``debt_free_leverage`` (debt-free), else refers."""
    skip = _without_band(ctx, "interest cover")
    if skip is not None:
        return skip
    lim, ic, lev = ctx.limits.min_interest_cover, ctx.num("interest_cover"), ctx.num("leverage")
    if np.isfinite(ic) or ctx.num("interest_cover__undefined") != 1:
        return _tagged(ctx, minimum_check("interest cover", "financial", ic, lim, "interest cover", "x"))
    thr = f"refer < {_fmt(lim.refer)}x, fail < {_fmt(lim.fail)}x"
    if np.isfinite(lev) and lev <= params.debt_free_leverage:
        return _tagged(ctx, Check("interest cover", "financial", np.nan, thr, "pass",
                                  f"no interest expense and leverage {_fmt(lev)}: debt-free, better than any cover"))
    return _tagged(ctx, Check("interest cover", "financial", np.nan, thr, "refer",
                              f"no interest expense reported although leverage is {_fmt(lev)}: not available"))


def check_current_ratio(ctx: AdmissionContext, params: AdmissionParams) -> list[Check]:
    """Current ratio against the band's minimum."""
    skip = _without_band(ctx, "current ratio")
    if skip is not None:
        return skip
    return _tagged(ctx, minimum_check("current ratio", "financial", ctx.num("current_ratio"),
                                      ctx.limits.min_current_ratio, "current ratio", "x"))


def check_tenor(ctx: AdmissionContext, params: AdmissionParams) -> list[Check]:
    """A requested tenor longer than the band's maximum refers."""
    skip = _without_band(ctx, "tenor", "facility")
    if skip is not None:
        return skip
    tenor, max_tenor = ctx.request.tenor_years, ctx.limits.max_tenor_years
    thr = f"<= {max_tenor:g} years"
    if tenor > max_tenor:
        return [Check("tenor", "facility", tenor, thr, "refer",
                      f"tenor {tenor:g} years longer than {max_tenor:g}{ctx.band_tag}")]
    return [Check("tenor", "facility", tenor, thr, "pass", f"tenor {tenor:g} years")]


def check_ebitda_margin(ctx: AdmissionContext, params: AdmissionParams) -> list[Check]:
    """EBITDA margin against ``min_ebitda_margin`` (the same for every grade)."""
    return [minimum_check("EBITDA margin", "financial", ctx.num("ebitda_margin"), params.min_ebitda_margin,
                          "EBITDA margin")]


# ----------------------------------------------------------------------------------------------
# Behaviour and collateral


def check_arrears(ctx: AdmissionContext, params: AdmissionParams) -> list[Check]:
    """Days past due in 12 months: above ``dpd_fail_above`` fails, above ``dpd_refer_above`` refers."""
    dpd, p = ctx.num("dpd_max_12m"), params
    thr = f"refer > {p.dpd_refer_above:g}, fail > {p.dpd_fail_above:g} days"
    if not np.isfinite(dpd):
        return [not_available("arrears", "behaviour", thr, "days past due (12 months)")]
    if dpd > p.dpd_fail_above:
        return [Check("arrears", "behaviour", dpd, thr, "fail", f"{dpd:.0f} days past due in the last 12 months")]
    if dpd > p.dpd_refer_above:
        return [Check("arrears", "behaviour", dpd, thr, "refer", f"{dpd:.0f} days past due in the last 12 months")]
    return [Check("arrears", "behaviour", dpd, thr, "pass", f"at most {dpd:.0f} days past due in the last 12 months")]


def check_covenant_breaches(ctx: AdmissionContext, params: AdmissionParams) -> list[Check]:
    """Covenant breaches in 12 months: from ``covenant_breaches_fail_at`` fails, from ``..._refer_at`` refers."""
    cov, p = ctx.num("covenant_breaches_12m"), params
    thr = f"refer >= {p.covenant_breaches_refer_at}, fail >= {p.covenant_breaches_fail_at}"
    if not np.isfinite(cov):
        return [not_available("covenant breaches", "behaviour", thr, "covenant breaches (12 months)")]
    status: Status = ("fail" if cov >= p.covenant_breaches_fail_at else
                      "refer" if cov >= p.covenant_breaches_refer_at else "pass")
    return [Check("covenant breaches", "behaviour", cov, thr, status, f"{cov:.0f} covenant breach(es) in 12 months")]


def check_collateral(ctx: AdmissionContext, params: AdmissionParams) -> list[Check]:
    """The collateral requirement rises with the grade; a shortfall refers. No row for grade D
    (declined anyway; no requirement is computed for a defaulted client)."""
    if ctx.defaulted:
        return []
    c = ctx.collateral
    if c is None:
        return [not_available("collateral", "collateral", "coverage by grade band",
                              f"collateral coverage for grade {ctx.grade if ctx.grade is not None else 'n/a'}")]
    thr = f"coverage {c.band.coverage:.0%} of the amount (grades {c.band.grade_from}-{c.band.grade_to})"
    hc = f" after a {c.haircut:.0%} haircut" if c.haircut > 0 else ""
    text = f"required {c.required:,.1f}, lending value {c.lending_value:,.1f}{hc}"
    if c.shortfall > 0:
        return [Check("collateral", "collateral", c.lending_value, thr, "refer",
                      f"{text}: shortfall {c.shortfall:,.1f}")]
    return [Check("collateral", "collateral", c.lending_value, thr, "pass", f"{text}: covered")]


#: The checks in assessment order (the order of the reason rows).
ADMISSION_CHECKS: tuple[CheckFunction, ...] = (
    check_rating,
    check_industry,
    check_audited_statements,
    check_statement_age,
    check_leverage,
    check_debt_to_ebitda,
    check_interest_cover,
    check_current_ratio,
    check_tenor,
    check_ebitda_margin,
    check_arrears,
    check_covenant_breaches,
    check_collateral,
)


def run_checks(ctx: AdmissionContext, params: AdmissionParams,
               checks: tuple[CheckFunction, ...] = ADMISSION_CHECKS) -> list[Check]:
    """Every check's rows, in the order of ``checks``."""
    return [row for check in checks for row in check(ctx, params)]
