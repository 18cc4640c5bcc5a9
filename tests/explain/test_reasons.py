"""Reason codes: the right drivers in dictionary words, never against a feature's documented direction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.explain import ShapResult, direction_allows, favourable_label, reason_codes, reason_table, shap_values
from workbench.models import PDModelParams, ScorecardModel, fit_pd_model
from workbench.params import load_params

SMALL = load_params(PDModelParams, None, {"tuning.enabled": False, "n_bags": 2, "xgb.n_estimators": 80,
                                          "xgb.early_stopping_rounds": 15, "xgb.learning_rate": 0.1})
LONG_COLUMNS = ["row", "kind", "rank", "feature", "label", "value", "peer_percentile", "percentile_basis",
                "contribution", "text"]


@pytest.fixture(scope="module")
def population() -> tuple[pd.DataFrame, pd.Series]:
    """PD rises with leverage only (documented direction +1); 'noise' is not in the dictionary."""
    rng = np.random.default_rng(0)
    n = 1500
    # Evenly spread leverage, so that a value's percentile in the population is the value itself.
    X = pd.DataFrame({"leverage": rng.permutation(np.linspace(0, 1, n)), "noise": rng.normal(size=n)})
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-(-3.0 + 4.5 * X["leverage"])))).astype(int))
    return X, y


@pytest.fixture(scope="module")
def model(population):
    X, y = population
    return fit_pd_model(X, y, SMALL)


@pytest.fixture
def obligors() -> pd.DataFrame:
    return pd.DataFrame({"leverage": [0.98, 0.02], "noise": [0.0, 0.0]}, index=["risky", "safe"])


def test_high_leverage_is_the_first_adverse_reason_and_low_leverage_the_first_mitigating(model, population,
                                                                                           obligors):
    X, _ = population
    codes = reason_codes(model, obligors, reference=X)
    assert codes.loc["risky", "adverse_1"] == "High leverage: 0.98, 98th percentile"
    assert codes.loc["safe", "mitigating_1"] == "Low leverage: 0.02, 2nd percentile"
    assert not codes.loc["risky"].filter(like="mitigating").astype(str).str.contains("leverage").any()
    assert not codes.loc["safe"].filter(like="adverse").astype(str).str.contains("leverage").any()


def test_peer_percentile_column_is_used_and_worded_versus_industry_peers(model, population, obligors):
    X, _ = population
    with_peers = obligors.assign(leverage_peer_pct=[0.92, 0.08])
    codes = reason_codes(model, with_peers, reference=X)
    assert codes.loc["risky", "adverse_1"] == "High leverage versus industry peers: 0.98, 92nd percentile"
    assert codes.loc["safe", "mitigating_1"] == "Low leverage versus industry peers: 0.02, 8th percentile"
    # The same percentiles passed separately, row-aligned.
    separate = reason_codes(model, obligors, reference=X,
                            peer_percentiles=pd.DataFrame({"leverage_peer_pct": [0.92, 0.08]}))
    pd.testing.assert_frame_equal(separate, codes)


def test_percentile_is_taken_within_the_obligors_industry(model):
    reference = pd.DataFrame({
        "leverage": np.r_[np.linspace(0, 0.5, 100), np.linspace(0.5, 1.0, 100)],
        "noise": 0.0,
        "industry": ["retail"] * 100 + ["utilities"] * 100,
    })
    X = pd.DataFrame({"leverage": [0.9, 0.9, 0.9], "noise": 0.0, "industry": ["retail", "utilities", "unknown"]})
    long = reason_codes(model, X, reference=reference, format="long")
    lev = long[(long["feature"] == "leverage") & (long["kind"] == "adverse")].set_index("row")
    assert lev.loc[0, "peer_percentile"] == pytest.approx(1.0)  # above every retail peer
    assert lev.loc[1, "peer_percentile"] == pytest.approx(0.80)  # 80 of the 100 utilities are below 0.9
    assert lev.loc[1, "text"] == "High leverage: 0.90, 80th percentile in its industry"
    # An industry without reference rows falls back to the whole reference (180 of 200 below).
    assert lev.loc[2, "peer_percentile"] == pytest.approx(0.90)
    assert lev.loc[2, "percentile_basis"] == "reference" and lev.loc[1, "percentile_basis"] == "industry"
    assert lev.loc[2, "text"] == "High leverage: 0.90, 90th percentile"


def test_a_contribution_against_the_documented_direction_is_not_cited(population):
    # Without monotone constraints a U-shaped risk makes very low leverage raise the score; the
    # dictionary says higher leverage is riskier, so "High leverage" must not be cited for it.
    X, _ = population
    rng = np.random.default_rng(1)
    y = (rng.random(len(X)) < 1 / (1 + np.exp(-(-3.0 + 20 * (X["leverage"] - 0.5) ** 2)))).astype(int)
    u_model = fit_pd_model(X, y, SMALL.model_copy(update={"monotone": False}))
    low = pd.DataFrame({"leverage": [0.03], "noise": [0.0]})
    assert shap_values(u_model, low, progress=False).values.loc[0, "leverage"] > 0.1  # the premise
    long = reason_codes(u_model, low, reference=X, format="long")
    assert "leverage" not in set(long["feature"])
    # The same column without a documented direction is cited by the sign of its contribution.
    renamed = X.rename(columns={"leverage": "lev_custom"})
    custom = fit_pd_model(renamed, y, SMALL.model_copy(update={"monotone": False}))
    codes = reason_codes(custom, low.rename(columns={"leverage": "lev_custom"}), reference=renamed)
    assert codes.loc[0, "adverse_1"] == "lev_custom: 0.03, 3rd percentile"


def _hand_made(values: dict, data: dict, index=None) -> ShapResult:
    v = pd.DataFrame(values, index=index)
    return ShapResult(values=v, base_value=-3.0, margin=-3.0 + v.sum(axis=1).to_numpy(),
                      data=pd.DataFrame(data, index=index))


def test_direction_rule_keeps_only_contributions_on_the_documented_side_of_the_median():
    reference = pd.DataFrame({"leverage": np.linspace(0, 1, 101), "interest_cover": np.linspace(0, 10, 101),
                              "custom": np.linspace(-1, 1, 101)})
    data = {"leverage": [0.1, 0.9], "interest_cover": [1.0, 9.0], "custom": [0.0, 0.0]}
    res = _hand_made({"leverage": [0.5, -0.4], "interest_cover": [0.3, -0.2], "custom": [0.1, 0.05]}, data)
    X = pd.DataFrame(data)
    codes = reason_codes(None, X, shap=res, reference=reference, top=3)
    # Row 0: leverage raises the score but sits at the 10th percentile: not "High leverage".
    assert codes.loc[0, "adverse_1"] == "Weak interest cover: 1x, 10th percentile"
    assert codes.loc[0, "adverse_2"].startswith("custom: 0")
    assert codes.loc[0, ["mitigating_1", "mitigating_2", "mitigating_3"]].isna().all()
    # Row 1: leverage lowers the score but sits at the 90th percentile: not "Low leverage".
    assert codes.loc[1, "mitigating_1"] == "Strong interest cover: 9x, 90th percentile"
    assert pd.isna(codes.loc[1, "mitigating_2"])
    assert not codes.astype(str).apply(lambda c: c.str.contains("everage")).any().any()


def test_direction_allows_is_the_documented_rule():
    s = np.array([+1, +1, +1, +1, -1, -1, 0, 0, +1])
    q = np.array([0.9, 0.1, 0.9, 0.1, 0.1, 0.9, 0.1, np.nan, np.nan])
    c = np.array([+1, +1, -1, -1, +1, -1, +1, -1, +1])
    assert direction_allows(s, q, c).tolist() == [True, False, False, True, True, True, True, True, False]
    assert not direction_allows(+1, 0.5, 1.0)  # exactly at the median: neither side


def test_missing_values_are_cited_only_when_missingness_is_meaningful():
    reference = pd.DataFrame({"leverage": np.linspace(0, 1, 101)})
    res = _hand_made({"leverage": [0.3]}, {"leverage": [np.nan]})
    X = pd.DataFrame({"leverage": [np.nan]})
    assert reason_codes(None, X, shap=res, reference=reference).loc[0].isna().all()
    codes = reason_codes(None, X, shap=res, reference=reference, missing_meaningful={"leverage"})
    assert codes.loc[0, "adverse_1"] == "High leverage: not reported"


def test_wide_format_pads_with_nan_and_long_format_has_one_row_per_cited_factor(model, population):
    X, _ = population
    obligors = pd.DataFrame({"leverage": [0.98], "noise": [0.0]}, index=["risky"])
    wide = reason_codes(model, obligors, top=3, reference=X)
    assert list(wide.columns) == ([f"adverse_{k}" for k in (1, 2, 3)] + [f"mitigating_{k}" for k in (1, 2, 3)]
                                  + ["context_1", "context_2"])
    assert wide.loc["risky", ["context_1", "context_2"]].isna().all()  # both features describe the obligor
    assert list(wide.index) == ["risky"]
    assert pd.isna(wide.loc["risky", "adverse_3"])  # two features: at most two adverse codes
    long = reason_codes(model, obligors, top=3, reference=X, format="long")
    assert list(long.columns) == LONG_COLUMNS
    first = long.iloc[0]
    assert (first["row"], first["kind"], first["rank"], first["feature"]) == ("risky", "adverse", 1, "leverage")
    assert first["label"] == "High leverage" and first["value"] == pytest.approx(0.98)
    assert first["contribution"] > 0 and first["text"] == wide.loc["risky", "adverse_1"]


def test_features_sharing_a_label_are_cited_once_with_the_larger_contribution():
    res = _hand_made({"utilisation": [0.2], "utilisation_mean_3m": [0.4], "dpd": [0.1]},
                     {"utilisation": [0.9], "utilisation_mean_3m": [0.88], "dpd": [30.0]})
    reference = pd.DataFrame({"utilisation": np.linspace(0, 1, 101), "utilisation_mean_3m": np.linspace(0, 1, 101),
                              "dpd": np.r_[np.zeros(90), np.linspace(1, 20, 11)]})
    codes = reason_codes(None, pd.DataFrame(res.data), shap=res, reference=reference)
    assert codes.loc[0, "adverse_1"] == "High utilisation of credit lines: 0.88, 88th percentile"
    assert codes.loc[0, "adverse_2"] == "Payments overdue: 30 days, 99th percentile"
    assert pd.isna(codes.loc[0, "adverse_3"])


def test_without_any_reference_a_directional_feature_has_no_position_and_is_not_cited(model, obligors):
    long = reason_codes(model, obligors, format="long")  # two rows: too few to be their own reference
    assert "leverage" not in set(long["feature"])


def test_mitigating_labels_turn_the_dictionary_wording_round():
    assert favourable_label("leverage") == "Low leverage"
    assert favourable_label("interest_cover") == "Strong interest cover"
    assert favourable_label("covenant_breaches_12m", 0.0) == "No covenant breaches"
    assert favourable_label("covenant_breaches_12m", 1.0) == "Limited covenant breaches"
    assert favourable_label("has_questionnaire") == "Client questionnaire available"
    assert favourable_label("leverage_yoy") == "Leverage improving year on year"
    assert favourable_label("my_column") == "my_column"


def test_scorecard_reason_codes_use_its_exact_contributions(population):
    X, y = population
    card = ScorecardModel().fit(X, y)
    codes = reason_codes(card, pd.DataFrame({"leverage": [0.98], "noise": [0.0]}), reference=X)
    assert codes.loc[0, "adverse_1"] == "High leverage: 0.98, 98th percentile"


def test_bad_arguments_are_rejected_with_a_reason(model, obligors):
    with pytest.raises(ValueError, match="top"):
        reason_codes(model, obligors, top=0)
    with pytest.raises(ValueError, match="rows"):
        reason_codes(model, obligors, shap=shap_values(model, obligors.iloc[:1], progress=False))
    with pytest.raises(ValueError, match="format"):
        reason_codes(model, obligors, format="tall")


def _with_macro_and_meta() -> tuple[ShapResult, pd.DataFrame, pd.DataFrame]:
    """One obligor whose largest contributions come from the policy rate (macro) and the peer
    group's size (meta); leverage is its own."""
    data = {"policy_rate": [4.25], "peer_group_size": [7.0], "has_questionnaire": [0.0], "leverage": [0.9],
            "gdp_growth": [-0.8]}
    res = _hand_made({"policy_rate": [0.9], "peer_group_size": [-0.7], "has_questionnaire": [0.6],
                      "leverage": [0.3], "gdp_growth": [0.05]}, data)
    reference = pd.DataFrame({"policy_rate": np.linspace(0, 5, 101), "peer_group_size": np.linspace(5, 50, 101),
                              "has_questionnaire": np.r_[np.zeros(20), np.ones(81)],
                              "leverage": np.linspace(0, 1, 101), "gdp_growth": np.linspace(-2, 3, 101)})
    return res, pd.DataFrame(data), reference


