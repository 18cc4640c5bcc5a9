"""Multi-channel funding mix: hand-checkable optima, tickets, eligibility, DSCR floor, infeasibility reasons."""

from __future__ import annotations

import itertools

import numpy as np
import numpy_financial as npf
import pytest
import yaml
from matplotlib.figure import Figure
from pydantic import ValidationError
from scipy.optimize import linprog

from workbench.structuring.financing_mix import (
    ChannelSpec,
    FinancingMixParams,
    MixConstraints,
    annuity_factor,
    default_channels,
    optimise_financing_mix,
    plot_financing_mix,
)

NO_POLICY = dict(min_equity_share=0.0, max_leverage=None, dscr_floor=None)


def bank(cost=0.04, cap=0.60, **kw):
    return ChannelSpec(name="bank_loan", kind="senior_debt", base_cost=cost, tenor_years=kw.pop("tenor", 5),
                       max_share=cap, **kw)


def bond(cost=0.05, cap=0.50, **kw):
    return ChannelSpec(name="bond", kind="senior_debt", base_cost=cost, tenor_years=kw.pop("tenor", 7),
                       max_share=cap, **kw)


def equity(cost=0.12, cap=1.0, **kw):
    return ChannelSpec(name="private_equity", kind="equity", base_cost=cost, max_share=cap, **kw)


def mezz(cost=0.09, cap=0.20, **kw):
    return ChannelSpec(name="mezzanine", kind="mezzanine", base_cost=cost, tenor_years=kw.pop("tenor", 6),
                       max_share=cap, **kw)


# --- the acceptance case -----------------------------------------------------------------------


def test_three_channel_case_fills_the_cheapest_channel_to_its_cap_and_reports_binding_constraints():
    # need 100; bank 4 % capped at 60 %, bond 5 % capped at 50 %, equity 12 % with a 20 % minimum:
    # bank takes its cap (60), equity its minimum (20), the bond the rest (20);
    # WACC = (60*4 + 20*5 + 20*12) / 100 = 5.8 %.
    res = optimise_financing_mix(100, [bank(), bond(), equity()],
                                 MixConstraints(min_equity_share=0.20, max_leverage=None, dscr_floor=None), grade=3)
    assert res.feasible and res.reason == ""
    assert res.amounts == pytest.approx({"bank_loan": 60.0, "bond": 20.0, "private_equity": 20.0}, abs=1e-6)
    assert res.shares == pytest.approx({"bank_loan": 0.6, "bond": 0.2, "private_equity": 0.2}, abs=1e-8)
    assert res.wacc == pytest.approx(0.058, abs=1e-9)
    assert sorted(res.binding) == ["bank_loan max share", "min equity share"]
    slack = res.constraints.set_index("constraint")["slack"]
    assert slack["bond max share"] == pytest.approx(30.0)

    table = res.table()
    assert table["channel"].tolist() == ["bank_loan", "bond", "private_equity", "total"]
    total = table.set_index("channel").loc["total"]
    assert total["amount"] == pytest.approx(100.0) and total["cost"] == pytest.approx(0.058)
    assert table.set_index("channel").loc["bank_loan", "status"] == "at cap"
    assert "5.80 %" in res.summary()


def test_leverage_limit_mirrors_the_equity_floor_and_both_are_reported_when_they_bind_together():
    # With the mix funding the need exactly, leverage 80 % = equity 20 %: both constraints are tight.
    res = optimise_financing_mix(100, [bank(), bond(), equity()],
                                 MixConstraints(min_equity_share=0.20, max_leverage=0.80, dscr_floor=None), grade=3)
    assert res.amounts["private_equity"] == pytest.approx(20.0)
    assert set(res.binding) == {"bank_loan max share", "min equity share", "max leverage"}
    # A tighter leverage limit alone forces more equity than the equity floor.
    res = optimise_financing_mix(100, [bank(), bond(), equity()], MixConstraints(min_equity_share=0.0,
                                 max_leverage=0.70, dscr_floor=None), grade=3)
    assert res.amounts == pytest.approx({"bank_loan": 60.0, "bond": 10.0, "private_equity": 30.0}, abs=1e-6)
    assert "max leverage" in res.binding and "min equity share" not in res.binding


