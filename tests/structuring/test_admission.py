"""Admission assessment: decisions with named reasons, missing values, collateral, grade bands, industry score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from workbench.features.dictionary import FEATURES
from workbench.structuring.admission import (
    PANEL_COLUMNS,
    AdmissionParams,
    CoverageBand,
    FacilityRequest,
    GradeBandLimits,
    Limit,
    ProjectFinanceAllowance,
    assess_admission,
    industry_score,
)
from workbench.synthetic import INDUSTRY_NORMS


def strong_row(**overrides) -> pd.Series:
    """A sound investment-grade corporate in a defensive industry in a good economy."""
    row = {
        "obligor_id": "OB000001", "industry": "healthcare_pharma", "segment": "corporate", "audited": 1.0,
        "statement_age_days": 150.0, "leverage": 0.25, "debt_to_ebitda": 1.8, "debt_to_ebitda__undefined": 0.0,
        "interest_cover": 9.0, "interest_cover__undefined": 0.0, "current_ratio": 1.8, "ebitda_margin": 0.22,
        "dpd_max_12m": 0.0, "covenant_breaches_12m": 0.0, "industry_index_yoy": 0.05, "industry_index_3m": 0.04,
        "gdp_growth": 1.8, "revenue_growth": 0.06, "grade": 2, "pd": 0.0008,
    }
    row.update(overrides)
    return pd.Series(row)


REQUEST = {"amount": 20.0, "tenor_years": 5, "collateral_type": "none", "collateral_value": 0.0,
           "purpose": "capex programme"}


def status(res, check: str) -> str:
    return res.reasons.set_index("check").loc[check, "status"]


def test_a_strong_obligor_is_approved_with_every_check_passing():
    res = assess_admission(strong_row(), REQUEST)
    assert res.decision == "approve"
    assert (res.reasons["status"] == "pass").all(), res.table()
    assert {"industry score", "audited statements", "statement age", "leverage", "debt/EBITDA", "interest cover",
            "current ratio", "arrears", "covenant breaches", "collateral", "rating grade"} <= set(res.reasons["check"])
    assert res.collateral_required == 0.0 and res.collateral_shortfall == 0.0
    assert res.industry_score > 80
    assert list(res.reasons.columns) == ["check", "group", "value", "threshold", "status", "explanation"]
    text = res.summary()
    assert "APPROVE" in text and "OB000001" in text and "capex programme" in text and "grade 2" in text


def test_a_weak_obligor_is_declined_and_the_failing_checks_are_named():
    row = strong_row(grade=8, pd=0.06, leverage=0.72, interest_cover=1.1, dpd_max_12m=120.0, debt_to_ebitda=3.2,
                     covenant_breaches_12m=1.0)
    res = assess_admission(row, REQUEST)
    assert res.decision == "decline"
    assert set(res.failed) == {"leverage", "interest cover", "arrears"}
    assert set(res.referred) >= {"debt/EBITDA", "covenant breaches", "collateral"}
    top = res.table()
    assert top["status"].head(3).tolist() == ["fail"] * 3  # the table leads with the failures
    assert "leverage 0.72 above the limit 0.60" in res.reasons.set_index("check").loc["leverage", "explanation"]
    text = res.summary()
    assert "DECLINE" in text and "Failed: " in text and "arrears (120 days past due" in text


@pytest.mark.parametrize("column", ["current_ratio", "interest_cover", "dpd_max_12m", "audited", "industry_index_3m"])
def test_a_missing_value_refers_with_not_available_instead_of_passing(column):
    res = assess_admission(strong_row(**{column: np.nan}), REQUEST)
    assert res.decision == "refer"
    bad = res.reasons[res.reasons["status"] != "pass"]
    assert len(bad) == 1 and bad["explanation"].iloc[0].endswith("not available"), bad


def test_an_absent_column_or_grade_counts_as_missing():
    row = strong_row().drop("current_ratio")
    res = assess_admission(row, REQUEST)
    assert res.decision == "refer" and status(res, "current ratio") == "refer"
    no_grade = assess_admission(strong_row(grade=None), REQUEST)
    assert no_grade.decision == "refer"
    assert status(no_grade, "rating grade") == "refer" and status(no_grade, "leverage") == "refer"
    assert np.isnan(no_grade.collateral_required)


def test_an_unknown_industry_refers_rather_than_scoring_by_default():
    res = assess_admission(strong_row(industry="space_tourism"), REQUEST)
    assert res.decision == "refer" and np.isnan(res.industry_score)
    assert "outlook of industry 'space_tourism'" in res.reasons.set_index("check").loc["industry score", "explanation"]


def test_collateral_requirement_rises_with_the_grade_and_a_shortfall_refers():
    # Grade 7 needs 100 % cover: 20 required against 12 offered leaves a shortfall of 8.
    req = {**REQUEST, "collateral_type": "real_estate", "collateral_value": 12.0}
    res = assess_admission(strong_row(grade=7, pd=0.025), req)
    assert res.collateral_required == pytest.approx(20.0)
    assert res.collateral_shortfall == pytest.approx(8.0)
    assert res.decision == "refer" and res.referred == ["collateral"]
    assert "shortfall 8.0" in res.summary()
    required = [assess_admission(strong_row(grade=g), req).collateral_required for g in (2, 5, 7, 10)]
    assert required == pytest.approx([0.0, 10.0, 20.0, 25.0])
    # Enough collateral: no shortfall, approved.
    ok = assess_admission(strong_row(grade=7), {**req, "collateral_value": 25.0})
    assert ok.collateral_shortfall == 0.0 and ok.decision == "approve"


def test_collateral_haircuts_reduce_the_lending_value_and_no_collateral_type_counts_nothing():
    req = {**REQUEST, "collateral_type": "real_estate", "collateral_value": 22.0}
    params = AdmissionParams(collateral_haircuts={"real_estate": 0.25})
    res = assess_admission(strong_row(grade=7), req, params)
    assert res.collateral_shortfall == pytest.approx(20.0 - 22.0 * 0.75)
    none = assess_admission(strong_row(grade=7), {**REQUEST, "collateral_type": "none", "collateral_value": 50.0})
    assert none.collateral_shortfall == pytest.approx(20.0)


def test_grade_d_declines_whatever_the_financials():
    res = assess_admission(strong_row(grade="D", pd=1.0), REQUEST)
    assert res.decision == "decline" and res.failed == ["rating grade"]
    assert "default" in res.reasons.set_index("check").loc["rating grade", "explanation"]


@pytest.mark.parametrize("grade, expected", [(2, "pass"), (6, "refer"), (9, "fail")])
def test_leverage_thresholds_tighten_as_the_grade_worsens(grade, expected):
    res = assess_admission(strong_row(grade=grade, leverage=0.62), REQUEST)
    assert status(res, "leverage") == expected
    assert f"grades {'1-4' if grade == 2 else '5-7' if grade == 6 else '8-10'}" in \
        res.reasons.set_index("check").loc["leverage", "threshold"]


@pytest.mark.parametrize("check, column, value", [("interest cover", "interest_cover", 2.2),
                                                  ("current ratio", "current_ratio", 0.95),
                                                  ("debt/EBITDA", "debt_to_ebitda", 4.2)])
def test_every_banded_ratio_is_judged_more_strictly_for_worse_grades(check, column, value):
    statuses = [status(assess_admission(strong_row(grade=g, **{column: value}), REQUEST), check) for g in (2, 6, 9)]
    severity = {"pass": 0, "refer": 1, "fail": 2}
    assert [severity[s] for s in statuses] == sorted(severity[s] for s in statuses)
    assert statuses[0] != statuses[-1]


def test_band_limits_come_from_the_params():
    params = AdmissionParams()
    params.grade_bands[0].max_leverage.refer = 0.20
    res = assess_admission(strong_row(), REQUEST, params)
    assert status(res, "leverage") == "refer" and res.decision == "refer"


def test_project_finance_obligors_get_the_documented_gearing_allowance():
    row = dict(leverage=0.72, debt_to_ebitda=8.0, interest_cover=1.8, current_ratio=0.55, industry="renewable_energy")
    corp = assess_admission(strong_row(**row, segment="corporate", grade=3), {**REQUEST, "tenor_years": 18})
    pf = assess_admission(strong_row(**row, segment="project_finance", grade=3), {**REQUEST, "tenor_years": 18})
    assert corp.decision == "decline" and {"debt/EBITDA", "current ratio"} <= set(corp.failed)
    assert pf.decision == "approve", pf.table()
    assert "project finance" in pf.reasons.set_index("check").loc["leverage", "threshold"]


def test_unaudited_statements_refer_only_above_the_amount_limit():
    small = assess_admission(strong_row(audited=0.0), {**REQUEST, "amount": 8.0})
    big = assess_admission(strong_row(audited=0.0), REQUEST)
    assert status(small, "audited statements") == "pass" and small.decision == "approve"
    assert status(big, "audited statements") == "refer" and big.decision == "refer"


def test_stale_statements_arrears_and_covenant_breaches_escalate():
    assert status(assess_admission(strong_row(statement_age_days=400.0), REQUEST), "statement age") == "refer"
    assert status(assess_admission(strong_row(dpd_max_12m=45.0), REQUEST), "arrears") == "refer"
    assert status(assess_admission(strong_row(dpd_max_12m=30.0), REQUEST), "arrears") == "pass"
    assert status(assess_admission(strong_row(covenant_breaches_12m=3.0), REQUEST), "covenant breaches") == "fail"


def test_undefined_ratios_follow_their_flags():
    debt_free = strong_row(interest_cover=np.nan, interest_cover__undefined=1.0, leverage=0.0, debt_to_ebitda=0.0)
    assert status(assess_admission(debt_free, REQUEST), "interest cover") == "pass"
    no_interest_but_debt = strong_row(interest_cover=np.nan, interest_cover__undefined=1.0, leverage=0.3)
    assert status(assess_admission(no_interest_but_debt, REQUEST), "interest cover") == "refer"
    loss_maker = strong_row(debt_to_ebitda=np.nan, debt_to_ebitda__undefined=1.0)
    res = assess_admission(loss_maker, REQUEST)
    assert status(res, "debt/EBITDA") == "fail" and res.decision == "decline"


def test_industry_score_combines_outlook_cyclicality_and_the_macro_trend():
    p = AdmissionParams()
    good, comp, missing = industry_score(strong_row(industry="healthcare_pharma"), p)
    assert missing == [] and comp["outlook"] == 100 and comp["cyclicality"] == 100
    # Macro: index yoy 0.05 -> 75, 3m 0.04 -> 70, GDP 1.8 % -> 76: mean 73.67.
    assert comp["macro"] == pytest.approx((75 + 70 + 76) / 3)
    assert good == pytest.approx(0.4 * 100 + 0.2 * 100 + 0.4 * (75 + 70 + 76) / 3)
    downturn = dict(industry_index_yoy=-0.15, industry_index_3m=-0.2, gdp_growth=-2.5)
    bad, _, _ = industry_score(strong_row(industry="construction", **downturn), p)
    assert bad == pytest.approx(0.4 * 20 + 0.2 * 30)
    res = assess_admission(strong_row(industry="construction", **downturn), REQUEST)
    assert status(res, "industry score") == "fail" and res.decision == "decline"
    mid = assess_admission(strong_row(industry="construction"), REQUEST)
    assert status(mid, "industry score") == "refer"


def test_default_params_cover_the_generator_industries_and_the_panel_columns_exist():
    p = AdmissionParams()
    codes = {ind.code for ind in INDUSTRY_NORMS}
    assert set(p.industry_outlook) == codes and set(p.industry_cyclicality) == codes
    assert [c for c in PANEL_COLUMNS if c not in FEATURES] == []
    assert set(p.macro_anchors) <= set(FEATURES)
    assert AdmissionParams.model_validate(yaml.safe_load(yaml.safe_dump(p.model_dump(mode="json")))) == p
    for cls in (AdmissionParams, GradeBandLimits, CoverageBand, Limit, ProjectFinanceAllowance, FacilityRequest):
        for name, f in cls.model_fields.items():
            assert f.description, f"{cls.__name__}.{name} has no description"


def test_params_reject_unknown_keys_and_inconsistent_limits():
    with pytest.raises(ValidationError, match="unaudited_max"):
        AdmissionParams(unaudited_max=5)
    with pytest.raises(ValidationError, match="fail"):
        AdmissionParams(dpd_refer_above=90, dpd_fail_above=30)
    with pytest.raises(ValidationError, match="overlap"):
        AdmissionParams(collateral_coverage=[{"grade_from": 1, "grade_to": 5, "coverage": 0},
                                             {"grade_from": 5, "grade_to": 10, "coverage": 1}])
    with pytest.raises(ValidationError, match="outlook"):
        AdmissionParams(industry_outlook={"retail": "gloomy"})
    with pytest.raises(ValidationError, match="amount"):
        FacilityRequest(amount=-1, tenor_years=5)


def test_facility_request_accepts_a_model_and_the_grade_as_string():
    req = FacilityRequest(amount=20, tenor_years=5)
    assert assess_admission(strong_row(grade="2"), req).decision == "approve"
    assert assess_admission(strong_row(grade=np.int64(2)), req).decision == "approve"
    long = assess_admission(strong_row(grade=9), FacilityRequest(amount=20, tenor_years=9, collateral_type="financial",
                                                                 collateral_value=30))
    assert status(long, "tenor") == "refer"
