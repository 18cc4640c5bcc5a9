"""Groups of connected clients, the large-exposure limit with headroom, and concentration."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.accounts.groups import (
    LargeExposureParams,
    concentration,
    group_exposures,
    large_exposures,
    large_exposures_table,
)

CAPITAL = LargeExposureParams(eligible_capital_eur_m=1000.0)


def _obligors(groups: dict[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame({"obligor_id": list(groups), "group_id": pd.array(list(groups.values()), dtype="str")})


def _exposures(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"obligor_id": list(values), "exposure_value": list(values.values()),
                         "ead": [0.8 * v for v in values.values()]})


def test_group_takes_the_worst_grade_and_counts_members_with_alerts():
    obligors = _obligors({"O1": "G1", "O2": "G1", "O3": None, "O4": "G2", "O5": "G1"})
    exposures = _exposures({"O1": 100.0, "O2": 50.0, "O3": 70.0, "O4": 10.0, "O5": 5.0})
    grades = pd.DataFrame({"obligor_id": ["O1", "O2", "O3", "O4", "O5"], "grade": [3, 8, 5, 2, 4]})
    alerts = pd.DataFrame({"obligor_id": ["O1", "O2", "O3", "O5"], "level": ["amber", "red", "green", "green"]})
    out = group_exposures(obligors, exposures, grades, alerts).set_index("group")
    assert out.loc["G1", "kind"] == "group" and out.loc["G1", "members"] == 3
    assert out.loc["G1", "member_ids"] == "O1, O2, O5"
    assert out.loc["G1", "exposure_value"] == pytest.approx(155.0)
    assert out.loc["G1", "ead"] == pytest.approx(0.8 * 155.0)
    assert out.loc["G1", "worst_grade"] == 8
    assert out.loc["G1", "members_amber_red"] == 2 and out.loc["G1", "worst_alert"] == "red"
    # Without a group_id an obligor is its own single name.
    assert out.loc["O3", "kind"] == "single name" and out.loc["O3", "worst_alert"] == "green"
    assert out.loc["O3", "members_amber_red"] == 0
    assert out.loc["G2", "worst_alert"] == "none"
    assert list(out.index[:2]) == ["G1", "O3"]  # largest first


def test_groups_without_alerts_say_none():
    obligors = _obligors({"O1": "G1", "O2": "G1"})
    grades = pd.DataFrame({"obligor_id": ["O1"], "grade": [4]})
    out = group_exposures(obligors, _exposures({"O1": 1.0, "O2": 2.0}), grades).set_index("group")
    assert out.loc["G1", "worst_alert"] == "none" and out.loc["G1", "worst_grade"] == 4


def test_unknown_alert_level_and_unknown_obligor_are_named():
    obligors = _obligors({"O1": None})
    grades = pd.DataFrame({"obligor_id": ["O1"], "grade": [4]})
    with pytest.raises(ValueError, match="purple"):
        group_exposures(obligors, _exposures({"O1": 1.0}), grades,
                        pd.DataFrame({"obligor_id": ["O1"], "level": ["purple"]}))
    with pytest.raises(KeyError, match="O9"):
        group_exposures(obligors, _exposures({"O9": 1.0}), grades)


def test_large_exposure_limit_is_25_percent_and_exactly_25_is_allowed():
    # Eligible capital 1,000: limit 250, warning 200, reporting 100.
    obligors = _obligors({"A1": "GA", "A2": "GA", "B": None, "C": None, "D": None, "E": None, "F": None})
    exposures = _exposures({"A1": 150.0, "A2": 100.0, "B": 250.01, "C": 200.0, "D": 199.0, "E": 100.0, "F": 99.0})
    out = large_exposures(obligors, exposures, CAPITAL).set_index("group")
    assert out.loc["GA", "exposure_value"] == pytest.approx(250.0)
    assert out.loc["GA", "share_of_capital"] == pytest.approx(0.25)
    assert out.loc["GA", "status"] == "near limit" and out.loc["GA", "headroom_eur_m"] == pytest.approx(0.0)
    assert out.loc["B", "status"] == "breach" and out.loc["B", "headroom_eur_m"] == pytest.approx(-0.01)
    assert out.loc["C", "status"] == "near limit" and out.loc["C", "headroom_eur_m"] == pytest.approx(50.0)
    assert out.loc["D", "status"] == "above reporting threshold"
    assert out.loc["E", "status"] == "above reporting threshold"
    assert out.loc["F", "status"] == "within" and out.loc["F", "headroom_eur_m"] == pytest.approx(151.0)
    assert (out["limit_eur_m"] == 250.0).all()
    assert list(out.index[:2]) == ["B", "GA"]  # sorted by share
    shown = large_exposures_table(out.reset_index())
    assert list(shown.index) == ["B", "GA", "C", "D", "E"]  # "within" is not shown


def test_large_exposure_thresholds_must_be_ordered():
    with pytest.raises(ValueError, match="reporting_share"):
        LargeExposureParams(warning_share=0.30)


def test_default_capital_puts_a_few_synthetic_names_near_the_limit():
    from workbench.accounts.exposure import obligor_exposure
    from workbench.synthetic import GeneratorSettings, generate_portfolio

    tables = generate_portfolio(GeneratorSettings(n_obligors=5000, years=10, tables=("obligors", "facilities")))
    out = large_exposures(tables["obligors"], obligor_exposure(tables["facilities"], "2024-12-31"))
    status = out["status"].value_counts()
    assert 1 <= status.get("near limit", 0) + status.get("breach", 0) <= 10
    assert status.get("above reporting threshold", 0) >= 5


def test_concentration_hhi_and_top_exposures_by_hand():
    exposures = pd.DataFrame({"obligor_id": ["O1", "O2", "O3", "O4"], "ead": [50.0, 30.0, 20.0, 0.0]})
    c = concentration(exposures, top=2)
    assert c.hhi == pytest.approx(0.5 ** 2 + 0.3 ** 2 + 0.2 ** 2)
    assert c.effective_number == pytest.approx(1 / 0.38)
    assert c.n == 3
    assert list(c.top.index) == ["O1", "O2"]
    assert c.top["cumulative_share"].tolist() == pytest.approx([0.5, 0.8])
    assert c.summary().loc["share of the top 2", "value"] == "80.00 %"
    assert len(c.table()) == 2


def test_concentration_by_group():
    groups = pd.DataFrame({"group": ["G1", "O3"], "exposure_value": [60.0, 60.0]})
    assert concentration(groups, key="group", column="exposure_value").hhi == pytest.approx(0.5)