def test_mezzanine_counts_as_debt_for_leverage_not_as_equity():
    # Mezzanine (9 %) is cheaper than equity (12 %) but cannot replace the 30 % equity floor.
    res = optimise_financing_mix(100, [bank(cap=0.5), mezz(cap=0.4), equity()],
                                 MixConstraints(min_equity_share=0.30, max_leverage=0.70, dscr_floor=None), grade=1)
    assert res.amounts == pytest.approx({"bank_loan": 50.0, "mezzanine": 20.0, "private_equity": 30.0}, abs=1e-6)


# --- minimum tickets ---------------------------------------------------------------------------


def test_a_channel_that_would_only_get_less_than_its_ticket_is_dropped_not_used_at_a_tiny_amount():
    # need 100; bank 4 % capped at 78 %, mezzanine 9 %, equity 10 % with a 20 % floor.
    # Without a ticket the LP gives mezzanine the 2 left between the bank cap and the equity floor.
    chans = [bank(cap=0.78), mezz(cost=0.09), equity(cost=0.10)]
    k = MixConstraints(min_equity_share=0.20, max_leverage=None, dscr_floor=None)
    free = optimise_financing_mix(100, chans, k, grade=1)
    assert free.amounts["mezzanine"] == pytest.approx(2.0, abs=1e-6)
    # With a ticket of 10: using it (bank 70, mezz 10, equity 20: 5.70 %) costs more than dropping it
    # (bank 78, equity 22: 5.32 %), so it is dropped, never used below the ticket.
    chans[1] = mezz(cost=0.09, min_ticket=10.0)
    res = optimise_financing_mix(100, chans, k, grade=1)
    assert res.amounts == pytest.approx({"bank_loan": 78.0, "mezzanine": 0.0, "private_equity": 22.0}, abs=1e-6)
    assert res.wacc == pytest.approx(0.0532, abs=1e-9)
    assert res.table().set_index("channel").loc["mezzanine", "status"] == "not used"


def test_a_channel_worth_using_at_its_ticket_is_used_at_exactly_the_ticket_and_the_ticket_binds():
    # Bond ticket 30: bank must give way (50), equity stays at its floor (20): 2.0 + 1.5 + 2.4 = 5.9 %,
    # cheaper than dropping the bond (bank 60, equity 40: 7.2 %).
    res = optimise_financing_mix(100, [bank(), bond(min_ticket=30.0), equity()],
                                 MixConstraints(min_equity_share=0.20, max_leverage=None, dscr_floor=None), grade=3)
    assert res.amounts == pytest.approx({"bank_loan": 50.0, "bond": 30.0, "private_equity": 20.0}, abs=1e-6)
    assert res.wacc == pytest.approx(0.059, abs=1e-9)
    assert "bond min ticket" in res.binding and "bank_loan max share" not in res.binding


@pytest.mark.parametrize("seed", range(8))
def test_the_milp_optimum_equals_the_best_of_all_on_off_patterns(seed):
    # Brute force: for every subset of channels switched on, an LP with ticket <= x <= cap; the
    # MILP must match the cheapest feasible one.
    rng = np.random.default_rng(seed)
    need, grade, cfads = 100.0, 2, float(rng.uniform(10, 24))
    chans = [bank(cost=rng.uniform(0.03, 0.05), cap=rng.uniform(0.3, 0.8), min_ticket=rng.uniform(0, 30)),
             bond(cost=rng.uniform(0.03, 0.06), cap=rng.uniform(0.3, 0.8), min_ticket=rng.uniform(0, 40)),
             mezz(cost=rng.uniform(0.07, 0.10), cap=rng.uniform(0.1, 0.3), min_ticket=rng.uniform(0, 15)),
             equity(cost=rng.uniform(0.10, 0.14), cap=rng.uniform(0.3, 0.7), min_ticket=rng.uniform(0, 20))]
    k = MixConstraints(min_equity_share=0.2, max_leverage=0.75, dscr_floor=1.3)
    res = optimise_financing_mix(need, chans, k, grade=grade, cfads=cfads)

    cost = np.array([c.cost(grade) for c in chans])
    af = np.array([annuity_factor(c.cost(grade), c.tenor_years) if c.kind != "equity" else 0.0 for c in chans])
    is_eq = np.array([c.kind == "equity" for c in chans], float)
    best = np.inf
    for on in itertools.product([0, 1], repeat=len(chans)):
        bounds = [(c.min_ticket, c.max_share * need) if o else (0, 0) for c, o in zip(chans, on)]
        lp = linprog(cost, A_ub=np.vstack([-is_eq, 1 - is_eq, af]),
                     b_ub=[-0.2 * need, 0.75 * need, cfads / 1.3], A_eq=np.ones((1, len(chans))), b_eq=[need],
                     bounds=bounds, method="highs")
        if lp.status == 0:
            best = min(best, lp.fun)
    if np.isfinite(best):
        assert res.feasible
        assert res.wacc * need == pytest.approx(best, rel=1e-7, abs=1e-7)
        for c in chans:
            a = res.amounts[c.name]
            assert a == 0 or c.min_ticket - 1e-6 <= a <= c.max_share * need + 1e-6
    else:
        assert not res.feasible and res.reason