def test_only_obligor_features_are_reasons_macro_and_meta_ones_are_context():
    res, X, reference = _with_macro_and_meta()
    long = reason_codes(None, X, shap=res, reference=reference, format="long", context=3)
    reasons = long[long["kind"].isin(["adverse", "mitigating"])]
    assert list(reasons["feature"]) == ["leverage"]  # the largest contributions are not reasons
    context = long[long["kind"] == "context"]
    # The largest macro / meta contributions by size, either sign, in the dictionary's neutral words.
    assert list(context["feature"]) == ["policy_rate", "peer_group_size", "has_questionnaire"]
    assert list(context["text"]) == ["Central-bank policy rate: 4.25 % (raises the PD)",
                                     "Statements in the peer group used: 7 (lowers the PD)",
                                     "A survey was answered on or before the observation date: no (raises the PD)"]
    assert context["peer_percentile"].isna().all() and context["percentile_basis"].isna().all()
    # Wide: the reasons, then the context columns; a context factor is never worded as a reason.
    wide = reason_codes(None, X, shap=res, reference=reference, top=2, context=1)
    assert wide.loc[0, "adverse_1"] == "High leverage: 0.90, 90th percentile"
    assert wide.loc[0, "context_1"] == "Central-bank policy rate: 4.25 % (raises the PD)"
    assert not wide.filter(like="adverse").astype(str).apply(lambda c: c.str.contains("rate|peer|survey")).any().any()
    assert "context_2" not in wide.columns


