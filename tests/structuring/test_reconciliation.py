"""The proposal's amounts reconciled (request, sculpted debt, debt capacity, financing need) and the
structuring report's tables: amounts in EUR m, ratios as multiples, the decision in words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.format import NBSP
from workbench.reference import metrics
from workbench.structuring import (
    FacilityRequest,
    breakeven_haircut,
    breakeven_summary,
    cfads_sensitivities,
    client_table,
    debt_capacity,
    display_cfads,
    display_schedule_comparison,
    display_sensitivities,
    proposal_key_figures,
    reconcile_financing,
    request_table,
    sculpt_debt,
    structuring_metrics,
)
from workbench.structuring.financing_mix import ChannelSpec, MixConstraints, optimise_financing_mix
from workbench.structuring.schedules import compare_schedules

CFADS = np.array([238.4702, 271.3437, 250.8389, 279.1163, 273.4081, 200.4621, 284.8376])
CHANNELS = [ChannelSpec(name="bank_loan", kind="senior_debt", base_cost=0.035, spread_per_notch=0.004, tenor_years=5,
                        min_ticket=5, max_share=0.6),
            ChannelSpec(name="private_equity", kind="equity", base_cost=0.12, spread_per_notch=0.005, min_ticket=10,
                        max_share=0.5),
            ChannelSpec(name="mezzanine", kind="mezzanine", base_cost=0.08, spread_per_notch=0.005, tenor_years=6,
                        min_ticket=10, max_share=0.2)]



def plain(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its no-break spaces ("45.00\u00a0%") as plain ones, to compare with text."""
    return table.map(lambda s: s.replace(NBSP, " ") if isinstance(s, str) else s)



def _proposal(need: float, amount: float, constraints: MixConstraints, max_gearing: float = 0.8):
    request = FacilityRequest(amount=amount, tenor_years=7)
    sculpted = sculpt_debt(CFADS, 1.30, 0.06)
    capacity = debt_capacity(CFADS, 1.30, 0.06, max_gearing, need)
    mix = optimise_financing_mix(need, CHANNELS, constraints, grade=5, cfads=float(CFADS[0]))
    return request, sculpted, capacity, need, mix


def test_an_infeasible_project_reconciles_request_capacity_and_need_and_says_why_there_is_no_mix():
    request, sculpted, capacity, need, mix = _proposal(2667.2, 82.65, MixConstraints(dscr_floor=1.3))
    assert not mix.feasible  # the premise: the debt service of the least debt breaks the DSCR floor
    rec = reconcile_financing(request, sculpted, capacity, need, mix)
    table = rec.table()
    assert table.loc["requested amount", "amount_eur_m"] == pytest.approx(82.65)
    assert table.loc["sculpted debt at 1.30x DSCR", "amount_eur_m"] == pytest.approx(sculpted.debt)
    assert table.loc["debt capacity", "amount_eur_m"] == pytest.approx(min(sculpted.debt, 0.8 * 2667.2))
    assert table.loc["financing need", "amount_eur_m"] == pytest.approx(2667.2)
    # The gaps follow from the figures above them.
    assert table.loc["request headroom under debt capacity", "amount_eur_m"] == pytest.approx(capacity.debt - 82.65)
    assert table.loc["need beyond debt capacity", "amount_eur_m"] == pytest.approx(2667.2 - capacity.debt)
    assert np.isnan(table.loc["financing mix", "amount_eur_m"])
    assert table.loc["financing mix", "note"] == f"no feasible mix: {mix.reason}"
    assert "DSCR-bound" in table.loc["debt capacity", "note"]
    summary = rec.summary()
    assert summary.startswith("The request of EUR 82.7 m is within the debt capacity of EUR 1,102.5 m (DSCR-bound: "
                              "the sculpted debt; the 80 % gearing limit would allow EUR 2,133.8 m), with EUR 1,019.8 m "
                              "of headroom.")
    assert "leaving EUR 1,564.7 m to equity or junior debt" in summary
    assert summary.endswith(f"No feasible financing mix was found: {mix.reason}.")
    shown = rec.display_table()
    assert shown.loc["financing need", "EUR m"] == "2,667.2" and shown.loc["financing mix", "EUR m"] == "none"
    assert "e+" not in "".join(shown["EUR m"])