# --- eligibility -------------------------------------------------------------------------------


def test_bonds_are_only_for_investment_grade_like_grades():
    res = optimise_financing_mix(200, None, None, grade=5)
    assert res.amounts["bond"] == 0.0
    assert "bond" in res.excluded and "grade 5" in res.excluded["bond"] and "maximum grade 4" in res.excluded["bond"]
    assert res.table().set_index("channel").loc["bond", "status"].startswith("excluded: grade 5")
    ok = optimise_financing_mix(200, None, None, grade=4)
    assert "bond" not in ok.excluded and ok.amounts["bond"] >= 50.0  # cheapest channel, used above its ticket


def test_bonds_need_a_large_enough_deal():
    small = optimise_financing_mix(80, None, None, grade=2)
    assert "bond" in small.excluded and "minimum size 100.0" in small.excluded["bond"]
    assert small.feasible and small.amounts["bond"] == 0.0
    big = optimise_financing_mix(100, None, None, grade=2)
    assert "bond" not in big.excluded


def test_a_channel_whose_ticket_exceeds_its_cap_or_that_is_disabled_is_excluded_with_the_reason():
    chans = [bank(), bond(min_ticket=50.0), equity(), mezz(enabled=False)]
    res = optimise_financing_mix(60, chans, MixConstraints(**NO_POLICY), grade=1)
    assert "minimum ticket 50.0 exceeds its cap 30.0" in res.excluded["bond"]
    assert res.excluded["mezzanine"] == "disabled in the params"
    assert res.feasible and res.amounts["bank_loan"] == pytest.approx(36.0)


def test_cost_by_grade_overrides_the_spread_formula_and_a_missing_grade_excludes_the_channel():
    c = ChannelSpec(name="bank_loan", kind="senior_debt", base_cost=0.03, spread_per_notch=0.005, tenor_years=5,
                    cost_by_grade={1: 0.031, 2: 0.034})
    assert c.cost(2) == 0.034 and c.cost(3) is None
    assert bank(cost=0.03, spread_per_notch=0.005).cost(5) == pytest.approx(0.05)
    res = optimise_financing_mix(100, [c, equity()], MixConstraints(**NO_POLICY), grade=3)
    assert "no cost for grade 3" in res.excluded["bank_loan"]
    assert res.amounts["private_equity"] == pytest.approx(100.0)


# --- DSCR floor --------------------------------------------------------------------------------


def test_annuity_factor_matches_numpy_financial_pmt():
    for r, n in [(0.04, 5), (0.05, 7), (0.085, 12)]:
        assert annuity_factor(r, n) == pytest.approx(npf.pmt(r, n, -1), rel=1e-12)
    assert annuity_factor(0.0, 4) == 0.25


def test_dscr_floor_caps_the_debt_at_cfads_over_floor_divided_by_the_annuity_factor():
    chans = [bank(cap=0.80), equity()]
    k = MixConstraints(min_equity_share=0.20, max_leverage=None, dscr_floor=1.30)
    assert optimise_financing_mix(100, chans, k, grade=1).amounts["bank_loan"] == pytest.approx(80.0)  # no CFADS
    res = optimise_financing_mix(100, chans, k, grade=1, cfads=13.0)
    # Debt service allowed 13 / 1.3 = 10 a year; at 4 % over 5 years that carries 10 / pmt(4 %, 5) = 44.52.
    max_debt = 10.0 / npf.pmt(0.04, 5, -1)
    assert res.amounts["bank_loan"] == pytest.approx(max_debt, rel=1e-7)
    assert res.amounts["private_equity"] == pytest.approx(100 - max_debt, rel=1e-7)
    assert res.binding == ["DSCR floor"]
    assert res.dscr == pytest.approx(1.30) and res.debt_service == pytest.approx(10.0)


