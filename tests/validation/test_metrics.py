"""Discrimination metrics: checked against scikit-learn and against hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve
from sklearn.metrics import log_loss as sk_log_loss

from workbench.validation import (
    accuracy_ratio,
    auc,
    brier,
    cap_curve,
    discrimination_table,
    gini,
    ks,
    log_loss,
)


def _sample(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(-2.5 + 1.2 * x)))
    y = (rng.random(n) < p).astype(int)
    return y, p


def test_auc_hand_example():
    # 4 pairs (defaulter, non-defaulter): 3 ordered correctly -> 0.75 (scikit-learn roc_auc_score doc example)
    assert auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)


def test_auc_matches_sklearn_with_and_without_ties():
    y, p = _sample()
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    coarse = np.round(p, 2)  # many ties
    assert auc(y, coarse) == pytest.approx(roc_auc_score(y, coarse), abs=1e-12)


def test_auc_accepts_pandas_and_bool_flags():
    y, p = _sample(500)
    assert auc(pd.Series(y.astype(bool)), pd.Series(p)) == pytest.approx(roc_auc_score(y, p))


def test_gini_is_two_auc_minus_one():
    y, p = _sample()
    assert gini(y, p) == pytest.approx(2 * roc_auc_score(y, p) - 1, abs=1e-12)
    assert gini(y, -p) == pytest.approx(-gini(y, p))


def test_ks_is_max_tpr_minus_fpr():
    y, p = _sample()
    fpr, tpr, _ = roc_curve(y, p)
    assert ks(y, p) == pytest.approx(np.max(tpr - fpr), abs=1e-12)
    coarse = np.round(p, 2)
    fpr, tpr, _ = roc_curve(y, coarse)
    assert ks(y, coarse) == pytest.approx(np.max(tpr - fpr), abs=1e-12)


def test_ks_of_perfect_separation_is_one():
    assert ks([0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.8, 0.9]) == pytest.approx(1.0)


def test_brier_matches_sklearn_and_hand_value():
    y, p = _sample()
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    assert brier([1, 0], [0.8, 0.4]) == pytest.approx((0.2**2 + 0.4**2) / 2)


def test_log_loss_matches_sklearn():
    y, p = _sample()
    assert log_loss(y, p) == pytest.approx(sk_log_loss(y, p), rel=1e-10)


def test_log_loss_is_finite_for_certain_wrong_predictions():
    value = log_loss([1, 0], [0.0, 1.0])
    assert np.isfinite(value)
    assert value == pytest.approx(-np.log(1e-15), rel=1e-4)  # PD clipped to [1e-15, 1 - 1e-15]


def test_cap_curve_runs_from_origin_to_one_and_is_monotone():
    y, p = _sample()
    cap = cap_curve(y, p)
    assert list(cap.columns) == ["population_share", "defaulter_share"]
    assert cap.iloc[0].tolist() == [0.0, 0.0]
    assert cap.iloc[-1].tolist() == pytest.approx([1.0, 1.0])
    assert (np.diff(cap["population_share"]) > 0).all()
    assert (np.diff(cap["defaulter_share"]) >= 0).all()


def test_cap_curve_sorts_by_score_descending():
    # the riskiest obligor (score 0.9) defaulted: after 1/4 of the population half the defaulters are in
    cap = cap_curve([0, 1, 0, 1], [0.1, 0.9, 0.5, 0.3])
    assert cap["population_share"].tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert cap["defaulter_share"].tolist() == [0, 0.5, 0.5, 1.0, 1.0]


def test_cap_of_perfect_model_reaches_all_defaulters_at_the_default_rate():
    y = np.r_[np.ones(10), np.zeros(90)]
    cap = cap_curve(y, y + np.linspace(0, 0.5, 100))
    at_rate = cap.loc[np.isclose(cap["population_share"], 0.10), "defaulter_share"]
    assert at_rate.iloc[0] == pytest.approx(1.0)
    assert accuracy_ratio(y, y) == pytest.approx(1.0)


def test_accuracy_ratio_equals_gini_with_and_without_ties():
    y, p = _sample()
    assert accuracy_ratio(y, p) == pytest.approx(gini(y, p), abs=1e-12)
    coarse = np.round(p, 2)
    assert accuracy_ratio(y, coarse) == pytest.approx(gini(y, coarse), abs=1e-12)


def test_accuracy_ratio_of_constant_score_is_zero():
    assert accuracy_ratio([0, 1, 0, 0], [0.3, 0.3, 0.3, 0.3]) == pytest.approx(0.0)


@pytest.mark.parametrize("func", [auc, gini, ks, cap_curve, accuracy_ratio])
def test_ranking_metrics_reject_a_single_class(func):
    with pytest.raises(ValueError, match="single class"):
        func([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="single class"):
        func([1, 1], [0.1, 0.2])


@pytest.mark.parametrize("func", [auc, gini, ks, brier, log_loss, cap_curve, accuracy_ratio])
def test_metrics_reject_lengths_that_differ(func):
    with pytest.raises(ValueError, match="different lengths"):
        func([0, 1, 0], [0.1, 0.2])


def test_metrics_reject_non_binary_flags_and_bad_pds():
    with pytest.raises(ValueError, match="only 0"):
        auc([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        brier([0, 1], [0.1, 1.2])
    with pytest.raises(ValueError, match="NaN"):
        auc([0, 1], [0.1, np.nan])


def test_discrimination_table_orders_splits_and_matches_the_metrics():
    y, p = _sample(3000)
    split = np.array(["oot"] * 1000 + ["train"] * 1000 + ["valid"] * 1000)
    table = discrimination_table(y, p, split)
    assert table.index.tolist() == ["train", "valid", "oot"]
    assert table.columns.tolist() == [
        "rows", "defaults", "default_rate", "mean_pd", "auc", "gini", "ks", "brier", "log_loss"
    ]
    oot = split == "oot"
    row = table.loc["oot"]
    assert row["rows"] == 1000
    assert row["defaults"] == y[oot].sum()
    assert row["default_rate"] == pytest.approx(y[oot].mean())
    assert row["mean_pd"] == pytest.approx(p[oot].mean())
    assert row["auc"] == pytest.approx(roc_auc_score(y[oot], p[oot]))
    assert row["gini"] == pytest.approx(2 * row["auc"] - 1)
    assert row["ks"] == pytest.approx(ks(y[oot], p[oot]))
    assert row["brier"] == pytest.approx(brier_score_loss(y[oot], p[oot]))
    assert row["log_loss"] == pytest.approx(sk_log_loss(y[oot], p[oot]))


def test_discrimination_table_keeps_only_present_splits_and_other_labels_last():
    y = np.array([0, 1, 0, 1, 0, 1])
    p = np.array([0.1, 0.9, 0.2, 0.8, 0.3, 0.7])
    table = discrimination_table(y, p, ["later", "later", "oot", "oot", "train", "train"])
    assert table.index.tolist() == ["train", "oot", "later"]


def test_discrimination_table_single_class_split_has_nan_ranking_metrics():
    y = np.array([0, 1, 0, 1, 0, 0])
    p = np.array([0.1, 0.9, 0.2, 0.8, 0.3, 0.1])
    table = discrimination_table(y, p, ["train"] * 4 + ["oot"] * 2)
    assert np.isnan(table.loc["oot", ["auc", "gini", "ks"]].astype(float)).all()
    assert table.loc["oot", "brier"] == pytest.approx((0.3**2 + 0.1**2) / 2)
    assert table.loc["train", "auc"] == pytest.approx(1.0)


def test_discrimination_table_rejects_split_of_other_length():
    with pytest.raises(ValueError, match="different lengths"):
        discrimination_table([0, 1], [0.1, 0.2], ["train"])
