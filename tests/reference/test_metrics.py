"""Metric names: one constant per figure, no two figures under one name."""

from __future__ import annotations

import pytest

from workbench.reference import metrics


def _constants() -> dict[str, str]:
    return {k: v for k, v in vars(metrics).items() if k.isupper() and isinstance(v, str)}


def test_every_metric_name_is_scope_slash_figure_and_names_one_figure_only():
    names = _constants()
    assert all(v.count("/") == 1 and all(part for part in v.split("/")) for v in names.values()), names
    assert len(set(names.values())) == len(names)


def test_the_back_test_summary_names_are_the_ones_the_gate_and_the_review_read():
    assert metrics.OOT_RED_GRADES in metrics.OOT_BACKTEST_METRICS
    assert all(name.startswith("oot/") for name in metrics.OOT_BACKTEST_METRICS)


def test_a_trials_cross_validated_auc_is_not_named_like_the_validation_period_auc():
    assert metrics.CV_AUC != metrics.VALID_AUC


def test_split_metric_builds_names_and_refuses_a_slash_inside_a_part():
    assert metrics.split_metric("oot", "auc") == metrics.OOT_AUC
    with pytest.raises(ValueError, match="must not contain"):
        metrics.split_metric("oot/x", "auc")


def test_derived_names_keep_their_scope():
    assert metrics.oot_auc_of("scorecard") == "oot/auc_scorecard"
    assert metrics.champion_metric(metrics.OOT_AUC) == "champion/oot/auc"
    assert metrics.migration_metric("same_grade") == "migration/same_grade"
