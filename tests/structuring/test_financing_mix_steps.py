"""The financing mix as steps: inputs, eligibility, model, solve, diagnosis, report, and their composition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import OptimizeResult

from workbench.structuring.financing_mix import (
    ChannelSpec,
    MixConstraints,
    MixInputs,
    annuity_factor,
    build_mix_model,
    channel_eligibility,
    channel_exclusion,
    channel_table,
    constraint_report,
    default_channels,
    feasible_mix,
    ineligibility_reason,
    infeasible_mix,
    mix_inputs,
    obvious_infeasibility,
    optimise_financing_mix,
    parse_mix_grade,
    solve_mix_model,
    solver_infeasibility,
    solver_status,
)
from workbench.structuring.financing_mix.eligibility import DEFAULTED_REASON

NO_POLICY = dict(min_equity_share=0.0, max_leverage=None, dscr_floor=None)


def bank(cost=0.04, cap=0.60, **kw):
    return ChannelSpec(name="bank_loan", kind="senior_debt", base_cost=cost, tenor_years=kw.pop("tenor", 5),
                       max_share=cap, **kw)


def bond(cost=0.05, cap=0.50, **kw):
    return ChannelSpec(name="bond", kind="senior_debt", base_cost=cost, tenor_years=7, max_share=cap, **kw)


def equity(cost=0.12, cap=1.0, **kw):
    return ChannelSpec(name="private_equity", kind="equity", base_cost=cost, max_share=cap, **kw)


def mezz(cost=0.09, cap=0.20, **kw):
    return ChannelSpec(name="mezzanine", kind="mezzanine", base_cost=cost, tenor_years=6, max_share=cap, **kw)


def steps(need, chans, constraints, grade=3, cfads=None):
    """Inputs, eligibility and model of a case, as the optimiser builds them."""
    inputs = mix_inputs(need, chans, constraints, grade=grade, cfads=cfads)
    elig = channel_eligibility(inputs)
    return inputs, elig, build_mix_model(inputs, elig)


# The hand-checked acceptance case: bank 60 (cap), bond 20, equity 20 (floor); WACC 5.8 %.
THREE = (100, [bank(), bond(), equity()], MixConstraints(min_equity_share=0.20, max_leverage=None, dscr_floor=None))


# --- step 0: inputs ----------------------------------------------------------------------------


def test_mix_inputs_normalise_need_grade_channels_and_constraints():
    inputs = mix_inputs(100, {"bank_loan": {"kind": "senior_debt", "base_cost": 0.04, "tenor_years": 5}},
                        {"min_equity_share": 0.0}, grade="2", cfads=12)
    assert isinstance(inputs, MixInputs) and inputs.need == 100.0 and inputs.grade == 2 and inputs.cfads == 12.0
    assert inputs.names == ["bank_loan"] and isinstance(inputs.channels[0], ChannelSpec)
    assert inputs.constraints == MixConstraints(min_equity_share=0.0)
    defaults = mix_inputs(50, grade=1)
    assert [c.name for c in defaults.channels] == [c.name for c in default_channels()]
    assert defaults.constraints == MixConstraints() and defaults.cfads is None


def test_mix_inputs_reject_invalid_inputs_naming_them():
    with pytest.raises(ValueError, match="need must be a positive amount"):
        mix_inputs(float("inf"), grade=1)
    with pytest.raises(ValueError, match="cfads must be a finite amount"):
        mix_inputs(10, grade=1, cfads=float("nan"))
    with pytest.raises(ValueError, match="differs from its name"):
        mix_inputs(10, {"loan": bank()}, grade=1)
    with pytest.raises(ValueError, match="channels is empty"):
        mix_inputs(10, [], grade=1)
    with pytest.raises(ValueError, match="list or dict"):
        mix_inputs(10, "bank_loan", grade=1)


def test_parse_mix_grade_accepts_master_scale_grades_only():
    assert [parse_mix_grade(g) for g in (1, "7", np.int64(3), 4.0, " d")] == [1, 7, 3, 4, "D"]
    for bad in (0, True, 2.5, "AA", None):
        with pytest.raises(ValueError, match="master-scale grade"):
            parse_mix_grade(bad)


# --- step 1: eligibility -----------------------------------------------------------------------


def test_channel_exclusion_gives_the_cost_or_the_reason():
    assert channel_exclusion(bank(), 100, 3) == (pytest.approx(0.04), "")
    assert channel_exclusion(bank(enabled=False), 100, 3) == (None, "disabled in the params")
    assert channel_exclusion(bond(max_grade=4), 100, 5)[1] == "grade 5 is worse than the channel's maximum grade 4"
    assert channel_exclusion(bond(min_need=100.0), 80, 2)[1] == "need 80.0 is below the channel's minimum size 100.0"
    priced = ChannelSpec(name="x", kind="equity", base_cost=0.1, cost_by_grade={1: 0.1})
    assert channel_exclusion(priced, 100, 2)[1] == "no cost for grade 2 in cost_by_grade"
    assert channel_exclusion(bond(min_ticket=60.0), 100, 2)[1] == ("minimum ticket 60.0 exceeds its cap 50.0 "
                                                                   "(50 % of the need)")


def test_channel_eligibility_prices_every_channel_and_keeps_the_eligible_in_order():
    inputs = mix_inputs(100, [bank(), bond(max_grade=2), equity()], MixConstraints(**NO_POLICY), grade=3)
    elig = channel_eligibility(inputs)
    assert [c.name for c in elig.eligible] == ["bank_loan", "private_equity"]
    assert list(elig.excluded) == ["bond"] and np.isnan(elig.costs["bond"])
    assert elig.costs["bank_loan"] == pytest.approx(0.04) and list(elig.costs) == inputs.names
    defaulted = channel_eligibility(mix_inputs(100, [bank(), equity()], None, grade="D"))
    assert defaulted.eligible == [] and all(np.isnan(v) for v in defaulted.costs.values())
    assert defaulted.excluded == {"bank_loan": DEFAULTED_REASON, "private_equity": DEFAULTED_REASON}


# --- step 2: the model -------------------------------------------------------------------------


def test_build_mix_model_has_the_arrays_and_one_row_per_policy_limit():
    _, _, model = steps(100, [bank(), mezz(), equity(cap=0.5)], MixConstraints(), grade=1, cfads=20.0)
    assert model.n == 3 and model.use_dscr
    assert model.cost == pytest.approx([0.04, 0.09, 0.12])
    assert model.annuity == pytest.approx([annuity_factor(0.04, 5), annuity_factor(0.09, 6), 0.0])
    assert model.annuity_dscr == pytest.approx(model.annuity)  # mezzanine counts in the DSCR by default
    assert model.caps == pytest.approx([60.0, 20.0, 50.0]) and model.tickets == pytest.approx([0, 0, 0])
    assert model.is_equity.tolist() == [0, 0, 1] and model.is_debt.tolist() == [1, 1, 0]
    assert len(model.rows) == 3 + 3  # need, caps, tickets + equity floor, leverage, DSCR
    assert model.objective == pytest.approx([0.04, 0.09, 0.12, 0, 0, 0])
    assert model.bounds.ub == pytest.approx([60, 20, 50, 1, 1, 1])
    assert model.annuity_factors == {"bank_loan": pytest.approx(annuity_factor(0.04, 5)),
                                     "mezzanine": pytest.approx(annuity_factor(0.09, 6)), "private_equity": 0.0}
    senior = MixConstraints(dscr_includes_mezzanine=False)
    _, _, senior_only = steps(100, [bank(), mezz(), equity(cap=0.5)], senior, grade=1, cfads=20.0)
    assert senior_only.annuity_dscr[1] == 0.0 and senior_only.annuity_dscr[0] > 0
    _, _, bare = steps(*THREE[:2], MixConstraints(**NO_POLICY), grade=1, cfads=20.0)
    assert len(bare.rows) == 3 and not bare.use_dscr


# --- step 3: solve -----------------------------------------------------------------------------


def test_solve_mix_model_finds_the_hand_checked_optimum():
    _, _, model = steps(*THREE)
    sol = solve_mix_model(model)
    assert sol.status == 0
    assert sol.x[:model.n] == pytest.approx([60.0, 20.0, 20.0], abs=1e-6)
    assert sol.x[model.n:] == pytest.approx([1, 1, 1])  # every channel on
    assert sol.fun == pytest.approx(5.8)


def test_the_relaxed_solve_ignores_the_tickets():
    # Bank ticket 75 but at most 70 of debt (equity floor 30 %), equity capped at 50: only the tickets conflict.
    _, _, model = steps(100, [bank(cap=0.8, min_ticket=75.0), equity(cap=0.5)],
                        MixConstraints(min_equity_share=0.3, max_leverage=None, dscr_floor=None), grade=2)
    assert solve_mix_model(model).status == 2
    assert solve_mix_model(model, relaxed=True).status == 0


# --- step 4: diagnosis -------------------------------------------------------------------------


def test_ineligibility_reason_names_the_default_or_each_channel():
    inputs = mix_inputs(100, [bond(max_grade=4)], MixConstraints(**NO_POLICY), grade=7)
    assert ineligibility_reason(7, channel_eligibility(inputs)) == (
        "no eligible channel (bond: grade 7 is worse than the channel's maximum grade 4)")
    d = mix_inputs(100, None, None, grade="D")
    assert ineligibility_reason("D", channel_eligibility(d)) == ("grade D (defaulted): no new funding for a client "
                                                                 "in default")


@pytest.mark.parametrize("chans, k, cfads, start", [
    ([bank(cap=0.4), equity(cap=0.3)], MixConstraints(**NO_POLICY), None,
     "the eligible channels can fund at most 70.0 of the need 100.0 (caps: bank_loan 40.0, private_equity 30.0)"),
    ([bank(cap=0.8), equity(cap=0.2)], MixConstraints(min_equity_share=0.3, max_leverage=None, dscr_floor=None), None,
     "minimum equity 30 % needs 30.0 but private_equity is capped at 20 % of the need (20.0)"),
    ([bank(cap=0.9), equity(cap=0.3)], MixConstraints(min_equity_share=0.0, max_leverage=0.6, dscr_floor=None), None,
     "maximum leverage 60 % allows at most 60.0 of debt, so at least 40.0 must be equity"),
    ([bank(cap=0.9), equity(cap=0.5)], MixConstraints(min_equity_share=0.2), 5.0,
     "DSCR floor 1.30x on CFADS 5.0 allows debt service of 3.8 a year, but at least 50.0 of debt is needed"),
])
def test_obvious_infeasibility_names_the_first_violated_bound(chans, k, cfads, start):
    _, _, model = steps(100, chans, k, grade=2, cfads=cfads)
    assert obvious_infeasibility(model).startswith(start)


def test_the_dscr_bound_fills_the_longest_debt_first():
    # 80 of debt needed (equity capped at 20): 50 of 12-year bond (annuity 0.110) then 30 of 5-year bank
    # (0.225) is the least debt service, 12.2 a year, above the 10 allowed by CFADS 13 at 1.30x.
    long = ChannelSpec(name="bond", kind="senior_debt", base_cost=0.045, tenor_years=12, max_share=0.5)
    _, _, model = steps(100, [bank(cap=0.5), long, equity(cap=0.2)], MixConstraints(min_equity_share=0.2), grade=1,
                        cfads=13.0)
    least = 50 * annuity_factor(0.045, 12) + 30 * annuity_factor(0.04, 5)
    assert obvious_infeasibility(model).endswith(f"its debt service is at least {least:,.1f} a year")


def test_obvious_infeasibility_is_empty_when_no_bound_is_obviously_violated():
    _, _, model = steps(*THREE)
    assert obvious_infeasibility(model) == ""
    # Without a DSCR floor the CFADS is not checked, however small.
    _, _, no_floor = steps(100, [bank(cap=0.9), equity(cap=0.5)], MixConstraints(dscr_floor=None), grade=2, cfads=0.1)
    assert obvious_infeasibility(no_floor) == ""


def test_solver_infeasibility_tells_tickets_from_contradictions_and_solver_failures():
    _, _, tickets = steps(100, [bank(cap=0.8, min_ticket=75.0), equity(cap=0.5)],
                          MixConstraints(min_equity_share=0.3, max_leverage=None, dscr_floor=None), grade=2)
    assert solver_infeasibility(tickets, solve_mix_model(tickets)) == (
        "the constraints can only be met by using some channel below its minimum ticket (tickets: bank_loan 75.0)")
    _, _, short = steps(100, [bank(cap=0.4), equity(cap=0.3)], MixConstraints(**NO_POLICY), grade=2)
    contradiction = solve_mix_model(short)
    assert solver_infeasibility(short, contradiction) == (f"no mix satisfies all constraints together "
                                                          f"({solver_status(contradiction)})")
    timeout = OptimizeResult(status=1, message="Time limit reached.", x=None)
    assert solver_status(timeout) == "HiGHS status 1: Time limit reached."
    assert solver_infeasibility(short, timeout) == ("the solver did not find a mix (HiGHS status 1: Time limit "
                                                    "reached.)")


# --- step 5: report ----------------------------------------------------------------------------


def test_constraint_report_gives_value_limit_slack_and_binding():
    _, _, model = steps(100, [bank(), bond(min_ticket=10.0), equity()], THREE[2])
    table = constraint_report(model, np.array([60.0, 20.0, 20.0])).set_index("constraint")
    assert list(table.columns) == ["type", "value", "limit", "slack", "binding"]
    assert table.index.tolist() == ["bank_loan max share", "bond max share", "bond min ticket", "min equity share"]
    assert table.loc["bank_loan max share", "slack"] == 0.0 and table.loc["bank_loan max share", "binding"]
    assert table.loc["bond max share", "slack"] == pytest.approx(30.0) and not table.loc["bond max share", "binding"]
    assert table.loc["bond min ticket", "slack"] == pytest.approx(10.0)
    assert table.loc["min equity share", "value"] == 20.0 and table.loc["min equity share", "binding"]
    unused = constraint_report(model, np.array([60.0, 0.0, 40.0])).set_index("constraint")
    assert np.isnan(unused.loc["bond min ticket", "slack"]) and not unused.loc["bond min ticket", "binding"]


def test_channel_table_says_how_each_channel_is_used():
    chans = [bank(), bond(min_ticket=10.0), mezz(), equity(), ChannelSpec(name="off", kind="equity", base_cost=0.1)]
    costs = {"bank_loan": 0.04, "bond": 0.05, "mezzanine": 0.09, "private_equity": 0.12, "off": np.nan}
    amounts = {"bank_loan": 60.0, "bond": 10.0, "mezzanine": 0.0, "private_equity": 30.0, "off": 0.0}
    t = channel_table(chans, 100, costs, {"bank_loan": 0.2}, amounts, {"off": "disabled in the params"}, True)
    assert t.set_index("channel")["status"].to_dict() == {"bank_loan": "at cap", "bond": "at minimum ticket",
                                                          "mezzanine": "not used", "private_equity": "used",
                                                          "off": "excluded: disabled in the params"}
    row = t.set_index("channel").loc["bank_loan"]
    assert row["annuity_factor"] == 0.2 and row["wacc_contribution"] == pytest.approx(0.024) and row["share"] == 0.6
    assert np.isnan(t.set_index("channel").loc["private_equity", "tenor_years"])
    infeasible = channel_table(chans, 100, costs, {}, dict.fromkeys(amounts, 0.0), {}, False)
    assert set(infeasible["status"]) == {"eligible"} and infeasible["annuity_factor"].isna().all()


def test_infeasible_mix_reports_no_amounts_and_every_channel():
    inputs, elig, model = steps(100, [bank(cap=0.4), equity(cap=0.3)], MixConstraints(**NO_POLICY), grade=2)
    res = infeasible_mix(inputs, elig, "why", "not solved", model.annuity_factors)
    assert not res.feasible and res.reason == "why" and res.status == "not solved" and res.grade == "2"
    assert res.amounts == {"bank_loan": 0.0, "private_equity": 0.0} and np.isnan(res.wacc) and res.binding == []
    assert res.constraints.empty and res.channels["status"].tolist() == ["eligible", "eligible"]
    assert res.channels["annuity_factor"].iloc[0] == pytest.approx(annuity_factor(0.04, 5))


def test_feasible_mix_reports_amounts_cost_dscr_and_binding_constraints():
    inputs, elig, model = steps(100, [bank(cap=0.8), equity()], MixConstraints(min_equity_share=0.2,
                                                                              max_leverage=None), grade=1, cfads=13.0)
    res = feasible_mix(inputs, elig, model, solve_mix_model(model))
    max_debt = 10.0 / annuity_factor(0.04, 5)
    assert res.feasible and res.amounts == pytest.approx({"bank_loan": max_debt, "private_equity": 100 - max_debt})
    assert res.wacc == pytest.approx((0.04 * max_debt + 0.12 * (100 - max_debt)) / 100)
    assert res.debt_service == pytest.approx(10.0) and res.dscr == pytest.approx(1.3)
    assert res.binding == ["DSCR floor"] and res.status.startswith("HiGHS: ")
    assert isinstance(res.constraints, pd.DataFrame) and res.channels["channel"].tolist() == ["bank_loan",
                                                                                               "private_equity"]


def test_optimise_financing_mix_is_the_composition_of_the_steps():
    inputs, elig, model = steps(*THREE)
    by_steps = feasible_mix(inputs, elig, model, solve_mix_model(model))
    res = optimise_financing_mix(*THREE[:2], THREE[2], grade=3)
    assert res.amounts == pytest.approx(by_steps.amounts) and res.binding == by_steps.binding
    pd.testing.assert_frame_equal(res.table(), by_steps.table())