def test_under_a_binding_dscr_floor_longer_tenor_debt_is_preferred_even_at_a_higher_rate():
    # Bank 4 % over 5 years (annuity 0.225) against bond 4.5 % over 12 years (0.110): a unit of debt
    # service carries twice as much bond, and debt replaces 12 % equity, so the bond wins.
    chans = [bank(cap=0.8), bond(cost=0.045, cap=0.8, tenor=12), equity()]
    k = MixConstraints(min_equity_share=0.20, max_leverage=None, dscr_floor=1.30)
    loose = optimise_financing_mix(100, chans, k, grade=1)
    assert loose.amounts["bank_loan"] == pytest.approx(80.0)  # without CFADS the cheaper rate wins
    tight = optimise_financing_mix(100, chans, k, grade=1, cfads=6.5)
    assert tight.amounts["bank_loan"] == pytest.approx(0.0, abs=1e-6)
    assert tight.amounts["bond"] == pytest.approx(5.0 / annuity_factor(0.045, 12), rel=1e-7)
    assert "DSCR floor" in tight.binding


def test_a_senior_only_dscr_leaves_mezzanine_debt_service_out():
    chans = [bank(cap=0.8), mezz(cap=0.2), equity()]
    cfads = 1.3 * 60 * annuity_factor(0.04, 5)  # exactly enough for 60 of bank debt
    total = optimise_financing_mix(100, chans, MixConstraints(min_equity_share=0.2, max_leverage=None),
                                   grade=1, cfads=cfads)
    senior = optimise_financing_mix(100, chans, MixConstraints(min_equity_share=0.2, max_leverage=None,
                                                               dscr_includes_mezzanine=False), grade=1, cfads=cfads)
    assert senior.amounts == pytest.approx({"bank_loan": 60.0, "mezzanine": 20.0, "private_equity": 20.0}, abs=1e-6)
    assert total.amounts["bank_loan"] + total.amounts["mezzanine"] < 60.0 + 1e-6


# --- infeasibility -----------------------------------------------------------------------------


def test_an_equity_floor_above_the_equity_cap_is_infeasible_with_the_reason_in_words():
    res = optimise_financing_mix(100, [bank(cap=0.8), bond(), equity(cap=0.2)],
                                 MixConstraints(min_equity_share=0.30, max_leverage=None, dscr_floor=None), grade=2)
    assert not res.feasible and np.isnan(res.wacc) and res.binding == []
    assert res.reason == "minimum equity 30 % needs 30.0 but private_equity is capped at 20 % of the need (20.0)"
    assert all(v == 0 for v in res.amounts.values())
    assert res.table().iloc[-1]["status"].startswith("infeasible: minimum equity 30 %")


def test_infeasibility_reasons_name_the_violated_bound():
    caps = optimise_financing_mix(100, [bank(cap=0.4), equity(cap=0.3)], MixConstraints(**NO_POLICY), grade=2)
    assert "can fund at most 70.0 of the need 100.0" in caps.reason and "bank_loan 40.0" in caps.reason

    lev = optimise_financing_mix(100, [bank(cap=0.9), equity(cap=0.3)],
                                 MixConstraints(min_equity_share=0.0, max_leverage=0.6, dscr_floor=None), grade=2)
    assert lev.reason.startswith("maximum leverage 60 % allows at most 60.0 of debt")
    assert "private_equity is capped at 30 % of the need (30.0)" in lev.reason

    dscr = optimise_financing_mix(100, [bank(cap=0.9), equity(cap=0.5)], MixConstraints(min_equity_share=0.2),
                                  grade=2, cfads=5.0)
    assert dscr.reason.startswith("DSCR floor 1.30x on CFADS 5.0 allows debt service of 3.8 a year")
    assert "at least 50.0 of debt is needed" in dscr.reason

    none = optimise_financing_mix(100, [bond(max_grade=4)], MixConstraints(**NO_POLICY), grade=7)
    assert none.reason.startswith("no eligible channel (bond: grade 7 is worse")

    no_eq = optimise_financing_mix(100, [bank(cap=1.0)], MixConstraints(min_equity_share=0.2), grade=2)
    assert no_eq.reason == "minimum equity 20 % needs 20.0 but no equity channel is eligible"


