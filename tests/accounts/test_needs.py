"""Needs analysis: the rules on hand-made answers and figures, refinancing from maturities, eligibility
through the admission rules (checked against ``assess_admission`` on a generated portfolio), and the
display frames and chart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from pydantic import ValidationError

from workbench.accounts.needs import (
    NEEDS,
    NeedInput,
    NeedRule,
    NeedsParams,
    admission_screen,
    needs_profile,
    plot_needs,
)
from workbench.features import PanelParams, snapshot
from workbench.reference import PRODUCTS
from workbench.reference.master_scale import MASTER_SCALE
from workbench.structuring.admission import AdmissionParams, FacilityRequest, assess_admission

AS_OF = pd.Timestamp("2020-06-30")

# A sound corporate: passes every admission check at grade 3 (no collateral needed), so only the
# needs rules decide what is offered.
_SOUND = dict(obs_date=AS_OF, industry="technology", segment="corporate", grade=3, pd=0.001, audited=1.0,
              statement_age_days=180.0, leverage=0.20, debt_to_ebitda=1.5, debt_to_ebitda__undefined=0.0,
              interest_cover=10.0, interest_cover__undefined=0.0, current_ratio=2.0, ebitda_margin=0.20,
              dpd_max_12m=0.0, covenant_breaches_12m=0.0, industry_index_yoy=0.05, industry_index_3m=0.02,
              gdp_growth=2.0, utilisation=0.30, dso=40.0, revenue_growth=0.02, capex_to_revenue=0.10,
              project_finance=0.0, cash_to_assets=0.05, log_revenue=np.log(500.0))


def _snap(**clients: dict) -> pd.DataFrame:
    """One row per client: the sound corporate with the given overrides."""
    return pd.DataFrame([{**_SOUND, "obligor_id": oid, **over} for oid, over in clients.items()])


def _survey(oid: str, date: str, **answers: int) -> pd.DataFrame:
    """One survey: every question at 3 unless given."""
    qs = {f"Q{i:02d}": 3 for i in range(1, 11)} | answers
    return pd.DataFrame({"obligor_id": oid, "survey_date": pd.Timestamp(date), "question_id": list(qs),
                         "answer": list(qs.values())})


def _facility(oid: str, fid: str, amount: float, maturity: str, product: str = "term_loan",
              origination: str = "2018-01-31") -> dict:
    return dict(facility_id=fid, obligor_id=oid, product=product, limit=amount, drawn=amount,
                origination_date=pd.Timestamp(origination), maturity_date=pd.Timestamp(maturity))


NO_FACILITIES = pd.DataFrame([_facility("nobody", "F0", 1.0, "2030-01-31")])


@pytest.fixture()
def two_clients():
    snap = _snap(EXP={}, HDG={"leverage": 0.40})
    quest = pd.concat([_survey("EXP", "2020-03-15", Q08=5, Q07=5, Q10=4),
                       _survey("HDG", "2020-03-15", Q08=1, Q07=1, Q10=1)], ignore_index=True)
    return snap, quest


def test_expansion_plans_identify_capex_and_suggest_the_capex_products(two_clients):
    snap, quest = two_clients
    prof = needs_profile(quest, snap, NO_FACILITIES, NeedsParams())
    assert prof.identified.loc["EXP", "capex_expansion"]
    # Q08 5 (0.45) + Q07 5 (0.15) + capex 10 % ((0.10 - 0.06) / 0.09, weight 0.2) + growth 2 % (0).
    assert prof.scores.loc["EXP", "capex_expansion"] == pytest.approx(0.45 + 0.15 + 0.2 * 0.04 / 0.09)
    capex = prof.suggested.query("obligor_id == 'EXP' and need == 'capex_expansion'")
    assert capex["product"].tolist() == list(NeedsParams().needs["capex_expansion"].products)
    assert capex["eligible"].all()
    ev = prof.evidence.query("obligor_id == 'EXP' and need == 'capex_expansion' and input == 'Q08'")
    assert "answer 5 of 5 (survey 2020-03-15)" in ev["evidence"].item()


def test_different_answers_give_a_different_offer(two_clients):
    snap, quest = two_clients
    prof = needs_profile(quest, snap, NO_FACILITIES, NeedsParams())
    assert not prof.identified.loc["HDG", "capex_expansion"]
    assert prof.identified.loc["HDG", "hedging"] and not prof.identified.loc["EXP", "hedging"]
    offer = {oid: set(zip(o["need"], o["product"].fillna("-"))) for oid, o in prof.suggested.groupby("obligor_id")}
    assert ("capex_expansion", "term_loan") in offer["EXP"]
    assert ("hedging", "-") in offer["HDG"]
    assert offer["EXP"] != offer["HDG"]
    services = prof.suggested.query("obligor_id == 'HDG' and need == 'hedging'")["services"].item()
    assert "interest-rate swap" in services


def test_latest_survey_on_or_before_as_of_is_used():
    snap = _snap(EXP={})
    quest = pd.concat([_survey("EXP", "2019-03-01", Q08=1), _survey("EXP", "2020-02-01", Q08=5),
                       _survey("EXP", "2020-09-01", Q08=1)], ignore_index=True)  # after the as-of: not known yet
    ev = needs_profile(quest, snap, NO_FACILITIES).evidence
    q08 = ev.query("need == 'capex_expansion' and input == 'Q08'")
    assert q08["value"].item() == 5
    assert "survey 2020-02-01" in q08["evidence"].item()


def test_refinancing_counts_maturities_within_24_months():
    snap = _snap(SOON={}, LATE={})
    fac = pd.DataFrame([
        _facility("SOON", "F1", 60.0, "2021-06-30"),                              # 12 months: counts
        _facility("SOON", "F2", 40.0, "2023-06-30"),                              # 36 months: not within
        _facility("SOON", "F3", 500.0, "2020-12-31", product="trade_finance"),   # renewed, not refinanced
        _facility("SOON", "F4", 70.0, "2020-03-31"),                              # repaid before the as-of
        _facility("LATE", "F5", 80.0, "2022-12-31"),                              # 30 months: not within
    ])
    quest = pd.concat([_survey("SOON", "2020-03-15", Q07=1), _survey("LATE", "2020-03-15", Q07=1)])
    prof = needs_profile(quest, snap, fac)
    share = prof.evidence.query("need == 'refinancing' and input == 'maturing_share'").set_index("obligor_id")
    assert share.loc["SOON", "value"] == pytest.approx(0.6)
    assert share.loc["LATE", "value"] == pytest.approx(0.0)
    assert "60.0 of EUR 100.0 m committed" in share.loc["SOON", "evidence"]
    # 0.75 x (0.6 - 0.1) / 0.5 + 0.25 x Q07 answer 1 (0)
    assert prof.scores.loc["SOON", "refinancing"] == pytest.approx(0.75)
    assert prof.identified.loc["SOON", "refinancing"] and not prof.identified.loc["LATE", "refinancing"]
    # Within 36 months the second loan counts too.
    wide = needs_profile(quest, snap, fac, NeedsParams(maturity_horizon_months=36))
    assert wide.evidence.query("obligor_id == 'SOON' and need == 'refinancing' and input == 'maturing_share'")[
        "value"].item() == pytest.approx(1.0)


def test_a_declined_client_is_offered_services_but_no_product():
    snap = _snap(BAD={"leverage": 0.90})  # above the 0.80 fail limit of grades 1-4
    quest = _survey("BAD", "2020-03-15", Q08=5, Q07=5, Q10=1)
    prof = needs_profile(quest, snap, NO_FACILITIES)
    capex = prof.offers.query("need == 'capex_expansion'")
    assert not capex["eligible"].any()
    assert capex["reason"].str.startswith("not eligible: leverage 0.90 above the limit 0.80").all()
    assert prof.suggested["product"].isna().all()
    assert "hedging" in set(prof.suggested["need"])
    assert "not eligible: leverage" in prof.offer_table("BAD").loc["Capex / expansion", "admission"]


def test_score_needs_enough_known_inputs():
    snap = _snap(NEW={"capex_to_revenue": np.nan})
    prof = needs_profile(None, snap, NO_FACILITIES)  # no questionnaire at all
    # capex_expansion: only revenue growth (weight 0.2 of 1.0) is known: not enough information.
    assert np.isnan(prof.scores.loc["NEW", "capex_expansion"])
    assert not prof.identified.loc["NEW", "capex_expansion"]
    # working_capital: the figures carry 0.8 of the weight; the missing Q07 is left out of the mean.
    assert np.isfinite(prof.scores.loc["NEW", "working_capital"])


def test_rules_are_params():
    snap = _snap(EXP={})
    quest = _survey("EXP", "2020-03-15", Q08=5, Q07=5)
    strict = NeedsParams(threshold=0.95)
    assert not needs_profile(quest, snap, NO_FACILITIES, strict).identified.loc["EXP", "capex_expansion"]
    with pytest.raises(ValidationError, match="unknown product"):
        NeedRule(label="x", inputs=NeedsParams().needs["hedging"].inputs, products=("swap",))
    with pytest.raises(ValidationError, match="not a question"):
        NeedInput(source="answer", name="Q99", weight=1.0)


def test_unscored_or_multi_month_snapshots_are_refused():
    snap = _snap(A={})
    with pytest.raises(KeyError, match="grade"):
        needs_profile(None, snap.drop(columns="grade"), NO_FACILITIES)
    two = pd.concat([snap, snap.assign(obs_date=pd.Timestamp("2020-07-31"))])
    with pytest.raises(ValueError, match="one-month"):
        needs_profile(None, two, NO_FACILITIES)
    with pytest.raises(KeyError, match="not_a_column"):
        bad = NeedRule(label="x", inputs=(NeedInput(source="figure", name="not_a_column", weight=1.0, low=0, high=1),))
        needs_profile(None, snap, NO_FACILITIES, NeedsParams(needs={"hedging": bad}))


def test_display_frames_and_chart(two_clients):
    snap, quest = two_clients
    prof = needs_profile(quest, snap, NO_FACILITIES)
    table = prof.table("EXP")
    assert len(table) == len(NEEDS)
    assert table.loc["Capex / expansion", "identified"] == "yes"
    assert "term_loan" in table.loc["Capex / expansion", "suggested products"]
    assert "Q08" in table.loc["Capex / expansion", "answers and figures behind the score"]
    offer = prof.offer_table("EXP")
    # Grade 3 needs no collateral and every check passes: the full assessment approves.
    assert offer.loc["Capex / expansion", "admission"] == "approve"
    fig = plot_needs(prof, "EXP")
    assert isinstance(fig, Figure) and len(fig.axes[0].patches) == len(NEEDS)
    with pytest.raises(KeyError, match="NOPE"):
        prof.table("NOPE")


# ----------------------------------------------------------------------------------------------
# Eligibility on a generated portfolio


@pytest.fixture(scope="module")
def scored(portfolio) -> pd.DataFrame:
    snap = snapshot(portfolio, "2019-12-31", PanelParams())
    # No model is trained here: a made-up PD spread over the master scale, worse with leverage.
    rng = np.random.default_rng(7)
    pd_ = np.clip(np.exp(rng.normal(np.log(0.01), 1.2, len(snap))) * (1 + snap["leverage"].fillna(0.3).to_numpy()),
                  MASTER_SCALE.pd_floor, 0.25)
    return snap.assign(pd=pd_, grade=MASTER_SCALE.grade_number(pd_))


def test_admission_screen_agrees_with_assess_admission(scored):
    params = NeedsParams()
    screen = admission_screen(scored, params.admission)
    assert 0 < screen["declined"].sum() < len(scored)  # both outcomes occur, so the comparison means something
    for product in PRODUCTS:
        req = params.product_requests[product]
        for i in range(len(scored)):
            row = scored.iloc[i]
            amount = max(req.revenue_share * float(np.exp(row["log_revenue"])), req.min_amount)
            res = assess_admission(row, FacilityRequest(amount=amount, tenor_years=req.tenor_years), params.admission)
            assert (res.decision == "decline") == bool(screen["declined"].iloc[i]), (product, row["obligor_id"],
                                                                                    res.failed)


def test_no_ineligible_product_is_suggested_on_a_generated_portfolio(portfolio, scored):
    params = NeedsParams()
    prof = needs_profile(portfolio["questionnaires"], scored, portfolio["facilities"], params)
    credit = prof.offers.dropna(subset=["product"])
    assert credit["eligible"].any() and not credit["eligible"].all()
    assert not prof.suggested.dropna(subset=["product"])["obligor_id"].isin(
        credit.loc[~credit["eligible"], "obligor_id"]).any()
    rows = scored.set_index("obligor_id")
    for r in credit.itertuples():
        res = assess_admission(rows.loc[r.obligor_id], FacilityRequest(amount=r.amount, tenor_years=r.tenor_years),
                               params.admission)
        assert (res.decision != "decline") == r.eligible, (r.obligor_id, r.product, res.failed)
    assert set(prof.scores.index) == set(scored["obligor_id"])
    known = prof.scores.to_numpy()[np.isfinite(prof.scores.to_numpy())]
    assert len(known) and ((known >= 0) & (known <= 1)).all()


def test_declined_rows_name_the_failed_checks():
    rows = _snap(D={"grade": "D"}, LOSS={"debt_to_ebitda": np.nan, "debt_to_ebitda__undefined": 1.0},
                 OK={})
    screen = admission_screen(rows, AdmissionParams()).set_index(rows["obligor_id"])
    assert screen.loc["D", "failed_checks"] == "rating grade"
    assert "EBITDA <= 0" in screen.loc["LOSS", "decline_reason"]
    assert not screen.loc["OK", "declined"] and screen.loc["OK", "decline_reason"] == ""