def test_without_context_macro_and_meta_features_are_left_out_not_promoted_to_reasons():
    res, X, reference = _with_macro_and_meta()
    long = reason_codes(None, X, shap=res, reference=reference, format="long", context=0)
    assert set(long["kind"]) == {"adverse"} and list(long["feature"]) == ["leverage"]
    with pytest.raises(ValueError, match="context"):
        reason_codes(None, X, shap=res, reference=reference, context=-1)


def test_the_dictionary_gives_every_feature_a_role_and_reasons_follow_it():
    from workbench.features import FEATURES, feature_role

    assert {f.role for f in FEATURES.values() if f.group == "macro"} == {"macro"}
    assert feature_role("peer_group_size") == feature_role("years_of_history") == "meta"
    assert feature_role("leverage_peer_pct") == feature_role("dpd_max_12m") == "obligor"
    assert feature_role("my_own_column") == "obligor"  # bring-your-own data describes the obligor


def test_reason_table_shows_every_code_in_full_with_whose_it_is():
    res, X, reference = _with_macro_and_meta()
    X = X.assign(obligor_id="OB000042", obs_date=pd.Timestamp("2019-06-30"))
    long = reason_codes(None, X, shap=res, reference=reference, format="long", ids=["obligor_id", "obs_date"])
    assert list(long.columns[:3]) == ["row", "obligor_id", "obs_date"]
    scores = pd.DataFrame({"pd": [0.21238], "grade": ["10"]}, index=X.index)
    table = reason_table(long, scores)
    assert list(table.index.names) == ["obligor", "kind", "#"]
    first = table.index[0]
    assert first == ("OB000042, 2019-06-30, PD 21.238 %, grade 10", "adverse driver", 1)
    assert table.iloc[0]["reason or context"] == "High leverage: 0.90, 90th percentile"
    assert table.iloc[0]["effect on score (log-odds)"] == "+0.3000"
    kinds = list(dict.fromkeys(table.index.get_level_values("kind")))
    assert kinds == ["adverse driver", "context (economy, data; not a reason)"]
    assert table.iloc[-1]["effect on score (log-odds)"] == "-0.7000"
    # Nothing is cut: the longest text is there whole.
    assert max(map(len, table["reason or context"])) == max(map(len, long["text"]))
    with pytest.raises(ValueError, match="long format"):
        reason_table(reason_codes(None, X, shap=res, reference=reference))


def test_a_cited_value_carries_its_unit():
    data = {"dpd_mean_6m": [32.7], "overdue_amount": [0.4], "q_management": [1.33], "interest_cover": [0.8]}
    res = _hand_made({"dpd_mean_6m": [0.9], "overdue_amount": [0.5], "q_management": [0.4], "interest_cover": [0.3]},
                     data)
    reference = pd.DataFrame({"dpd_mean_6m": np.linspace(0, 20, 101), "overdue_amount": np.linspace(0, 0.2, 101),
                              "q_management": np.linspace(1, 5, 101), "interest_cover": np.linspace(0, 10, 101)})
    codes = reason_codes(None, pd.DataFrame(data), shap=res, reference=reference)
    assert codes.loc[0, "adverse_1"] == "Persistent arrears over 6 months: 32.7 days, 99th percentile"
    assert codes.loc[0, "adverse_2"] == "Overdue amounts: EUR 0.40 m, 99th percentile"
    assert codes.loc[0, "adverse_3"] == "Weak management in the client questionnaire: 1.33 of 5, 9th percentile"
    assert codes.loc[0, "adverse_4"] == "Weak interest cover: 0.80x, 8th percentile"
