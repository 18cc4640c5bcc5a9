"""ECL movement between two as-of dates: every category on hand-made books, the exact reconciliation
opening + movements = closing (in total and per stage), the table and the waterfall."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from workbench.portfolio.movement import CATEGORIES, ecl_movement, plot_ecl_waterfall


def book(rows: list[tuple[str, int, float]]) -> pd.DataFrame:
    """(facility_id, stage, ecl) rows; obligor = facility, EAD = 100 x ECL."""
    return pd.DataFrame({"facility_id": [r[0] for r in rows], "obligor_id": [f"o{r[0]}" for r in rows],
                         "stage": [r[1] for r in rows], "ead": [100 * r[2] for r in rows],
                         "ecl": [r[2] for r in rows]})


BEFORE = book([("stay1", 1, 1.0), ("stay2", 2, 4.0), ("up2", 1, 0.5), ("up3", 2, 3.0), ("down1", 2, 2.0),
               ("three_to_two", 3, 9.0), ("repaid", 1, 0.7), ("gone3", 3, 6.0)])
AFTER = book([("stay1", 1, 1.2), ("stay2", 2, 3.5), ("up2", 2, 2.5), ("up3", 3, 12.0), ("down1", 1, 0.4),
              ("three_to_two", 2, 5.0), ("new", 1, 0.3)])


def test_every_category_on_a_hand_made_book():
    mv = ecl_movement(BEFORE, AFTER)
    assert list(mv.movements.index) == list(CATEGORIES)
    ecl = mv.movements["ecl"]
    assert mv.opening == pytest.approx(26.2) and mv.closing == pytest.approx(24.9)
    assert ecl["new facilities"] == pytest.approx(0.3)
    assert ecl["derecognised (repaid or matured)"] == pytest.approx(-0.7)
    assert ecl["written off"] == pytest.approx(-6.0)
    assert ecl["transfer to stage 2"] == pytest.approx((2.5 - 0.5) + (5.0 - 9.0))  # up2 and 3 -> 2
    assert ecl["transfer to stage 3"] == pytest.approx(12.0 - 3.0)
    assert ecl["transfer back to stage 1"] == pytest.approx(0.4 - 2.0)
    assert ecl["remeasurement (PD, exposure, LGD)"] == pytest.approx((1.2 - 1.0) + (3.5 - 4.0))
    assert mv.movements["facilities"].tolist() == [1, 1, 1, 2, 1, 1, 2]
    cats = mv.facilities.set_index("facility_id")["category"]
    assert cats["gone3"] == "written off" and cats["repaid"] == "derecognised (repaid or matured)"
    assert cats["three_to_two"] == "transfer to stage 2"


def test_opening_plus_movements_is_closing_in_total_and_per_stage():
    mv = ecl_movement(BEFORE, AFTER)
    assert abs(mv.opening + mv.movements["ecl"].sum() - mv.closing) <= 1e-12 * mv.closing
    assert abs(mv.residual) <= 1e-12 * mv.closing
    stages = mv.by_stage
    middle = stages.drop(index=["opening ECL", "closing ECL"])
    np.testing.assert_allclose(stages.loc["opening ECL"] + middle.sum(), stages.loc["closing ECL"], rtol=1e-12)
    # Stage 2 by hand: opening 4 + 3 + 2 = 9; closing 3.5 + 2.5 + 5 = 11.
    assert stages.loc["opening ECL", "stage 2"] == pytest.approx(9.0)
    assert stages.loc["closing ECL", "stage 2"] == pytest.approx(11.0)
    # The transfer to stage 3 takes up3's 3.0 out of stage 2 and puts its 12.0 into stage 3.
    assert stages.loc["transfer to stage 3", "stage 2"] == pytest.approx(-3.0)
    assert stages.loc["transfer to stage 3", "stage 3"] == pytest.approx(12.0)
    np.testing.assert_allclose(stages["total"], stages[["stage 1", "stage 2", "stage 3"]].sum(axis=1), atol=1e-12)


def test_reconciliation_holds_on_a_large_random_book():
    rng = np.random.default_rng(11)
    n = 5000
    ids = np.array([f"F{i:05d}" for i in range(n)])
    before = pd.DataFrame({"facility_id": ids, "obligor_id": ids, "stage": rng.choice([1, 2, 3], n, p=[.8, .15, .05]),
                           "ead": rng.lognormal(2, 1, n), "ecl": rng.lognormal(-3, 2, n)})
    after = before.sample(frac=0.9, random_state=1).copy()
    after["stage"] = rng.choice([1, 2, 3], len(after), p=[.75, .18, .07])
    after["ecl"] = after["ecl"] * rng.lognormal(0, 0.5, len(after))
    new_ids = np.array([f"N{i:04d}" for i in range(400)])
    after = pd.concat([after, pd.DataFrame({"facility_id": new_ids, "obligor_id": new_ids, "stage": 1,
                                            "ead": 10.0, "ecl": rng.lognormal(-3, 1, 400)})])
    mv = ecl_movement(before, after)
    assert abs(mv.residual) <= 1e-12 * mv.closing
    assert mv.movements["facilities"].sum() == len(set(before["facility_id"]) | set(after["facility_id"]))
    assert mv.movements.loc["new facilities", "facilities"] == 400
    left = set(before["facility_id"]) - set(after["facility_id"])
    assert mv.movements.loc[["derecognised (repaid or matured)", "written off"], "facilities"].sum() == len(left)


def test_written_off_ids_and_a_defaulted_flag_mark_write_offs():
    before = BEFORE.assign(defaulted=BEFORE["facility_id"] == "repaid")
    mv = ecl_movement(before, AFTER)
    assert mv.movements.loc["written off", "ecl"] == pytest.approx(-6.7)
    mv2 = ecl_movement(BEFORE, AFTER, written_off=["repaid"])
    assert mv2.movements.loc["written off", "facilities"] == 2
    assert mv2.movements.loc["derecognised (repaid or matured)", "facilities"] == 0


def test_identical_books_have_only_zero_remeasurement():
    mv = ecl_movement(BEFORE, BEFORE)
    assert mv.opening == mv.closing
    assert (mv.movements["ecl"] == 0).all()
    assert mv.movements.loc["remeasurement (PD, exposure, LGD)", "facilities"] == len(BEFORE)


def test_table_and_waterfall():
    mv = ecl_movement(BEFORE, AFTER)
    table = mv.table()
    assert list(table.index) == ["opening ECL", *CATEGORIES, "closing ECL"]
    assert table.loc["written off", "total (EUR m)"] == "-6.000"
    assert table.loc["new facilities", "total (EUR m)"] == "+0.3000"
    assert table.loc["opening ECL", "facilities"] == "8" and table.loc["closing ECL", "facilities"] == "7"
    fig = plot_ecl_waterfall(mv)
    assert isinstance(fig, matplotlib.figure.Figure)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[0] == "opening ECL" and labels[-1] == "closing ECL"
    assert "transfer back to stage 1" in labels


def test_bad_frames_are_rejected():
    with pytest.raises(KeyError, match="ead"):
        ecl_movement(BEFORE.drop(columns="ead"), AFTER)
    with pytest.raises(ValueError, match="more than one row"):
        ecl_movement(pd.concat([BEFORE, BEFORE.iloc[:1]]), AFTER)
    with pytest.raises(ValueError, match="stage"):
        ecl_movement(BEFORE, AFTER.assign(stage=0))
    with pytest.raises(ValueError, match="finite"):
        ecl_movement(BEFORE, AFTER.assign(ecl=np.nan))
