"""Tiering: the rules on hand-made obligors, the default rules on a synthetic book, service strategy,
migration, and that tiering never reads the pricing grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.accounts.tiering import (
    ServiceStrategy,
    TierCondition,
    TieringParams,
    TierRule,
    assign_tiers,
    plot_exposure_by_tier,
    rules_table,
    service_strategy_table,
    tier_migration,
    tier_summary,
    tiers_table,
)
from workbench.pricing import PricingGrid, PricingParams, portfolio_raroc
from workbench.reference import MASTER_SCALE
from workbench.synthetic import GeneratorSettings, generate_portfolio

AS_OF = pd.Timestamp("2024-06-30")
EXPOSURE_ONLY = {"exposure": 1.0}


def _book(grades: dict[int, int] | None = None, n: int = 20) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` obligors OB01.. with one facility each, drawn = its number (EUR m), all grade 3 unless given."""
    ids = [f"OB{i:02d}" for i in range(1, n + 1)]
    grade = [(grades or {}).get(i, 3) for i in range(1, n + 1)]
    snapshot = pd.DataFrame({"obligor_id": ids, "obs_date": AS_OF, "industry": "retail",
                             "relationship_years": 5.0, "revenue_growth": 0.02,
                             "pd": [float(MASTER_SCALE.bands()["grade_pd"].iloc[g - 1]) for g in grade],
                             "grade": grade})
    facilities = pd.DataFrame({
        "facility_id": [f"F{i:02d}" for i in range(1, n + 1)], "obligor_id": ids, "product": "term_loan",
        "limit": np.arange(1, n + 1, dtype=float), "drawn": np.arange(1, n + 1, dtype=float),
        "origination_date": pd.Timestamp("2022-01-01"), "maturity_date": pd.Timestamp("2027-01-01"),
        "repayment_type": "bullet", "spread_bps": 100.0, "collateral_type": "none", "collateral_value": 0.0,
        "seniority": "senior"})
    return snapshot, facilities


def test_default_rules_each_fire_on_hand_made_obligors():
    # Value = exposure rank: OB20 best. OB20 grade 8 (too risky for A, not high risk), OB19 grade 3,
    # OB17 grade 9 (high risk despite its value), OB01..OB08 the bottom 40 %.
    snapshot, facilities = _book({20: 8, 17: 9})
    out = assign_tiers(snapshot, facilities, TieringParams(value_weights=EXPOSURE_ONLY)).set_index("obligor_id")
    assert out.loc["OB19", ["tier", "rule"]].tolist() == ["A", "top_value"]
    assert out.loc["OB20", ["tier", "rule"]].tolist() == ["B", "core"]
    assert out.loc["OB18", "tier"] == "B"  # value percentile 0.90 exactly: not in the top 10 %
    assert out.loc["OB17", ["tier", "rule"]].tolist() == ["C", "high_risk_or_low_value"]
    assert (out.loc[[f"OB{i:02d}" for i in range(1, 9)], "tier"] == "C").all()
    assert out.loc["OB09", "tier"] == "B"
    assert out.loc["OB20", "value_rank"] == 1 and out.loc["OB20", "value_percentile"] == 1.0


def test_reason_names_the_rule_and_the_conditions_that_held():
    snapshot, facilities = _book({20: 8, 17: 9})
    out = assign_tiers(snapshot, facilities, TieringParams(value_weights=EXPOSURE_ONLY)).set_index("obligor_id")
    assert out.loc["OB19", "reason"].startswith("rule top_value (value percentile 0.95 > 0.90 and grade 3 <= 7)")
    assert "top 10 %" in out.loc["OB19", "reason"]
    # OB17 is placed by its grade only: the value condition did not hold and is not cited.
    assert out.loc["OB17", "reason"].startswith("rule high_risk_or_low_value (grade 9 >= 9)")
    assert out.loc["OB02", "reason"].startswith("rule high_risk_or_low_value (value percentile 0.10 <= 0.40)")
    assert out.loc["OB20", "reason"].startswith("rule core (no earlier rule applies)")
    assert "grade 8" in out.loc["OB20", "reason"]


def test_first_matching_rule_wins():
    rules = [TierRule(name="big", tier="A", description="exposure 10 or more",
                      conditions=[TierCondition(field="exposure", op=">=", threshold=10)]),
             TierRule(name="medium", tier="C", description="exposure 5 or more",
                      conditions=[TierCondition(field="exposure", op=">=", threshold=5)]),
             TierRule(name="rest", tier="B", description="the rest")]
    snapshot, facilities = _book()
    out = assign_tiers(snapshot, facilities, TieringParams(rules=rules)).set_index("obligor_id")
    assert out.loc["OB12", ["tier", "rule"]].tolist() == ["A", "big"]  # "medium" matches too, but later
    assert out.loc["OB07", ["tier", "rule"]].tolist() == ["C", "medium"]
    assert out.loc["OB03", ["tier", "rule"]].tolist() == ["B", "rest"]


