"""Reviews due: the last annual review on or before the as-of, the next due date by the tier's frequency,
months overdue, never-reviewed clients counted from the later of relationship start and data start."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.accounts.reviews import REVIEW_TOPIC, overdue_by_tier, reviews_due

AS_OF = pd.Timestamp("2024-06-30")
T = pd.Timestamp


def _tiers(rows: dict[str, tuple[str, int]]) -> pd.DataFrame:
    return pd.DataFrame({"obligor_id": list(rows), "tier": [t for t, _ in rows.values()],
                         "review_frequency_months": [m for _, m in rows.values()]})


def _obligors(starts: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"obligor_id": list(starts), "relationship_start": pd.to_datetime(list(starts.values()))})


def _interactions(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame({"obligor_id": [r[0] for r in rows], "date": pd.to_datetime([r[1] for r in rows]),
                         "topic": [r[2] for r in rows]})


def _one(due: pd.DataFrame, obligor: str) -> pd.Series:
    return due.set_index("obligor_id").loc[obligor]


def test_last_review_is_the_latest_annual_review_on_or_before_the_as_of():
    tiers = _tiers({"O1": ("A", 12), "O2": ("A", 12)})
    interactions = _interactions([
        ("O1", "2022-03-10", REVIEW_TOPIC), ("O1", "2023-03-15", REVIEW_TOPIC),
        ("O1", "2024-05-01", "pricing"),  # not a review
        ("O1", "2024-07-02", REVIEW_TOPIC),  # after the as-of
        ("O2", "2024-06-30", REVIEW_TOPIC),  # on the as-of: counts
    ])
    due = reviews_due(tiers, interactions, _obligors({"O1": "2010-01-01", "O2": "2010-01-01"}), AS_OF)
    assert _one(due, "O1")["last_review"] == T("2023-03-15")
    assert _one(due, "O2")["last_review"] == T("2024-06-30")
    assert due["reviewed_in_data"].all()


def test_next_due_is_the_last_review_plus_the_tiers_frequency_at_month_end():
    tiers = _tiers({"O1": ("A", 12), "O2": ("B", 6), "O3": ("C", 1)})
    interactions = _interactions([("O1", "2023-03-15", REVIEW_TOPIC), ("O2", "2023-08-31", REVIEW_TOPIC),
                                  ("O3", "2024-01-31", REVIEW_TOPIC)])
    due = reviews_due(tiers, interactions, _obligors({"O1": "2010-01-01", "O2": "2010-01-01", "O3": "2010-01-01"}),
                      AS_OF)
    assert _one(due, "O1")["next_due"] == T("2024-03-31")
    assert _one(due, "O2")["next_due"] == T("2024-02-29")
    assert _one(due, "O3")["next_due"] == T("2024-02-29")  # 31 January + 1 month: the end of February


def test_months_overdue_count_whole_months_past_the_due_month_and_zero_when_not_due():
    tiers = _tiers({"late": ("A", 12), "this_month": ("A", 12), "not_yet": ("A", 12), "a_month": ("A", 12)})
    interactions = _interactions([("late", "2023-03-15", REVIEW_TOPIC), ("this_month", "2023-06-02", REVIEW_TOPIC),
                                  ("not_yet", "2024-01-20", REVIEW_TOPIC), ("a_month", "2023-05-31", REVIEW_TOPIC)])
    obligors = _obligors(dict.fromkeys(["late", "this_month", "not_yet", "a_month"], "2010-01-01"))
    due = reviews_due(tiers, interactions, obligors, AS_OF).set_index("obligor_id")
    assert due.loc["late", "months_overdue"] == 3
    assert due.loc["this_month", "months_overdue"] == 0
    assert due.loc["not_yet", "months_overdue"] == 0
    assert due.loc["a_month", "months_overdue"] == 1
    assert due["overdue"].to_dict() == {"late": True, "this_month": False, "not_yet": False, "a_month": True}


def test_a_never_reviewed_client_counts_from_the_later_of_relationship_start_and_data_start():
    tiers = _tiers({"old": ("A", 12), "young": ("A", 12)})
    obligors = _obligors({"old": "2001-05-10", "young": "2022-02-14"})
    due = reviews_due(tiers, _interactions([("old", "2024-01-10", "pricing")]), obligors, AS_OF,
                      data_start="2020-01-31").set_index("obligor_id")
    assert not due["reviewed_in_data"].any()
    assert due.loc["old", "last_review"] == T("2020-01-31")
    assert due.loc["old", "next_due"] == T("2021-01-31")
    assert due.loc["old", "months_overdue"] == 41
    assert due.loc["young", "last_review"] == T("2022-02-14")
    assert due.loc["young", "next_due"] == T("2023-02-28")
    assert due.loc["young", "months_overdue"] == 16


def test_without_a_data_start_a_never_reviewed_client_counts_from_its_relationship_start():
    due = reviews_due(_tiers({"old": ("A", 12)}), None, _obligors({"old": "2001-05-10"}), AS_OF)
    assert due.loc[0, "last_review"] == T("2001-05-10")
    assert due.loc[0, "months_overdue"] == (2024 * 12 + 6) - (2002 * 12 + 5)


def test_a_review_in_the_data_is_not_moved_to_the_data_start():
    tiers = _tiers({"O1": ("A", 12)})
    interactions = _interactions([("O1", "2023-09-30", REVIEW_TOPIC)])
    due = reviews_due(tiers, interactions, _obligors({"O1": "2001-05-10"}), AS_OF, data_start="2024-01-31")
    assert due.loc[0, "last_review"] == T("2023-09-30")
    assert due.loc[0, "months_overdue"] == 0


def test_no_interactions_at_all_counts_everyone_from_their_start():
    tiers = _tiers({"O1": ("A", 12)})
    empty = _interactions([])
    a = reviews_due(tiers, None, _obligors({"O1": "2023-04-20"}), AS_OF)
    b = reviews_due(tiers, empty, _obligors({"O1": "2023-04-20"}), AS_OF)
    pd.testing.assert_frame_equal(a, b)
    assert a.loc[0, "next_due"] == T("2024-04-30") and a.loc[0, "months_overdue"] == 2


def test_reviews_due_names_a_missing_tiers_column():
    tiers = _tiers({"O1": ("A", 12)}).drop(columns="review_frequency_months")
    with pytest.raises(KeyError, match="review_frequency_months"):
        reviews_due(tiers, None, _obligors({"O1": "2023-04-20"}), AS_OF)


def test_reviews_due_keeps_one_row_per_tiered_obligor_in_the_tiers_order():
    tiers = _tiers({"O3": ("C", 24), "O1": ("A", 6), "O2": ("B", 12)})
    interactions = _interactions([("O1", "2023-01-10", REVIEW_TOPIC), ("O1", "2024-01-10", REVIEW_TOPIC),
                                  ("O9", "2024-01-10", REVIEW_TOPIC)])  # an obligor not tiered
    obligors = _obligors({"O1": "2015-01-01", "O2": "2015-01-01", "O3": "2015-01-01", "O9": "2015-01-01"})
    due = reviews_due(tiers, interactions, obligors, AS_OF)
    assert list(due["obligor_id"]) == ["O3", "O1", "O2"]
    assert list(due["tier"]) == ["C", "A", "B"]


def test_overdue_by_tier_counts_clients_overdue_share_and_longest_delay():
    due = pd.DataFrame({"obligor_id": ["a", "b", "c", "d", "e"], "tier": ["B", "A", "A", "A", "B"],
                        "months_overdue": [0, 3, 0, 7, 0]})
    due["overdue"] = due["months_overdue"] > 0
    table = overdue_by_tier(due)
    assert list(table.index) == ["A", "B"]
    assert table.loc["A"].to_dict() == {"clients": 3, "overdue": 2, "share_overdue": pytest.approx(2 / 3),
                                        "max_months_overdue": 7}
    assert table.loc["B"].to_dict() == {"clients": 2, "overdue": 0, "share_overdue": 0.0, "max_months_overdue": 0}


def test_overdue_by_tier_of_reviews_due_on_a_hand_made_book():
    tiers = _tiers({"O1": ("A", 12), "O2": ("A", 12), "O3": ("C", 24)})
    interactions = _interactions([("O1", "2023-01-10", REVIEW_TOPIC), ("O2", "2024-01-10", REVIEW_TOPIC)])
    obligors = _obligors({"O1": "2015-01-01", "O2": "2015-01-01", "O3": "2023-01-05"})
    table = overdue_by_tier(reviews_due(tiers, interactions, obligors, AS_OF))
    assert table.loc["A", "clients"] == 2 and table.loc["A", "overdue"] == 1
    assert table.loc["A", "max_months_overdue"] == 5
    assert table.loc["C", "overdue"] == 0