def test_a_feasible_mix_is_reconciled_with_its_debt_and_equity():
    request, sculpted, capacity, need, mix = _proposal(400.0, 300.0, MixConstraints(dscr_floor=None), max_gearing=0.5)
    assert mix.feasible
    rec = reconcile_financing(request, sculpted, capacity, need, mix)
    assert capacity.binding == "gearing" and rec.capacity == pytest.approx(200.0)
    table = rec.table()
    assert table.loc["request headroom under debt capacity", "amount_eur_m"] == pytest.approx(-100.0)
    assert "exceeds the debt capacity by EUR 100.0 m" in table.loc["request headroom under debt capacity", "note"]
    debt, equity = table.loc["financing mix: debt", "amount_eur_m"], table.loc["financing mix: equity", "amount_eur_m"]
    assert debt + equity == pytest.approx(need)
    assert "A feasible financing mix was found" in rec.summary() and "gearing-bound" in rec.summary()
    assert "is above the debt capacity of EUR 200.0 m" in rec.summary()
    assert "which it exceeds by EUR 100.0 m" in rec.summary()


def test_a_corporate_need_is_the_request_and_capacity_must_come_from_the_same_cash_flows():
    request, sculpted, capacity, _, mix = _proposal(300.0, 300.0, MixConstraints(dscr_floor=None))
    rec = reconcile_financing(request, sculpted, capacity, 300.0, mix)
    assert not rec.need_is_project_cost and "the requested amount (no project)" in rec.table().loc["financing need",
                                                                                                     "note"]
    other = debt_capacity(CFADS * 0.5, 1.30, 0.06, 0.8, 300.0)
    with pytest.raises(ValueError, match="other cash flows"):
        reconcile_financing(request, sculpted, other, 300.0, mix)


def test_key_figures_give_the_admission_decision_in_words_not_as_a_code():
    request, sculpted, capacity, need, mix = _proposal(2667.2, 82.65, MixConstraints(dscr_floor=1.3))

    class Admission:  # what proposal_key_figures reads of an AdmissionResult
        decision, industry_score, collateral_shortfall = "refer", 50.0, 41.327375

    breakeven = breakeven_haircut(CFADS, sculpted)
    figures = proposal_key_figures(Admission, sculpted, capacity, mix, breakeven)
    assert figures.loc["admission decision", "value"] == "REFER to the credit committee"
    assert figures.loc["industry score", "value"] == "50 / 100"
    assert figures.loc["admission decision", "logged as"] == metrics.ADMISSION_DECISION
    logged = structuring_metrics(Admission, sculpted, capacity, mix, breakeven)
    assert logged[metrics.ADMISSION_DECISION] == 0.5  # the metric stays as it is logged
    assert figures.loc["sculpted debt (EUR m)", "value"] == f"{sculpted.debt:,.1f}"
    assert figures.loc["minimum DSCR", "value"] == "1.30x" and figures.loc["breakeven CFADS haircut", "value"] == "23.1 %"
    assert figures.loc["feasible financing mix", "value"] == f"no: {mix.reason}"


def test_sculpting_and_sensitivity_tables_use_eur_m_and_multiples():
    sculpted = sculpt_debt(CFADS, 1.30, 0.06)
    key = plain(sculpted.display_table())
    assert key.loc["debt (EUR m)", "value"] == f"{sculpted.debt:,.1f}" and key.loc["LLCR", "value"] == "1.30x"
    assert key.loc["loan rate", "value"] == "6.00 %" and key.loc["tenor", "value"] == "7 periods (7 years)"
    schedule = sculpted.display_schedule()
    assert schedule.loc[7, "closing balance (EUR m)"] == "0.0" and schedule.loc[1, "DSCR"] == "1.30x"
    sens = plain(display_sensitivities(cfads_sensitivities(CFADS, sculpted, [0.1], [1])))
    assert sens.loc["haircut 10%"].tolist() == ["CFADS 10 % lower", "1.17x", "1.17x", "-0.13x", "0"]
    assert sens.loc["delay 1", "shock"] == "CFADS 1 period(s) later" and sens.loc["base", "change of the minimum"] == "0.00x"
    assert breakeven_summary(breakeven_haircut(CFADS, sculpted), sculpted.min_dscr) == (
        "The CFADS can fall by 23.1 % in every period before the minimum DSCR (now 1.30x) reaches 1.00x.")


