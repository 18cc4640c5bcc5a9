"""Rating overrides: the proposal and decision rules, the override in force at an as-of, its application to a
scored snapshot and the override rate by tier and direction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.accounts.overrides import (
    OverrideParams,
    apply_overrides,
    approved_grades,
    check_override_decision,
    check_proposal,
    normalise_overrides,
    override_rate,
    override_rate_table,
    overrides_table,
)
from workbench.reference.master_scale import MASTER_SCALE

T = pd.Timestamp


def _override(id_, obligor, as_of, grade, *, status="approved", proposed_at=None, decided_at=None, model=None,
              by="rm", decider="credit", reason="parent guarantee"):
    proposed_at = T(proposed_at) if proposed_at else T(as_of) - pd.Timedelta(days=3)
    decided_at = T(decided_at) if decided_at else (proposed_at + pd.Timedelta(days=1) if status != "proposed"
                                                     else pd.NaT)
    return {"id": id_, "obligor_id": obligor, "as_of": T(as_of), "model_grade": model, "proposed_grade": grade,
            "reason": reason, "proposed_by": by, "proposed_at": proposed_at, "status": status,
            "decided_by": decider if status != "proposed" else None, "decided_at": decided_at,
            "decision_note": None}


def _frame(*rows) -> pd.DataFrame:
    return normalise_overrides(pd.DataFrame(list(rows)))


# --------------------------------------------------------------------------- proposals


def test_a_proposal_needs_a_reason_and_a_proposer():
    with pytest.raises(ValueError, match="say why"):
        check_proposal("O1", 4, 6, "  ", "alice")
    with pytest.raises(ValueError, match="say why"):
        check_proposal("O1", 4, 6, None, "alice")
    with pytest.raises(ValueError, match="say who proposes"):
        check_proposal("O1", 4, 6, "guarantee", "")


@pytest.mark.parametrize("grade", [0, 11, -1, 3.5, "x", None])
def test_a_proposed_grade_off_the_master_scale_is_refused_naming_the_scale(grade):
    with pytest.raises(ValueError, match=r"1 \(best\) \.\. 10"):
        check_proposal("O1", grade, 6, "guarantee", "alice")


def test_the_grade_range_is_the_master_scales():
    assert check_proposal("O1", 1, 6, "r", "a") == (1, 6)
    assert check_proposal("O1", MASTER_SCALE.n_grades, 6, "r", "a") == (MASTER_SCALE.n_grades, 6)


def test_a_proposal_equal_to_the_models_grade_is_refused():
    with pytest.raises(ValueError, match="proposed grade 6 is the model's grade"):
        check_proposal("O1", 6, 6, "guarantee", "alice")


def test_a_proposal_without_the_models_grade_is_allowed():
    assert check_proposal("O1", 6, None, "guarantee", "alice") == (6, None)


def test_a_second_proposal_while_one_is_open_is_refused_but_not_after_a_decision():
    open_rows = _frame(_override(7, "O1", "2024-01-31", 5, status="proposed", by="bob"))
    with pytest.raises(ValueError, match=r"O1 already has an open override proposal #7 \(grade 5, by bob\)"):
        check_proposal("O1", 4, 6, "guarantee", "alice", open_rows)
    decided = _frame(_override(7, "O1", "2024-01-31", 5, status="rejected", by="bob"))
    assert check_proposal("O1", 4, 6, "guarantee", "alice", decided) == (4, 6)
    assert check_proposal("O2", 4, 6, "guarantee", "alice", open_rows) == (4, 6)


# --------------------------------------------------------------------------- decisions


def test_approval_by_a_second_person_sets_approved_and_rejection_rejected():
    row = _frame(_override(1, "O1", "2024-01-31", 4, status="proposed", by="alice")).iloc[0].to_dict()
    assert check_override_decision(row, "approve", "bob") == "approved"
    assert check_override_decision(row, "reject", "bob", "no evidence") == "rejected"


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_the_proposer_cannot_decide_their_own_override(action):
    row = _frame(_override(1, "O1", "2024-01-31", 4, status="proposed", by="alice")).iloc[0].to_dict()
    with pytest.raises(ValueError, match="four eyes: Alice proposed override #1 of O1"):
        check_override_decision(row, action, " Alice ", "n")


def test_a_rejection_needs_a_note_an_approval_does_not():
    row = _frame(_override(1, "O1", "2024-01-31", 4, status="proposed", by="alice")).iloc[0].to_dict()
    with pytest.raises(ValueError, match="say why"):
        check_override_decision(row, "reject", "bob", " ")
    assert check_override_decision(row, "approve", "bob", None) == "approved"


def test_a_decided_override_is_not_decided_again_and_unknown_actions_are_refused():
    row = _frame(_override(1, "O1", "2024-01-31", 4, status="approved")).iloc[0].to_dict()
    with pytest.raises(ValueError, match="override #1 of O1 is already approved"):
        check_override_decision(row, "reject", "carol", "changed my mind")
    with pytest.raises(ValueError, match="unknown action 'accept': choose one of approve, reject"):
        check_override_decision(row, "accept", "carol")
    with pytest.raises(ValueError, match="say who decides"):
        check_override_decision(row, "approve", "")


# --------------------------------------------------------------------------- in force at an as-of


def test_approved_grades_keep_only_approved_overrides_applying_by_the_as_of():
    o = _frame(
        _override(1, "O1", "2024-01-31", 4),
        _override(2, "O2", "2024-01-31", 7, status="rejected"),
        _override(3, "O3", "2024-01-31", 2, status="proposed"),
        _override(4, "O4", "2024-03-31", 5),  # applies from a later month
    )
    got = approved_grades(o, "2024-02-29")
    assert got[["obligor_id", "grade", "override_id"]].values.tolist() == [["O1", 4, 1]]


def test_approved_grades_ignore_entries_proposed_or_decided_after_the_as_of():
    o = _frame(
        _override(1, "O1", "2024-01-31", 4, proposed_at="2024-01-20", decided_at="2024-02-03"),
        _override(2, "O2", "2024-01-31", 7, proposed_at="2024-02-02", decided_at="2024-02-03"),
        _override(3, "O3", "2024-01-31", 3, proposed_at="2024-01-31 08:00", decided_at="2024-01-31 17:30"),
    )
    assert approved_grades(o, "2024-01-31")["obligor_id"].tolist() == ["O3"]  # decided on the day: counts
    assert approved_grades(o, "2024-02-29")["obligor_id"].tolist() == ["O1", "O2", "O3"]


def test_the_latest_approved_override_wins_and_a_report_for_an_earlier_as_of_sees_the_earlier_one():
    o = _frame(
        _override(1, "O1", "2024-01-31", 4, proposed_at="2024-01-10", decided_at="2024-01-12"),
        _override(2, "O1", "2024-04-30", 3, proposed_at="2024-04-10", decided_at="2024-04-12"),
    )
    assert approved_grades(o, "2024-03-31").set_index("obligor_id").loc["O1", "grade"] == 4
    assert approved_grades(o, "2024-04-30").set_index("obligor_id").loc["O1", "grade"] == 3


def test_an_approved_override_lapses_after_its_validity():
    o = _frame(_override(1, "O1", "2024-01-31", 4, proposed_at="2024-01-10", decided_at="2024-01-12"))
    assert len(approved_grades(o, "2024-12-31")) == 1  # the twelfth month end from January
    assert len(approved_grades(o, "2025-01-31")) == 0
    assert len(approved_grades(o, "2024-03-31", OverrideParams(valid_months=2))) == 0


def test_approved_grades_of_no_overrides_is_empty():
    assert approved_grades(None, "2024-01-31").empty
    assert list(approved_grades(None, "2024-01-31").columns)[:2] == ["obligor_id", "grade"]


# --------------------------------------------------------------------------- applied to a scored snapshot


def _scored() -> pd.DataFrame:
    return pd.DataFrame({"obligor_id": ["O1", "O2", "O3", "O4"], "obs_date": T("2024-02-29"),
                         "pd": [0.02, 0.005, 0.08, 0.01], "grade": [6, 4, 8, 5]})


def test_apply_overrides_sets_the_approved_grade_and_keeps_the_models():
    o = _frame(_override(1, "O1", "2024-01-31", 4, reason="parent guarantee"),
               _override(2, "O3", "2024-01-31", 9, reason="fraud suspicion"))
    out = apply_overrides(_scored(), o, "2024-02-29").set_index("obligor_id")
    assert out["grade"].to_dict() == {"O1": 4, "O2": 4, "O3": 9, "O4": 5}
    assert out["model_grade"].to_dict() == {"O1": 6, "O2": 4, "O3": 8, "O4": 5}
    assert out["override"].to_dict() == {"O1": "up", "O2": "", "O3": "down", "O4": ""}
    assert out.loc["O1", "override_reason"] == "parent guarantee" and pd.isna(out.loc["O2", "override_reason"])
    assert out.loc["O3", "override_id"] == 2 and pd.isna(out.loc["O4", "override_id"])


def test_an_overridden_pd_is_the_approved_grades_master_scale_pd_unless_switched_off():
    o = _frame(_override(1, "O1", "2024-01-31", 4))
    out = apply_overrides(_scored(), o, "2024-02-29").set_index("obligor_id")
    assert out.loc["O1", "pd"] == pytest.approx(MASTER_SCALE.grade_pd()["4"])
    assert out.loc["O1", "model_pd"] == 0.02 and out.loc["O2", "pd"] == 0.005
    kept = apply_overrides(_scored(), o, "2024-02-29", OverrideParams(pd_from_grade=False)).set_index("obligor_id")
    assert kept.loc["O1", "pd"] == 0.02 and kept.loc["O1", "grade"] == 4


def test_an_approved_grade_equal_to_this_months_model_grade_is_no_override():
    o = _frame(_override(1, "O4", "2024-01-31", 5, model=7))  # the model has since moved to the same grade
    out = apply_overrides(_scored(), o, "2024-02-29").set_index("obligor_id")
    assert out.loc["O4", "override"] == "" and out.loc["O4", "grade"] == 5


def test_apply_overrides_for_an_earlier_as_of_ignores_later_overrides_and_keeps_row_order():
    o = _frame(_override(1, "O1", "2024-02-29", 4, proposed_at="2024-02-10", decided_at="2024-03-02"))
    out = apply_overrides(_scored(), o, "2024-02-29")
    assert out["grade"].tolist() == [6, 4, 8, 5] and (out["override"] == "").all()
    assert out["obligor_id"].tolist() == ["O1", "O2", "O3", "O4"]


def test_apply_overrides_refuses_a_frame_already_overridden():
    out = apply_overrides(_scored(), None, "2024-02-29")
    with pytest.raises(ValueError, match="applied once"):
        apply_overrides(out, None, "2024-02-29")


# --------------------------------------------------------------------------- the override rate


def test_override_rate_by_tier_and_direction_with_a_total_row():
    frame = pd.DataFrame({"tier": ["A", "A", "A", "A", "B", "B", "C"],
                          "override": ["up", "down", "", "up", "", "", "down"]})
    rates = override_rate(frame)
    assert list(rates.index) == ["A", "B", "C", "all"]
    assert rates.loc["A", ["clients", "up", "down", "overrides"]].tolist() == [4, 2, 1, 3]
    assert rates.loc["A", "rate"] == pytest.approx(0.75) and rates.loc["A", "rate_up"] == pytest.approx(0.5)
    assert rates.loc["B", "rate"] == 0.0
    assert rates.loc["all", ["clients", "up", "down"]].tolist() == [7, 2, 2]
    assert rates.loc["all", "rate_down"] == pytest.approx(2 / 7)
    shown = override_rate_table(rates)
    assert shown.loc["A", "override rate"] == "75.00\u00a0%"


def test_override_rate_names_what_is_missing_or_wrong():
    with pytest.raises(KeyError, match="override"):
        override_rate(pd.DataFrame({"tier": ["A"]}))
    with pytest.raises(ValueError, match="'sideways'"):
        override_rate(pd.DataFrame({"tier": ["A"], "override": ["sideways"]}))


def test_override_rate_of_applied_overrides_joined_with_tiers():
    o = _frame(_override(1, "O1", "2024-01-31", 4), _override(2, "O3", "2024-01-31", 9))
    applied = apply_overrides(_scored(), o, "2024-02-29")
    tiers = pd.DataFrame({"obligor_id": ["O1", "O2", "O3", "O4"], "tier": ["A", "A", "B", "B"]})
    rates = override_rate(tiers.merge(applied[["obligor_id", "override"]], on="obligor_id"))
    assert rates.loc["A", ["up", "down"]].tolist() == [1, 0] and rates.loc["B", ["up", "down"]].tolist() == [0, 1]


def test_overrides_table_shows_both_grades_and_the_status():
    shown = overrides_table(_frame(_override(1, "O1", "2024-01-31", 4, model=6)))
    assert shown.iloc[0][["Model grade", "Proposed grade", "Status"]].tolist() == ["6", "4", "approved"]
    assert np.all(shown.columns[:2] == ["#", "Obligor"])
