"""Scoring a snapshot: PD and master-scale grade from the model's own features only, a clear error for
missing features, empty snapshots; reason codes of no obligor are an empty frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.accounts.scoring import score_snapshot, snapshot_reasons
from workbench.reference.master_scale import MASTER_SCALE

from .conftest import FakePDModel


def _snapshot(n: int = 4) -> pd.DataFrame:
    return pd.DataFrame({
        "obligor_id": [f"O{i}" for i in range(n)], "obs_date": pd.Timestamp("2024-06-30"), "industry": "retail",
        "leverage": np.linspace(0.1, 3.0, n, dtype="float32"), "dpd_max_12m": np.float32(0.0),
        "interest_cover": np.array([8.0, np.nan, 1.0, -2.0][:n], dtype="float32"),
        "dso": np.float32(45.0),
    })


class _Recorder(FakePDModel):
    """The fake model, noting which columns it was given."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        self.seen.append(list(X.columns))
        return super().predict_pd(X)


def test_the_fake_models_features_are_panel_columns_of_the_snapshot(book, fake_model):
    assert set(fake_model.feature_names_in_) <= set(book.scored.columns)


def test_score_snapshot_adds_pd_and_an_integer_grade_from_the_master_scale():
    model = FakePDModel()
    snap = _snapshot()
    scored = score_snapshot(model, snap)
    expected_pd = model.predict_pd(snap)
    np.testing.assert_allclose(scored["pd"].to_numpy(), expected_pd)
    assert scored["pd"].dtype == np.float64
    assert scored["grade"].dtype == np.int64
    np.testing.assert_array_equal(scored["grade"].to_numpy(), MASTER_SCALE.grade_number(expected_pd))
    assert scored["grade"].between(1, MASTER_SCALE.n_grades).all()
    assert scored["pd"].between(MASTER_SCALE.pd_floor, 1.0).all()
    assert scored["grade"].is_monotonic_increasing  # leverage rises down the rows: worse grades


def test_score_snapshot_keeps_the_snapshot_and_does_not_change_it():
    snap = _snapshot()
    before = snap.copy()
    scored = score_snapshot(FakePDModel(), snap)
    pd.testing.assert_frame_equal(snap, before)
    pd.testing.assert_frame_equal(scored.drop(columns=["pd", "grade"]), snap)
    assert list(scored.columns) == list(snap.columns) + ["pd", "grade"]


def test_score_snapshot_hands_the_model_only_its_own_features_in_its_order():
    model = _Recorder()
    snap = _snapshot()[["obligor_id", "obs_date", "industry", "dso", "interest_cover", "dpd_max_12m", "leverage"]]
    score_snapshot(model, snap)
    assert model.seen == [list(FakePDModel.feature_names_in_)]


def test_score_snapshot_names_the_missing_features():
    snap = _snapshot().drop(columns=["leverage", "interest_cover"])
    with pytest.raises(KeyError, match="leverage") as err:
        score_snapshot(FakePDModel(), snap)
    assert "interest_cover" in str(err.value)
    assert "dpd_max_12m" not in str(err.value)


def test_score_snapshot_of_an_empty_snapshot_is_empty_with_pd_and_grade():
    model = _Recorder()
    scored = score_snapshot(model, _snapshot().iloc[0:0])
    assert scored.empty
    assert {"pd", "grade"} <= set(scored.columns)
    assert scored["grade"].dtype == np.int64
    assert model.seen == []  # the model is not asked to score nothing


def test_the_books_scores_are_the_models_scores(book, fake_model):
    rows = book.scored_at("2018-03-31")
    np.testing.assert_allclose(rows["pd"].to_numpy(), fake_model.predict_pd(rows))


def test_snapshot_reasons_of_no_obligor_is_an_empty_frame_with_the_reason_columns(book, fake_model):
    out = snapshot_reasons(fake_model, book.scored_at("2018-03-31"), [], top=2)
    assert out.empty
    assert list(out.columns) == ["obligor_id", "obs_date", "adverse_1", "adverse_2"]