def test_mix_client_request_schedule_and_cfads_tables_have_no_exponents():
    mix = optimise_financing_mix(2667.2, CHANNELS, MixConstraints(dscr_floor=1.3), grade=5, cfads=238.47)
    table = plain(mix.display_table())
    assert table.loc["bank_loan", "cap (EUR m)"] == "1,600.3" and table.loc["bank_loan", "cost a year"] == "5.10 %"
    assert table.loc["private_equity", "tenor (years)"] == "" and table.loc["total", "status"].startswith("infeasible: ")
    assert "e+" not in "".join(table.stack())
    profile = pd.Series({"obligor_id": "OB000001", "name": "Falora", "industry": "infrastructure",
                         "segment": "project_finance", "size_band": "large_corporate", "sales": 330.619,
                         "obs_date": pd.Timestamp("2019-11-30"), "grade": "5", "pd": 0.007305, "leverage": 0.682669,
                         "interest_cover": 1.107567, "current_ratio": 0.372116, "debt_to_ebitda": 12.404158})
    client = client_table(profile)
    assert client.loc["latest observation", "value"] == "2019-11-30" and client.loc["PD", "value"] == "0.731 %"
    assert client.loc["debt / EBITDA", "value"] == "12.40x" and client.loc["sales (EUR m)", "value"] == "330.6"
    request = request_table(FacilityRequest(amount=82.65475, tenor_years=7))
    assert request.loc["amount (EUR m)", "value"] == "82.7" and request.loc["purpose", "value"] == "(not given)"
    comparison = display_schedule_comparison(compare_schedules(82.65, 0.06, 7, 4, {"annuity": "annuity"}))
    assert comparison.loc["annuity", "average life (years)"].count(".") == 1
    cfads = pd.DataFrame({"period": [1], "period_end": [pd.Timestamp("2020-01-30")], "cfads": [238.4702],
                          "source": ["project PR00001 forecast"]})
    assert display_cfads(cfads).loc[1].tolist() == ["2020-01-30", "238.5", "project PR00001 forecast"]


def test_the_admission_decision_reads_as_words_with_the_checks_behind_it():
    from workbench.structuring import assess_admission

    row = pd.Series({"obligor_id": "OB000001", "industry": "healthcare_pharma", "segment": "corporate",
                     "audited": 1.0, "statement_age_days": 150.0, "leverage": 0.25, "debt_to_ebitda": 14.0,
                     "debt_to_ebitda__undefined": 0.0, "interest_cover": 9.0, "interest_cover__undefined": 0.0,
                     "current_ratio": 1.8, "ebitda_margin": 0.22, "dpd_max_12m": 0.0, "covenant_breaches_12m": 0.0,
                     "industry_index_yoy": 0.05, "industry_index_3m": 0.04, "gdp_growth": 1.8, "grade": 2,
                     "pd": 0.0008})
    declined = assess_admission(row, {"amount": 20.0, "tenor_years": 5})
    assert declined.decision == "decline" and declined.decision_text == "DECLINE: 1 check(s) fail (debt/EBITDA)"
    table = declined.display_table()
    assert table.iloc[0]["status"] == "FAIL" and table.index[0] == "debt/EBITDA"
    assert list(table.columns) == ["status", "group", "explanation", "threshold"]
    sound = row.copy()
    sound["debt_to_ebitda"] = 1.8
    approved = assess_admission(sound, {"amount": 20.0, "tenor_years": 5})
    assert approved.decision_text == "APPROVE: every check passes"
