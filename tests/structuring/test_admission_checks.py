"""Admission as steps: the context read once, each check on its own, the registry and the decision rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.reference import DEFAULT_GRADE, INDUSTRIES
from workbench.structuring.admission import (
    ADMISSION_CHECKS,
    REASON_COLUMNS,
    AdmissionParams,
    Check,
    FacilityRequest,
    admission_context,
    assess_admission,
    collateral_position,
    decide_admission,
    not_available,
    reasons_frame,
    run_checks,
)
from workbench.structuring.admission import checks as ck
from workbench.structuring.admission.context import band_limits, parse_grade

REQUEST = {"amount": 20.0, "tenor_years": 5, "collateral_type": "none", "collateral_value": 0.0}


def strong_row(**overrides) -> pd.Series:
    """A sound grade-2 corporate in a defensive industry in a good economy (every check passes)."""
    row = {
        "obligor_id": "OB000001", "industry": "healthcare_pharma", "segment": "corporate", "audited": 1.0,
        "statement_age_days": 150.0, "leverage": 0.25, "debt_to_ebitda": 1.8, "debt_to_ebitda__undefined": 0.0,
        "interest_cover": 9.0, "interest_cover__undefined": 0.0, "current_ratio": 1.8, "ebitda_margin": 0.22,
        "dpd_max_12m": 0.0, "covenant_breaches_12m": 0.0, "industry_index_yoy": 0.05, "industry_index_3m": 0.04,
        "gdp_growth": 1.8, "grade": 2, "pd": 0.0008,
    }
    row.update(overrides)
    return pd.Series(row)


def rows_of(check, params: AdmissionParams | None = None, request=REQUEST, **row) -> list[Check]:
    p = params or AdmissionParams()
    return check(admission_context(strong_row(**row), request, p), p)


def one(check, **kw) -> Check:
    rows = rows_of(check, **kw)
    assert len(rows) == 1, rows
    return rows[0]


def assert_not_available(row: Check, what: str) -> None:
    assert row.status == "refer" and np.isnan(row.value) and row.explanation == f"{what} not available"


# --- the context -------------------------------------------------------------------------------


def test_parse_grade_reads_ints_strings_and_d_and_gives_none_otherwise():
    assert [parse_grade(g) for g in (2, "3", np.int64(4), 5.0, " d ", "D")] == [2, 3, 4, 5, "D", "D"]
    assert [parse_grade(g) for g in (None, "x", 0, 2.5, np.nan, "0")] == [None] * 6


def test_the_context_derives_grade_industry_score_band_limits_and_collateral_once():
    ctx = admission_context(strong_row(grade="7", pd=0.025), {**REQUEST, "collateral_type": "real_estate",
                                                              "collateral_value": 12.0}, AdmissionParams())
    assert ctx.grade == 7 and ctx.performing and not ctx.defaulted and ctx.pd_value == 0.025
    assert ctx.industry_score == pytest.approx(0.4 * 100 + 0.2 * 100 + 0.4 * (75 + 70 + 76) / 3)
    assert ctx.industry_missing == [] and ctx.segment == "corporate"
    assert ctx.limits.max_leverage.refer == 0.55 and ctx.band_tag == " (grades 5-7)"
    assert ctx.collateral.required == pytest.approx(20.0) and ctx.collateral.shortfall == pytest.approx(8.0)
    assert isinstance(ctx.request, FacilityRequest) and ctx.num("absent_column") != ctx.num("absent_column")  # NaN


def test_the_context_of_a_defaulted_or_ungraded_client_has_no_limits_and_no_collateral():
    for grade in ("D", None, 11):
        ctx = admission_context(strong_row(grade=grade), REQUEST, AdmissionParams())
        assert ctx.limits is None and ctx.band_tag == "" and ctx.collateral is None
    assert admission_context(strong_row(grade="D"), REQUEST, AdmissionParams()).defaulted


def test_band_limits_add_the_project_finance_allowance_only_for_project_finance():
    p = AdmissionParams()
    band = p.grade_bands[0]
    assert band_limits(band, "corporate", p.project_finance) is band
    pf = band_limits(band, "project_finance", p.project_finance)
    assert pf.max_leverage.refer == pytest.approx(0.85) and pf.max_debt_to_ebitda.fail == pytest.approx(11.0)
    assert pf.min_interest_cover.refer == pytest.approx(1.5) and pf.min_current_ratio.fail == pytest.approx(0.3)
    assert pf.max_tenor_years == 23
    ctx = admission_context(strong_row(segment="project_finance"), REQUEST, p)
    assert ctx.band_tag == " (grades 1-4, project finance)" and ctx.limits.max_tenor_years == 23


def test_collateral_position_is_coverage_times_amount_against_the_lending_value():
    p = AdmissionParams(collateral_haircuts={"real_estate": 0.25})
    req = FacilityRequest(amount=20, tenor_years=5, collateral_type="real_estate", collateral_value=16)
    pos = collateral_position(req, 7, p)
    assert pos.band.coverage == 1.0 and pos.haircut == 0.25 and pos.lending_value == pytest.approx(12.0)
    assert pos.required == pytest.approx(20.0) and pos.shortfall == pytest.approx(8.0)
    assert collateral_position(req, 2, p).shortfall == 0.0  # grades 1-3 need none
    none = FacilityRequest(amount=20, tenor_years=5, collateral_type="none", collateral_value=50)
    assert collateral_position(none, 7, p).lending_value == 0.0
    assert collateral_position(req, "D", p) is None and collateral_position(req, None, p) is None
    assert collateral_position(req, 11, p) is None
    # A shortfall within rounding (<= 1e-9) counts as covered.
    exact = FacilityRequest(amount=20, tenor_years=5, collateral_type="financial", collateral_value=20 - 1e-12)
    assert collateral_position(exact, 7, p).shortfall == 0.0


def test_the_default_industry_maps_are_the_reference_view():
    p = AdmissionParams()
    assert p.industry_outlook == {i.code: i.outlook for i in INDUSTRIES}
    assert p.industry_cyclicality == {i.code: i.cyclicality for i in INDUSTRIES}
    assert p.industry_outlook["construction"] == "negative" and p.industry_cyclicality["utilities"] == "low"


# --- one test per check ------------------------------------------------------------------------


def test_check_rating():
    ok = one(ck.check_rating)
    assert (ok.check, ok.group, ok.value, ok.threshold, ok.status) == ("rating grade", "rating", 2,
                                                                        "performing grade", "pass")
    assert ok.explanation == "performing grade 2 (PD 0.08 %)"
    assert one(ck.check_rating, pd=np.nan).explanation == "performing grade 2"
    d = one(ck.check_rating, grade="D")
    assert d.value == DEFAULT_GRADE and d.status == "fail" and "no new lending" in d.explanation
    assert_not_available(one(ck.check_rating, grade="AA"), "master-scale grade")


def test_check_industry():
    ok = one(ck.check_industry)
    assert ok.status == "pass" and ok.value == pytest.approx(89.47, abs=0.01)
    assert ok.threshold == "refer < 50, fail < 20"
    assert ok.explanation == ("score 89/100 (healthcare_pharma: outlook positive, cyclicality low, macro trend 74/100)")
    # construction: 0.4 * 20 + 0.2 * 30 + 0.4 * 73.7 = 43.5 -> refer; in a downturn 14 -> fail
    assert one(ck.check_industry, industry="construction").status == "refer"
    down = one(ck.check_industry, industry="construction", industry_index_yoy=-0.15, industry_index_3m=-0.2,
               gdp_growth=-2.5)
    assert down.status == "fail" and down.value == pytest.approx(14.0)
    assert_not_available(one(ck.check_industry, industry="space_tourism"),
                         "industry score (outlook of industry 'space_tourism', cyclicality of industry "
                         "'space_tourism')")
    assert_not_available(one(ck.check_industry, gdp_growth=np.nan), "industry score (gdp_growth)")


def test_check_audited_statements():
    ok = one(ck.check_audited_statements)
    assert (ok.value, ok.threshold, ok.status, ok.explanation) == (1.0, "audited, or amount <= 10", "pass",
                                                                  "statements audited")
    small = one(ck.check_audited_statements, audited=0.0, request={**REQUEST, "amount": 8.0})
    assert small.status == "pass" and "management accounts accepted for an amount of 8 <= 10" == small.explanation
    big = one(ck.check_audited_statements, audited=0.0)
    assert big.status == "refer" and big.explanation == "unaudited statements for an amount of 20 > 10"
    assert_not_available(one(ck.check_audited_statements, audited=np.nan), "audit status")


def test_check_statement_age():
    ok = one(ck.check_statement_age)
    assert (ok.value, ok.threshold, ok.status) == (150.0, "<= 365 days", "pass")
    stale = one(ck.check_statement_age, statement_age_days=400.0)
    assert stale.status == "refer" and stale.explanation == "statement 400 days old: stale"
    assert_not_available(one(ck.check_statement_age, statement_age_days=np.nan), "statement age")


@pytest.mark.parametrize("leverage, status", [(0.60, "pass"), (0.70, "refer"), (0.85, "fail")])
def test_check_leverage(leverage, status):
    row = one(ck.check_leverage, leverage=leverage)
    assert row.value == leverage and row.status == status and row.group == "financial"
    assert row.threshold == "refer > 0.65, fail > 0.80 (grades 1-4)"


def test_check_leverage_without_limits_refers_or_has_no_row():
    assert_not_available(one(ck.check_leverage, leverage=np.nan), "leverage")
    no_grade = one(ck.check_leverage, grade=None)
    assert_not_available(no_grade, "limits (no grade)")
    assert no_grade.threshold == "limits of the grade band"
    assert_not_available(one(ck.check_leverage, grade=11), "limits (no grade band for grade 11 in the params)")
    assert rows_of(ck.check_leverage, grade="D") == []


@pytest.mark.parametrize("value, status", [(4.0, "pass"), (5.0, "refer"), (6.5, "fail")])
def test_check_debt_to_ebitda(value, status):
    row = one(ck.check_debt_to_ebitda, debt_to_ebitda=value)
    assert row.status == status and row.threshold == "refer > 4.50x, fail > 6.00x (grades 1-4)"


def test_check_debt_to_ebitda_undefined_fails_and_missing_refers():
    loss = one(ck.check_debt_to_ebitda, debt_to_ebitda=np.nan, debt_to_ebitda__undefined=1.0)
    assert loss.status == "fail" and "loss-making" in loss.explanation and np.isnan(loss.value)
    assert loss.threshold == "refer > 4.50x, fail > 6.00x (grades 1-4)"
    assert_not_available(one(ck.check_debt_to_ebitda, debt_to_ebitda=np.nan), "debt/EBITDA")
    assert_not_available(one(ck.check_debt_to_ebitda, grade=None), "limits (no grade)")


@pytest.mark.parametrize("value, status", [(3.0, "pass"), (2.0, "refer"), (1.2, "fail")])
def test_check_interest_cover(value, status):
    row = one(ck.check_interest_cover, interest_cover=value)
    assert row.status == status and row.threshold == "refer < 2.50x, fail < 1.50x (grades 1-4)"


def test_check_interest_cover_undefined_passes_only_when_debt_free():
    free = one(ck.check_interest_cover, interest_cover=np.nan, interest_cover__undefined=1.0, leverage=0.05)
    assert free.status == "pass" and "debt-free" in free.explanation
    assert free.threshold.endswith("(grades 1-4)")
    geared = one(ck.check_interest_cover, interest_cover=np.nan, interest_cover__undefined=1.0, leverage=0.3)
    assert geared.status == "refer" and geared.explanation.endswith("not available")
    assert_not_available(one(ck.check_interest_cover, interest_cover=np.nan), "interest cover")


@pytest.mark.parametrize("value, status", [(0.9, "pass"), (0.7, "refer"), (0.5, "fail")])
def test_check_current_ratio(value, status):
    row = one(ck.check_current_ratio, current_ratio=value)
    assert row.status == status and row.threshold == "refer < 0.90x, fail < 0.60x (grades 1-4)"
    assert_not_available(one(ck.check_current_ratio, current_ratio=np.nan), "current ratio")


def test_check_tenor():
    ok = one(ck.check_tenor)
    assert (ok.group, ok.value, ok.threshold, ok.status) == ("facility", 5, "<= 15 years", "pass")
    long = one(ck.check_tenor, grade=9, request={**REQUEST, "tenor_years": 9})
    assert long.status == "refer" and long.explanation == "tenor 9 years longer than 7 (grades 8-10)"
    pf = one(ck.check_tenor, grade=9, segment="project_finance", request={**REQUEST, "tenor_years": 9})
    assert pf.status == "pass" and pf.threshold == "<= 15 years"
    no_band = one(ck.check_tenor, grade=None)
    assert no_band.group == "facility"
    assert_not_available(no_band, "limits (no grade)")


@pytest.mark.parametrize("margin, status", [(0.05, "pass"), (0.02, "refer"), (-0.01, "fail")])
def test_check_ebitda_margin(margin, status):
    row = one(ck.check_ebitda_margin, ebitda_margin=margin)
    assert row.status == status and row.threshold == "refer < 0.05, fail < 0.00"


def test_check_ebitda_margin_applies_to_every_grade_and_refers_when_missing():
    assert one(ck.check_ebitda_margin, grade="D").status == "pass"
    assert_not_available(one(ck.check_ebitda_margin, ebitda_margin=np.nan), "EBITDA margin")


@pytest.mark.parametrize("dpd, status", [(30.0, "pass"), (45.0, "refer"), (120.0, "fail")])
def test_check_arrears(dpd, status):
    row = one(ck.check_arrears, dpd_max_12m=dpd)
    assert row.value == dpd and row.status == status and row.group == "behaviour"
    assert row.threshold == "refer > 30, fail > 90 days"


def test_check_arrears_missing_refers():
    assert_not_available(one(ck.check_arrears, dpd_max_12m=np.nan), "days past due (12 months)")


@pytest.mark.parametrize("breaches, status", [(0.0, "pass"), (1.0, "refer"), (3.0, "fail")])
def test_check_covenant_breaches(breaches, status):
    row = one(ck.check_covenant_breaches, covenant_breaches_12m=breaches)
    assert row.status == status and row.threshold == "refer >= 1, fail >= 3"
    assert row.explanation == f"{breaches:.0f} covenant breach(es) in 12 months"
    assert_not_available(one(ck.check_covenant_breaches, covenant_breaches_12m=np.nan),
                         "covenant breaches (12 months)")


def test_check_collateral():
    req = {**REQUEST, "collateral_type": "real_estate", "collateral_value": 12.0}
    short = one(ck.check_collateral, grade=7, request=req)
    assert (short.value, short.status) == (12.0, "refer")
    assert short.threshold == "coverage 100% of the amount (grades 7-8)"
    assert short.explanation == "required 20.0, lending value 12.0: shortfall 8.0"
    covered = one(ck.check_collateral, grade=7, request={**req, "collateral_value": 25.0})
    assert covered.status == "pass" and covered.explanation.endswith(": covered")
    haircut = one(ck.check_collateral, grade=7, request=req, params=AdmissionParams(collateral_haircuts={
        "real_estate": 0.25}))
    assert "lending value 9.0 after a 25% haircut" in haircut.explanation
    assert_not_available(one(ck.check_collateral, grade=None), "collateral coverage for grade n/a")
    assert_not_available(one(ck.check_collateral, grade=11), "collateral coverage for grade 11")
    assert rows_of(ck.check_collateral, grade="D") == []


def test_not_available_refers_with_nan_value():
    row = not_available("x", "financial", "t", "something")
    assert row == Check("x", "financial", row.value, "t", "refer", "something not available") and np.isnan(row.value)


# --- registry and decision rule ----------------------------------------------------------------


def test_the_registry_runs_every_check_in_assessment_order():
    p = AdmissionParams()
    ctx = admission_context(strong_row(), REQUEST, p)
    names = [c.check for c in run_checks(ctx, p)]
    assert names == ["rating grade", "industry score", "audited statements", "statement age", "leverage",
                     "debt/EBITDA", "interest cover", "current ratio", "tenor", "EBITDA margin", "arrears",
                     "covenant breaches", "collateral"]
    assert len(ADMISSION_CHECKS) == len(names)
    assert [c.check for c in run_checks(ctx, p, (ck.check_arrears, ck.check_rating))] == ["arrears", "rating grade"]
    # A defaulted client: no banded rows and no collateral row.
    ctx_d = admission_context(strong_row(grade="D"), REQUEST, p)
    assert [c.check for c in run_checks(ctx_d, p)] == ["rating grade", "industry score", "audited statements",
                                                       "statement age", "EBITDA margin", "arrears",
                                                       "covenant breaches"]


def test_assess_admission_runs_the_checks_it_is_given():
    res = assess_admission(strong_row(leverage=0.9), REQUEST, checks=(ck.check_rating, ck.check_arrears))
    assert res.decision == "approve" and res.reasons["check"].tolist() == ["rating grade", "arrears"]


def test_decide_admission_follows_the_worst_status():
    def rows(*statuses):
        return [Check("c", "g", 1.0, "t", s, "e") for s in statuses]

    assert decide_admission(rows("pass", "pass")) == "approve"
    assert decide_admission(rows("pass", "refer", "pass")) == "refer"
    assert decide_admission(rows("refer", "fail", "pass")) == "decline"
    with pytest.raises(ValueError, match="no checks"):
        decide_admission([])


def test_reasons_frame_has_one_row_per_check_in_order():
    rows = [Check("a", "g", 1.0, "t", "pass", "e"), Check("b", "g", np.nan, "t", "refer", "f")]
    frame = reasons_frame(rows)
    assert list(frame.columns) == REASON_COLUMNS == ["check", "group", "value", "threshold", "status", "explanation"]
    assert frame["check"].tolist() == ["a", "b"] and frame["status"].tolist() == ["pass", "refer"]
    assert reasons_frame([]).empty