def test_service_strategy_of_the_tier_is_attached():
    snapshot, facilities = _book({20: 8, 17: 9})
    params = TieringParams(value_weights=EXPOSURE_ONLY)
    out = assign_tiers(snapshot, facilities, params).set_index("obligor_id")
    for ob in ("OB19", "OB20", "OB01"):
        s = params.strategies[out.loc[ob, "tier"]]
        assert out.loc[ob, "review_frequency_months"] == s.review_frequency_months
        assert out.loc[ob, "rm_seniority"] == s.rm_seniority
        assert out.loc[ob, "pricing_latitude_bps"] == s.pricing_latitude_bps
        assert out.loc[ob, "service"] == s.description
    table = service_strategy_table(params)
    assert list(table.index) == ["A", "B", "C"] and "top_value" in table.loc["A", "placed by"]
    assert list(rules_table(params)["rule"]) == ["top_value", "high_risk_or_low_value", "core"]


def test_value_components_are_revenue_raroc_and_growth_too():
    snapshot, facilities = _book()
    facilities.loc[facilities["obligor_id"] == "OB01", "spread_bps"] = 500.0  # small but lucrative
    out = assign_tiers(snapshot, facilities, TieringParams(value_weights={"revenue": 1.0})).set_index("obligor_id")
    assert out.loc["OB01", "revenue"] == pytest.approx(1.0 * 500 / 1e4)
    by_raroc = assign_tiers(snapshot, facilities, TieringParams(value_weights={"raroc": 1.0})).set_index("obligor_id")
    assert by_raroc["value_score"].idxmax() == "OB01"
    assert by_raroc.loc["OB01", "raroc_vs_hurdle"] == pytest.approx(by_raroc.loc["OB01", "raroc"] - 0.12)
    snapshot.loc[snapshot["obligor_id"] == "OB05", "revenue_growth"] = 0.5
    by_growth = assign_tiers(snapshot, facilities, TieringParams(value_weights={"client_growth": 1.0}))
    assert by_growth.set_index("obligor_id")["value_score"].idxmax() == "OB05"


def test_raroc_is_capital_weighted_at_booked_spreads():
    snapshot, facilities = _book(n=12)
    extra = facilities[facilities["obligor_id"] == "OB01"].assign(facility_id="F99", spread_bps=400.0, drawn=30.0,
                                                                  limit=30.0)
    facilities = pd.concat([facilities, extra], ignore_index=True)
    pricing = PricingParams()
    out = assign_tiers(snapshot, facilities, TieringParams(), pricing).set_index("obligor_id")
    per = portfolio_raroc(facilities, snapshot.assign(size_band=None), snapshot, None, pricing, AS_OF)
    one = per[per["obligor_id"] == "OB01"]
    expected = (one["raroc_today"] * one["capital"]).sum() / one["capital"].sum()
    assert out.loc["OB01", "raroc"] == pytest.approx(expected)
    assert out.loc["OB01", "capital"] == pytest.approx(one["capital"].sum())