def test_tickets_that_cannot_be_met_together_give_a_ticket_reason():
    # The bank must stay <= 70 (equity floor 30 %) but its ticket is 75; without the bank, equity
    # (capped at 50) cannot fund the rest. The bounds alone are fine; only the tickets conflict.
    res = optimise_financing_mix(100, [bank(cap=0.8, min_ticket=75.0), equity(cap=0.5)],
                                 MixConstraints(min_equity_share=0.3, max_leverage=None, dscr_floor=None), grade=2)
    assert not res.feasible
    assert res.reason.startswith("the constraints can only be met by using some channel below its minimum ticket")
    assert "bank_loan 75.0" in res.reason and "HiGHS status" in res.status


def test_a_defaulted_client_gets_no_mix_and_no_exception():
    res = optimise_financing_mix(100, None, None, grade="D")
    assert not res.feasible and "grade D" in res.reason
    assert set(res.excluded) == {c.name for c in default_channels()}
    assert isinstance(plot_financing_mix(res), Figure)


def test_invalid_inputs_raise_value_errors_naming_the_input():
    with pytest.raises(ValueError, match="need must be a positive amount"):
        optimise_financing_mix(0, None, None, grade=3)
    with pytest.raises(ValueError, match="grade must be a master-scale grade"):
        optimise_financing_mix(100, None, None, grade="AA")
    with pytest.raises(ValueError, match="cfads must be a finite amount"):
        optimise_financing_mix(100, None, None, grade=3, cfads=float("nan"))
    with pytest.raises(ValueError, match="duplicated"):
        optimise_financing_mix(100, [bank(), bank()], None, grade=3)


# --- params and plot ---------------------------------------------------------------------------


def test_params_have_documented_defaults_and_reject_unknown_keys():
    p = FinancingMixParams()
    assert [c.name for c in p.channels] == ["bank_loan", "bond", "private_equity", "mezzanine"]
    assert p.constraints.min_equity_share == 0.20 and p.constraints.dscr_floor == 1.30
    assert FinancingMixParams.model_validate(yaml.safe_load(yaml.safe_dump(p.model_dump(mode="json")))) == p
    for cls in (ChannelSpec, MixConstraints, FinancingMixParams):
        for name, f in cls.model_fields.items():
            assert f.description, f"{cls.__name__}.{name} has no description"
    with pytest.raises(ValidationError, match="max_lev"):
        MixConstraints(max_lev=0.5)
    with pytest.raises(ValidationError, match="tenor_years"):
        ChannelSpec(name="loan", kind="senior_debt", base_cost=0.04)
    with pytest.raises(ValidationError, match="unique"):
        FinancingMixParams(channels=[bank(), bank()])
    # Channels and constraints may also come as plain dicts (a params file).
    res = optimise_financing_mix(100, {"bank_loan": {"kind": "senior_debt", "base_cost": 0.04, "tenor_years": 5,
                                                      "max_share": 0.6},
                                       "private_equity": {"kind": "equity", "base_cost": 0.12}},
                                 {"min_equity_share": 0.2, "max_leverage": None}, grade=1)
    assert res.amounts == pytest.approx({"bank_loan": 60.0, "private_equity": 40.0})


def test_plot_draws_the_mix_with_costs():
    res = optimise_financing_mix(150, None, None, grade=2, cfads=20.0)
    fig = plot_financing_mix(res)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    mix_ax, cost_ax = fig.axes
    heights = sorted(p.get_height() for p in mix_ax.patches)
    assert sum(heights) == pytest.approx(150.0)
    assert {t.get_text() for t in cost_ax.get_xticklabels()} == {"bank_loan", "bond", "private_equity", "mezzanine"}
    assert any("WACC" in t.get_text() for t in cost_ax.get_legend().get_texts())