def test_tiering_never_reads_the_pricing_grid(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("tiering looked up the pricing grid")

    monkeypatch.setattr(PricingGrid, "lookup", refuse)
    snapshot, facilities = _book()
    assert len(assign_tiers(snapshot, facilities)) == 20


def test_obligor_without_live_facility_has_zero_exposure():
    snapshot, facilities = _book()
    facilities = facilities[facilities["obligor_id"] != "OB20"]
    out = assign_tiers(snapshot, facilities, TieringParams(value_weights=EXPOSURE_ONLY)).set_index("obligor_id")
    assert out.loc["OB20", "exposure"] == 0.0 and out.loc["OB20", "tier"] == "C"


def test_snapshot_of_more_than_one_month_end_is_refused():
    snapshot, facilities = _book()
    two = pd.concat([snapshot, snapshot.assign(obs_date=AS_OF + pd.offsets.MonthEnd(1))])
    with pytest.raises(ValueError, match="one month end"):
        assign_tiers(two, facilities)
    with pytest.raises(KeyError, match="relationship_years"):
        assign_tiers(snapshot.drop(columns="relationship_years"), facilities)


@pytest.mark.parametrize("change, message", [
    (dict(rules=[TierRule(name="all", tier="B", description="x"),
                 TierRule(name="never", tier="A", description="y")]), "only the last rule"),
    (dict(rules=[TierRule(name="big", tier="A", description="x",
                          conditions=[TierCondition(field="exposure", op=">", threshold=1)])]), "must have no condition"),
    (dict(rules=[TierRule(name="rest", tier="D", description="x")]), "no service strategy"),
    (dict(value_weights={"wallet": 1.0}), "unknown component"),
    (dict(rules=[TierRule(name="r", tier="A", description="x", conditions=[
        TierCondition(field="grade", op="<", threshold=3)]), TierRule(name="r", tier="B", description="y")]), "unique"),
])
def test_inconsistent_tiering_params_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        TieringParams(**change)


def test_strategy_needs_a_known_seniority():
    with pytest.raises(ValueError):
        ServiceStrategy(review_frequency_months=3, rm_seniority="intern", pricing_latitude_bps=0, description="x")


def test_migration_matrix_counts_moves_new_and_left():
    before = pd.DataFrame({"obligor_id": ["O1", "O2", "O3", "O4", "O6"], "tier": ["A", "B", "C", "A", "B"]})
    after = pd.DataFrame({"obligor_id": ["O1", "O2", "O4", "O5", "O6"], "tier": ["A", "C", "B", "B", "B"]})
    m = tier_migration(before, after)
    assert list(m.index) == ["A", "B", "C", "new"] and list(m.columns) == ["A", "B", "C", "left"]
    assert m.loc["A", "A"] == 1 and m.loc["A", "B"] == 1
    assert m.loc["B", "C"] == 1 and m.loc["B", "B"] == 1
    assert m.loc["C", "left"] == 1 and m.loc["new", "B"] == 1
    assert int(m.to_numpy().sum()) == 6  # five before, one new


# --------------------------------------------------------------------------- synthetic book


def _scored_snapshot(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> pd.DataFrame:
    """A stand-in for the scored snapshot: the generator's true PD as the model PD, performing obligors."""
    truth = tables["truth"]
    t = truth[truth["month_end"] == as_of]
    defaulted = tables["defaults"].loc[tables["defaults"]["default_date"] <= as_of, "obligor_id"]
    t = t[~t["obligor_id"].isin(defaulted)]
    o = tables["obligors"].set_index("obligor_id")
    fin = tables["financials"].sort_values(["obligor_id", "period_end"])
    fin = fin.assign(revenue_growth=fin["revenue"] / fin.groupby("obligor_id")["revenue"].shift() - 1)
    fin = fin[fin["reported_date"] <= as_of].groupby("obligor_id").tail(1).set_index("obligor_id")
    snap = pd.DataFrame({"obligor_id": t["obligor_id"].to_numpy(), "obs_date": as_of})
    snap["industry"] = snap["obligor_id"].map(o["industry"])
    snap["relationship_years"] = (as_of - snap["obligor_id"].map(o["relationship_start"])).dt.days / 365.25
    snap["revenue_growth"] = snap["obligor_id"].map(fin["revenue_growth"])
    snap["pd"] = t["pd_12m"].to_numpy(dtype=float)
    snap["grade"] = MASTER_SCALE.grade_number(snap["pd"]).astype(int)
    return snap


@pytest.fixture(scope="module")
def synthetic():
    tables = generate_portfolio(GeneratorSettings(n_obligors=400, years=6, seed=4))
    months = sorted(tables["truth"]["month_end"].unique())
    last, year_before = pd.Timestamp(months[-1]), pd.Timestamp(months[-13])
    return {when: assign_tiers(_scored_snapshot(tables, when), tables["facilities"])
            for when in (last, year_before)}, (year_before, last)


def test_default_rules_put_about_a_tenth_of_the_book_in_a(synthetic):
    tiers, (_, last) = synthetic
    out = tiers[last]
    share = (out["tier"] == "A").mean()
    assert 0.07 <= share <= 0.14
    # A is the high-value tier: its value scores are all in the book's top tenth.
    assert out.loc[out["tier"] == "A", "value_percentile"].min() > 0.90
    assert set(out["tier"]) == {"A", "B", "C"}
    assert out["reason"].str.startswith("rule ").all()


def test_summary_table_plot_and_migration_on_the_synthetic_book(synthetic):
    tiers, (before, last) = synthetic
    summary = tier_summary(tiers[last])
    assert summary["obligors"].sum() == len(tiers[last])
    assert summary["share_of_exposure"].sum() == pytest.approx(1.0)
    assert summary.loc["A", "exposure"] / summary.loc["A", "obligors"] > summary.loc["C", "exposure"] / summary.loc[
        "C", "obligors"]
    table = tiers_table(tiers[last])
    assert len(table) == len(tiers[last]) and "reason" in table.columns
    fig = plot_exposure_by_tier(tiers[last])
    assert len(fig.axes) == 2
    m = tier_migration(tiers[before], tiers[last])
    assert m.drop(columns="left").to_numpy().sum() == len(tiers[last])
    assert m.drop(index="new").to_numpy().sum() == len(tiers[before])
